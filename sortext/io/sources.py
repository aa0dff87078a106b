"""What each owning system last supplied: ``sources/<source>.json`` (committed).

The last value an import with ``--source S`` wrote into an owned field
(:mod:`sortext.schema.owned`) is kept per record id, so ``check`` can warn when a
record's value no longer matches it (a hand edit of a mirrored field).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sortext.check.owned import read_store, store_path
from sortext.schema.owned import StoredPath


def update_store(
    root: Path, source: str, supplied: Mapping[str, list[tuple[StoredPath, Any]]]
) -> None:
    """Remember the values ``source`` supplied (per record id); deterministic JSON."""
    from sortext.files.write import atomic_write

    if not supplied:
        return
    store = read_store(root, source)
    for record_id, entries in supplied.items():
        current = {json.dumps(e["path"]): e for e in store.get(record_id, [])}
        for path, value in entries:
            current[json.dumps(path)] = {"path": path, "value": value}
        store[record_id] = [current[k] for k in sorted(current)]
    text = json.dumps(dict(sorted(store.items())), indent=2, ensure_ascii=False) + "\n"
    target = store_path(root, source)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, text.encode("utf-8"))
