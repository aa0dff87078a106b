"""The index keeps the notes once and stays smaller than the records.

The class: any sequence of notes written, rewritten and deleted (the stale
path is held by tests/test_index.py).  The contentless notes index must find
exactly the records whose
current (or last valid) name and notes hold every searched word, after any
such sequence (a contentless row is deleted by giving back its values: a
wrong value would leave ghosts); the snippet marks exactly the matching tokens.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.gen_pages import generate_repo
from sortext.check.load import parse_record
from sortext.repo import open_repository
from sortext.schema.validate import RecordValidator
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
