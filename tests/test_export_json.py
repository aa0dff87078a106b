"""``export json`` writes exactly the standard library's bytes, whichever encoder ran.

The class: any list of JSON-shaped records (what the index gives back, and what a
broken file parsed again gives: text with controls, quotes, backslashes, bidi
characters, U+2028, astral characters and lone surrogates; integers past 64 bits;
floats of every spelling, NaN and the infinities; nulls; empty and nested lists
and mappings; text that looks like JSON numbers or ``null``).  ``to_json`` must
equal ``json.dumps(records, indent=2, ensure_ascii=False) + "\\n"`` (the format
before orjson served it), and realistic records must take orjson's path (or
the speed-up is silently gone).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bench.gen_pages import generate_repo
from sortext.io import export
from sortext.repo import open_repository


def _reference(records: list[Any]) -> str:
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


# every code point, surrogates (category Cs) included
_TEXT = st.text(st.characters(codec=None, categories=None), max_size=12) | st.sampled_from(
    [
        "a: 1e-05",
        "x: 1.2.3",
        ": 0.00001",
        "\n  1e+16,",
        "null",
        '": 1.5e-7',
        "\u202e\u2028\u2029\x7f\x00\x1b[2J",
        '"\\',
        "\ud800",
        "😀é",
    ]
)
_FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [1e-5, 1e-7, 0.0001, 1e16, 1e15, 123456789012345680.0, -0.0, 5e-324, 1e308, 2.5e-5]
)
_INTS = st.integers() | st.sampled_from([2**63 - 1, -(2**63), 2**64, -(2**64) - 1, 10**300])
_SCALARS = st.none() | st.booleans() | _INTS | _FLOATS | _TEXT
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)
_RECORDS = st.lists(st.dictionaries(_TEXT, _VALUES, max_size=6), max_size=4)


@settings(max_examples=400, deadline=None)
@given(_RECORDS)
@example([])
@example([{}])
@example([{"a": [], "b": {}, "c": [[]], "d": 1e-05, "e": "\ud800"}])
@example([{"n": float("nan"), "i": float("-inf"), "big": 2**64}])
def test_to_json_is_the_standard_librarys_bytes(records: list[dict[str, Any]]) -> None:
    assert export.to_json(records) == _reference(records)


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_one_value_is_the_standard_librarys_bytes(value: Any) -> None:
    assert export._record_json(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_realistic_records_take_orjsons_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("orjson")
    from sortext.check.load import load_record
    from sortext.schema.validate import RecordValidator

    repo = open_repository(generate_repo(40, tmp_path / "r", seed=random.Random(7).randrange(9)))
    validator = RecordValidator(repo.config)
    records = []
    for path in repo.record_paths():
        result = load_record(str(path), repo.relative(path), validator)
        assert result.record is not None
        records.append(result.record.data)
    expected = _reference(records)
    assert any(isinstance(v, float) for r in records for v in _leaves(r))  # floats covered

    def refuse(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("a realistic record went to the standard library's encoder")

    monkeypatch.setattr(json, "dumps", refuse)
    assert export.to_json(records) == expected


def test_the_standard_library_path_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """``SORTEXT_STDLIB_JSON=1`` (FAST_JSON false) writes the same bytes without orjson."""
    records: list[dict[str, Any]] = [
        {"id": "a", "rate": 1e-05, "tags": ["x"], "n": None},
        {"id": "b", "e": {}},
    ]
    monkeypatch.setattr(export, "FAST_JSON", False)
    assert export.to_json(records) == _reference(records)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_every_float_orjson_spells_otherwise_is_caught_by_the_screen() -> None:
    """The premise of ``_may_differ``: a float orjson writes otherwise than ``repr``
    always shows four zeros after the point or a digit then a signed exponent.  Every
    decimal exponent with several mantissas, both signs, and random bit patterns."""
    orjson = pytest.importorskip("orjson")
    import struct

    rng = random.Random(20261201)
    mantissas = ("1", "1.5", "9.999999999999999", "1.2345678901234567", "7", "3.3", "2.5")
    values = [float(f"{m}e{e}") for e in range(-330, 310) for m in mantissas]
    values += [
        struct.unpack("d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(20000)
    ]
    values += [rng.uniform(-1e-3, 1e-3) for _ in range(5000)]
    values += [rng.uniform(-1e17, 1e17) for _ in range(5000)]
    differ = 0
    for value in values + [-v for v in values]:
        if value != value or value in (float("inf"), float("-inf")):
            continue
        out = orjson.dumps({"v": [value]}, option=orjson.OPT_INDENT_2)
        if out != json.dumps({"v": [value]}, indent=2).encode():
            differ += 1
            assert export._may_differ(out), (value, out)
            assert not export._same_floats(out), (value, out)
        else:
            assert export._same_floats(out), (value, out)
    assert differ > 0  # the sweep reaches the floats that differ
