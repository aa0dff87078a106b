"""What the index gives back of a record is what the parse gives, and why the notes stay in it.

The index keeps each record's front matter (as JSON) and notes in one compressed
blob (``records.doc``).  Issue 15 (round 11) asked whether the notes could stay out
of it and be read from the record file when needed; they cannot (see "The record
blob" in docs/performance.md): the contentless notes index deletes a row only when
given back the exact text it indexed, and a file changed or deleted behind the
index's back no longer holds that text; a record whose file is broken now keeps its
last valid notes, which its file no longer holds.  These tests hold the class any
change to the blob must keep:

- for generated record files (LF or CRLF, with or without a byte-order mark, with no
  notes, empty or blank notes, notes without a final newline), the record the index
  gives back equals the parse of the same bytes: data, notes, body line;
- a file replaced behind the index's back by one of the same size with its mtime put
  back is read again: the entry is the parse of the new bytes, and the search forgets
  the old words (its old notes, gone from the disk, came from the index);
- a file broken after it was indexed keeps its last valid notes in the entry and in
  the search, which the file no longer holds.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.check.load import parse_record
from sortext.repo import open_repository
from sortext.schema.validate import RecordValidator
from sortext.store.index import Index
from tests.conftest import PROJECT_ROOT

BOM = b"\xef\xbb\xbf"
OLD, NEW = "zqxold", "zqxnew"  # the same length: a replacement keeps the file's size

NOTES = st.one_of(
    st.none(),  # the file ends at its closing fence
    st.just(""),
    st.just("   \n\n"),
    st.lists(
        st.text(alphabet="ab Éé{}#*-\t\r" + "\u03a9", max_size=20), min_size=1, max_size=5
    ).map("\n".join),
)
FILES = st.lists(
    st.tuples(
        NOTES,
        st.booleans(),  # CRLF line endings
        st.booleans(),  # a byte-order mark
        st.booleans(),  # a final newline after the notes
        st.sampled_from(["", "company: Kiln Atelier\n", "tags: [a, b]\n"]),
    ),
    min_size=1,
    max_size=4,
)


def _file(i: int, notes: str | None, crlf: bool, bom: bool, final: bool, extra: str) -> bytes:
    text = (
        f"---\nname: Client {i}\nemail: c{i}@example.com\nstage: inquiry\n"
        f"next_action: {{what: Reply, due: 2026-12-01}}\n{extra}---\n"
    )
    if notes is not None:
        text += f"\n{OLD} {notes}" + ("\n" if final else "")
    if crlf:
        text = text.replace("\n", "\r\n")
    return (BOM if bom else b"") + text.encode("utf-8")


def _same_as_parse(index: Index, validator: RecordValidator, root: Path, name: str) -> None:
    display = f"clients/{name}"
    raw = (root / display).read_bytes()
    parsed = parse_record(raw, display, validator).record
    entry = index.entry_at(display)
    if parsed is None:
        assert entry.record is None, display
        return
    got = entry.record
    assert got is not None, display
    assert (got.path, got.id, got.data, got.body, got.body_line) == (
        parsed.path,
        parsed.id,
        parsed.data,
        parsed.body,
        parsed.body_line,
    ), display


@settings(max_examples=40, deadline=None)
@given(files=FILES)
def test_the_index_gives_back_what_the_parse_gives_even_after_a_change_behind_its_back(
    files: list[tuple[str | None, bool, bool, bool, str]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "clients").mkdir()
        shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
        repo = open_repository(root)
        validator = RecordValidator(repo.config)
        names = []
        for i, spec in enumerate(files):
            path = root / "clients" / f"c{i}.md"
            path.write_bytes(_file(i, *spec))
            names.append(path.name)
        with Index.open(repo) as index:
            index.refresh()
            for name in names:
                _same_as_parse(index, validator, root, name)
        # each file replaced by one of the same size, its mtime put back: only its
        # ctime (too recent to trust) and then its bytes tell the index
        for name in names:
            path = root / "clients" / name
            before = path.stat()
            raw = path.read_bytes()
            path.write_bytes(raw.replace(OLD.encode(), NEW.encode()))
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
            assert path.stat().st_size == before.st_size
        with Index.open(repo) as index:
            index.refresh()
            for name in names:
                _same_as_parse(index, validator, root, name)
            with_notes = {f"c{i}" for i, spec in enumerate(files) if spec[0] is not None}
            assert index.search([OLD]) == []
            assert {hit.id for hit in index.search([NEW])} == with_notes


def test_a_broken_file_keeps_its_last_valid_notes_which_the_file_no_longer_holds(
    tmp_path: Path,
) -> None:
    root = tmp_path / "r"
    (root / "clients").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
    repo = open_repository(root)
    path = root / "clients" / "c0.md"
    path.write_bytes(_file(0, "kiln notes", True, True, True, ""))
    with Index.open(repo) as index:
        index.refresh()
        valid = index.entry_at("clients/c0.md").record
    assert valid is not None and "kiln notes" in valid.body
    broken = _file(0, "atelier notes", True, True, True, "")
    path.write_bytes(broken.replace(b"stage: inquiry", b"stage: [x]", 1))
    now = time.time_ns()
    os.utime(path, ns=(now, now))
    with Index.open(repo) as index:
        index.refresh()
        entry = index.entry_at("clients/c0.md")
        assert entry.stale and entry.record is not None
        assert entry.record.body == valid.body and b"kiln" not in path.read_bytes()
        assert [hit.id for hit in index.search(["kiln"])] == ["c0"]
        assert index.search(["atelier"]) == []
    path.unlink()
    with Index.open(repo) as index:
        index.refresh()
        assert index.search([OLD]) == [] and index.search(["kiln"]) == []
