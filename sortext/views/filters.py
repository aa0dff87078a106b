"""``list --where`` and ``--sort``: conditions and orderings over any record field.

A condition is ``PATH OP VALUE``: ``billing.rate>=300``, ``tags=leadership``,
``stage!=lost``, ``company~bakery``.  ``PATH`` is a dotted field path, custom
fields included; OP is one of ``>= <= != = > < ~`` (``~``: contains, case
insensitive).  On a list (``tags``) ``=`` means "has an element equal to",
``~`` "has an element containing".  Numbers compare as numbers when both
sides are numbers; a number is never ordered against text (``rate<abc``
matches nothing).  A date compared with a year or a month is compared with
that period: ``renewal=2026-12`` is "in December 2026", ``renewal<=2026-12``
"by the end of it", ``renewal>2026`` "from 2027 on".  Everything else
compares as text, case insensitive.  A record without the field never
matches (except ``!=``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sortext.errors import SortextError, hinted

_CONDITION = re.compile(r"^\s*([A-Za-z_][\w.-]*)\s*(>=|<=|!=|=|>|<|~)\s*(.*?)\s*$", re.S)
_MISSING: Any = object()
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_PERIOD = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")  # a year, a month or a day


class FilterError(SortextError):
    """A ``--where`` or ``--sort`` that cannot be read (message says how to write it)."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One parsed ``--where`` condition."""

    path: tuple[str, ...]
    op: str
    value: str

    def matches(self, data: Mapping[str, Any]) -> bool:
        """Whether the record's front matter ``data`` satisfies the condition."""
        found = lookup(data, self.path)
        if found is _MISSING or found is None:
            return self.op == "!="
        if isinstance(found, list):
            hits = [_compare(v, self.op if self.op != "!=" else "=", self.value) for v in found]
            return not any(hits) if self.op == "!=" else any(hits)
        return _compare(found, self.op, self.value)


def parse_condition(text: str) -> Condition:
    """``"billing.rate>=300"`` -> Condition; FilterError for anything else."""
    m = _CONDITION.match(text)
    if not m:
        raise hinted(
            FilterError(f"cannot read the condition '{text}'"),
            "condition_syntax",
            text="write FIELD OP VALUE with OP one of >= <= != = > < ~ "
            "(e.g. 'billing.rate>=300', 'tags=leadership')",
        )
    return Condition(tuple(m.group(1).split(".")), m.group(2), m.group(3).strip("'\""))


#: The orderings ``--sort`` knows by name (the rest are record fields).
NAMED_SORTS = ("due", "stage", "in_stage", "name")


def sort_fields(schema: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(the dotted fields a record can hold a value to sort by: reached through
    mappings, ending at a value or a list of values, as :func:`lookup` and
    :func:`sort_key` read them; the dotted
    mappings that take fields of any name, ``links``), from a record schema (the
    effective one, custom fields included).  Local ``$ref`` s are followed."""
    defs = schema.get("$defs", {})
    fields: list[str] = []
    open_maps: list[str] = []

    def walk(node: Any, path: str, depth: int) -> None:
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and depth < 20:
            node = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
            depth += 1
        if not isinstance(node, Mapping):
            return
        props = node.get("properties")
        if isinstance(props, Mapping) and (node.get("type") in ("object", None) or path == ""):
            if path and isinstance(node.get("additionalProperties"), Mapping):
                open_maps.append(path)
            for name, sub in props.items():
                walk(sub, f"{path}.{name}" if path else name, depth + 1)
            return
        if path and node.get("type") == "object":
            if node.get("additionalProperties") is not False:
                open_maps.append(path)
            return
        if path and node.get("type") == "array":
            items = node.get("items")
            while isinstance(items, Mapping) and isinstance(items.get("$ref"), str):
                items = defs.get(items["$ref"].rsplit("/", 1)[-1], {})
            if isinstance(items, Mapping) and (
                items.get("type") == "object" or "properties" in items
            ):
                return  # a list of mappings (sessions): its first item is no sort value
        if path:
            fields.append(path)

    walk(schema, "", 0)
    return sorted(fields), sorted(open_maps)


def check_sort(sort: str, schema: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The field path ``sort`` (a ``--sort`` KEY, ``-`` in front: reversed) orders by,
    None for a named ordering (:data:`NAMED_SORTS`).  Raises UnknownValue (naming
    the known keys, with a did-you-mean) for a key no record can hold: a field the
    record schema (``schema``, custom fields included) does not have, or a mapping
    of fields (``next_action``: sort by one of its fields, ``next_action.due``)."""
    from sortext.errors import UnknownValue

    name = sort.removeprefix("-")  # one '-' reverses: '--name' is no key (nor '-')
    if name in NAMED_SORTS:
        return None
    fields, open_maps = sort_fields(schema)
    if not name or name.startswith("-"):
        known = list(dict.fromkeys([*NAMED_SORTS, *fields]))
        raise UnknownValue("sort", "sort key", sort, known, name.lstrip("-") or None)
    path = tuple(name.split("."))
    if name in fields or (
        len(path) > 1 and all(path) and any(name.startswith(m + ".") for m in open_maps)
    ):
        return path
    known = list(dict.fromkeys([*NAMED_SORTS, *fields]))
    ends = [f for f in fields if f.endswith("." + name)]  # rate: billing.rate
    raise UnknownValue("sort", "sort key", name, known, ends[0] if len(ends) == 1 else None)


def lookup(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at a dotted ``path`` in ``data``, or a private MISSING marker."""
    here: Any = data
    for part in path:
        if isinstance(here, Mapping) and part in here:
            here = here[part]
        else:
            return _MISSING
    return here


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _compare(found: object, op: str, wanted: str) -> bool:
    if isinstance(found, Mapping | list):
        return False
    if op == "~":
        return wanted.casefold() in _text(found).casefold()
    left = None if isinstance(found, str) else _number(found)
    right = _number(wanted)
    if left is not None:  # a number in the record
        if right is not None:
            return _OPS[op](left, right)
        if op not in ("=", "!="):
            return False  # 420 is neither before nor after "abc"
    text = _text(found)
    if isinstance(found, str) and _DATE.match(found) and _PERIOD.match(wanted):
        text = text[: len(wanted)]  # the date's year, month or day: compared as a period
    return _OPS[op](text.casefold(), wanted.casefold())


def _text(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def sort_key(data: Mapping[str, Any], path: tuple[str, ...]) -> tuple[int, float, str]:
    """Order by a field: numbers before text, missing values last."""
    found = lookup(data, path)
    if found is _MISSING or found is None or isinstance(found, Mapping):
        return (2, 0.0, "")
    if isinstance(found, list):
        found = found[0] if found else None
        if found is None:
            return (2, 0.0, "")
    number = _number(found) if not isinstance(found, str) else None
    if number is not None:
        return (0, number, "")
    return (1, 0.0, _text(found).casefold())
