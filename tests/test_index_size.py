"""The index keeps the notes once and stays smaller than the records.

The class: any sequence of notes written, rewritten and deleted (the stale
path is held by tests/test_index.py).  The contentless notes index must find
exactly the records whose
current (or last valid) name and notes hold every searched word, after any
such sequence (a contentless row is deleted by giving back its values: a
wrong value would leave ghosts); the snippet marks exactly the matching tokens.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.gen_pages import TODAY, generate_repo
from sortext.check.load import parse_record
from sortext.files.state import StateDir
from sortext.repo import open_repository
from sortext.schema.validate import RecordValidator
from sortext.store import index as index_module
from sortext.store.index import Index, searchable
from sortext.store.snippet import fold, make_snippet
from tests.conftest import PROJECT_ROOT

WORDS = ["kiln", "Atelier", "café", "CAFE", "Über", "uber", "résumé", "studio", "mañana", "x1"]
TOKEN = re.compile(r"[^\W_]+")


def _record(name: str, notes: str) -> str:
    return f"---\nname: {name}\nemail: a@example.com\nstage: active\n---\n\n{notes}\n"


def _tokens(text: str) -> set[str]:
    return {fold(t) for t in TOKEN.findall(text)}


def test_state_folder_no_bigger_than_the_records(tmp_path: Path) -> None:
    root = generate_repo(150, tmp_path / "r")
    repo = open_repository(root)
    with Index.open(repo) as index:
        index.refresh()
        tables = {name for (name,) in index.conn.execute("SELECT name FROM sqlite_master")}
        index.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert "notes_content" not in tables  # the notes are not kept a second time
    records = sum(p.stat().st_size for p in (root / "clients").iterdir())
    state = sum(p.stat().st_size for p in (root / ".sortext").glob("index.sqlite*"))
    assert state <= records, (state, records)


def test_snippet_marks_the_words_and_cuts_around_them() -> None:
    text = "One two three four five six seven eight nine ten eleven twelve Studio thirteen"
    assert make_snippet(text, ["studio"], width=5) == "…ten eleven twelve [Studio] thirteen"
    assert make_snippet(text, ["three"], width=4) == "…two [three] four five…"
    assert make_snippet(text, ["six"], width=4) == "…five [six] seven eight…"
    assert make_snippet("A Café, then the café.", ["CAFE"]) == "A [Café], then the [café]."
    assert make_snippet("nothing here", ["zzz"]) == "nothing here"
    assert make_snippet("", ["a"]) == ""


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(st.sampled_from([*WORDS, "plain", "words"]), max_size=30),
    terms=st.lists(st.sampled_from(WORDS), min_size=1, max_size=2),
)
def test_snippet_marks_exactly_the_matching_tokens(words: list[str], terms: list[str]) -> None:
    text = " ".join(words)
    snippet = make_snippet(text, terms, width=40)
    wanted = {fold(t) for t in terms}
    marked = re.findall(r"\[([^\]]+)\]", snippet)
    assert sorted(marked) == sorted(w for w in words if fold(w) in wanted)


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["write", "delete"]),
        st.integers(min_value=0, max_value=4),
        st.lists(st.sampled_from(WORDS), max_size=6),
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=25, deadline=None)
@given(edits=EDITS, query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=2))
def test_search_finds_exactly_the_records_holding_every_word(
    edits: list[tuple[str, int, list[str]]], query: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "clients").mkdir()
        shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
        repo = open_repository(root)
        validator = RecordValidator(repo.config)
        valid: dict[str, str] = {}  # the last valid text of each record, as search sees it
        for action, i, words in edits:
            path = root / "clients" / f"c{i}.md"
            if action == "delete":
                path.unlink(missing_ok=True)
                valid.pop(path.name, None)
            elif action == "break":
                if path.exists():
                    # fails the schema: the last valid version stays searchable (stale)
                    broken = _record(f"Client {i}", " ".join(words))
                    path.write_text(broken.replace("stage: active", "stage: [x]", 1))
            else:
                text = _record(f"Client {i}", " ".join(words))
                path.write_text(text)
                valid[path.name] = text
            os.utime(path.parent, None)
            with Index.open(repo) as index:
                index.refresh()
                hits = index.search(query)
            wanted = {fold(t) for t in query}
            expected = set()
            for name, text in valid.items():
                loaded = parse_record(text.encode(), f"clients/{name}", validator).record
                assert loaded is not None
                tokens = _tokens(searchable(loaded.body, loaded.data))
                if all(any(t.startswith(w) for t in tokens) for w in wanted):  # prefix query
                    expected.add(f"c{name[1:-3]}")
            assert {h.id for h in hits} == expected, (edits, query)
            for hit in hits:
                assert "[" in hit.snippet or not hit.snippet, hit


# -- the whole state folder, and what changes its layout (issue 15: index <= records) ----


def test_the_state_folder_after_a_build_is_no_bigger_than_the_records(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    """What the goal counts (``bench/query_bench.py``): every file under ``.sortext/``
    but the template cache, after a build stored the board, the day book and the
    pages' keys, against the record files' bytes."""
    root = generate_repo(150, tmp_path / "r")
    result = cli("build", "--today", TODAY.isoformat(), "--repo", str(root))
    assert result.exit_code == 0, result.output
    with Index.open(open_repository(root)) as index:
        index.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    state = StateDir(root)
    cache = state.template_cache
    kept = sum(
        p.stat().st_size for p in state.path.rglob("*") if p.is_file() and cache not in p.parents
    )
    records = sum(p.stat().st_size for p in (root / "clients").iterdir())
    assert kept <= records, (kept, records)


# A blob packed with one dictionary cannot be read with another: the dictionary is
# pinned to the layout, so changing it without a new LAYOUT_VERSION fails here.
PACK_DICTS = {"12": "7ae7450a", "13": "7ae7450a", "14": "7ae7450a", "15": "7ae7450a"}


def test_pages_freed_by_rewrites_go_back_to_the_file_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows removed or rewritten (and replies forgotten) free pages; closing the index
    gives them back once they are more than 1/64 of the file, so the state folder does
    not keep its largest size (layout 13: auto_vacuum=INCREMENTAL).  (A small
    repository: the floor of free pages kept is lowered to match.)"""
    monkeypatch.setattr(index_module, "GIVE_BACK_FREE", 16)
    root = generate_repo(150, tmp_path / "r")
    repo = open_repository(root)
    with Index.open(repo) as index:
        index.refresh()
    db = StateDir(root).index
    for path in sorted((root / "clients").glob("*.md"))[30:]:
        path.unlink()
    with Index.open(repo) as index:
        index.refresh()
        removed = index.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    assert removed == 30
    conn = sqlite3.connect(db)
    try:
        mode = conn.execute("PRAGMA auto_vacuum").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    finally:
        conn.close()
    assert mode == 2  # incremental
    assert free <= max(index_module.GIVE_BACK_FREE, pages // index_module.GIVE_BACK_SHARE), (
        free,
        pages,
    )


def test_the_blob_dictionary_is_pinned_to_the_layout() -> None:
    digest = hashlib.sha256(index_module.PACK_DICT).hexdigest()[:8]
    assert PACK_DICTS.get(index_module.LAYOUT_VERSION) == digest, (
        "PACK_DICT changed: give the index a new LAYOUT_VERSION and pin the pair here",
        index_module.LAYOUT_VERSION,
        digest,
    )


def test_an_index_of_layout_11_is_rebuilt_and_a_view_dropped_when_the_layout_changes(
    tmp_path: Path,
) -> None:
    """Layout 11 kept ``day_invoices`` as a table (12: a view over two tables) and its
    blobs without the preset dictionary.  Such an index is emptied and rebuilt, read
    the same as a new one; and an index of this layout, whose ``day_invoices`` is a
    view, is emptied just as well when its fingerprint changes."""
    root = generate_repo(12, tmp_path / "r")
    repo = open_repository(root)
    with Index.open(repo) as index:
        index.refresh()
        expected = [(e.path, e.record, e.diagnostics) for e in index.entries()]
        hits = [(h.id, h.snippet) for h in index.search(["session"])]
    db = StateDir(root).index
    for layout in ("11", "12"):
        conn = sqlite3.connect(db)
        with conn:
            value = conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()[0]
            old = f"{layout}:" + value.split(":", 1)[1]
            if layout == "12":
                old += "-another-config"
            else:
                conn.execute("DROP VIEW day_invoices")
                conn.execute(
                    "CREATE TABLE day_invoices (path TEXT NOT NULL, record_id TEXT NOT NULL, "
                    "name TEXT NOT NULL, owner TEXT, invoice TEXT NOT NULL, amount REAL "
                    "NOT NULL, currency TEXT NOT NULL, status TEXT, issued TEXT, "
                    "paid_on TEXT, due TEXT)"
                )
                conn.execute("CREATE INDEX day_invoices_path ON day_invoices (path)")
                # an old blob: zlib without the dictionary
                conn.execute("UPDATE records SET doc = ?", (zlib.compress(b'{"a":1}\0x'),))
            conn.execute("UPDATE meta SET value = ? WHERE key = 'fingerprint'", (old,))
        conn.close()
        with Index.open(repo) as index:
            stats = index.refresh()
            assert stats.rebuilt and stats.parsed == len(expected), layout
            assert [(e.path, e.record, e.diagnostics) for e in index.entries()] == expected
            assert [(h.id, h.snippet) for h in index.search(["session"])] == hits
            kinds = dict(index.conn.execute("SELECT name, type FROM sqlite_master"))
            assert kinds["day_invoices"] == "view" and kinds["day_inv"] == "table"


# -- the notes index after any edits equals a fresh one ----------------------------------

FIELD_EDITS = st.lists(
    st.tuples(
        st.sampled_from(["write", "write", "delete", "break"]),
        st.integers(min_value=0, max_value=5),
        st.lists(st.sampled_from(WORDS), max_size=6),
        st.sampled_from(["", "Studio", "Kiln Atelier"]),
    ),
    min_size=1,
    max_size=12,
)


def _answers(index: Index, queries: list[list[str]]) -> list[list[tuple[str, str, str, str]]]:
    return [[(h.id, h.name, h.path, h.snippet) for h in index.search(q)] for q in queries]


@settings(max_examples=25, deadline=None)
@given(edits=FIELD_EDITS)
def test_search_after_edits_answers_as_a_fresh_index(
    edits: list[tuple[str, int, list[str], str]],
) -> None:
    """Whatever sequence of writes, rewrites (notes and a text field), breaks (the last
    valid version stays searchable) and deletions an index has seen, every search
    answers as an index built from scratch from the same files: same clients, same
    order (the rank), same names, paths and snippets.  A contentless row deleted with
    the wrong values would leave words behind that a fresh index does not have."""
    queries = [[w] for w in WORDS] + [["kiln", "studio"], ["x1", "café"]]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "clients").mkdir()
        shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
        repo = open_repository(root)
        for action, i, words, company in edits:
            path = root / "clients" / f"c{i}.md"
            text = _record(f"Client {i}", " ".join(words))
            if company:
                text = text.replace("stage: active\n", f"stage: active\ncompany: {company}\n")
            if action == "delete":
                path.unlink(missing_ok=True)
            elif action == "break":
                if path.exists():
                    path.write_text(text.replace("stage: active", "stage: [x]", 1))
            else:
                path.write_text(text)
            os.utime(path.parent, None)
            with Index.open(repo) as index:
                index.refresh()
        with Index.open(repo) as index:
            index.refresh()
            edited = _answers(index, queries)
        # a fresh index cannot hold the last valid version of a broken file: compare
        # with it only the files that are valid now (the stale ones are held above)
        broken = [p for p in (root / "clients").iterdir() if "[x]" in p.read_text()]
        for path in broken:
            path.unlink()
        with Index.open(repo) as index:
            index.refresh()
            now = _answers(index, queries)
        shutil.rmtree(root / ".sortext")
        with Index.open(repo) as index:
            index.refresh()
            fresh = _answers(index, queries)
        assert now == fresh, edits
        if not broken:
            assert edited == fresh, edits


def test_a_finding_kept_without_its_client_reads_back_whole() -> None:
    """A finding or goal is stored without the client's id and name when they are its
    record's (the reader takes them from ``assessed``); one that names another client
    is stored whole; both read back equal; a finding no query reads is not stored."""
    from types import SimpleNamespace

    from sortext.check.load import Record
    from sortext.rules.findings import Finding, GoalStatus
    from sortext.store import board

    record = Record("clients/a.md", "a", {"name": "Ann A", "stage": "active"}, "", 1)
    own = Finding("a", "Ann A", "invoice_overdue", "error", "late", "2026-01-02", None, 5.0, "EUR")
    other = Finding(
        "b", "Bob B", "invoice_overdue", "error", "late", "2026-01-01", None, 7.0, "EUR"
    )
    unread = Finding("a", "Ann A", "next_soon", "info", "soon", "2026-01-03")
    goal = GoalStatus(
        "a",
        "Ann A",
        "g",
        "Goal",
        "m",
        1.0,
        2.0,
        None,
        (("2026-01-01", 1.5),),
        50.0,
        "progressing",
        "half",
    )
    assessment = SimpleNamespace(
        record=record, next=None, findings=[own, other, unread], goals=[goal]
    )
    conn = sqlite3.connect(":memory:")
    conn.executescript(board.SCHEMA)
    board.store(conn, [board.to_rows(record.path, "k", assessment, True)])
    assert conn.execute("SELECT count(*) FROM findings").fetchone()[0] == 2
    top = board.findings_top(conn, "invoice_overdue", 10)
    assert list(top) == [other, own]
    assert list(board.goals_top(conn, "progressing", 10)) == [goal]
    assert board.open_risks(conn, {"invoice_overdue"}) == {"a": [other, own]}
    assert board.overdue_totals(conn) == [("EUR", 12.0)]
