"""Load one client record: bytes -> text -> front matter -> data -> diagnostics.

Never raises on user data.  A record whose YAML parses keeps its data even
when the schema finds errors, so pages can still show its name under
"records with errors".
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from sortext.files.slug import is_slug, safe_stem
from sortext.record.diagnostics import Diagnostic, has_errors
from sortext.record.model import RecordView

if TYPE_CHECKING:  # imported where a record is parsed: reading the index needs neither
    from sortext.schema.explain import Problem
    from sortext.schema.validate import RecordValidator


@dataclass(slots=True)
class Record:
    """A parsed client file.  ``data`` is JSON-compatible (dates are ISO text)."""

    path: str
    id: str
    data: dict[str, Any]
    body: str
    body_line: int
    _view: RecordView | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def view(self) -> RecordView:
        """The typed, read-only view of ``data``, built on first use and kept."""
        view = self._view
        if view is None:
            view = self._view = RecordView.from_data(self.data)
        return view

    @property
    def name(self) -> str:
        return str(self.data.get("name") or self.id)

    @property
    def stage(self) -> str:
        return str(self.data.get("stage") or "")


@dataclass(slots=True)
class LoadResult:
    """One file's parse: its record (None when it has none to give) and its
    diagnostics; ``ok`` when none of them is an error."""

    path: str
    record: Record | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


# Records the caller has already read and validated: display path -> (the bytes
# it read, their LoadResult).  A reader handed one of these reuses the result when
# the file still holds those bytes, instead of parsing the same bytes again.
Preparsed = Mapping[str, tuple[bytes, LoadResult]]


def stem_of(path: str) -> str:
    base = os.path.basename(path)
    return base[:-3] if base.endswith(".md") else base


def load_record(fs_path: str, display: str, validator: RecordValidator) -> LoadResult:
    """Read and validate the file at ``fs_path``, reporting it as ``display``."""
    from sortext.record.source import read_bytes

    raw = read_bytes(fs_path)
    if not isinstance(raw, bytes):
        return LoadResult(display, None, [raw.placed(display)])
    return parse_record(raw, display, validator)


def parse_record(raw: bytes, display: str, validator: RecordValidator) -> LoadResult:
    """Validate a record given as bytes (a file, a staged blob, a git revision)."""
    from sortext.record.source import decode
    from sortext.record.split import split
    from sortext.record.yamlread import load_data

    stem = stem_of(display)
    if not _encodable(display):
        # A file name that is not valid UTF-8: nothing can index, print or commit
        # it reliably, so it is reported (with its bytes made visible) and skipped.
        shown = display.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        return LoadResult(
            shown,
            None,
            [
                Diagnostic(
                    shown,
                    1,
                    1,
                    "",
                    "the file name is not valid UTF-8; rename it using letters a-z, "
                    "digits and hyphens (the name is the client's id)",
                )
            ],
        )
    source = decode(raw)
    if isinstance(source, Diagnostic):
        return LoadResult(display, None, [source.placed(display)])
    if "<" in source.text and "\n<<<<<<<" in source.text:  # "<" alone: a memchr
        from sortext.check.conflicts import conflict_diagnostics, has_markers

        if has_markers(source.text):  # a merge left this file for the user to settle
            return LoadResult(
                display, None, conflict_diagnostics(source.text, display, stem_of(display))
            )
    text = source.text
    # The file's lines, split only when a diagnostic is placed (most records have none).
    lines = _Lines(text)

    def at(line: int, column: int, fld: str, message: str, severity: Any = "error") -> Diagnostic:
        return Diagnostic(display, line, column, fld, message, severity).placed(display, lines)

    parts = split(text)
    if isinstance(parts, Diagnostic):
        return LoadResult(display, None, [parts.placed(display, lines)])
    loaded = load_data(parts.yaml_text) if parts.yaml_text.strip() else {}
    offset = parts.yaml_line - 1
    if isinstance(loaded, Diagnostic):
        return LoadResult(display, None, [loaded.shifted(offset).placed(display, lines)])
    if not isinstance(loaded, dict):
        return LoadResult(
            display,
            None,
            [
                at(
                    parts.yaml_line,
                    1,
                    "",
                    "front matter must be a mapping of fields (key: value lines), "
                    f"found {_kind_of(loaded)}",
                )
            ],
        )
    data: dict[str, Any] = loaded  # load_data: JSON-compatible already
    from sortext.schema.explain import locate
    from sortext.schema.validate import MAX_VALUE_PROBLEMS, value_problems

    every_problem = validator.problems(data, stem, parts.yaml_text)
    problems = capped(every_problem)
    diagnostics = sorted(
        (d.shifted(offset).placed(display, lines) for d in locate(problems, parts.yaml_text, data)),
        key=lambda d: (d.line, d.column),
    )
    _drop_invalid(data, every_problem)  # after locating: positions follow the written data
    if sum(p.severity == "error" for p in every_problem) >= MAX_VALUE_PROBLEMS:
        # the value check may have stopped reporting: every value it refuses goes
        _drop_invalid(data, value_problems(data, parts.yaml_text, limit=None))
    # Only a slug ever names a page, an export row's file or a CLI target: an
    # invalid id (reported above by the schema) falls back to the file stem, and
    # a stem that is no slug either to a safe stand-in.
    written = data.get("id")
    record_id = written if is_slug(written) else safe_stem(stem)
    data.setdefault("id", record_id)
    record = Record(display, str(record_id), data, parts.body, parts.body_line)
    return LoadResult(display, record, diagnostics)


#: Most problems reported for one record; the rest are counted in one more line.
MAX_DIAGNOSTICS = 50


def capped(problems: list[Problem], limit: int = MAX_DIAGNOSTICS) -> list[Problem]:
    """The first ``limit`` problems (errors before warnings), plus one that counts the rest.

    A record with 5,000 unknown keys gets 50 located messages and "4,950 more
    problems not shown", not a screen nobody reads (and no time spent locating them).
    """
    if len(problems) <= limit:
        return problems
    from sortext.schema.explain import Problem

    ordered = sorted(problems, key=lambda p: p.severity != "error")
    shown, rest = ordered[:limit], ordered[limit:]
    errors = sum(1 for p in rest if p.severity == "error")
    shown.append(
        Problem(
            (),
            f"{len(rest):,} more {'problem' if len(rest) == 1 else 'problems'} not shown "
            f"({errors:,} {'error' if errors == 1 else 'errors'}): "
            "fix the ones above and run check again",
            "error" if errors else "warning",
        )
    )
    return shown


def _drop_invalid(data: dict[str, Any], problems: Sequence[Problem]) -> None:
    """Remove from ``data`` each text, number, boolean or list an error is about.

    A record with errors still shows on pages and in views (its name, its next
    action), but what the schema refused (``tags: 7``, ``sessions: 5``, a rate
    of ``1e309``, a list where an id belongs) never reaches the code that
    trusts the schema.  A mapping an error points into stays (a next action
    missing its ``what`` is still shown as missing); problems about a field that
    is not written (``field`` set) remove nothing.
    """
    for found in problems:
        if found.severity != "error" or found.field is not None or not found.path:
            continue
        parent: Any = data
        for part in found.path[:-1]:
            try:
                parent = parent[part]
            except (KeyError, IndexError, TypeError):
                parent = None
                break
        last = found.path[-1]
        in_mapping = isinstance(parent, dict) and isinstance(last, str) and last in parent
        in_list = isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent)
        if (in_mapping or in_list) and isinstance(parent[last], dict):
            continue
        if in_mapping:
            del parent[last]
        elif in_list:
            parent[last] = None


class _Lines(Sequence[str]):
    """``text.split("\\n")``, split on first use: what :meth:`Diagnostic.placed` reads."""

    __slots__ = ("_split", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._split: list[str] | None = None

    def _lines(self) -> list[str]:
        found = self._split
        if found is None:
            found = self._split = self._text.split("\n")
        return found

    def __len__(self) -> int:
        return len(self._lines())

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._lines()[index]


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "plain text"
    return "a single value"
