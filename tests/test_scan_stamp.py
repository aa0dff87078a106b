"""The change finder (sortext/store/scan.py): one stat pass compared with one stamp
names every file the comparison of every file's stored stat names (issue 15).

The property test drives a real clients folder through generated edits (in place,
same size, the mtime put back as ``touch -d`` and ``cp -p`` do, renames in, out and
over, deletes, creates, chmod, several writes in one clock tick) and refreshes,
and holds ``Index.stat_changes()`` (the stamp) equal to
``Index.stat_changes(stamp=False)`` (every file) after each step.  The racy window
is shortened to 50 ms in it (file clocks here tick in a few ms) so that a step can
let it pass without the test sleeping for seconds; both paths use the same window.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.repo import open_repository
from sortext.store import scan
from sortext.store.index import Index
from tests.conftest import PROJECT_ROOT

WINDOW_NS = 50_000_000
# a name not in UTF-8 too (the index cannot hold it; the finder must not choke on it)
NAMES = ["a.md", "b.md", "c.md", "d.md", "notes.txt", ".hidden.md", os.fsdecode(b"e\xff.md")]


def _record(n: int, pad: int = 0) -> bytes:
    return (
        f"---\nid: client-{n}\nname: Client {n}\nstage: active\n---\n\nNote {n}.{'x' * pad}\n"
    ).encode()


@pytest.fixture
def short_window(monkeypatch: pytest.MonkeyPatch) -> None:
    import sortext.store.index as index_module

    monkeypatch.setattr(scan, "RACY_WINDOW_NS", WINDOW_NS)
    monkeypatch.setattr(index_module, "RACY_WINDOW_NS", WINDOW_NS)


def _repo(base: Path) -> Path:
    root = base / "records"
    (root / "clients").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml", root / "sortext.yaml")
    for n, name in enumerate(NAMES[:3]):
        (root / "clients" / name).write_bytes(_record(n))
    return root


def _let_window_pass() -> None:
    end = time.time_ns() + WINDOW_NS + 5_000_000
    while time.time_ns() < end:  # the clock passing a moment, not an event awaited
        time.sleep(0.005)


name_st = st.sampled_from(NAMES)
step_st = st.one_of(
    st.tuples(st.just("write"), name_st, st.integers(0, 40)),  # in place, any size
    st.tuples(st.just("same_size"), name_st),  # in place, same size, maybe same tick
    st.tuples(st.just("touch_back"), name_st),  # bytes changed, mtime put back (touch -d)
    st.tuples(st.just("cp_p"), name_st, name_st),  # cp -p: bytes and mtime of another
    st.tuples(st.just("rename_in"), name_st),  # an atomic save: new inode at the name
    st.tuples(st.just("rename_out"), name_st),
    st.tuples(st.just("rename_over"), name_st, name_st),  # mv x y
    st.tuples(st.just("delete"), name_st),
    st.tuples(st.just("create"), name_st),
    st.tuples(st.just("chmod"), name_st),
    st.tuples(st.just("touch_all")),  # every file's ctime in (about) one tick: touch clients/*
    st.tuples(st.just("future"), name_st),  # touch -d with a date to come
    st.tuples(st.just("pass_window")),
    st.tuples(st.just("refresh")),  # every file (a query's refresh)
    st.tuples(st.just("build")),  # stat_changes(), then refresh(only=those): a build's
)


def _apply(step: tuple[object, ...], clients: Path, aside: Path, index: Index) -> None:
    kind = step[0]
    path = clients / str(step[1]) if len(step) > 1 else clients
    if kind == "write" and path.exists():
        with open(path, "r+b") as handle:
            handle.write(_record(7, int(str(step[2]))))
            handle.truncate()
    elif kind == "same_size" and path.exists():
        data = bytearray(path.read_bytes())
        if data:
            data[-2] = ord("y") if data[-2] != ord("y") else ord("z")
            with open(path, "r+b") as handle:
                handle.write(bytes(data))
    elif kind == "touch_back" and path.exists():
        before = path.stat()
        old = path.read_bytes()
        path.write_bytes(old[:-2] + (b"q\n" if old[-2:] != b"q\n" else b"r\n"))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    elif kind == "cp_p":
        source = clients / str(step[2])
        if source.exists() and source != path:
            shutil.copy2(source, path)
    elif kind == "rename_in":
        temp = aside / "incoming"
        temp.write_bytes(_record(9, len(step[1]) if isinstance(step[1], str) else 0))
        os.replace(temp, path)
    elif kind == "rename_out" and path.exists():
        os.replace(path, aside / f"out-{time.time_ns()}")
    elif kind == "rename_over":
        target = clients / str(step[2])
        if path.exists() and path != target:
            os.replace(path, target)
    elif kind == "delete" and path.exists():
        path.unlink()
    elif kind == "create" and not path.exists():
        path.write_bytes(_record(5))
    elif kind == "chmod" and path.exists():
        path.chmod(0o600 if path.stat().st_mode & 0o077 else 0o644)
    elif kind == "touch_all":
        for entry in clients.iterdir():
            entry.chmod(entry.stat().st_mode)
    elif kind == "future" and path.exists():
        later = time.time_ns() + 3600 * 10**9
        os.utime(path, ns=(later, later))
    elif kind == "pass_window":
        _let_window_pass()
    elif kind == "refresh":
        index.refresh()
    elif kind == "build":
        index.refresh(only=index.stat_changes())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step_st, min_size=1, max_size=14))
def test_the_stamp_names_what_every_file_comparison_names(
    short_window: None, steps: list[tuple[object, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = _repo(Path(tmp))
        aside = Path(tmp) / "aside"
        aside.mkdir()
        with Index.open(open_repository(root)) as index:
            index.refresh()  # the first pass leaves the stamp
            for step in steps:
                _apply(step, root / "clients", aside, index)
                assert _look(index) is not None  # the stamp is in use, not bypassed
                fast = index.stat_changes()
                slow = index.stat_changes(stamp=False)
                assert fast == slow, (step, fast, slow)


def _look(index: Index) -> scan.Pass | None:
    return scan.look(index.conn, index.repo.clients_path, "clients")


@pytest.fixture
def indexed(tmp_path: Path, short_window: None) -> Iterator[Index]:
    root = _repo(tmp_path)
    with Index.open(open_repository(root)) as index:
        index.refresh()
        _let_window_pass()
        # the folder's ctime later than every file's: the files' clock had passed them
        # all when the next pass began (the file changed last stays a candidate otherwise)
        os.utime(index.repo.clients_path)
        with index.conn:
            scan.forget(index.conn)
        index.refresh()  # a full pass past the window: a clean stamp, nothing named
        assert _look(index) is not None and _look(index).clean  # type: ignore[union-attr]
        yield index


def test_a_clean_stamp_names_nothing_and_an_edit_names_its_file(indexed: Index) -> None:
    path = indexed.repo.clients_path / "b.md"
    before = path.stat()
    data = path.read_bytes()
    path.write_bytes(data[:-2] + b"!\n")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # touch -d: mtime put back
    found = _look(indexed)
    assert found is not None and found.candidates == ["b.md"]
    assert indexed.stat_changes() == indexed.stat_changes(stamp=False) == ["b.md"]


def test_records_stored_without_a_pass_make_the_stamp_unusable(indexed: Index) -> None:
    (indexed.repo.clients_path / "a.md").write_bytes(_record(1, 9))
    indexed.refresh(only=["a.md"])  # as the watcher stores a save it saw: no pass
    assert _look(indexed) is None  # the generation moved
    assert indexed.stat_changes() == indexed.stat_changes(stamp=False)
    indexed.refresh()  # a full pass leaves a new stamp
    assert _look(indexed) is not None


def test_another_clients_folder_makes_the_stamp_unusable(indexed: Index) -> None:
    clients = indexed.repo.clients_path
    os.replace(clients, clients.with_name("clients-old"))
    shutil.copytree(clients.with_name("clients-old"), clients)  # same names, sizes, mtimes
    assert _look(indexed) is None
    assert indexed.stat_changes() == indexed.stat_changes(stamp=False)


def test_a_clock_behind_the_stamp_makes_it_unusable(
    indexed: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Behind:
        @staticmethod
        def time_ns() -> int:
            return time.time_ns() - 3600 * 10**9

        @staticmethod
        def monotonic_ns() -> int:
            return time.monotonic_ns()

    monkeypatch.setattr(scan, "time", Behind)
    assert _look(indexed) is None


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE meta SET value = '{' WHERE key = 'scan_stamp'",
        "UPDATE meta SET value = '[1, 2]' WHERE key = 'scan_stamp'",
        "UPDATE meta SET value = X'00' WHERE key = 'scan_stamp'",
        "DELETE FROM meta WHERE key = 'scan_stamp'",
    ],
)
def test_a_damaged_or_missing_stamp_is_not_used_and_is_written_again(
    indexed: Index, damage: str
) -> None:
    with indexed.conn:
        indexed.conn.execute(damage)
    assert _look(indexed) is None
    (indexed.repo.clients_path / "c.md").write_bytes(_record(3, 5))
    assert indexed.stat_changes() == indexed.stat_changes(stamp=False) == ["c.md"]
    indexed.refresh()
    assert _look(indexed) is not None


def test_damaged_entries_are_not_used_when_the_names_moved(indexed: Index) -> None:
    with indexed.conn:
        indexed.conn.execute("UPDATE meta SET value = X'0102' WHERE key = 'scan_entries'")
    assert _look(indexed) is not None  # the names did not move: the entries are not read
    (indexed.repo.clients_path / "d.md").write_bytes(_record(4))
    assert _look(indexed) is None
    assert indexed.stat_changes() == indexed.stat_changes(stamp=False) == ["d.md"]


def test_a_rebuilt_index_has_no_stamp(indexed: Index) -> None:
    stamp = indexed.meta(scan.STAMP_KEY)
    assert stamp is not None and json.loads(stamp)["folder"] == "clients"
    with indexed.conn:
        indexed.conn.execute("UPDATE meta SET value = 'other' WHERE key = 'fingerprint'")
    with Index.open(indexed.repo) as fresh:  # another layout or schema: emptied
        assert fresh.meta(scan.STAMP_KEY) is None
        assert scan.look(fresh.conn, fresh.repo.clients_path, "clients") is None


def test_the_stamp_is_not_rewritten_when_nothing_was_named(indexed: Index) -> None:
    before = indexed.meta(scan.STAMP_KEY)
    indexed.refresh()
    indexed.refresh(only=indexed.stat_changes())
    assert indexed.meta(scan.STAMP_KEY) == before
    assert isinstance(sqlite3.sqlite_version, str)


def test_a_reply_kept_beside_a_candidate_is_not_replayed_once_it_changes(
    cli: Callable[..., Result], records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file changed after the stamp (here its mode set again: its ctime moves, its
    bytes do not) stays a candidate while it proves unchanged; a query's answer kept
    under that stamp holds the file's stat in its key, so an edit that keeps its size
    and mtime is answered afresh, byte for byte what a query with no state answers."""
    import sortext.store.index as index_module
    import sortext.views.recall as recall
    from tests.test_query_recall import DAY, NORTHWIND, _dated, _remembered, _run
    from tests.test_recall_break import _same_size_same_mtime, _scratch

    for module in (scan, index_module, recall):
        monkeypatch.setattr(module, "RACY_WINDOW_NS", WINDOW_NS)
    root = _dated(records_repo)
    path = root / NORTHWIND
    assert cli("build", *DAY, "--repo", str(root)).exit_code == 0
    path.chmod(path.stat().st_mode)
    _let_window_pass()
    with Index.open(open_repository(root)) as index:
        found = _look(index)
        # (the files _dated touched after the folder last changed are candidates too:
        # a full pass's stamp knows the files' clock had reached the folder's ctime only)
        assert found is not None and path.name in (found.candidates or ())
    first = _run(cli, root, "list", *DAY)
    assert _run(cli, root, "list", *DAY) == first and _remembered(root) == 1  # replayed
    _same_size_same_mtime(path, b"name: Northwind Bakery", b"name: Northwind Bakerz")
    again = _run(cli, root, "list", *DAY)
    assert again == _scratch(cli, root, "list", *DAY)
    assert "Northwind Bakerz" in again[0]


def test_a_subfolder_does_not_rewrite_the_stamp_at_every_refresh(indexed: Index) -> None:
    """A folder in the clients folder is always a candidate (not a regular file); it
    must not make every refresh write a new stamp (the quick queries' key holds it)."""
    (indexed.repo.clients_path / "attachments").mkdir()
    indexed.refresh()  # the names moved: a new stamp
    stamp = indexed.meta(scan.STAMP_KEY)
    found = _look(indexed)
    assert found is not None and found.candidates == ["attachments"]
    indexed.refresh()
    indexed.refresh(only=indexed.stat_changes())
    assert indexed.meta(scan.STAMP_KEY) == stamp


def test_many_files_touched_leave_a_new_stamp(indexed: Index) -> None:
    """Past RESTAMP_AFTER unchanged candidates (``touch clients/*``), a refresh leaves a
    new stamp, so that later passes do not compare them all again (here their mode set
    again: the ctime moves, nothing else).  The first new stamp knows the files' clock
    had reached only the ctimes seen before its pass (the touched files stay
    candidates: still past RESTAMP_AFTER), the second the ctimes the first pass saw:
    here a.md's, set again after the others (the files changed in the tick the files'
    clock was last seen at stay candidates under every stamp)."""
    clients = indexed.repo.clients_path
    for n in range(scan.RESTAMP_AFTER + 2):
        (clients / f"extra-{n:03d}.md").write_bytes(_record(100 + n))
    indexed.refresh()
    _let_window_pass()
    for path in clients.iterdir():
        path.chmod(path.stat().st_mode)
    found = _look(indexed)
    assert found is not None and len(found.candidates or ()) > scan.RESTAMP_AFTER
    _let_window_pass()
    (clients / "a.md").chmod((clients / "a.md").stat().st_mode)
    _let_window_pass()
    assert indexed.refresh().parsed == 0  # re-hashed, the same bytes
    assert indexed.refresh().parsed == 0
    found = _look(indexed)
    assert found is not None and found.candidates == ["a.md"]


def test_replies_trust_the_same_clock_window_as_the_finder() -> None:
    """views.recall keeps its own copy (it imports the finder only without a watcher)."""
    from sortext.store import scan
    from sortext.views import recall

    assert recall.RACY_WINDOW_NS == scan.RACY_WINDOW_NS
