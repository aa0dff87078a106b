"""fastjsonschema accepts exactly the same records with ``$ref``s written out in place."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.record.source import SourceText, decode
from sortext.record.split import Split, split
from sortext.record.values import is_email, is_iso_date, normalize
from sortext.record.yamlread import load_fast
from sortext.repo import open_repository
from sortext.schema.config import Config
from sortext.schema.effective import draft7_copy, effective_schema
from tests.conftest import PROJECT_ROOT

FORMATS = {"date": is_iso_date, "email": is_email}


def referenced_copy(schema: dict[str, Any]) -> dict[str, Any]:
    """draft7_copy as it was: references left to fastjsonschema."""
    out = copy.deepcopy(schema)
    out["$schema"] = "http://json-schema.org/draft-07/schema#"
    out.pop("$id", None)
    return out


def _config() -> Config:
    config: Config = open_repository(PROJECT_ROOT).config
    return config


SCHEMA = effective_schema(_config())
INLINED = fastjsonschema.compile(draft7_copy(SCHEMA), formats=FORMATS)
REFERENCED = fastjsonschema.compile(referenced_copy(SCHEMA), formats=FORMATS)


def accepts(validate: Any, data: Any) -> bool:
    try:
        validate(data)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


def test_no_references_left() -> None:
    assert '"$ref"' not in repr({k: v for k, v in draft7_copy(SCHEMA).items() if k != "$defs"})
    assert "'$ref'" not in repr({k: v for k, v in draft7_copy(SCHEMA).items() if k != "$defs"})


def test_custom_date_fields_are_inlined_too() -> None:
    schema = copy.deepcopy(SCHEMA)
    schema["properties"]["x_when"] = {"$ref": "#/$defs/date", "description": "ignored in 7"}
    inlined = draft7_copy(schema)["properties"]["x_when"]
    assert inlined == SCHEMA["$defs"]["date"]


def records() -> list[Any]:
    found = []
    paths = sorted((PROJECT_ROOT / "clients").glob("*.md")) + sorted(
        (PROJECT_ROOT / "tests" / "corpus").glob("*/*.md")
    )
    for path in paths:
        source = decode(Path(path).read_bytes())
        if not isinstance(source, SourceText):
            continue
        parts = split(source.text)
        if not isinstance(parts, Split):
            continue
        data = load_fast(parts.yaml_text)
        if isinstance(data, dict):
            found.append(normalize(data))
    return found


RECORDS = records()


@pytest.mark.parametrize("index", range(len(RECORDS)))
def test_same_verdict_on_samples(index: int) -> None:
    data = RECORDS[index]
    assert accepts(INLINED, data) == accepts(REFERENCED, data)


JUNK = st.sampled_from(
    [
        None,
        "",
        "x",
        "2026-02-30",
        "2026-01-31",
        "20260131",
        3,
        -1,
        2.5,
        True,
        [],
        {},
        ["x"],
        {"what": "x"},
        {"what": ""},
        {"since": "2026-01-01"},
        "a@b.co",
        "INV-1",
    ]
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(paths(child, (*prefix, index)))
    return found


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(range(len(RECORDS))), st.data())
def test_same_verdict_on_mutated_records(index: int, data: st.DataObject) -> None:
    record = copy.deepcopy(RECORDS[index])
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths(record)[1:]))
        parent = record
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = copy.deepcopy(data.draw(JUNK))
    assert accepts(INLINED, record) == accepts(REFERENCED, record)
