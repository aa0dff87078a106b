"""A new index's first bulk refresh fills the notes search with a larger FTS5 buffer
(issue 15, item 3: the buffer written out and merged 8 times less often).

How often FTS5 writes its buffer out (its 'hashsize') decides only how the postings are
cut into segments and merged: the answers, their order and their bm25 ranks are the
same whatever it is, which the property below holds over generated notes and queries
(each text indexed with the bulk buffer, with FTS5's default, and with a tiny buffer
that writes a segment for every few notes and merges all the time).  The index a bulk
refresh leaves is the one a refresh without it leaves: same rows, same search answers,
no setting left in ``notes_config``; a failed bulk refresh rolls the setting back."""

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
from sortext.store.index import _SCHEMA, Index, _fts_bulk

# Skewed word frequencies (a few words everywhere, most in a few notes), words the
# tokenizer splits ("e-mail", "o'neil"), accents and case folding, digits.
VOCABULARY = [
    "coach", "goal", "session", "plan", "e-mail", "o'neil", "invoice", "a", "re", "notes",
    "x", "café", "CAFE", "naïve", "2026", "q3", "leadership", "lead", "hire", "board",
    "delegation", "Zürich", "straße", "ßeta", "µs",
]  # fmt: skip
WORD = st.sampled_from(VOCABULARY)
NOTE = st.lists(WORD, min_size=0, max_size=60).map(" ".join)


def _table(texts: list[tuple[str, str]], hashsize: int | None, bulk: bool) -> sqlite3.Connection:
    """An in-memory index's notes table holding ``texts`` (name, body), inserted one row
    at a time in one transaction as a refresh does; ``hashsize`` set first (None:
    FTS5's default), ``bulk``: through :func:`_fts_bulk`."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(_SCHEMA)
    if hashsize is not None:
        conn.execute("INSERT INTO notes (notes, rank) VALUES ('hashsize', ?)", (hashsize,))
    conn.execute("BEGIN")
    with _fts_bulk(conn, bulk):
        for name, body in texts:
            conn.execute("INSERT INTO notes (name, body) VALUES (?, ?)", (name, body))
    conn.execute("COMMIT")
    return conn


def _answers(conn: sqlite3.Connection, query: str) -> list[tuple[int, float]]:
    return [
        (int(rowid), float(rank))
        for rowid, rank in conn.execute(
            "SELECT rowid, rank FROM notes WHERE notes MATCH ? ORDER BY rank, rowid", (query,)
        )
    ]


def _queries(words: list[str]) -> list[str]:
    """The query shapes Index.search writes (each word a quoted prefix), and one phrase."""
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    return [" ".join(q + "*" for q in quoted), " ".join(quoted), '"' + " ".join(words) + '"']


@settings(max_examples=60, deadline=None)
@given(
    notes=st.lists(st.tuples(WORD, NOTE), min_size=1, max_size=80),
    query=st.lists(WORD, min_size=1, max_size=3),
)
def test_the_buffer_size_never_changes_an_answer_or_its_rank(
    notes: list[tuple[str, str]], query: list[str]
) -> None:
    bulk = _table(notes, None, bulk=True)
    default = _table(notes, None, bulk=False)
    churn = _table(notes, 64, bulk=False)  # a segment every few notes, merged all the time
    for text in _queries(query):
        expected = _answers(default, text)
        assert _answers(bulk, text) == expected
        assert _answers(churn, text) == expected
    # the table holds nothing of the bulk setting once the transaction is over
    assert bulk.execute("SELECT k FROM notes_config WHERE k = 'hashsize'").fetchall() == []


def test_the_bulk_buffer_is_set_while_storing_and_taken_out_before_the_commit() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(_SCHEMA)
    conn.execute("BEGIN")
    with _fts_bulk(conn, True):
        row = conn.execute("SELECT v FROM notes_config WHERE k = 'hashsize'").fetchone()
        assert row == (index_module.FTS_BULK_HASHSIZE,)
    assert conn.execute("SELECT * FROM notes_config WHERE k = 'hashsize'").fetchall() == []
    conn.execute("COMMIT")
    with _fts_bulk(conn, False):  # not a bulk refresh: nothing set
        assert conn.execute("SELECT * FROM notes_config WHERE k = 'hashsize'").fetchall() == []


def _config(root: Path) -> list[Any]:
    conn = sqlite3.connect(StateDir(root).index)
    try:
        return sorted(conn.execute("SELECT k, v FROM notes_config"))
    finally:
        conn.close()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One generated repository indexed twice: from no file (the bulk refresh, its
    buffer set small enough to be written out several times) and from an empty file
    (no bulk: FTS5's default buffer, set tiny so it is written out after every few
    records and merged all the time)."""
    base = tmp_path_factory.mktemp("fts-bulk")
    bulk = generate_repo(420, base / "bulk")  # past PARALLEL_THRESHOLD: forked workers
    plain = base / "plain"
    shutil.copytree(bulk, plain)
    StateDir(plain).path.mkdir(exist_ok=True)
    StateDir(plain).index.touch()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(index_module, "BULK_JOURNAL_MIN", 400)
        patch.setattr(index_module, "FTS_BULK_HASHSIZE", 1 << 20)  # ~3.5 MB of text
        with Index.open(open_repository(bulk)) as index:
            index.refresh()
        with Index.open(open_repository(plain)) as index:
            index.conn.execute("INSERT INTO notes (notes, rank) VALUES ('hashsize', 4096)")
            index.refresh()
            with index.conn:
                index.conn.execute(
                    "INSERT INTO notes (notes, rank) VALUES ('hashsize', ?)", (1 << 20,)
                )
                index.conn.execute("DELETE FROM notes_config WHERE k = 'hashsize'")
    return bulk, plain


def test_a_bulk_refresh_leaves_the_rows_and_config_of_one_without_it(
    pair: tuple[Path, Path],
) -> None:
    bulk, plain = pair
    assert _config(bulk) == _config(plain)
    assert not any(k == "hashsize" for k, _ in _config(bulk))
    with Index.open(open_repository(bulk)) as a, Index.open(open_repository(plain)) as b:
        assert a.entries() == b.entries()
        # the segments differ: the bulk's buffer was written out fewer times
        count = "SELECT count(*) FROM notes_data"
        assert a.conn.execute(count).fetchone() != b.conn.execute(count).fetchone()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.lists(st.sampled_from([*VOCABULARY, "client", "moreau", "pl"]), max_size=3))
def test_search_answers_are_those_of_an_index_built_without_the_bulk_buffer(
    pair: tuple[Path, Path], query: list[str]
) -> None:
    bulk, plain = pair
    with Index.open(open_repository(bulk)) as a, Index.open(open_repository(plain)) as b:
        assert a.search(query, limit=1000) == b.search(query, limit=1000)
        for text in _queries(query) if query else []:
            assert _answers(a.conn, text) == _answers(b.conn, text)


def test_a_failed_bulk_refresh_rolls_the_setting_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = generate_repo(6, tmp_path / "r")
    monkeypatch.setattr(index_module, "BULK_JOURNAL_MIN", 3)
    seen: list[Any] = []

    class Failing:
        def work(self, *args: Any) -> Any:
            return 1

        def store(self, conn: sqlite3.Connection, done: list[Any]) -> None:
            seen.append(conn.execute("SELECT v FROM notes_config WHERE k = 'hashsize'").fetchone())
            raise RuntimeError("a hook failing mid-refresh")

    with Index.open(open_repository(root)) as index:
        with pytest.raises(RuntimeError):
            index.refresh(hook=Failing())
        assert seen == [(index_module.FTS_BULK_HASHSIZE,)]  # it was set in the bulk
        assert index.conn.execute("SELECT count(*) FROM notes_config").fetchone() == (1,)
        index.refresh()  # the next refresh stores every record, as usual
        assert len(index.entries()) == 6
        assert len(index.search(["client"])) == 6
    assert _config(root) == [("version", 4)]


def test_a_bulk_refresh_gives_back_the_pages_the_last_merges_left_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FTS5's merges free the segments they read, and the pages the last ones free are
    reused by no later write of the refresh: the bulk refresh gives them back itself
    (a close gives back only more than 1/GIVE_BACK_SHARE of the file)."""
    root = generate_repo(120, tmp_path / "r")
    monkeypatch.setattr(index_module, "BULK_JOURNAL_MIN", 3)
    monkeypatch.setattr(index_module, "FTS_BULK_HASHSIZE", 65536)  # merges left free pages
    monkeypatch.setattr(index_module, "GIVE_BACK_FREE", 0)
    seen: list[int] = []
    real = index_module._give_back

    def spying(conn: sqlite3.Connection, bulk: bool = False) -> None:
        seen.append(conn.execute("PRAGMA freelist_count").fetchone()[0])
        real(conn, bulk)

    monkeypatch.setattr(index_module, "_give_back", spying)
    with Index.open(open_repository(root)) as index:
        index.refresh()
        assert seen and seen[0] > 0  # the refresh's own give-back found free pages
        assert index.conn.execute("PRAGMA freelist_count").fetchone() == (0,)
        assert len(index.search(["client"], limit=1000)) == 120


def test_after_a_bulk_refresh_any_share_of_free_pages_goes_back(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    conn.execute("PRAGMA page_size=512")
    conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
    conn.execute("CREATE TABLE t (v BLOB)")  # a row a page
    conn.executemany("INSERT INTO t VALUES (?)", [(bytes(400),) for _ in range(24000)])
    conn.execute("DELETE FROM t WHERE rowid <= 300")  # 1/80 of the pages
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    assert free > index_module.GIVE_BACK_FREE and free * index_module.GIVE_BACK_SHARE < pages
    index_module._give_back(conn)  # a close: under the share, kept for reuse
    assert conn.execute("PRAGMA freelist_count").fetchone() == (free,)
    index_module._give_back(conn, bulk=True)
    assert conn.execute("PRAGMA freelist_count").fetchone() == (0,)
    conn.close()


@pytest.mark.parametrize("deleted", [400, 1500])  # 1/60 and 1/16 of the pages
def test_a_close_gives_back_free_pages_past_the_share(tmp_path: Path, deleted: int) -> None:
    """More than 1/GIVE_BACK_SHARE (1/64) of the file free: a close gives it back
    (with 1/16, up to ~18 MB stayed free at 30,000 records: ``.sortext/`` 1.02x the
    records)."""
    conn = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    conn.execute("PRAGMA page_size=512")
    conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
    conn.execute("CREATE TABLE t (v BLOB)")  # a row a page
    conn.executemany("INSERT INTO t VALUES (?)", [(bytes(400),) for _ in range(24000)])
    conn.execute(f"DELETE FROM t WHERE rowid <= {deleted}")
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    assert free > index_module.GIVE_BACK_FREE and free * index_module.GIVE_BACK_SHARE > pages
    index_module._give_back(conn)
    assert conn.execute("PRAGMA freelist_count").fetchone() == (0,)
    assert conn.execute("PRAGMA page_count").fetchone()[0] <= pages - free
    conn.close()
