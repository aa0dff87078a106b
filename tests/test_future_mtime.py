"""A record file whose mtime is in the future (``touch -d tomorrow``, a sync tool that
keeps the mtime of a machine whose clock runs ahead) was read again (hashed) on every
refresh until the clock passed it: the change finder trusted a file only when both
its mtime and its ctime were older than its indexing by the racy window.  The ctime is
what the rule needs (the kernel sets it to the current time on every write, chmod,
utime and rename, and nothing sets it back): a file whose ctime is that old has not
been touched since, whatever its mtime says.  An edit in the same tick is never
missed: it moves the ctime."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.repo import open_repository
from sortext.store.index import Index
from tests.conftest import wait_past_racy_window

RECORD = "clients/amara-okafor.md"
DAY_NS = 86_400 * 1_000_000_000


def _refresh(root: Path) -> tuple[int, int]:
    """(rehashed, parsed) of one refresh."""
    with Index.open(open_repository(root)) as index:
        stats = index.refresh()
    return stats.rehashed, stats.parsed


def _names(root: Path) -> list[object]:
    """The indexed name of RECORD (one entry)."""
    with Index.open(open_repository(root)) as index:
        entries = [e for e in index.entries() if e.path == RECORD]
    return [e.record.data.get("name") if e.record else None for e in entries]


def _future(path: Path, ahead_ns: int = DAY_NS) -> int:
    when = time.time_ns() + ahead_ns
    os.utime(path, ns=(when, when))
    return when


def _settled_index(root: Path) -> None:
    """The index of ``root`` refreshed until every file in it is trusted."""
    _refresh(root)
    wait_past_racy_window(sorted((root / "clients").glob("*.md")))
    _refresh(root)
    assert _refresh(root) == (0, 0)


def test_a_future_dated_record_is_trusted_once_read(records_repo: Path) -> None:
    root = records_repo
    _settled_index(root)
    path = root / RECORD
    _future(path)
    assert _refresh(root) == (0, 1)  # its stat moved: read
    wait_past_racy_window([path])
    assert _refresh(root) == (1, 0)  # indexed within the window of its change: hashed
    assert _refresh(root) == (0, 0)  # and then trusted, a day before its mtime
    assert _refresh(root) == (0, 0)


def test_an_edit_of_a_future_dated_record_is_seen_with_its_mtime_put_back(
    records_repo: Path,
) -> None:
    """Trusted, then edited (same size) and its future mtime put back: the ctime
    moved, so the edit is parsed."""
    root = records_repo
    path = root / RECORD
    when = _future(path)
    _settled_index(root)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Amara Okafor", "Amara Okafoz"), encoding="utf-8")
    os.utime(path, ns=(when, when))
    assert _refresh(root)[1] == 1
    assert _names(root) == ["Amara Okafoz"]


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    ahead_s=st.sampled_from([-3600, 0, 1, 3600, 86_400 * 400]),
    same_size=st.booleans(),
    keep_mtime=st.booleans(),
)
def test_any_edit_after_indexing_is_seen_whatever_the_mtime(
    tmp_path_factory: object, ahead_s: int, same_size: bool, keep_mtime: bool
) -> None:
    """Property: a record with its mtime set anywhere (past, now, future), indexed,
    then edited at once (in the same tick as its indexing, maybe) keeping its size and
    mtime or not: the next refresh parses it and holds the new value."""
    import tempfile

    from tests.conftest import sample_records

    with tempfile.TemporaryDirectory() as tmp:
        root = sample_records(Path(tmp) / "r")
        path = root / RECORD
        when = time.time_ns() + ahead_s * 1_000_000_000
        os.utime(path, ns=(when, when))
        _refresh(root)
        text = path.read_text(encoding="utf-8")
        new = "Amara Okafoz" if same_size else "Amara Okafor-Lind"
        path.write_text(text.replace("Amara Okafor", new), encoding="utf-8")
        if keep_mtime:
            os.utime(path, ns=(when, when))
        _refresh(root)
        assert _names(root) == [new]


def test_a_future_dated_record_lets_a_query_answer_be_remembered(
    cli: Callable[..., Result], records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quick queries' remembered answers judged a candidate by its mtime too: a
    future-dated record kept every answer from being remembered until the clock passed
    it.  Remembered now; an edit that keeps its size and its future mtime is still
    answered afresh (its ctime moved)."""
    from tests.test_query_recall import DAY as QUERY_DAY
    from tests.test_query_recall import NORTHWIND, _dated, _remembered, _run

    root = _dated(records_repo)
    path = root / NORTHWIND
    when = _future(path)
    wait_past_racy_window([path])
    first = _run(cli, root, "list", *QUERY_DAY)
    for _ in range(2):
        assert _run(cli, root, "list", *QUERY_DAY) == first
    assert _remembered(root) == 1
    path.write_text(path.read_text().replace("Northwind Bakery", "Northwind Bakerz"))
    os.utime(path, ns=(when, when))
    assert "Northwind Bakerz" in _run(cli, root, "list", *QUERY_DAY)[0]
    wait_past_racy_window([path])
    again = _run(cli, root, "list", *QUERY_DAY)
    _run(cli, root, "list", *QUERY_DAY)
    from sortext.views import queries

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("the query did its work instead of replaying")

    monkeypatch.setattr(queries, "client_list", fail)
    assert _run(cli, root, "list", *QUERY_DAY) == again  # replayed
