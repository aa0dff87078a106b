"""One system of record per attribute: ``owned_fields`` in sortext.yaml.

``owned_fields: {invoices.*.status: billing}`` says the billing tool is the
truth for invoice status.  An import with ``--source billing`` may write
those fields (and, being a system of record, no others); other sources never
write them.  The last value each owner supplied is kept, committed, in
``sources/<source>.json`` at the repository root; ``sortext check`` warns
when a record's value differs from it (someone edited a mirrored field by
hand).  A pattern owns its sub-fields too: ``invoices: billing`` covers every
invoice field and adding invoices.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sortext.diagnostics import Diagnostic
from sortext.positions import Path as DataPath
from sortext.repo import Repository

SOURCES_DIR = "sources"

# A stored path: list entries identified by key, e.g. ["invoices", {"id": "INV-1"}, "status"]
StoredPath = list[Any]


def owned_patterns(raw_config: Mapping[str, Any]) -> dict[str, str]:
    section = raw_config.get("owned_fields") or {}
    return {str(k): str(v) for k, v in section.items()} if isinstance(section, dict) else {}


def pattern_path(path: Iterable[Any]) -> str:
    """``("invoices", 2, "status")`` -> ``invoices.*.status`` (list items become ``*``)."""
    return ".".join("*" if isinstance(p, int | dict) else str(p) for p in path)


def matches(path: Iterable[Any], pattern: str) -> bool:
    """Does ``path`` (or one of its ancestors) match the dotted ``pattern``?"""
    parts = pattern_path(path).split(".")
    for length in range(1, len(parts) + 1):
        if fnmatch.fnmatchcase(".".join(parts[:length]), pattern):
            return True
    return False


def owner_of(patterns: Mapping[str, str], path: Iterable[Any]) -> str | None:
    items = list(path)
    for pattern, owner in patterns.items():
        if matches(items, pattern):
            return owner
    return None


def may_write(patterns: Mapping[str, str], source: str, path: Iterable[Any]) -> str | None:
    """None when ``source`` may write ``path``, else the reason it may not."""
    owner = owner_of(patterns, path)
    if owner is not None and owner != source:
        return f"owned by {owner}"
    if owner is None and source in patterns.values():
        return f"{source} is the system of record only for its owned fields"
    return None


def store_path(root: Path, source: str) -> Path:
    return root / SOURCES_DIR / f"{source}.json"


def read_store(root: Path, source: str) -> dict[str, list[dict[str, Any]]]:
    try:
        data = json.loads(store_path(root, source).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def update_store(
    root: Path, source: str, supplied: Mapping[str, list[tuple[StoredPath, Any]]]
) -> None:
    """Remember the values ``source`` supplied (per record id); deterministic JSON."""
    from sortext.safewrite import atomic_write

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


_MISSING = object()


def resolve(data: Any, path: StoredPath) -> tuple[Any, DataPath | None]:
    """The value at a stored path and its index path, or ``_MISSING``."""
    node = data
    index_path: list[str | int] = []
    for part in path:
        if isinstance(part, dict) and isinstance(node, list):
            key, wanted = next(iter(part.items()))
            found = next(
                (
                    i
                    for i, item in enumerate(node)
                    if isinstance(item, dict) and item.get(key) == wanted
                ),
                None,
            )
            if found is None:
                return _MISSING, None
            node = node[found]
            index_path.append(found)
        elif isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
            index_path.append(part)
        else:
            return _MISSING, None
    return node, tuple(index_path)


def owned_warnings(repo: Repository) -> list[Diagnostic]:
    """Warnings for owned fields whose value differs from what their owner last supplied."""
    patterns = owned_patterns(repo.config.raw)
    if not patterns:
        return []
    from sortext.positions import build_position_map, format_path
    from sortext.records import load_record
    from sortext.validate import RecordValidator

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
                if value is _MISSING or value == entry["value"] or index_path is None:
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
