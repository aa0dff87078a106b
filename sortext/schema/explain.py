"""JSON Schema errors in plain words, located in the file.

``schema_problems`` turns every violation of a JSON Schema into a
:class:`Problem` at a data path ("expected a date like 2026-11-30, found
'tomorrow'"); ``schema_diagnostics`` places them on lines and columns of the
YAML text.  Used for records (:mod:`sortext.schema.validate`) and for
``sortext.yaml`` (:mod:`sortext.schema.config`); knows nothing of either.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from sortext.record.diagnostics import Diagnostic, Severity
from sortext.record.positions import Path, format_path
from sortext.record.values import ISO_DATE, MAX_YEAR, MIN_YEAR, is_email, is_iso_date, key_text


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem at a *data path* (``("sessions", 2, "date")``), not yet at a position.

    This is a different thing from :class:`~sortext.record.diagnostics.Diagnostic`
    on purpose: the schema judges parsed data, which has no lines; only the
    YAML text knows where a path is written.  :func:`locate` places each
    Problem on a line and column (pointing at the key or the value, as ``at``
    says) and from then on it is a Diagnostic.

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

    def at_position(self, line: int, column: int) -> Diagnostic:
        """This problem written at ``line``/``column`` (1-based) of the YAML text."""
        return Diagnostic("", line, column, self.label, self.message, self.severity)


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


def did_you_mean(word: str, choices: list[str]) -> str:
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
    seen: set[tuple[Any, ...]] = set()
    for error in validator.iter_errors(data):
        for problem in _explain(error):
            key = (repr(problem.path), problem.message, problem.severity, problem.at, problem.field)
            if key not in seen:  # 'required' reports every missing field per error
                seen.add(key)
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
        if schema.get("type") == "string" and isinstance(value, int | float | bool) and not is_date:
            message += "; put it in quotes to keep it exactly as written"
        if schema.get("type") == "boolean" and isinstance(value, str):
            message += " (YAML 1.2 reads yes/no/on/off as text: write true or false)"
        if _expected_words(schema).startswith("a date") and isinstance(value, str):
            message = f"expected a date (YYYY-MM-DD), found {describe(value)}"
        return [Problem(path, message)]
    if kind == "format" and error.validator_value == "date":
        if isinstance(value, str) and ISO_DATE.match(value):
            try:
                day = dt.date.fromisoformat(value)
                reason = (
                    f"years {MIN_YEAR} to {MAX_YEAR} only"
                    if not MIN_YEAR <= day.year <= MAX_YEAR
                    else "not a calendar date"
                )
            except ValueError as exc:
                reason = str(exc)
            return [Problem(path, f"impossible date {value}: {reason}")]
        return [Problem(path, f"expected a date (YYYY-MM-DD), found {describe(value)}")]
    if kind == "format" and error.validator_value == "email":
        return [Problem(path, f"{describe(value)} is not an email address")]
    if kind == "enum":
        choices = [str(c) for c in error.validator_value]
        noun = "stage" if path == ("stage",) else name
        hint = did_you_mean(str(value), choices)
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
        # A key YAML read as a number, true, null or a date (sortext.yaml is not
        # normalized): named as written, never handed to difflib as a non-text.
        return [
            Problem(
                (*path, key_text(key)),
                f"unknown field '{key_text(key)}'"
                f"{did_you_mean(key_text(key), allowed) or hint_custom}",
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
    if pattern.endswith("\\Z"):  # compiled from a written "$" (see validate.anchored)
        pattern = pattern[:-2] + "$"
    if name in ("id", "goal") or pattern.startswith("^[a-z0-9]"):
        return f"{describe(value)} must be lowercase letters, digits and dashes (like jane-doe)"
    if pattern == "^[A-Z]{3}$":
        return f"{describe(value)} must be a three-letter currency code like EUR"
    if pattern.startswith("^[A-Za-z][A-Za-z0-9+.-]*:"):
        return f"{describe(value)} must be a link with a scheme, like https://... or file:..."
    if name == "time" and pattern.startswith("^([01][0-9]|2[0-3])"):
        return (
            f'{describe(value)} is not a time: write it as "HH:MM" (24-hour, quoted), e.g. "14:30"'
        )
    return f"{describe(value)} does not match the pattern {pattern}"


# What a branch of anyOf says of a value of another kind than its own.
_KIND_REFUSALS = frozenset({"type", "const", "enum"})


def _explain_any_of(error: Any) -> list[Problem]:
    branches: dict[int, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    # The branch the value is of the kind of (pages: {notes: x} is the mapping branch,
    # not "False was expected"): one with a problem that is not its kind's refusal.
    for subs in branches.values():
        if not all(s.validator in _KIND_REFUSALS and not s.relative_path for s in subs):
            return [p for s in subs for p in _explain(s)]
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


def locate(problems: list[Problem], yaml_text: str, data: Any = None) -> list[Diagnostic]:
    """Place each problem on its line and column of ``yaml_text`` (1-based within it).

    ``data`` (what ``yaml_text`` was parsed to) allows the quick line scan of
    :func:`~sortext.record.positions.simple_positions` for ordinary texts; without it,
    or where the scan cannot tell, the full position map (ruamel.yaml, slow) answers.
    The results have an empty ``path``: see :meth:`Diagnostic.shifted` / ``placed``.
    """
    if not problems:
        return []
    from sortext.record.positions import build_position_map, simple_positions

    found: list[tuple[int, int] | None] = []
    simple = simple_positions(yaml_text, data) if data is not None else None
    if simple is not None:
        found = [simple.key(p.path) if p.at == "key" else simple.value(p.path) for p in problems]
    if not found or None in found:
        positions = build_position_map(yaml_text)
        found = [
            positions.key(p.path) if p.at == "key" else positions.value(p.path) for p in problems
        ]
    out = []
    lines = yaml_text.split("\n")
    for p, where in zip(problems, found, strict=True):
        assert where is not None
        placed = p.at_position(*where)
        if p.message.endswith("found an empty value") and 0 < where[0] <= len(lines):
            placed = replace(placed, message=p.message + _comment_hint(lines[where[0] - 1]))
        out.append(placed)
    return out


_COMMENTED = re.compile(r"^\s*(?:-\s+)?([^\s:#][^:#]*?):\s+(#.*?)\s*$")
_NULL_WORD = re.compile(r"^\s*(?:-\s+)?([^\s:#][^:#]*?):\s+(null|Null|NULL|~)\s*(?:#.*)?$")


def _comment_hint(line: str) -> str:
    """How to quote a value YAML read as a comment (``company: #1 Ceramics``) or as
    nothing (``name: null``, ``name: ~``)."""
    found = _COMMENTED.match(line)
    word = "a comment"
    if not found:
        found = _NULL_WORD.match(line)
        word = "an empty value"
        if not found:
            return ""
    key, text = found.group(1), found.group(2)
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"; YAML reads '{text}' as {word}: quote it ({key}: {quoted})"


def schema_diagnostics(
    schema: dict[str, Any], data: Any, text: str, display: str, line_offset: int
) -> list[Diagnostic]:
    """Validate ``data`` against any schema and locate problems in ``text``."""
    problems = schema_problems(schema, data)
    if not problems:
        return []
    lines = text.split("\n")
    return [d.placed(display, lines).shifted(line_offset) for d in locate(problems, text)]
