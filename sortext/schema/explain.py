"""JSON Schema errors in plain words, located in the file.

``schema_problems`` turns every violation of a JSON Schema into a
:class:`Problem` at a data path ("expected a date like 2026-11-30, found
'tomorrow'"); ``schema_diagnostics`` places them on lines and columns of the
YAML text.  Used for records (:mod:`sortext.schema.validate`) and for
``sortext.yaml`` (:mod:`sortext.schema.config`); knows nothing of either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from sortext.lazyre import Lazy
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
    if isinstance(value, dt.date):  # YAML read it as a date (or a date and time)
        return f"the date {value.isoformat()}"
    return "a value of another kind"


def literal(value: Any) -> str:
    """A value a schema allows, as the user writes it in YAML (``false``, not
    Python's ``False``; text in quotes)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)


def did_you_mean(word: str, choices: list[str]) -> str:
    import difflib  # only for a problem: every command that validates imports this module

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _validator_for(schema: dict[str, Any]) -> Any:
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())
    # Formats only constrain text; a number where a date belongs is a type error.
    checker.checks("date")(lambda v: not isinstance(v, str) or is_iso_date(v))
    checker.checks("email")(lambda v: not isinstance(v, str) or is_email(v))
    return Draft202012Validator(schema, format_checker=checker)


#: What an unknown field of a record is told when no known name is close to it.
CUSTOM_HINT = " (add your own fields under custom_fields in sortext.yaml)"


def schema_problems(
    schema: dict[str, Any], data: Any, unknown_hint: str | None = CUSTOM_HINT
) -> list[Problem]:
    """All JSON Schema violations of ``data``, each with a plain-language message.
    ``unknown_hint``: what an unknown field is told when no known name is close to
    it (None: the names its mapping takes)."""
    validator = _validator_for(schema)
    found: list[Problem] = []
    seen: set[tuple[Any, ...]] = set()
    for error in validator.iter_errors(data):
        for problem in _explain(error, unknown_hint):
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
    if kind is None:
        return expected(schema)
    return _TYPE_WORDS.get(str(kind), str(kind))


def expected(schema: Any) -> str:
    """What ``schema`` accepts, in the user's words (``"false or a branch name like
    sortext-pages"``), never a schema fragment nor a Python repr.  A schema's own
    ``description`` gives the words for a pattern (a regular expression says nothing
    to the user); the rest is said from the keywords."""
    if schema is True:
        return "any value"
    if not isinstance(schema, dict) or schema is False:
        return "nothing here (remove it)"
    if "description" in schema and "pattern" in schema:
        return str(schema["description"])
    if "const" in schema:
        return literal(schema["const"])
    if "enum" in schema:
        return "one of " + ", ".join(literal(c) for c in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(dict.fromkeys(expected(s) for s in schema[key]))
    if schema.get("format") == "date" or schema.get("$ref") == "#/$defs/date":
        return "a date (YYYY-MM-DD)"
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(_TYPE_WORDS.get(str(k), "a value") for k in kind)
    words = _TYPE_WORDS.get(str(kind), "a value")
    if kind in ("integer", "number"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            words += f" from {low} to {high}"
        elif low is not None:
            words += f" of at least {low}"
        elif high is not None:
            words += f" of at most {high}"
    elif kind == "string":
        if "pattern" in schema:
            words = "text of the form this setting takes (see the README)"
        elif schema.get("minLength", 0) > 0:
            words = "text (not empty)"
    elif kind == "array":
        items = schema.get("items")
        if isinstance(items, dict) and items:
            words = f"a list of {_plural(expected(items))}"
        if schema.get("minItems", 0) > 0:
            words += " (at least one)"
    return words


def _plural(words: str) -> str:
    """``a whole number`` -> ``whole numbers``; other words as they are."""
    for article in ("a ", "an "):
        if words.startswith(article) and " " not in words[len(article) :]:
            return words[len(article) :] + "s"
    if words == "a mapping of fields":
        return "mappings of fields"
    return words


def _explain(error: Any, unknown_hint: str | None = CUSTOM_HINT) -> list[Problem]:
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
        choices = [literal(c) if not isinstance(c, str) else c for c in error.validator_value]
        noun = "stage" if path == ("stage",) else name
        if _named_by_user(error):
            noun = "value"  # exports: {mine: xml}: 'mine' is the user's own name
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
        hint_custom = unknown_hint
        if hint_custom is None:
            hint_custom = f"; expected one of: {', '.join(allowed)}" if allowed else "; remove it"
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
    if kind == "const":
        return [Problem(path, f"expected {expected(schema)}, found {describe(value)}")]
    if kind == "minLength":
        return [Problem(path, "must not be empty")]
    if kind == "minItems":
        least = error.validator_value
        return [Problem(path, f"must list at least {least} item{'s' if least != 1 else ''}")]
    if kind == "minimum":
        return [Problem(path, f"{value} is below the minimum {error.validator_value}")]
    if kind == "maximum":
        return [Problem(path, f"{value} is above the maximum {error.validator_value}")]
    if kind == "pattern":
        return [Problem(path, _pattern_message(name, value, error.validator_value, schema))]
    if kind in ("anyOf", "oneOf"):
        return _explain_any_of(error, unknown_hint)
    # any other keyword: what the schema there accepts, in words (never jsonschema's
    # own message, which quotes the schema: "False was expected", "[] is too short")
    return [Problem(path, f"expected {expected(schema)}, found {describe(value)}")]


def _named_by_user(error: Any) -> bool:
    """Whether the value's own key is a name the user chose (a mapping's
    ``additionalProperties``), not a field of the schema: then it is no noun."""
    steps = [step for step in error.absolute_schema_path if isinstance(step, str)]
    keys = [step for step in steps if step in ("properties", "additionalProperties")]
    return bool(keys) and keys[-1] == "additionalProperties"


def _pattern_message(name: str, value: Any, pattern: str, schema: Any = None) -> str:
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
    if isinstance(schema, dict) and "description" in schema:
        return f"expected {schema['description']}, found {describe(value)}"
    return f"{describe(value)} is not of the form expected here"


# What a branch of anyOf says of a value of another kind than its own.
_KIND_REFUSALS = frozenset({"type", "const", "enum"})


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _claims(sub: Any) -> bool:
    """Whether a branch's refusal at its root still takes the value for its own:
    an ``enum`` of values of the value's kind (``'xml'`` for csv, json, ics says
    "unknown format"); a ``const`` never does (``branch: true`` is "expected false
    or a branch name", not "expected false"), nor a refusal of its type."""
    if sub.validator != "enum" or sub.relative_path:
        return sub.validator not in _KIND_REFUSALS or bool(sub.relative_path)
    return any(_json_kind(c) == _json_kind(sub.instance) for c in sub.validator_value)


def _explain_any_of(error: Any, unknown_hint: str | None) -> list[Problem]:
    branches: dict[int, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    # The branch the value is of the kind of (pages: {notes: x} is the mapping branch,
    # not "False was expected"): one with a problem that is not its kind's refusal.
    for subs in branches.values():
        if not all(s.validator in _KIND_REFUSALS and not s.relative_path for s in subs):
            return [p for s in subs for p in _explain(s, unknown_hint)]
    for subs in branches.values():
        if all(_claims(s) for s in subs):
            return [p for s in subs for p in _explain(s, unknown_hint)]
    return [
        Problem(
            tuple(error.absolute_path),
            f"expected {expected(error.schema)}, found {describe(error.instance)}",
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
            placed = placed.replaced(message=p.message + _comment_hint(lines[where[0] - 1]))
        out.append(placed)
    return out


# Only for a problem's hint: compiled when one is explained.
_COMMENTED = Lazy(r"^\s*(?:-\s+)?([^\s:#][^:#]*?):\s+(#.*?)\s*$")
_NULL_WORD = Lazy(r"^\s*(?:-\s+)?([^\s:#][^:#]*?):\s+(null|Null|NULL|~)\s*(?:#.*)?$")


def _comment_hint(line: str) -> str:
    """How to quote a value YAML read as a comment (``company: #1 Ceramics``) or as
    nothing (``name: null``, ``name: ~``)."""
    found = _COMMENTED().match(line)
    word = "a comment"
    if not found:
        found = _NULL_WORD().match(line)
        word = "an empty value"
        if not found:
            return ""
    key, text = found.group(1), found.group(2)
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"; YAML reads '{text}' as {word}: quote it ({key}: {quoted})"


def schema_diagnostics(
    schema: dict[str, Any],
    data: Any,
    text: str,
    display: str,
    line_offset: int,
    unknown_hint: str | None = CUSTOM_HINT,
) -> list[Diagnostic]:
    """Validate ``data`` against any schema and locate problems in ``text``
    (``unknown_hint``: see :func:`schema_problems`)."""
    problems = schema_problems(schema, data, unknown_hint)
    if not problems:
        return []
    lines = text.split("\n")
    return [d.placed(display, lines).shifted(line_offset) for d in locate(problems, text)]
