"""Break tests of the one-stamp change finder (sortext/store/scan.py) and the answers
the quick queries replay under it.

What held (cp -p, touch -d, rsync -t, mv in with an old mtime, hard links, swapped
names, inode reuse, git stash/checkout/reset, a replaced clients folder, killed and
concurrent builds) is covered by tests/test_scan_stamp.py's property test and
tests/test_recall_break.py; here are the cases that broke:

* file times from another clock than the machine's (a network or shared folder whose
  server's clock is behind, a virtual machine's clock ahead of its host's): an edit
  got a ctime older than the stamp's moment and was never looked at again;
* the machine's clock set back after a stamp and run past it again before the next
  pass: the same;
* a stamp or generation row holding a value the finder could not turn into an
  integer (``Infinity``, a deeply nested array, 5,000 digits): every query and
  build stopped with an internal error; a reply row nested too deep: a traceback
  before Click; entries naming a number: an error once the names moved;
* more than RESTAMP_AFTER files dated in the future: every refresh wrote a new stamp
  (a write per query, and no reply replayed, the key holding the stamp); the same for
  files touched in the tick the files' clock was last seen at, once the fix above
  keeps those candidates.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.repo import open_repository
from sortext.store import scan
from sortext.store.index import Index
from tests.conftest import SAMPLE_TODAY, wait_for_clock
from tests.test_scan_stamp import _record, _repo


class _Clock:
    """A stand-in for the ``time`` module in :mod:`sortext.store.scan`: the wall clock
    ``wall`` ns off the real one, the monotonic clock ``mono`` ns off."""

    def __init__(self, wall: int = 0, mono: int = 0) -> None:
        self.wall = wall
        self.mono = mono

    def time_ns(self) -> int:
        return time.time_ns() + self.wall

    def monotonic_ns(self) -> int:
        return time.monotonic_ns() + self.mono


def _edit(path: Path, pad: int) -> None:
    path.write_bytes(_record(40, pad))


def _current(index: Index) -> bool:
    """Whether the index holds every record file as its bytes are now (and no other)."""
    import hashlib

    held = dict(index.conn.execute("SELECT path, hash FROM files"))
    clients = index.repo.clients_path
    now = {
        f"clients/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
        for p in clients.iterdir()
        if p.suffix == ".md" and not p.name.startswith(".")
    }
    return held == now


def _valid_repo(base: Path) -> Path:
    """A repository of three valid records, ``clients/client-<n>.md`` named "Client n"."""
    root = _repo(base)
    for path in (root / "clients").iterdir():
        path.unlink()
    for n in range(3):
        text = f"---\nid: client-{n}\nname: Client {n}\nstage: inquiry\n---\n\nNote {n}.\n"
        (root / "clients" / f"client-{n}.md").write_text(text, encoding="utf-8")
    return root


def test_files_stamped_by_a_clock_behind_the_machines_are_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file times come from the file system's clock (a network or shared folder: the
    server's; here the kernel's), the stamp's moment from this machine's, 5 s ahead.
    Every edit after a stamp must still be named, whichever pass left the stamp."""
    root = _repo(tmp_path)
    monkeypatch.setattr(scan, "time", _Clock(wall=5 * 10**9))
    with Index.open(open_repository(root)) as index:
        index.refresh()  # a full pass leaves the first stamp
        clients = index.repo.clients_path
        for n, name in enumerate(["b.md", "a.md", "c.md", "a.md"]):
            _edit(clients / name, 10 + n)
            assert name in index.stat_changes()
            index.refresh(only=index.stat_changes())  # as a build: the next stamp
            assert _current(index)
            _edit(clients / name, 20 + n)
            index.refresh()  # as a query
            assert _current(index)


def test_a_query_sees_an_edit_under_a_stamp_a_clock_ahead_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same through the real CLI: the stamp left by a refresh run while this
    machine's clock was 3 s ahead of the files' clock; ``sortext list`` in another
    process, once the real clock has passed the stamp's moment, sees the edit made
    after the stamp."""
    root = _valid_repo(tmp_path)
    ahead = 3 * 10**9
    clock = _Clock(wall=ahead)
    monkeypatch.setattr(scan, "time", clock)
    with Index.open(open_repository(root)) as index:
        index.refresh()
        began = clock.time_ns()
    path = root / "clients" / "client-1.md"
    path.write_bytes(path.read_bytes().replace(b"Client 1", b"Renamed 1"))
    wait_for_clock(began)  # the machine's clock past the stamp's moment
    out = _sortext(root, "list", "--today", SAMPLE_TODAY)
    assert out.returncode == 0, out.stderr
    assert "Renamed 1" in out.stdout


def test_a_wall_clock_set_back_since_the_stamp_makes_it_unusable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stamp taken while the wall clock was a minute ahead; the clock set back a minute
    and an hour passed (the wall clock is past the stamp again): the files' times mean
    nothing against the stamp's moment, so the stamp is not used."""
    root = _repo(tmp_path)
    with Index.open(open_repository(root)) as index:
        monkeypatch.setattr(scan, "time", _Clock(wall=60 * 10**9))
        index.refresh()
        assert scan.look(index.conn, index.repo.clients_path, "clients") is not None
        hour = 3600 * 10**9
        monkeypatch.setattr(scan, "time", _Clock(wall=hour, mono=hour + 60 * 10**9))
        assert scan.look(index.conn, index.repo.clients_path, "clients") is None
        # a clock that ran on without a step keeps the stamp
        monkeypatch.setattr(scan, "time", _Clock(wall=60 * 10**9 + hour, mono=hour))
        assert scan.look(index.conn, index.repo.clients_path, "clients") is not None


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    skew=st.integers(-30, 30).map(lambda s: s * 10**9),
    steps=st.lists(st.sampled_from(["a.md", "b.md", "c.md", "refresh"]), min_size=1, max_size=6),
)
def test_any_skew_between_the_clocks_names_every_edit(
    monkeypatch: pytest.MonkeyPatch, skew: int, steps: list[str]
) -> None:
    """Whatever the offset between this machine's clock and the files' (either way, up to
    30 s), a refresh leaves the index holding every file as it is, after any edits
    (whether a comparison of every file would name more: its racy check reads this
    machine's clock against the files')."""
    import tempfile

    monkeypatch.setattr(scan, "time", _Clock(wall=skew))
    with tempfile.TemporaryDirectory() as tmp:
        root = _repo(Path(tmp))
        with Index.open(open_repository(root)) as index:
            index.refresh()
            for n, step in enumerate(steps):
                if step == "refresh":
                    index.refresh(only=index.stat_changes())
                    assert _current(index), (skew, steps)
                else:
                    _edit(index.repo.clients_path / step, n)
            index.refresh()
            assert _current(index), (skew, steps)


def _sortext(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, run in the repository (so the reply before Click is tried)."""
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("SORTEXT_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "sortext", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


_STAMP = "UPDATE meta SET value = ? WHERE key = 'scan_stamp'"
_GENERATION = "INSERT OR REPLACE INTO meta VALUES ('generation', ?)"


@pytest.mark.parametrize(
    ("sql", "value"),
    [
        (_STAMP, '{"began": Infinity, "generation": 1}'),
        (_STAMP, '{"began": NaN, "generation": 1}'),
        (_STAMP, "[" * 50_000 + "]" * 50_000),
        (_STAMP, '{"began": 1e400, "generation": 1}'),
        (_GENERATION, "9" * 5_000),
        (_GENERATION, "\u00b2"),  # a digit to str.isdigit, not to int()
    ],
    ids=["infinity", "nan", "deep", "huge-float", "5000-digits", "superscript"],
)
def test_a_damaged_stamp_or_generation_is_not_a_crash(tmp_path: Path, sql: str, value: str) -> None:
    """The index is derived data: a value in its meta table that cannot be read is
    treated as missing (every file compared, a new stamp left), never an internal error
    of a query or a build, the reply before Click included."""
    root = _valid_repo(tmp_path)
    day = ("--today", SAMPLE_TODAY)
    assert _sortext(root, "build", *day).returncode == 0
    assert _sortext(root, "list", *day).returncode == 0  # remembered for this command line
    with sqlite3.connect(root / ".sortext" / "index.sqlite") as conn:
        conn.execute(sql, (value,))
    for args in (("list", *day), ("build", *day)):  # nothing changed but the row
        out = _sortext(root, *args)
        assert out.returncode == 0 and "internal error" not in out.stderr, (args, out.stderr)
    path = root / "clients" / "client-1.md"
    path.write_bytes(path.read_bytes().replace(b"Client 1", b"Edited 1"))
    for args in (("list", *day), ("list", *day), ("build", *day), ("next", *day)):
        out = _sortext(root, *args)
        assert out.returncode == 0 and "internal error" not in out.stderr, (args, out.stderr)
        if args[0] == "list":
            assert "Edited 1" in out.stdout
    site = (root / "site" / "clients" / "client-1.html").read_text(encoding="utf-8")
    assert "Edited 1" in site


def _touch_in_one_tick(paths: list[Path], tries: int = 50) -> None:
    """Move the ctime of every file of ``paths`` (``chmod`` to its own mode: nothing
    else changes) until they all share one tick of the files' clock: on a busy
    machine the loop can be preempted across a tick, and then the files of the
    earlier tick are not "touched in the tick last seen" (what the test is about).
    Each try changes every file twice with no ``stat`` between: on kernels with
    multigrain timestamps (Linux 6.13 and later) a change to a file whose ctime was
    read since its last change gets a fine-grained ctime of its own, so the first
    round (after the ``stat`` calls that check) gives each file its own ctime and
    only the second lands every file on the coarse tick.  Skips when no try lands in
    one tick."""
    modes = {path: path.stat().st_mode for path in paths}
    for _ in range(tries):
        for _round in range(2):
            for path in paths:
                path.chmod(modes[path])
        if len({path.stat().st_ctime_ns for path in paths}) == 1:
            return
    pytest.skip(f"{len(paths)} files never touched within one clock tick in {tries} tries")


def test_files_touched_in_one_tick_do_not_make_every_refresh_write_a_stamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``touch clients/*``: the files changed in the tick the files' clock was last seen at
    stay candidates under every stamp (one of them may have changed again after the
    stamp in that very tick); a new stamp cannot drop them, so however many they are, a
    refresh that finds them unchanged leaves the stamp as it is (a stamp written at
    every refresh would be a write per query, and the quick queries' replies are keyed
    by the stamp)."""
    import sortext.store.index as index_module
    from tests.test_scan_stamp import WINDOW_NS, _let_window_pass

    monkeypatch.setattr(scan, "RACY_WINDOW_NS", WINDOW_NS)
    monkeypatch.setattr(index_module, "RACY_WINDOW_NS", WINDOW_NS)
    root = _repo(tmp_path)
    clients = root / "clients"
    for n in range(scan.RESTAMP_AFTER + 6):
        (clients / f"extra-{n:03d}.md").write_bytes(_record(100 + n))
    with Index.open(open_repository(root)) as index:
        index.refresh()
        _let_window_pass()
        _touch_in_one_tick(list(clients.iterdir()))
        _let_window_pass()
        stamps = []
        for _ in range(4):
            assert index.refresh().parsed == 0
            stamps.append(index.meta(scan.STAMP_KEY))
        assert stamps[-1] == stamps[-2]  # settled: no stamp written at every refresh
        found = scan.look(index.conn, index.repo.clients_path, "clients")
        assert found is not None
        assert found.settled() == []  # what is left would be named by any new stamp
        newest = max(p.stat().st_ctime_ns for p in clients.iterdir())
        for name in found.candidates or ():
            assert (clients / name).stat().st_ctime_ns == newest
        (clients / "a.md").write_bytes(_record(1, 3))  # an edit is still named
        assert "a.md" in index.stat_changes()


def test_entries_naming_something_else_than_names_are_not_used(tmp_path: Path) -> None:
    """The names and inodes the stamp's digest covers, replaced by a list holding a
    number where a name was: not used (every file compared), no error."""
    import json
    import zlib

    root = _repo(tmp_path)
    with Index.open(open_repository(root)) as index:
        index.refresh()
        blob = zlib.compress(json.dumps([[1, "a.md"], [5, 6]]).encode())
        with index.conn:
            index.conn.execute("UPDATE meta SET value = ? WHERE key = ?", (blob, scan.ENTRIES_KEY))
        (index.repo.clients_path / "d.md").write_bytes(_record(4))  # the names moved
        assert scan.look(index.conn, index.repo.clients_path, "clients") is None
        assert index.stat_changes() == index.stat_changes(stamp=False)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE meta SET value = '" + "[" * 50_000 + "' WHERE key = 'recall_clients'",
        "UPDATE reply_lines SET value = '" + "[" * 50_000 + "'",
        'UPDATE meta SET value = \'{"config": 1e999, "clients": []}\' '
        "WHERE key = 'recall_clients'",
    ],
    ids=["clients-deep", "line-deep", "clients-types"],
)
def test_a_damaged_reply_row_is_not_a_crash(tmp_path: Path, sql: str) -> None:
    """The rows the quick queries read beside the stamp (which folder, which question a
    command line asked) are derived data too: one that cannot be read means "not
    remembered", never a traceback before Click."""
    root = _valid_repo(tmp_path)
    day = ("--today", SAMPLE_TODAY)
    for _ in range(2):
        assert _sortext(root, "list", *day).returncode == 0
    with sqlite3.connect(root / ".sortext" / "index.sqlite") as conn:
        conn.execute(sql)
    out = _sortext(root, "list", *day)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert "internal error" not in out.stderr and "Client 1" in out.stdout


def test_files_dated_in_the_future_do_not_make_every_refresh_write_a_stamp(
    tmp_path: Path,
) -> None:
    """``touch -d 2030-01-01`` on many files (or a clock that was ahead when they were
    written): they are candidates under every stamp (their mtime is later than any
    stamp's moment), so a new stamp cannot drop them and is not written for them: the
    quick queries' replies, keyed by the stamp, keep being replayed."""
    root = _repo(tmp_path)
    clients = root / "clients"
    later = int(time.time() + 3 * 365 * 86400) * 10**9
    for n in range(scan.RESTAMP_AFTER + 6):
        path = clients / f"extra-{n:03d}.md"
        path.write_bytes(_record(100 + n))
        os.utime(path, ns=(later, later))
    with Index.open(open_repository(root)) as index:
        index.refresh()
        stamps = []
        for _ in range(3):
            assert index.refresh().parsed == 0
            stamps.append(index.meta(scan.STAMP_KEY))
        assert stamps[0] == stamps[1] == stamps[2]
