"""Found breaking round 12: an unfinished erase's file (``.git/sortext-erase-ID.json``)
that is corrupt (``values`` not pairs, not a list) ended ``sortext erase ID`` in an
internal error; one naming another client was resumed as this client's erase.  Any
content now gives the unfinished erase or a StorageError naming the file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sortext.errors import StorageError
from sortext.vcs.erasepending import Pending, load, pending_path

ID = "gone-client"

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
_files = st.fixed_dictionaries(
    {"version": st.just(1)},
    optional={
        "id": st.sampled_from([ID, "someone-else"]) | _json,
        "values": _json,
        "sentences": _json,
        "since": _json,
    },
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=_files | _json)
@example(data={"version": 1, "values": [["a"]]})
@example(data={"version": 1, "values": 5})
@example(data={"version": 1, "id": "someone-else", "values": [["name", "Secret Person"]]})
def test_any_file_is_the_pending_erase_or_a_named_refusal(records_repo: Path, data: Any) -> None:
    path = pending_path(records_repo, ID)
    path.write_text(json.dumps(data), "utf-8")
    try:
        found = load(records_repo, ID)
    except StorageError as exc:
        assert str(path) in str(exc)
        return
    if found is None:  # another format version only
        assert not isinstance(data, dict) or data.get("version") != 1
        return
    assert isinstance(found, Pending) and found.record_id == ID
    assert not isinstance(data, dict) or data.get("id", ID) == ID
    assert all(isinstance(f, str) and isinstance(t, str) for f, t in found.values)


@pytest.mark.parametrize("content", ['{"version":1,"values":[["a"]]}', "{not json"])
def test_erase_with_a_corrupt_file_names_it_not_an_internal_error(
    records_repo: Path, cli: Callable[..., Result], content: str
) -> None:
    pending_path(records_repo, ID).write_text(content, "utf-8")
    result = cli("erase", ID, "--yes", "--repo", str(records_repo))
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output
    assert f"sortext-erase-{ID}.json: not an unfinished erase sortext can read" in result.output
