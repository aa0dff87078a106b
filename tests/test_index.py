"""The SQLite index: incremental, self-repairing, keeps the last valid version."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.repo import Repository, open_repository
from sortext.store import index as index_module
from sortext.store.index import Index

MINIMAL = """---
name: {name}
stage: inquiry
next_action: {{what: Reply, due: 2026-12-01}}
---

{body}
"""


@pytest.fixture
def repo(records_repo: Path) -> Repository:
    return open_repository(records_repo)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Count real parses: every call of parse_record made by the index."""
    seen: list[str] = []
    real = index_module.parse_record

    def counting(raw: bytes, display: str, validator: object) -> object:
        seen.append(display)
        return real(raw, display, validator)  # type: ignore[arg-type]

    monkeypatch.setattr(index_module, "parse_record", counting)
    yield seen


def _age_files(repo: Repository, seconds: int = 60) -> None:
    """Move every record's mtime into the past, as on a real disk after a while."""
    for path in repo.record_paths():
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 10**9))


def test_cold_then_warm_then_one_change(repo: Repository, parses: list[str]) -> None:
    _age_files(repo)
    count = len(repo.record_paths())
    with Index.open(repo) as ix:
        stats = ix.refresh()
    assert stats.parsed == count == len(parses)
    parses.clear()
    with Index.open(repo) as ix:
        assert ix.refresh().parsed == 0
    assert parses == []
    path = repo.record_path("amara-okafor")
    path.write_text(path.read_text().replace("Amara Okafor", "Amara O. Okafor", 1))
    with Index.open(repo) as ix:
        stats = ix.refresh()
        names = {r.id: r.name for r in ix.records()}
    assert parses == ["clients/amara-okafor.md"]
    assert stats.changed == ["clients/amara-okafor.md"]
    assert names["amara-okafor"] == "Amara O. Okafor"


def test_same_stat_different_bytes_is_caught_by_hash(repo: Repository) -> None:
    """A rewrite within the same mtime tick and with the same size is still seen."""
    path = repo.record_path("amara-okafor")
    now = time.time_ns()
    os.utime(path, ns=(now, now))  # written just now: the index cannot trust its stat
    with Index.open(repo) as ix:
        ix.refresh()
    before = path.stat()
    path.write_text(path.read_text().replace("Amara Okafor", "Amara Okafoo", 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    with Index.open(repo) as ix:
        stats = ix.refresh()
        rec = ix.entry_for("amara-okafor")
    assert stats.parsed == 1
    assert rec is not None and rec.record is not None and rec.record.name == "Amara Okafoo"


def test_deleted_and_added_files(repo: Repository) -> None:
    with Index.open(repo) as ix:
        ix.refresh()
    repo.record_path("jonas-weber").unlink()
    repo.record_path("zoe-new").write_text(MINIMAL.format(name="Zoe New", body="hello"))
    with Index.open(repo) as ix:
        stats = ix.refresh()
        ids = {r.id for r in ix.records()}
    assert stats.removed == 1 and stats.parsed == 1
    assert "jonas-weber" not in ids and "zoe-new" in ids


def test_garbage_index_is_rebuilt(repo: Repository) -> None:
    with Index.open(repo) as ix:
        ix.refresh()
    db = repo.root / ".sortext" / "index.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"this is not a database\n" * 100)
    with Index.open(repo) as ix:
        stats = ix.refresh()
        count = len(ix.records())
    assert stats.rebuilt
    assert stats.parsed == count == len(repo.record_paths())


def test_an_index_of_the_previous_layout_is_rebuilt_not_misread(repo: Repository) -> None:
    """Layout 10 kept a record's JSON and notes in two columns (``data``, ``body``);
    layout 11 keeps them in one blob.  An index left by the old layout is emptied and
    rebuilt (the fingerprint starts with the layout), read the same as a new one, and
    its dropped tables' pages are given back."""
    with Index.open(repo) as ix:
        ix.refresh()
        expected = [(e.path, e.record, e.diagnostics) for e in ix.entries()]
        hits = [h.id for h in ix.search(["the"])]
    db = repo.root / ".sortext" / "index.sqlite"
    conn = sqlite3.connect(db)
    with conn:
        fingerprint = conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        assert fingerprint[0].startswith(f"{index_module.LAYOUT_VERSION}:")
        old = "10:" + fingerprint[0].split(":", 1)[1]
        conn.execute("UPDATE meta SET value = ? WHERE key = 'fingerprint'", (old,))
        conn.execute("DROP TABLE records")
        conn.execute(
            "CREATE TABLE records (path TEXT PRIMARY KEY, data BLOB, body BLOB, "
            "body_line INTEGER, diagnostics TEXT NOT NULL, note INTEGER, name TEXT)"
        )
        conn.executemany(
            "INSERT INTO records VALUES (?, zeroblob(4000), NULL, 1, '[]', NULL, '')",
            [(f"junk-{i}",) for i in range(200)],
        )
    conn.close()
    with Index.open(repo) as ix:
        # the old tables' pages were given back before anything is stored again
        assert ix.conn.execute("PRAGMA freelist_count").fetchone()[0] < 10
        stats = ix.refresh()
        assert stats.rebuilt and stats.parsed == len(repo.record_paths())
        assert [(e.path, e.record, e.diagnostics) for e in ix.entries()] == expected
        assert [h.id for h in ix.search(["the"])] == hits
        columns = [row[1] for row in ix.conn.execute("PRAGMA table_info(records)")]
        assert "doc" in columns and "data" not in columns


def test_a_record_round_trips_through_its_stored_blob(repo: Repository) -> None:
    """What the index keeps of a record (JSON and notes in one blob) reads back as the
    parse gave it, notes with NULs and braces included."""
    data_json, body = index_module._unpack_doc(
        index_module._pack_doc('{"a":"x\\u0000y"}', "notes {with} \x00 a NUL\n")
    )
    assert data_json == '{"a":"x\\u0000y"}' and body == "notes {with} \x00 a NUL\n"


@pytest.mark.parametrize("verify", [True, False])
def test_damaged_pages_are_detected_and_rebuilt(repo: Repository, verify: bool) -> None:
    """quick_check finds it on a verified open; otherwise SQLite's read error does."""
    with Index.open(repo) as ix:
        ix.refresh()
        ix.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db = repo.root / ".sortext" / "index.sqlite"
    data = bytearray(db.read_bytes())
    page = 4096
    for i in range(page + 100, min(len(data), 3 * page)):
        data[i] = 0xA5  # scribble over the second and third pages, keep the header
    db.write_bytes(bytes(data))
    with Index.open(repo, verify=verify) as ix:
        stats = ix.refresh()
        assert len(ix.records()) == len(repo.record_paths())
    assert stats.rebuilt


def test_config_change_invalidates(repo: Repository, records_repo: Path) -> None:
    with Index.open(repo) as ix:
        ix.refresh()
    config = records_repo / "sortext.yaml"
    text = config.read_text().replace("people: [maya, theo]", "people: [maya, theo, ada]")
    config.write_text(text)
    changed = open_repository(records_repo)
    with Index.open(changed) as ix:
        stats = ix.refresh()
    assert stats.rebuilt and stats.parsed == len(changed.record_paths())


def test_invalid_edit_keeps_last_valid_version_flagged_stale(repo: Repository) -> None:
    path = repo.record_path("amara-okafor")
    good = path.read_text()
    with Index.open(repo) as ix:
        ix.refresh()
    path.write_text(good.replace("stage: active", "stage: [not, a, stage]", 1))
    with Index.open(repo) as ix:
        ix.refresh()
        entry = ix.entry_for("amara-okafor")
        usable = {r.id for r in ix.records()}
        errors = [d for d in ix.diagnostics() if d.is_error]
    assert entry is not None and entry.stale and not entry.ok
    assert entry.record is not None and entry.record.stage == "active"
    assert "amara-okafor" in usable
    assert errors and errors[0].path == "clients/amara-okafor.md" and errors[0].field == "stage"
    path.write_text(good)
    with Index.open(repo) as ix:
        ix.refresh()
        entry = ix.entry_for("amara-okafor")
    assert entry is not None and entry.ok and not entry.stale and entry.diagnostics == []


def test_broken_new_file_is_reported_not_used(repo: Repository) -> None:
    repo.record_path("broken").write_bytes(b"---\nname: [unclosed\n---\n")
    with Index.open(repo) as ix:
        ix.refresh()
        ids = {r.id for r in ix.records()}
        entries = {e.path: e for e in ix.entries()}
    assert "broken" not in ids
    assert entries["clients/broken.md"].record is None
    assert entries["clients/broken.md"].diagnostics


def test_search_with_snippet(repo: Repository) -> None:
    with Index.open(repo) as ix:
        ix.refresh()
        hits = ix.search(["studio", "manager"])
        none = ix.search(["zzzzqqq"])
    assert [h.id for h in hits][:1] == ["amara-okafor"]
    assert "[studio]" in hits[0].snippet and "[manager]" in hits[0].snippet
    assert none == []


def test_search_follows_edits_stale_versions_and_deletes(repo: Repository) -> None:
    path = repo.record_path("amara-okafor")
    good = path.read_text()

    def found(word: str) -> list[str]:
        with Index.open(repo) as ix:
            ix.refresh()
            return [h.id for h in ix.search([word])]

    assert found("architecture") == ["amara-okafor"]
    edited = good.replace("architecture", "atelier")
    path.write_text(edited)
    assert (found("architecture"), found("atelier")) == ([], ["amara-okafor"])
    # Broken now: search keeps the last valid notes, as the pages do.
    path.write_text(edited.replace("stage: active", "stage: [x]", 1).replace("atelier", "kiln"))
    assert (found("atelier"), found("kiln")) == (["amara-okafor"], [])
    path.unlink()
    assert found("atelier") == []


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.lists(st.text(min_size=0, max_size=12), min_size=0, max_size=4))
def test_search_never_fails_on_any_words(repo: Repository, words: list[str]) -> None:
    with Index.open(repo) as ix:
        ix.refresh()
        try:
            hits = ix.search(words)
        except sqlite3.OperationalError as exc:  # pragma: no cover - the assertion shows it
            pytest.fail(f"search({words!r}) raised {exc}")
    assert all(h.path.startswith("clients/") for h in hits)


def test_refresh_only_named_files(repo: Repository, parses: list[str]) -> None:
    _age_files(repo)
    with Index.open(repo) as ix:
        ix.refresh()
    parses.clear()
    amara, bruno = repo.record_path("amara-okafor"), repo.record_path("bruno-castellanos")
    amara.write_text(amara.read_text().replace("Amara Okafor", "Amara O.", 1))
    bruno.write_text(bruno.read_text().replace("stage:", "stage: ", 1))
    repo.record_path("chiara-bellini").unlink()
    with Index.open(repo) as ix:
        stats = ix.refresh(only=["amara-okafor.md", "chiara-bellini.md", "../sortext.yaml"])
        ids = {r.id for r in ix.records()}
    assert parses == ["clients/amara-okafor.md"]  # bruno was not looked at
    assert stats.changed == ["clients/amara-okafor.md", "clients/chiara-bellini.md"]
    assert "chiara-bellini" not in ids and "bruno-castellanos" in ids
    with Index.open(repo) as ix:
        assert ix.refresh().changed == ["clients/bruno-castellanos.md"]  # a full look finds it
