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


def owned_warnings(repo: Repository) -> list[Diagnostic]:
    """Warnings for owned fields whose value differs from what their owner last supplied."""
    patterns = owned_patterns(repo.config.raw)
    if not patterns:
        return []
    from sortext.check.load import load_record
    from sortext.record.positions import build_position_map, format_path
    from sortext.schema.validate import RecordValidator

    validator = RecordValidator(repo.config)
    found: list[Diagnostic] = []
    for source in sorted(set(patterns.values())):
        store = read_store(repo.root, source)
        for record_id, entries in sorted(store.items()):
            path = repo.record_path(record_id)
            if not path.is_file():
                continue
            shown = repo.relative(path)
            result = load_record(str(path), shown, validator)
            if result.record is None:
                continue
            for entry in entries:
                value, index_path = resolve(result.record.data, entry["path"])
                if value is MISSING or value == entry["value"] or index_path is None:
                    continue
                text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
                yaml_text = text.split("\n---", 1)[0].split("\n", 1)[1] if "\n" in text else ""
                line, column = build_position_map(yaml_text).value(index_path)
                found.append(
                    Diagnostic(
                        shown,
                        line + 1,
                        column,
                        format_path(index_path),
                        f"owned by {source}, which last supplied {json.dumps(entry['value'])}; "
                        f"this record says {json.dumps(value)} (a hand edit?): change it in "
                        f"{source} and re-import, or set it back",
                        "warning",
                        text.split("\n")[line] if line < len(text.split("\n")) else None,
                    )
                )
    return found
