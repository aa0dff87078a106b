"""The dotted field paths a record schema describes: one walk for two readers.

``export csv`` names its columns by them (a list is one column, its value written as
JSON), ``owned_fields`` and ``--accept theirs:FIELD`` name fields inside list entries
too (``invoices.*.status``).  :func:`schema_paths` walks the schema once for both;
``into_lists`` is the one difference.
"""

from __future__ import annotations

from typing import Any

#: ``$ref`` s are followed while the walk is less deep than MAX_REFS (each counts as a
#: step), and nothing deeper than MAX_DEPTH is walked: a schema that refers to itself
#: ends there
MAX_REFS = 20
MAX_DEPTH = 40


def schema_paths(schema: Any, *, into_lists: bool) -> tuple[list[str], list[str]]:
    """(every dotted path a record of ``schema`` can hold, in the schema's order, each
    once; the paths of the mappings that take fields of any name, ``links``, each once).

    ``into_lists``: a list's entries are walked too, their fields written under ``*``
    (``invoices.*.status``), and so are the branches of ``anyOf`` / ``oneOf`` (a
    blocker is text or a mapping); otherwise a list is a field of its own and nothing
    below it is.  A mapping takes fields of any name when its ``additionalProperties``
    is not ``false``, or when it lists no ``properties``.  Local ``$ref`` s are followed.
    """
    defs = schema.get("$defs", {}) if isinstance(schema, dict) else {}
    fields: list[str] = []
    open_maps: list[str] = []

    def walk(node: Any, path: str, depth: int) -> None:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < MAX_REFS:
            node = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
            depth += 1
        if not isinstance(node, dict) or depth > MAX_DEPTH:
            return
        if path:
            fields.append(path)
        props = node.get("properties")
        if isinstance(props, dict):
            for name, sub in props.items():
                walk(sub, f"{path}.{name}" if path else name, depth + 1)
        extra = node.get("additionalProperties")
        takes_any = extra not in (False, None) or not isinstance(props, dict)
        if path and node.get("type") == "object" and takes_any:
            open_maps.append(path)
        if not into_lists:
            return
        if path and isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}.*", depth + 1)
        for key in ("anyOf", "oneOf"):
            for sub in node.get(key) or []:
                walk(sub, path, depth + 1)

    walk(schema, "", 0)
    return list(dict.fromkeys(fields)), list(dict.fromkeys(open_maps))
