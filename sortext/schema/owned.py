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
from collections.abc import Iterable, Mapping
from typing import Any

from sortext.record.positions import Path as DataPath

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


MISSING = object()


def resolve(data: Any, path: StoredPath) -> tuple[Any, DataPath | None]:
    """The value at a stored path and its index path, or ``MISSING``."""
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
                return MISSING, None
            node = node[found]
            index_path.append(found)
        elif isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
            index_path.append(part)
        else:
            return MISSING, None
    return node, tuple(index_path)


def field_patterns(schema: Any) -> tuple[list[str], list[str]]:
    """(every dotted path a record of ``schema`` can hold, list entries as ``*``
    (``invoices.*.status``), as ``owned_fields`` and ``--accept theirs:FIELD`` name
    them; the paths of mappings that take fields of any name, ``links``)."""
    from sortext.schema.fieldpaths import schema_paths

    return schema_paths(schema, into_lists=True)


def pattern_problem(pattern: str, schema: Any) -> str | None:
    """Why ``pattern`` (``invoices.*.status``, ``billing``, ``links.*``) names no field a
    record of ``schema`` can have, with a did-you-mean; None when it names one."""
    fields, open_maps = field_patterns(schema)
    if any(fnmatch.fnmatchcase(f, pattern) for f in fields):
        return None
    if any(pattern.startswith(m + ".") for m in open_maps):
        return None  # links.anything: a mapping that takes fields of any name
    import difflib  # only for a pattern that names nothing

    near = difflib.get_close_matches(pattern, fields, n=1)
    hint = f"; did you mean '{near[0]}'?" if near else ""
    return f"no record has a field {pattern}{hint}"
