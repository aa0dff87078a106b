"""Load one client record: bytes -> text -> front matter -> data -> diagnostics.

Never raises on user data.  A record whose YAML parses keeps its data even
when the schema finds errors, so pages can still show its name under
"records with errors".
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sortext.record.diagnostics import Diagnostic, has_errors
from sortext.record.model import RecordView

if TYPE_CHECKING:  # parsing needs them; a query reading the index never does
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
    from sortext.record.values import normalize
    from sortext.record.yamlread import load_fast
    from sortext.schema.explain import locate

    source = decode(raw)
    if isinstance(source, Diagnostic):
        return LoadResult(display, None, [source.placed(display)])
    if "\n<<<<<<<" in source.text:
        from sortext.check.conflicts import conflict_diagnostics, has_markers

        if has_markers(source.text):  # a merge left this file for the user to settle
            return LoadResult(
                display, None, conflict_diagnostics(source.text, display, stem_of(display))
            )
    lines = source.text.split("\n")

    def at(line: int, column: int, fld: str, message: str, severity: Any = "error") -> Diagnostic:
        return Diagnostic(display, line, column, fld, message, severity).placed(display, lines)

    parts = split(source.text)
    if isinstance(parts, Diagnostic):
        return LoadResult(display, None, [parts.placed(display, lines)])
    loaded = load_fast(parts.yaml_text) if parts.yaml_text.strip() else {}
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
    data = normalize(loaded)
    stem = stem_of(display)
    problems = validator.problems(data, stem)
    diagnostics = sorted(
        (d.shifted(offset).placed(display, lines) for d in locate(problems, parts.yaml_text, data)),
        key=lambda d: (d.line, d.column),
    )
    record_id = data.get("id") if isinstance(data.get("id"), str) else stem
    data.setdefault("id", record_id)
    record = Record(display, str(record_id), data, parts.body, parts.body_line)
    return LoadResult(display, record, diagnostics)


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "plain text"
    return "a single value"
