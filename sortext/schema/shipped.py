"""The shipped record schema and custom fields added to it, without the
configuration object: what :mod:`sortext.schema.effective` builds on, and what the
configuration's own check (:mod:`sortext.schema.config`) reads field names from
(importing :mod:`~sortext.schema.effective` there would be an import circle)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

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
