"""Break tests for parse7 (issue 15's faster parse, validate and index paths).

Each test holds a fast path to the answer its library path gives, on input found to
make them differ.
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


def typed(value: Any) -> Any:
    """``value`` with each scalar's type beside it (``1 == 1.0 == True`` in Python, and
    NaN is not equal to itself)."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return ("float", repr(value))
    return (type(value).__name__, value)


def both(data: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """``data`` as the index blob's JSON reads it back: orjson's, the standard one's."""
    monkeypatch.setattr(index_module, "FAST_JSON", True)
    fast = json.loads(index_module._data_json(data))
    monkeypatch.setattr(index_module, "FAST_JSON", False)
    slow = json.loads(index_module._data_json(data))
    return fast, slow


def test_more_infinities_than_the_value_check_reports_read_back_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The value check reports at most 20 values, so a record with 25 infinite
    measurements keeps 5 of them in its data; orjson wrote them as null (read back
    None) where the standard library writes Infinity."""
    (tmp_path / "sortext.yaml").write_text("clients_dir: clients\n", encoding="utf-8")
    lines = "".join(
        f"  - {{goal: g, date: 2026-01-{day:02d}, value: 1e309}}\n" for day in range(1, 26)
    )
    text = f"---\nname: Nan Ny\nstage: inquiry\nmeasurements:\n{lines}---\nnotes\n"
    result = parse_record(
        text.encode(), "clients/nan-ny.md", RecordValidator(load_config(tmp_path))
    )
    assert result.record is not None and result.diagnostics
    fast, slow = both(result.record.data, monkeypatch)
    assert typed(fast) == typed(slow)


NON_FINITE = st.sampled_from([math.inf, -math.inf, math.nan])
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=4), VALUES, max_size=4), NON_FINITE)
def test_any_data_reads_back_alike_non_finite_numbers_included(
    data: dict[str, Any], extra: float
) -> None:
    data["extra"] = [None, extra]
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, slow = both(data, monkeypatch)
    assert typed(fast) == typed(slow)
