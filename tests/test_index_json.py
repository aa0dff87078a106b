"""The index blob's JSON (issue 15): orjson where it can, the standard library otherwise,
and the two read back alike.

``sortext.store.index._data_json`` encodes a parsed record's data with orjson (~10x
faster than ``json.dumps``); what ``json.loads`` gives back must be the same values of
the same types as from ``json.dumps``, whatever the data (non-ASCII and escaped text,
lone surrogates, large integers, floats, keys that are not text), and the blob a
record's file leaves in the index must read back equal on both paths.  The search
text (``searchable``, walked faster) stays what the plain recursive walk made.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.check.load import parse_record
from sortext.schema.config import load_config
from sortext.schema.validate import RecordValidator
from sortext.store import index as index_module

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=25,
)


def typed(value: Any) -> Any:
    """``value`` with each scalar's type beside it (``1 == 1.0 == True`` in Python)."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def both(data: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    monkeypatch.setattr(index_module, "FAST_JSON", True)
    fast = index_module._data_json(data)
    monkeypatch.setattr(index_module, "FAST_JSON", False)
    slow = index_module._data_json(data)
    return fast, slow


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=8), VALUES, max_size=6))
def test_the_fast_json_reads_back_as_the_standard_one(data: dict[str, Any]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, slow = both(data, monkeypatch)
    assert slow == b" " + json.dumps(data, separators=(",", ":")).encode("ascii")
    assert typed(json.loads(fast)) == typed(json.loads(slow))
    assert b"\0" not in fast  # the blob's separator never appears in the JSON
    assert typed(read_back(fast)) == typed(read_back(slow)) == typed(json.loads(slow))


def read_back(blob: bytes) -> Any:
    """What the index's reader gives back for a blob's JSON (through the blob)."""
    data_json, _ = index_module._unpack_doc(index_module._pack_doc(blob, "notes"))
    return index_module.read_data_json(data_json)


WILD = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1])
    | st.floats()  # NaN and the infinities too
    | st.text(st.characters(codec=None, exclude_categories=()), max_size=6),  # surrogates
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(max_size=6), WILD, max_size=6))
def test_the_reader_gives_back_what_the_standard_library_reads(data: dict[str, Any]) -> None:
    """orjson reads what orjson wrote; whatever needs the standard library to be read
    right (an integer past 64 bits, NaN, infinities, a lone surrogate) was written by
    it, and read by it: never a float for an integer, never an error."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, slow = both(data, monkeypatch)
        assert typed(read_back(fast)) == typed(json.loads(slow))
        monkeypatch.setattr(index_module, "FAST_JSON", False)  # SORTEXT_STDLIB_JSON=1
        assert typed(read_back(fast)) == typed(json.loads(slow))


def test_a_standard_library_blob_is_never_read_by_orjson() -> None:
    """The mark: a space before what ``json.dumps`` wrote.  Without it, orjson read
    2**64 as 1.8446744073709552e+19."""
    blob = index_module._data_json({"big": 2**64, "small": -(2**63) - 1})
    assert blob.startswith(b" {")
    assert typed(read_back(blob)) == typed({"big": 2**64, "small": -(2**63) - 1})
    with pytest.raises(ValueError):
        index_module.read_data_json("{not json")


@pytest.mark.parametrize(
    "data",
    [
        {"big": 2**64},  # past orjson's integers: the standard library writes it
        {"keys": {1: "one", None: "none"}},  # not text: json.dumps makes them text
        {"surrogate": "\udcff"},  # not UTF-8: orjson refuses, json.dumps escapes it
        {"nul": "a\x00b", "accent": "é\u2028\U0001f600"},
        {"float": 1e308, "small": 5e-324, "negative zero": -0.0},
    ],
)
def test_what_orjson_refuses_or_writes_otherwise(
    data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = both(data, monkeypatch)
    assert typed(json.loads(fast)) == typed(json.loads(slow))
    assert typed(read_back(fast)) == typed(read_back(slow)) == typed(json.loads(slow))


RECORD = """---
name: Zoë Ørsted
stage: inquiry
company: "Café \\u00e9 & Co\\t"
billing:
  rate: 1e309
  terms_days: 100000000000000000000
tags: [ünïcode, "quoted: text"]
notes_count: 12
---
Notes with {braces} and é.
"""


def test_a_parsed_record_blob_reads_back_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The values a record's check refuses (an infinite rate, a 21-digit integer) are
    dropped before the blob is made, so orjson never writes NaN or infinity as null."""
    (tmp_path / "sortext.yaml").write_text("clients_dir: clients\n", encoding="utf-8")
    validator = RecordValidator(load_config(tmp_path))
    result = parse_record(RECORD.encode("utf-8"), "clients/zoe.md", validator)
    assert result.record is not None and result.diagnostics
    assert result.record.data["billing"] == {}  # the infinite rate and huge integer: dropped
    fast, slow = both(result.record.data, monkeypatch)
    assert typed(json.loads(fast)) == typed(json.loads(slow))
    body = result.record.body
    for blob in (fast, slow):
        data_json, notes = index_module._unpack_doc(index_module._pack_doc(blob, body))
        assert typed(json.loads(data_json)) == typed(result.record.data) and notes == body


def plain_searchable(body: str, data: Any) -> str:
    """The search text as the plain recursive walk made it (before issue 15's)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if value.strip():
                found.append(" ".join(value.split()))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    if data is not None:
        for key, value in data.items():
            if key not in ("name", "stage"):
                walk(value)
    return body + ("\n\n" + "\n".join(found) if found else "")


class _Text(str):
    pass


class _Mapping(dict):  # type: ignore[type-arg]
    pass


SPACED = st.text(st.sampled_from(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u3000ab"), max_size=6)
SEARCHED = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=5)
    | SPACED
    | st.builds(_Text, SPACED),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=2).map(tuple)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        | st.dictionaries(st.text(max_size=3), inner, max_size=2).map(_Mapping)
    ),
    max_leaves=15,
)


@settings(max_examples=500, deadline=None)
@given(
    st.text(max_size=5),
    st.none() | st.dictionaries(st.sampled_from(["name", "stage", "a", "b"]), SEARCHED),
)
def test_the_search_text_is_the_plain_walks(body: str, data: Any) -> None:
    assert index_module.searchable(body, data) == plain_searchable(body, data)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(index_module.SUMMARY_KEYS), VALUES, max_size=7))
def test_the_kept_summary_encoder_writes_what_json_dumps_wrote(summary: dict[str, Any]) -> None:
    """A record's summary is encoded by one kept encoder, not a new one per record."""
    kept = index_module._SUMMARY_JSON.encode(summary)
    assert kept == json.dumps(summary, separators=(",", ":"))
