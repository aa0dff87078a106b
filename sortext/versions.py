"""Parse a record as it was in some git revision, without judging it.

Old versions may predate today's schema or config; history, changes and merge
still want whatever data parsed, so validation is skipped here (``sortext
check`` is where records are judged).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sortext.records import parse_record
from sortext.validate import Problem, RecordValidator


class _AcceptAll(RecordValidator):
    """A validator that finds nothing: parse only (no schema is built)."""

    def __init__(self) -> None:
        pass

    def problems(self, data: dict[str, Any], stem: str) -> list[Problem]:
        return []


_ACCEPT_ALL = _AcceptAll()


@dataclass(frozen=True, slots=True)
class Version:
    """The parsed front matter (JSON-compatible) and notes of one revision."""

    data: dict[str, Any]
    body: str


_ID_LINE = re.compile(rb"^id\s*:", re.MULTILINE)


def parse_version(
    raw: bytes | None, display: str = "record.md", implied_id: bool = True
) -> Version | None:
    """Data and body of a record's bytes, or None if absent or not parseable.

    ``implied_id=False`` leaves out the id taken from the file name when the
    file has no ``id:`` line (merge must not write one in)."""
    if raw is None:
        return None
    result = parse_record(raw, display, _ACCEPT_ALL)
    if result.record is None:
        return None
    data = result.record.data
    if not implied_id and not _ID_LINE.search(raw.split(b"\n---", 1)[0]):
        data.pop("id", None)
    return Version(data, result.record.body)
