"""``list --where`` and ``--sort``: conditions and orderings over any record field.

A condition is ``PATH OP VALUE``: ``billing.rate>=300``, ``tags=leadership``,
``stage!=lost``, ``company~bakery``.  ``PATH`` is a dotted field path, custom
fields included; OP is one of ``>= <= != = > < ~`` (``~``: contains, case
insensitive).  On a list (``tags``) ``=`` means "has an element equal to",
``~`` "has an element containing".  Numbers compare as numbers when both
sides are numbers, everything else as text (ISO dates compare correctly as
text).  A record without the field never matches (except ``!=``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sortext.errors import SortextError

_CONDITION = re.compile(r"^\s*([A-Za-z_][\w.-]*)\s*(>=|<=|!=|=|>|<|~)\s*(.*?)\s*$", re.S)
_MISSING: Any = object()


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
        raise FilterError(
            f"cannot read --where '{text}': write FIELD OP VALUE with OP one of "
            ">= <= != = > < ~ (e.g. 'billing.rate>=300', 'tags=leadership')"
        )
    return Condition(tuple(m.group(1).split(".")), m.group(2), m.group(3).strip("'\""))


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
    left, right = _number(found), _number(wanted)
    if left is not None and right is not None and not isinstance(found, str):
        return _OPS[op](left, right)
    if op in ("=", "!="):
        return _OPS[op](_text(found).casefold(), wanted.casefold())
    return _OPS[op](_text(found), wanted)


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
