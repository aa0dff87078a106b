"""``check``'s warning that a field owned by another system was edited by hand.

Reads ``sources/<source>.json``, what each owner last supplied (written by
:mod:`sortext.io.sources` on import).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sortext.record.diagnostics import Diagnostic
from sortext.repo import Repository
from sortext.schema.owned import MISSING, SOURCES_DIR, owned_patterns, resolve


def store_path(root: Path, source: str) -> Path:
    """``sources/<source>.json``; UnsafePathError when ``source`` is not a slug
    (see :mod:`sortext.files.slug`) or the path resolves outside ``sources/``."""
    from sortext.files.slug import confined_path

    return confined_path(root / SOURCES_DIR, source, ".json")


def read_store(root: Path, source: str) -> dict[str, list[dict[str, Any]]]:
    from sortext.errors import UnsafePathError

    try:
        data = json.loads(store_path(root, source).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnsafePathError):
        return {}
    return data if isinstance(data, dict) else {}


class OwnedStores:
    """What each owning system last supplied, read once: ``{source: {id: entries}}``."""

    def __init__(self, repo: Repository | None = None, *, config: Any = None) -> None:
        config = repo.config if repo is not None else config
        self.patterns = owned_patterns(config.raw)
        self.stores = {
            source: read_store(config.root, source)
            for source in sorted(set(self.patterns.values()))
        }

    def entries(self, record_id: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (source, entry)
            for source, store in self.stores.items()
            for entry in store.get(record_id, [])
            if isinstance(entry, dict) and "path" in entry
        ]


def owned_in_text(
    text: str,
    data: dict[str, Any],
    record_id: str,
    shown: str,
    stores: OwnedStores,
) -> list[Diagnostic]:
    """Warnings for one record: owned fields whose value differs from what the owner supplied.

    ``text`` is the record file's text, ``data`` its front matter as JSON
    data; the warnings point at the value's line in ``shown``.
    """
    from sortext.record.positions import build_position_map, format_path

    found: list[Diagnostic] = []
    lines = text.replace("\r\n", "\n").lstrip("\ufeff").split("\n")
    positions = None
    for source, entry in stores.entries(record_id):
        value, index_path = resolve(data, entry["path"])
        if value is MISSING or value == entry.get("value") or index_path is None:
            continue
        if positions is None:
            end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), 0)
            positions = build_position_map("\n".join(lines[1:end]) + "\n")
        line, column = positions.value(index_path)
        found.append(
            Diagnostic(
                shown,
                line + 1,
                column,
                format_path(index_path),
                f"owned by {source}, which last supplied {json.dumps(entry.get('value'))}; "
                f"this record says {json.dumps(value)} (a hand edit?): change it in "
                f"{source} and re-import, or set it back",
                "warning",
                lines[line] if line < len(lines) else None,
            )
        )
    return found


def owned_for_page(config: Any, record_id: str, record_path: str) -> list[Diagnostic]:
    """Owned-field warnings for a client page; ``record_path`` is repository-relative.

    Cheap when nothing is owned (no file is read).
    """
    if not owned_patterns(config.raw):
        return []
    stores = OwnedStores(config=config)
    if not stores.entries(record_id):
        return []
    from sortext.check.load import parse_record
    from sortext.record.source import read_bytes
    from sortext.schema.validate import RecordValidator

    raw = read_bytes(str(config.root / record_path))  # a link is never read through
    if not isinstance(raw, bytes):
        return []
    result = parse_record(raw, record_path, RecordValidator(config))
    if result.record is None:
        return []
    text = raw.decode("utf-8", "replace")
    return owned_in_text(text, result.record.data, record_id, record_path, stores)


def owned_in_raw(repo: Repository, raw: bytes, shown: str, stores: OwnedStores) -> list[Diagnostic]:
    """:func:`owned_in_text` for a record given as bytes (a file, a staged blob)."""
    if not stores.patterns:
        return []
    from sortext.check.load import parse_record
    from sortext.schema.validate import RecordValidator

    result = parse_record(raw, shown, RecordValidator(repo.config))
    if result.record is None:
        return []
    text = raw.decode("utf-8", "replace")
    return owned_in_text(text, result.record.data, result.record.id, shown, stores)


def owned_warnings(repo: Repository, only: set[str] | None = None) -> list[Diagnostic]:
    """Warnings for owned fields whose value differs from what their owner last supplied.

    ``only``: the record ids to look at (default: every record a source supplied).
    """
    from sortext.record.source import read_bytes

    stores = OwnedStores(repo)
    if not stores.patterns:
        return []
    ids = sorted({rid for store in stores.stores.values() for rid in store})
    found: list[Diagnostic] = []
    for record_id in ids:
        if only is not None and record_id not in only:
            continue
        path = repo.record_path(record_id)
        raw = read_bytes(str(path))  # a link is never read through (check reports it)
        if not isinstance(raw, bytes):
            continue
        found += owned_in_raw(repo, raw, repo.relative(path), stores)
    return found
