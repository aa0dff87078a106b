"""A new index file is filled in SQLite's rollback-journal mode, then made WAL (issue 15,
item 3: the cold build's parent wrote every page twice through the WAL).

The rows and search answers are those of an index that was WAL from the start (the
slow path: a file that existed, empty, before the open); the file is WAL once its
first refresh is stored, and one that could not be switched then (another
connection held it) is made WAL by the next open."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.gen_pages import generate_repo
from sortext.files.state import StateDir
from sortext.repo import open_repository
from sortext.store import index as index_module
from sortext.store.index import Index

# files.indexed_ns is the moment of indexing: the one column that differs between runs
_TIMED = {("files", 3)}


def _journal(root: Path) -> str:
    conn = sqlite3.connect(StateDir(root).index)
    try:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        conn.close()


def _rows(index: Index) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    tables = index.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'notes%' "
        "AND name NOT LIKE 'sqlite_%' AND name != 'meta'"
    ).fetchall()
    for (name,) in tables:
        rows = [
            tuple(None if (name, i) in _TIMED else v for i, v in enumerate(row))
            for row in index.conn.execute(f"SELECT * FROM {name}")
        ]
        out[name] = sorted(rows, key=repr)
    return out


WORDS = ["coach", "goal", "session", "plan", "e-mail", "invoice", "a", "re", "notes", "x"]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two copies of one generated repository, indexed: the first from no file (the
    rollback-journal path), the second from an empty file that existed (WAL from the
    start, as before)."""
    base = tmp_path_factory.mktemp("journal")
    fresh = generate_repo(450, base / "fresh")  # past PARALLEL_THRESHOLD: forked workers
    wal = base / "wal"
    shutil.copytree(fresh, wal)
    StateDir(wal).path.mkdir(exist_ok=True)
    StateDir(wal).index.touch()  # an empty file counts as an index SQLite fills in
    with pytest.MonkeyPatch.context() as patch:
        modes = _bulk_modes(patch)
        patch.setattr(index_module, "BULK_JOURNAL_MIN", 400)
        for root in (fresh, wal):
            with Index.open(open_repository(root)) as index:
                index.refresh()
    assert modes == ["delete"]  # the first without the WAL, the second in it
    return fresh, wal


def test_a_new_index_is_wal_once_filled_and_holds_the_same_rows(pair: tuple[Path, Path]) -> None:
    fresh, wal = pair
    assert _journal(fresh) == _journal(wal) == "wal"
    with Index.open(open_repository(fresh)) as a, Index.open(open_repository(wal)) as b:
        assert _rows(a) == _rows(b)
        assert a.meta("fingerprint") == b.meta("fingerprint")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
def test_search_answers_as_an_index_wal_from_the_start(
    pair: tuple[Path, Path], query: list[str]
) -> None:
    fresh, wal = pair
    with Index.open(open_repository(fresh)) as a, Index.open(open_repository(wal)) as b:
        assert a.search(query) == b.search(query)


def _bulk_modes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The journal mode each bulk switch left (read inside the refresh)."""
    seen: list[str] = []
    real = Index._bulk_journal

    def recording(self: Index) -> None:
        real(self)
        seen.append(str(self.conn.execute("PRAGMA journal_mode").fetchone()[0]))

    monkeypatch.setattr(Index, "_bulk_journal", recording)
    monkeypatch.setattr(index_module, "BULK_JOURNAL_MIN", 3)
    return seen


def test_the_first_bulk_refresh_is_stored_without_the_wal_then_wal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modes = _bulk_modes(monkeypatch)
    root = generate_repo(5, tmp_path / "r")
    index = Index.open(open_repository(root))
    try:
        assert _journal(root) == "wal"  # every connection makes it WAL first
        index.refresh()
        assert modes == ["delete"]  # filled in rollback-journal mode
        assert _journal(root) == "wal"  # then readers no longer wait for this writer
        assert len(index.entries()) == 5
    finally:
        index.close()


def test_only_a_new_file_and_only_a_bulk_refresh_leave_the_wal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modes = _bulk_modes(monkeypatch)
    root = generate_repo(5, tmp_path / "r")
    repo = open_repository(root)
    StateDir(root).path.mkdir(exist_ok=True)
    StateDir(root).index.touch()  # a file was there: WAL throughout
    with Index.open(repo) as index:
        index.refresh()
    assert modes == []
    fresh = generate_repo(2, tmp_path / "small")  # below the bulk size
    with Index.open(open_repository(fresh)) as index:
        index.refresh()
    assert modes == []
    assert _journal(root) == _journal(fresh) == "wal"


def test_a_file_held_by_a_reader_is_made_wal_by_the_next_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = generate_repo(5, tmp_path / "r")
    repo = open_repository(root)
    settle = Index._settle_journal

    def with_a_reader(self: Index) -> None:
        """The switch made while another connection holds a read transaction."""
        reader = sqlite3.connect(StateDir(root).index, isolation_level=None)
        self.conn.execute("PRAGMA busy_timeout = 0")  # refused at once, not in 5 s
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM meta").fetchone()  # a shared lock held
            settle(self)
        finally:
            reader.execute("COMMIT")
            reader.close()

    monkeypatch.setattr(Index, "_settle_journal", with_a_reader)
    monkeypatch.setattr(index_module, "BULK_JOURNAL_MIN", 3)
    with Index.open(repo) as index:
        index.refresh()  # stored; the switch refused while the reader reads
        assert _journal(root) == "delete"
        paths = [e.path for e in index.entries()]
    monkeypatch.setattr(Index, "_settle_journal", settle)
    assert len(paths) == 5
    with Index.open(repo) as again:  # any connection makes it WAL
        assert [e.path for e in again.entries()] == paths
    assert _journal(root) == "wal"


def test_an_existing_index_is_never_taken_out_of_wal(tmp_path: Path) -> None:
    root = generate_repo(5, tmp_path / "r")
    repo = open_repository(root)
    with Index.open(repo) as index:
        index.refresh()
    (root / "clients" / "client-00000.md").write_text(
        (root / "clients" / "client-00000.md").read_text() + "\nMore.\n"
    )
    index = Index.open(repo)
    try:
        assert _journal(root) == "wal"
        assert not index._journal_pending
        index.refresh()
        assert _journal(root) == "wal"
    finally:
        index.close()


def test_a_reader_at_the_bulk_switch_keeps_the_file_wal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another command reading the new file when the refresh begins: the switch is
    refused (it needs the file alone), the records are stored in WAL as before."""
    root = generate_repo(5, tmp_path / "r")
    real = Index._bulk_journal
    modes: list[str] = []

    def with_a_reader(self: Index) -> None:
        reader = sqlite3.connect(StateDir(root).index, isolation_level=None)
        self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM meta").fetchone()
            real(self)
            modes.append(str(self.conn.execute("PRAGMA journal_mode").fetchone()[0]))
        finally:
            reader.execute("COMMIT")
            reader.close()
        self.conn.execute("PRAGMA busy_timeout = 5000")

    monkeypatch.setattr(Index, "_bulk_journal", with_a_reader)
    monkeypatch.setattr(index_module, "BULK_JOURNAL_MIN", 3)
    with Index.open(open_repository(root)) as index:
        index.refresh()
        assert len(index.entries()) == 5
    assert modes == ["wal"]
    assert _journal(root) == "wal"
