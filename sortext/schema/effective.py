"""The effective JSON Schema: the shipped default plus the repository's config.

Stages become an enum and custom fields extend the object they live in, so
``sortext schema`` hands other tools exactly what ``sortext check`` enforces
(minus the cross-field rules, which JSON Schema cannot say).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from sortext.schema.config import Config

URL_PATTERN = "^[A-Za-z][A-Za-z0-9+.-]*:"


@cache
def _default_schema_text() -> str:
    shipped = Path(__file__).with_name("record.schema.json")
    if shipped.is_file():  # an ordinary install: no need to import importlib.resources
        return shipped.read_text(encoding="utf-8")
    from importlib.resources import files  # pragma: no cover - e.g. a zip install

    return (files("sortext") / "schema" / "record.schema.json").read_text(encoding="utf-8")


def default_schema() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(_default_schema_text())
    return result


def custom_field_schema(spec: dict[str, Any] | Any) -> dict[str, Any]:
    """Translate a ``custom_fields`` entry (type or values) to JSON Schema."""
    if "values" in spec:
        out: dict[str, Any] = {"enum": list(spec["values"])}
    else:
        kind = spec.get("type", "string")
        table: dict[str, dict[str, Any]] = {
            "string": {"type": "string"},
            "number": {"type": "number"},
            "integer": {"type": "integer"},
            "boolean": {"type": "boolean"},
            "date": {"$ref": "#/$defs/date"},
            "list": {"type": "array", "items": {"type": "string"}},
            "email": {"type": "string", "format": "email"},
            "url": {"type": "string", "pattern": URL_PATTERN},
        }
        out = dict(table[kind])
    for bound in ("minimum", "maximum"):
        if bound in spec:
            out[bound] = spec[bound]
    if "description" in spec:
        out["description"] = spec["description"]
    return out


def _object_for(schema: dict[str, Any], parts: list[str]) -> dict[str, Any] | None:
    """The object schema that holds a dotted custom field's last part."""
    node = schema
    for part in parts:
        props = node.get("properties", {})
        if part not in props:
            return None
        node = props[part]
        if node.get("type") == "array" and isinstance(node.get("items"), dict):
            node = node["items"]
        if node.get("type") != "object":
            return None
    return node


def effective_schema(config: Config) -> dict[str, Any]:
    """Default schema + stage enum + custom fields from ``config``."""
    schema = default_schema()
    schema["properties"]["stage"] = {
        "enum": list(config.stage_names),
        "description": "lifecycle stage, from sortext.yaml",
    }
    return with_custom_fields(schema, config.custom_fields)


def with_custom_fields(
    schema: dict[str, Any], custom: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """``schema`` with each custom field of ``custom`` (``{name: spec}``, dotted
    names inside mappings or list entries) added in place; returns ``schema``."""
    for name, spec in custom.items():
        parts = str(name).split(".")
        target = _object_for(schema, parts[:-1])
        if target is None:
            continue  # reported by check as a config problem
        target.setdefault("properties", {})[parts[-1]] = custom_field_schema(spec)
        required = target.setdefault("required", []) if spec.get("required") else []
        if spec.get("required") and parts[-1] not in required:  # once: a repeat is no schema
            required.append(parts[-1])
    return schema


def schema_fingerprint(config: Config) -> str:
    """Changes whenever validation could change: schema, config or version.

    The effective schema is a function of the shipped schema and the
    configuration, so their bytes (and the version) are hashed instead of the
    schema built from them: every query opens the index with this, and
    building the schema to hash it cost more than the rest of the open.
    """
    from sortext import __version__

    blob = "\0".join((_default_schema_text(), config.fingerprint, __version__))
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
