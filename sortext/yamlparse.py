"""One YAML meaning everywhere: YAML 1.2 core schema, no aliases, no duplicates.

The fast read path is ``yaml_rs`` (a Rust YAML 1.2 parser, ~13x faster than
PyYAML's C loader).  It agrees with ruamel.yaml's round-trip loader (used for
writes) on every scalar a record holds: ``no``/``on``/``yes`` are text, ``012``
is the number 12, ISO dates are dates, impossible dates stay text (and the
schema then reports them).  When the fast path fails, :mod:`sortext.positions`
re-reads the text with ruamel.yaml to point at the exact line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_NESTING = 24

_POSITION = re.compile(r"at line (\d+), column (\d+)")
_BRACKET = re.compile(r"[\[\]{}]")


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """A YAML-level problem; line/column are 1-based within the YAML text."""

    message: str
    line: int
    column: int
    field: str = ""


def flow_nesting_too_deep(text: str, limit: int = MAX_NESTING) -> tuple[int, int] | None:
    """Position of the first ``[``/``{`` nested deeper than ``limit``, if any.

    Runs before any parser so hostile input (10,000 nested brackets) never
    reaches a recursive parser.  Quotes are ignored: a false alarm needs
    ``limit`` unbalanced brackets inside strings.
    """
    if text.count("[") + text.count("{") <= limit:
        return None
    depth = 0
    for match in _BRACKET.finditer(text):  # visit brackets only, not every character
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                pos = match.start()
                return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
        elif depth:
            depth -= 1
    return None


def block_nesting_too_deep(text: str, limit: int = MAX_NESTING) -> tuple[int, int] | None:
    """Position of a line indented past ``limit`` levels (two spaces a level)."""
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.lstrip(" -")
        indent = len(line) - len(stripped)
        if indent > limit * 4 and stripped and not stripped.startswith("#"):
            return number, indent + 1
    return None


def load_fast(text: str) -> Any | YamlProblem:
    """Parse YAML text to plain Python values, or describe why it cannot be read."""
    import yaml_rs

    deep = flow_nesting_too_deep(text) or block_nesting_too_deep(text)
    if deep is not None:
        return YamlProblem(
            f"nesting deeper than {MAX_NESTING} levels; a record never needs this", *deep
        )
    if ("&" in text or "*" in text) and (anchor := find_anchor(text)) is not None:
        return anchor
    try:
        return yaml_rs.loads(
            text,
            parse_datetime=True,
            alias_limits=yaml_rs.AliasLimits(max_total_replayed_events=0),
        )
    except yaml_rs.YAMLDecodeError as exc:
        return _describe_decode_error(text, str(exc))
    except (RecursionError, ValueError, OverflowError) as exc:
        return YamlProblem(f"cannot read YAML: {exc}", 1, 1)


def _describe_decode_error(text: str, message: str) -> YamlProblem:
    if message.startswith("duplicate mapping key"):
        from sortext.positions import find_duplicate_key

        found = find_duplicate_key(text)
        if found is not None:
            return found
        return YamlProblem(message, 1, 1)
    match = _POSITION.search(message)
    reason = message.strip().splitlines()[-1].strip() if message.strip() else message
    if match is None:
        return YamlProblem(f"invalid YAML: {reason}", 1, 1)
    line, col = int(match.group(1)), int(match.group(2))
    lines = text.split("\n")
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in source[: len(source) - len(source.lstrip())] or "tab" in reason:
        return YamlProblem("tab character in indentation: YAML indents with spaces only", line, col)
    return YamlProblem(f"invalid YAML: {reason}", line, col)


def find_anchor(text: str) -> YamlProblem | None:
    """Find the first anchor (``&a``) or alias (``*a``); both are refused.

    Aliases make one value appear in several places (and power the
    "billion laughs" attack); a record never needs them.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import AliasEvent

    try:
        for event in YAML(typ="rt").parse(text):
            anchor = getattr(event, "anchor", None)
            if isinstance(event, AliasEvent) or anchor is not None:
                mark = event.start_mark
                return YamlProblem(
                    "anchors and aliases (&name / *name) are not allowed in records; "
                    "write the value out",
                    mark.line + 1,
                    mark.column + 1,
                )
    except YAMLError:
        return None  # the fast parser will report the syntax error itself
    return None
