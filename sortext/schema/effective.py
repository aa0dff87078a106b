"""The effective JSON Schema: the shipped default plus the repository's config.

Stages become an enum and custom fields extend the object they live in, so
``sortext schema`` hands other tools exactly what ``sortext check`` enforces
(minus the cross-field rules, which JSON Schema cannot say).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from sortext.schema.config import Config
from sortext.schema.shipped import URL_PATTERN as URL_PATTERN
from sortext.schema.shipped import _default_schema_text, with_custom_fields
from sortext.schema.shipped import custom_field_schema as custom_field_schema
from sortext.schema.shipped import default_schema as default_schema


def effective_schema(config: Config) -> dict[str, Any]:
    """Default schema + stage enum + custom fields from ``config``."""
    schema = default_schema()
    schema["properties"]["stage"] = {
        "enum": list(config.stage_names),
        "description": "lifecycle stage, from sortext.yaml",
    }
    return with_custom_fields(schema, config.custom_fields)


def schema_fingerprint(config: Config) -> str:
    """Changes whenever validation could change: schema, config or the build of
    sortext (:func:`~sortext.files.codestamp.code_stamp`; the version alone stays
    the same from one commit to the next).

    The effective schema is a function of the shipped schema and the
    configuration, so their bytes (and the build) are hashed instead of the
    schema built from them: every query opens the index with this, and
    building the schema to hash it cost more than the rest of the open.
    """
    from sortext.files.codestamp import code_stamp

    blob = "\0".join((_default_schema_text(), config.fingerprint, code_stamp()))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def draft7_copy(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema labelled draft-07 for fastjsonschema (we only use shared keywords).

    References to ``$defs`` are written out in place: fastjsonschema compiles
    each ``$ref`` to a function call that formats the data path with
    ``locals()`` for every value checked (every session date), even when the
    value is fine.  In draft-07 a ``$ref`` ignores its sibling keywords, so
    the copy replaces the whole object, exactly as the reference means.
    """
    out = copy.deepcopy(schema)
    out["$schema"] = "http://json-schema.org/draft-07/schema#"
    out.pop("$id", None)
    defs = out.get("$defs")
    if isinstance(defs, dict):
        for key, value in out.items():
            if key != "$defs":
                out[key] = _inline_refs(value, defs, 0)
    return out


def _inline_refs(node: Any, defs: dict[str, Any], depth: int) -> Any:
    """``node`` with each ``{"$ref": "#/$defs/name", ...}`` replaced by that definition."""
    if isinstance(node, list):
        return [_inline_refs(item, defs, depth) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.removeprefix("#/$defs/")
        if name != ref and "/" not in name and "~" not in name and name in defs and depth < 8:
            return _inline_refs(copy.deepcopy(defs[name]), defs, depth + 1)
        return node  # anything else (or a deep chain): keep fastjsonschema's own handling
    return {key: _inline_refs(value, defs, depth) for key, value in node.items()}
