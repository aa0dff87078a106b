"""A record's front matter as data, unjudged: for looking at records, not checking them.

Finding a client by name or email, matching an import row, explaining a merge
conflict or a tombstone need the values a file holds, whatever the schema says
of them; :func:`sortext.check.load.parse_record` is the reader that judges.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def front_matter(text: str) -> dict[str, Any] | None:
    """The front matter of a record's text (``\\n`` line ends) as JSON data.

    ``{}`` for an empty front matter; None when the text has none, its YAML
    does not read, or it is not a mapping."""
    from sortext.record.diagnostics import Diagnostic
    from sortext.record.split import split
    from sortext.record.values import normalize
    from sortext.record.yamlread import load_fast

    parts = split(text)
    if isinstance(parts, Diagnostic):
        return None
    loaded = load_fast(parts.yaml_text) if parts.yaml_text.strip() else {}
    if loaded is None:
        return {}
    if isinstance(loaded, Diagnostic) or not isinstance(loaded, dict):
        return None
    data = normalize(loaded)
    return data if isinstance(data, dict) else None


def read_front_matter(path: Path) -> dict[str, Any] | None:
    """:func:`front_matter` of a record file; None when it cannot be read or decoded
    (the reader's own refusals: too big, not UTF-8, a FIFO...)."""
    from sortext.record.source import SourceText, decode, read_bytes

    raw = read_bytes(str(path))
    source = decode(raw) if isinstance(raw, bytes) else None
    if not isinstance(source, SourceText):
        return None
    return front_matter(source.text)
