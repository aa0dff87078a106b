"""Validate one parsed record: schema, then the rules JSON Schema cannot say.

Validation returns problems as values.  The fast path (fastjsonschema, compiled
once) accepts valid records in microseconds; only a record that fails it is
re-validated with ``jsonschema`` to collect *every* problem with a human
message.  Problems carry a data path; :mod:`sortext.records` turns the path
into a line and column.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sortext.config import Config
from sortext.diagnostics import Diagnostic, Severity
from sortext.positions import Path, format_path

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem at a data path; ``at`` says whether to point at the key or the value.

    ``field`` names the field the message is about when that field is not
    written in the file (a missing requirement points at its nearest parent).
    """

    path: Path
    message: str
    severity: Severity = "error"
    at: Literal["key", "value"] = "value"
    field: str | None = None

    @property
    def label(self) -> str:
        return self.field if self.field is not None else format_path(self.path)


def is_iso_date(value: object) -> bool:
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_email(value: object) -> bool:
    return isinstance(value, str) and bool(_EMAIL.match(value))


def key_text(key: Any) -> str:
    """A mapping key as the text YAML would write: ``true``, ``null``, ``2026-01-31``."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, dt.date):
        return key.isoformat()
    return str(key)


# Values normalize returns unchanged, by exact type (a fast path: most values are these).
_AS_IS = frozenset({str, int, float, bool, type(None)})


def normalize(value: Any) -> Any:
    """YAML values -> JSON values: dates become ISO text, keys become text."""
    if isinstance(value, dict):
        return {
            key if type(key) is str else key_text(key): (
                item if type(item) in _AS_IS else _normalize_item(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [item if type(item) in _AS_IS else _normalize_item(item) for item in value]
    if isinstance(value, dt.date):  # a datetime too: both write ISO text
        return value.isoformat()
    return value


def _normalize_item(item: Any) -> Any:
    return item.isoformat() if type(item) is dt.date else normalize(item)


# Compiled validators by schema text: compiling costs ~30 ms, and the watcher builds a
# validator for every save.  A handful of schemas at most live in one process.
_COMPILED: dict[str, Callable[[Any], Any]] = {}


def _compile(draft7: dict[str, Any]) -> Callable[[Any], Any]:
    import json

    key = json.dumps(draft7, sort_keys=True)
    found = _COMPILED.get(key)
    if found is None:
        import fastjsonschema

        found = fastjsonschema.compile(draft7, formats={"date": is_iso_date, "email": is_email})
        if len(_COMPILED) >= 8:
            _COMPILED.clear()
        _COMPILED[key] = found
    return found


class RecordValidator:
    """Holds the compiled effective schema for one configuration."""

    def __init__(self, config: Config) -> None:
        from sortext.schema import draft7_copy, effective_schema

        self.config = config
        self.schema = effective_schema(config)
        self._fast: Callable[[Any], Any] | None = None
        self._draft7 = draft7_copy(self.schema)

    def _compiled(self) -> Callable[[Any], Any]:
        if self._fast is None:
            self._fast = _compile(self._draft7)
        return self._fast

    def problems(self, data: dict[str, Any], stem: str) -> list[Problem]:
        """Every problem in one normalized record (``stem``: file name without .md)."""
        import fastjsonschema

        found: list[Problem] = []
        try:
            self._compiled()(data)
        except fastjsonschema.JsonSchemaValueException:
            found.extend(schema_problems(self.schema, data))
        found.extend(semantic_problems(data, self.config, stem))
        return found


# --- JSON Schema errors as human messages ---------------------------------

_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of fields",
    "null": "nothing",
}


def describe(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"'{shown}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping of fields"
    return type(value).__name__


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _validator_for(schema: dict[str, Any]) -> Any:
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())
    # Formats only constrain text; a number where a date belongs is a type error.
    checker.checks("date")(lambda v: not isinstance(v, str) or is_iso_date(v))
    checker.checks("email")(lambda v: not isinstance(v, str) or is_email(v))
    return Draft202012Validator(schema, format_checker=checker)


def schema_problems(schema: dict[str, Any], data: Any) -> list[Problem]:
    """All JSON Schema violations of ``data``, each with a plain-language message."""
    validator = _validator_for(schema)
    found: list[Problem] = []
    for error in validator.iter_errors(data):
        for problem in _explain(error):
            if problem not in found:  # 'required' reports every missing field per error
                found.append(problem)
    found.sort(key=lambda p: [str(x) for x in p.path])
    return found


def _expected_words(schema: dict[str, Any]) -> str:
    if schema.get("format") == "date" or schema.get("$ref") == "#/$defs/date":
        return "a date (YYYY-MM-DD)"
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(_TYPE_WORDS.get(str(k), str(k)) for k in kind)
    return _TYPE_WORDS.get(str(kind), str(kind))


def _explain(error: Any) -> list[Problem]:
    path: Path = tuple(error.absolute_path)
    kind = error.validator
    value = error.instance
    schema = error.schema
    name = next((p for p in reversed(path) if isinstance(p, str)), "value")
    if kind == "type":
        message = f"expected {_expected_words(schema)}, found {describe(value)}"
        is_date = _expected_words(schema).startswith("a date")
        if schema.get("type") == "string" and isinstance(value, int | float) and not is_date:
            message += "; put it in quotes to keep it exactly as written"
        if schema.get("type") == "boolean" and isinstance(value, str):
            message += " (YAML 1.2 reads yes/no/on/off as text: write true or false)"
        if _expected_words(schema).startswith("a date") and isinstance(value, str):
            message = f"expected a date (YYYY-MM-DD), found {describe(value)}"
        return [Problem(path, message)]
    if kind == "format" and error.validator_value == "date":
        if isinstance(value, str) and _ISO_DATE.match(value):
            try:
                dt.date.fromisoformat(value)
                reason = "not a calendar date"
            except ValueError as exc:
                reason = str(exc)
            return [Problem(path, f"impossible date {value}: {reason}")]
        return [Problem(path, f"expected a date (YYYY-MM-DD), found {describe(value)}")]
    if kind == "format" and error.validator_value == "email":
        return [Problem(path, f"{describe(value)} is not an email address")]
    if kind == "enum":
        choices = [str(c) for c in error.validator_value]
        noun = "stage" if path == ("stage",) else name
        hint = _did_you_mean(str(value), choices)
        return [
            Problem(
                path,
                f"unknown {noun} {describe(value)}; expected one of: {', '.join(choices)}{hint}",
            )
        ]
    if kind == "required":
        missing = [r for r in error.validator_value if r not in (value or {})]
        return [Problem(path, f"missing required field '{m}'", at="key") for m in missing]
    if kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        extras = [k for k in value if k not in allowed]
        hint_custom = " (add your own fields under custom_fields in sortext.yaml)"
        return [
            Problem(
                (*path, key),
                f"unknown field '{key}'{_did_you_mean(key, allowed) or hint_custom}",
                at="key",
            )
            for key in extras
        ]
    if kind == "minLength":
        return [Problem(path, "must not be empty")]
    if kind == "minimum":
        return [Problem(path, f"{value} is below the minimum {error.validator_value}")]
    if kind == "maximum":
        return [Problem(path, f"{value} is above the maximum {error.validator_value}")]
    if kind == "pattern":
        return [Problem(path, _pattern_message(name, value, error.validator_value))]
    if kind == "anyOf":
        return _explain_any_of(error)
    return [Problem(path, str(error.message))]


def _pattern_message(name: str, value: Any, pattern: str) -> str:
    if name in ("id", "goal") or pattern.startswith("^[a-z0-9]"):
        return f"{describe(value)} must be lowercase letters, digits and dashes (like jane-doe)"
    if pattern == "^[A-Z]{3}$":
        return f"{describe(value)} must be a three-letter currency code like EUR"
    if pattern.startswith("^[A-Za-z][A-Za-z0-9+.-]*:"):
        return f"{describe(value)} must be a link with a scheme, like https://... or file:..."
    return f"{describe(value)} does not match the pattern {pattern}"


def _explain_any_of(error: Any) -> list[Problem]:
    branches: dict[int, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    for subs in branches.values():
        if not any(s.validator == "type" and not s.relative_path for s in subs):
            return [p for s in subs for p in _explain(s)]
    kinds = [_expected_words(s) for s in error.validator_value]
    return [
        Problem(
            tuple(error.absolute_path),
            f"expected {' or '.join(kinds)}, found {describe(error.instance)}",
        )
    ]


# --- rules beyond JSON Schema ---------------------------------------------


def _get(data: Any, dotted: str) -> Any:
    node = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _nearest_path(data: Any, dotted: str) -> Path:
    path: Path = ()
    node = data
    for part in dotted.split(".")[:-1]:
        if not isinstance(node, dict) or part not in node:
            break
        path = (*path, part)
        node = node[part]
    return path


def semantic_problems(data: dict[str, Any], config: Config, stem: str) -> list[Problem]:
    """Cross-field rules: stage requirements, next action, owners, references."""
    found: list[Problem] = []
    stage = data.get("stage")
    if isinstance(stage, str) and config.stage(stage) is not None:
        for req in config.requirements:
            if stage in req.stages and _get(data, req.field) in (None, "", [], {}):
                message = req.message or (
                    f"required at stage '{stage}': add it, "
                    "or move the client to an earlier stage"
                )
                near = _nearest_path(data, req.field)
                found.append(
                    Problem(
                        near or ("stage",),
                        message,
                        req.severity,
                        "key" if near else "value",
                        req.field,
                    )
                )
        if stage in config.open_stages and "next_action" not in data:
            found.append(
                Problem(
                    ("stage",),
                    f"an open client (stage '{stage}') has no next action: "
                    "add next_action with what and due",
                    "warning",
                    field="next_action",
                )
            )
    if config.people:
        for path in (("owner",), ("next_action", "owner")):
            owner = _get(data, ".".join(str(p) for p in path))
            if isinstance(owner, str) and owner not in config.people:
                found.append(
                    Problem(
                        path,
                        f"'{owner}' is not one of the people in sortext.yaml "
                        f"({', '.join(config.people)}){_did_you_mean(owner, list(config.people))}",
                        "warning",
                    )
                )
    found.extend(_identity_problems(data))
    record_id = data.get("id")
    if isinstance(record_id, str) and record_id != stem:
        found.append(
            Problem(
                ("id",),
                f"id '{record_id}' differs from the file name '{stem}.md'; "
                "links and history follow the id",
                "warning",
            )
        )
    return found


def _identity_problems(data: dict[str, Any]) -> list[Problem]:
    found: list[Problem] = []
    for list_name in ("goals", "invoices"):
        items = data.get(list_name)
        if not isinstance(items, list):
            continue
        seen: set[Any] = set()
        for i, item in enumerate(items):
            ident = item.get("id") if isinstance(item, dict) else None
            if ident is None:
                continue
            if ident in seen:
                found.append(
                    Problem((list_name, i, "id"), f"duplicate {list_name[:-1]} id '{ident}'")
                )
            seen.add(ident)
    goals = data.get("goals")
    goal_ids = (
        [g["id"] for g in goals if isinstance(g, dict) and isinstance(g.get("id"), str)]
        if isinstance(goals, list)
        else []
    )
    measurements = data.get("measurements")
    if isinstance(measurements, list):
        for i, m in enumerate(measurements):
            goal = m.get("goal") if isinstance(m, dict) else None
            if isinstance(goal, str) and goal not in goal_ids:
                known = ", ".join(dict.fromkeys(goal_ids)) or "none defined"
                found.append(
                    Problem(
                        ("measurements", i, "goal"),
                        f"no goal with id '{goal}' (goals: {known})"
                        f"{_did_you_mean(goal, goal_ids)}",
                    )
                )
    return found


def schema_diagnostics(
    schema: dict[str, Any], data: Any, text: str, display: str, line_offset: int
) -> list[Diagnostic]:
    """Validate ``data`` against any schema and locate problems in ``text``."""
    problems = schema_problems(schema, data)
    if not problems:
        return []
    from sortext.positions import build_position_map

    positions = build_position_map(text)
    lines = text.split("\n")
    out = []
    for p in problems:
        line, col = positions.key(p.path) if p.at == "key" else positions.value(p.path)
        source = lines[line - 1] if 0 < line <= len(lines) else None
        out.append(
            Diagnostic(
                display, line + line_offset, col, p.label, p.message, p.severity, source
            )
        )
    return out
