"""One walk of the record schema for the CSV export's columns and ``owned_fields``'
patterns (sortext/schema/fieldpaths.py), with lists as the one difference.

Held to the two walks it replaced (``export_columns`` and ``field_patterns`` at
dc40ac4): the CSV header is byte for byte what it was, over the shipped schema, a
configuration with custom fields of every type, and generated schemas (``$ref`` s,
lists, open mappings, ``anyOf``).  The patterns are the old ones, plus a mapping that
lists no fields, which takes fields of any name (the export always said so).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.io.export import CSV_COLUMNS, export_columns
from sortext.repo import open_repository
from sortext.schema.effective import effective_schema
from sortext.schema.owned import field_patterns
from tests.conftest import module_at

BEFORE = "dc40ac4"
FIELDS = """custom_fields:
  referral: {type: string}
  score: {type: integer, minimum: 0}
  fee: {type: number}
  vip: {type: boolean}
  met: {type: date}
  langs: {type: list}
  mail: {type: email}
  site: {type: url}
"""


def _old_export() -> Any:
    return module_at(BEFORE, "sortext/io/export.py", "old_export_for_paths")


def _old_owned() -> Any:
    return module_at(BEFORE, "sortext/schema/owned.py", "old_owned_for_paths")


def _header(columns: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(columns)
    return out.getvalue().encode()


def test_the_csv_header_is_byte_identical_over_the_shipped_and_a_custom_schema(
    records_repo: Path,
) -> None:
    schemas = [effective_schema(open_repository(records_repo).config)]
    config = records_repo / "sortext.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("custom_fields: {}\n", FIELDS),
        encoding="utf-8",
    )
    schemas.append(effective_schema(open_repository(records_repo).config))
    assert "referral" in export_columns(schemas[1])[0]
    for schema in schemas:
        old = _old_export().export_columns(schema)
        assert _header(export_columns(schema)[0]) == _header(old[0])
        assert export_columns(schema) == old
        fields, open_maps = field_patterns(schema)
        old_fields, old_maps = _old_owned().field_patterns(schema)
        assert fields == old_fields
        assert set(old_maps) <= set(open_maps)
        assert "invoices.*.status" in fields and "links" in open_maps
        assert not any("*" in c for c in export_columns(schema)[0][len(CSV_COLUMNS) :])


_NAMES = st.sampled_from(["a", "b", "links", "items", "x_y"])


def _schemas() -> st.SearchStrategy[Any]:
    leaf = st.sampled_from(
        [
            {"type": "string"},
            {"type": "integer"},
            {"type": "object"},
            {"type": "object", "additionalProperties": True},
            {"type": "object", "additionalProperties": False},
            {"$ref": "#/$defs/thing"},
            {"$ref": "#/$defs/none"},
            {"type": "array", "items": {"type": "string"}},
            {"anyOf": [{"type": "string"}, {"type": "object", "properties": {"k": {}}}]},
        ]
    )

    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        mapping = st.builds(
            lambda props, extra: {
                "type": "object",
                "properties": props,
                **({} if extra is None else {"additionalProperties": extra}),
            },
            st.dictionaries(_NAMES, children, max_size=3),
            st.sampled_from([None, False, True, {"type": "string"}]),
        )
        return mapping | st.builds(lambda i: {"type": "array", "items": i}, children)

    return st.builds(
        lambda top, thing: {**top, "$defs": {"thing": thing}},
        extend(st.recursive(leaf, extend, max_leaves=8)),
        st.recursive(leaf, extend, max_leaves=4),
    )


@settings(max_examples=200, deadline=None)
@given(_schemas())
def test_the_one_walk_gives_what_the_two_gave(schema: Any) -> None:
    old = _old_export().export_columns(schema)
    assert export_columns(schema) == old
    assert _header(export_columns(schema)[0]) == _header(old[0])
    try:
        old_fields, old_maps = _old_owned().field_patterns(schema)
    except AttributeError:  # the old walk failed on properties that are not a mapping
        return
    fields, open_maps = field_patterns(schema)
    assert fields == old_fields
    assert set(old_maps) <= set(open_maps)
    # what the old walk missed: a mapping listing no fields takes fields of any name
    assert set(open_maps) - set(old_maps) <= set(fields)
    assert all(_lists_nothing(schema, path) for path in set(open_maps) - set(old_maps))


def _lists_nothing(schema: Any, path: str) -> bool:
    """Does some node at ``path`` in ``schema`` list no properties?"""
    defs = schema.get("$defs", {})
    nodes = [schema]
    for part in path.split("."):
        found = []
        for node in nodes:
            while isinstance(node, dict) and "$ref" in node:
                node = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
            if not isinstance(node, dict):
                continue
            alternatives = [node, *node.get("anyOf", []), *node.get("oneOf", [])]
            for alt in alternatives:
                if part == "*" and isinstance(alt.get("items"), dict):
                    found.append(alt["items"])
                elif isinstance(alt.get("properties"), dict) and part in alt["properties"]:
                    found.append(alt["properties"][part])
        nodes = found
    resolved = []
    for node in nodes:
        while isinstance(node, dict) and "$ref" in node:
            node = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
        resolved.append(node)
    return any(isinstance(n, dict) and not isinstance(n.get("properties"), dict) for n in resolved)


def test_a_mapping_that_lists_no_fields_takes_owned_patterns_of_any_name() -> None:
    """``owned_fields: {meta.origin: crm}`` where ``meta`` is ``{type: object}``: the
    mapping takes fields of any name (as the export's columns always said); the old
    walk called the pattern unknown."""
    from sortext.schema.owned import pattern_problem

    schema = {"type": "object", "properties": {"meta": {"type": "object"}}}
    assert pattern_problem("meta.origin", schema) is None
    assert pattern_problem("metta", schema) is not None
