"""Adversarial checks of the remembered answers and the index's stat shortcut (issue 15).

Each case is a way a file can change while a stat-based check says it did not; the
answer a query prints must be byte-identical to the answer worked out from scratch
(the state folder removed).  Real git repositories, the real CLI.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_query_recall import DAY, NORTHWIND, _dated, _remembered, _run

QUERIES = (
    ("next", *DAY),
    ("list", *DAY),
    ("list", "--at-risk", *DAY),
    ("list", "--json", *DAY),
    ("show", "northwind-bakery", *DAY),
    ("search", "bakery"),
)


def _scratch(cli: Callable[..., Result], root: Path, *args: str) -> tuple[str, str, int]:
    """The answer worked out with no state at all (a copy without .sortext)."""
    copy = root.parent / "scratch"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(".sortext"))
    try:
        return _run(cli, copy, *args)
    finally:
        shutil.rmtree(copy)


def _same_size_same_mtime(path: Path, old: bytes, new: bytes) -> None:
    """Rewrite ``path`` in place with ``old`` replaced by ``new`` (same length) and put
    its mtime back (``touch -d``, ``cp -p`` over a file, an editor that keeps mtime):
    only the ctime says the file changed."""
    assert len(old) == len(new)
    st = os.stat(path)
    data = path.read_bytes()
    assert old in data
    with open(path, "r+b") as handle:
        handle.write(data.replace(old, new, 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        st.st_size,
        st.st_mtime_ns,
        st.st_ino,
    )


def test_an_edit_keeping_size_and_mtime_is_seen(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    root = _dated(records_repo)
    for query in QUERIES:  # learnt, then remembered
        _run(cli, root, *query)
        _run(cli, root, *query)
    assert _remembered(root) == len(QUERIES)
    os.utime(root / "clients", (1_700_000_000, 1_700_000_000))  # as long ago
    _same_size_same_mtime(root / NORTHWIND, b"name: Northwind Bakery", b"name: Northwind Bakerz")
    for query in QUERIES:
        got = _run(cli, root, *query)
        assert got == _scratch(cli, root, *query), query
    assert "Northwind Bakerz" in _run(cli, root, "list", *DAY)[0]


def test_a_build_sees_an_edit_keeping_size_and_mtime(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    root = _dated(records_repo)
    assert cli("build", *DAY, "--repo", str(root)).exit_code == 0
    page = root / "site" / "clients" / "northwind-bakery.html"
    assert "Northwind Bakery" in page.read_text(encoding="utf-8")
    _same_size_same_mtime(root / NORTHWIND, b"name: Northwind Bakery", b"name: Northwind Bakerz")
    assert cli("build", *DAY, "--repo", str(root)).exit_code == 0
    assert "Northwind Bakerz" in page.read_text(encoding="utf-8")


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    which=st.sampled_from(["northwind-bakery", "amara-okafor", "kai-nakamura"]),
    letter=st.sampled_from("QXZqxz"),
    query=st.sampled_from(QUERIES),
)
def test_any_edit_that_keeps_the_stat_is_seen(
    cli: Callable[..., Result], records_repo: Path, which: str, letter: str, query: tuple[str, ...]
) -> None:
    """The class: a record's bytes change while its size, mtime and inode do not;
    every query then answers what a query with no state answers."""
    root = records_repo
    if not (root / ".sortext").exists():
        _dated(root)
    path = root / "clients" / f"{which}.md"
    _run(cli, root, *query)
    _run(cli, root, *query)
    data = path.read_bytes()
    start = data.index(b"\nname: ") + len(b"\nname: ")
    if data[start : start + 1] == letter.encode():
        return
    _same_size_same_mtime(
        path,
        data[start : start + 1] + data[start + 1 : start + 6],
        letter.encode() + data[start + 1 : start + 6],
    )
    assert _run(cli, root, *query) == _scratch(cli, root, *query)


def _in_place(path: Path, old: str, new: str) -> None:
    """Save ``path`` in place, as VS Code does (the folder's mtime stays)."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    with open(path, "r+", encoding="utf-8") as handle:
        handle.write(text.replace(old, new, 1))
        handle.truncate()


def _watched(root: Path) -> Any:
    from sortext.files.state import StateDir
    from tests.watchkit import Daemon, idle_mark, wait_for

    daemon = Daemon(root)
    daemon.wait_ready()
    marker = StateDir(root).watch_current
    wait_for(marker.exists, 10, lambda: daemon.log)
    idle_mark(root, daemon)
    wait_for(marker.exists, 10, lambda: daemon.log)
    return daemon


def test_a_killed_watcher_is_not_trusted(cli: Callable[..., Result], records_repo: Path) -> None:
    """kill -9 leaves the marker behind; the lock goes with the process, so a query
    does its own stat pass and sees an in-place save made afterwards."""
    import signal

    from sortext.files.state import StateDir

    root = _dated(records_repo)
    daemon = _watched(root)
    try:
        first = _run(cli, root, "list", *DAY)
        assert _run(cli, root, "list", *DAY) == first
        daemon.stop(signal.SIGKILL)
        assert StateDir(root).watch_current.exists()  # the dead watcher's word stays
        _in_place(root / NORTHWIND, "name: Northwind Bakery", "name: Zelda Quillfeather")
        got = _run(cli, root, "list", *DAY)
        assert "Zelda Quillfeather" in got[0]
        assert got == _scratch(cli, root, "list", *DAY)
    finally:
        daemon.stop()


def test_a_stopped_watcher_is_not_trusted(cli: Callable[..., Result], records_repo: Path) -> None:
    """A watcher stopped (Ctrl-Z in its terminal, SIGSTOP, a debugger) still holds its
    lock and its marker but sees nothing: an in-place save made meanwhile must be
    answered afresh, not from the index it vouched for before it stopped."""
    import signal

    root = _dated(records_repo)
    daemon = _watched(root)
    try:
        first = _run(cli, root, "list", *DAY)
        assert _run(cli, root, "list", *DAY) == first
        daemon.proc.send_signal(signal.SIGSTOP)
        _wait_state(daemon.proc.pid, "T")
        _in_place(root / NORTHWIND, "name: Northwind Bakery", "name: Zelda Quillfeather")
        for query in (("list", *DAY), ("show", "northwind-bakery", *DAY), ("search", "zelda")):
            got = _run(cli, root, *query)
            assert got == _scratch(cli, root, *query), query
        assert "Zelda Quillfeather" in _run(cli, root, "list", *DAY)[0]
    finally:
        daemon.proc.send_signal(signal.SIGCONT)
        daemon.stop()


def _wait_state(pid: int, state: str) -> None:
    from tests.watchkit import wait_for

    def now() -> str:
        text = Path(f"/proc/{pid}/stat").read_text()
        return text[text.rindex(")") + 2]

    wait_for(lambda: now() == state, 10, now)


def test_a_record_moved_out_while_a_save_settles_is_not_vouched_for(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    """The kernel reports a file moved out of the clients folder only as IN_MOVED_FROM;
    watchdog holds such an event back (0.5 s) to pair it with a move in, and every
    event behind it waits too.  A watcher that finished another save meanwhile wrote
    its marker with the folder's new mtime and vouched for an index still holding the
    moved record: ``list`` showed a client no longer in the folder.  Each round: a
    save, a record moved out at once, then a query the moment the watcher marks."""
    from sortext.files.state import StateDir
    from tests.watchkit import wait_for

    root = _dated(records_repo)
    (root / "archive").mkdir()
    marker = StateDir(root).watch_current
    daemon = _watched(root)
    try:
        victims = ["kai-nakamura", "greta-lindholm", "jonas-weber", "elena-marsh"]
        for n, victim in enumerate(victims):
            wait_for(marker.exists, 20, lambda: daemon.log)
            with open(root / "clients" / "amara-okafor.md", "a", encoding="utf-8") as handle:
                handle.write(f"\nA note, round {n}.\n")  # a save the watcher settles
            wait_for(lambda: not marker.exists(), 10, lambda: daemon.log)
            (root / "clients" / f"{victim}.md").rename(root / "archive" / f"{victim}.md")
            wait_for(marker.exists, 20, lambda: daemon.log)
            got = _run(cli, root, "list", *DAY)
            assert f"{victim} " not in got[0], (n, victim)
    finally:
        daemon.stop()


_HOLDER = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from sortext.daemon.lock import acquire\n"
    "lock = acquire(Path(sys.argv[1]))\n"
    "print('held', flush=True)\n"
    "time.sleep(600)\n"
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(st.sampled_from(["mark", "clear", "stop", "cont", "kill"]), max_size=8))
def test_vouched_only_while_the_holder_runs(tmp_path: Path, ops: list[str]) -> None:
    """The class: a marker vouches only while the process holding the daemon lock can
    see changes: not once it is stopped (SIGSTOP, Ctrl-Z) or dead (SIGKILL)."""
    import signal
    import subprocess
    import sys
    import tempfile

    from sortext.files import watchmark
    from sortext.files.state import StateDir

    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        root = Path(tmp)
        clients = root / "clients"
        clients.mkdir()
        StateDir(root).path.mkdir()
        holder = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, str(StateDir(root).watch_pid)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "held\n"
            marked, state = False, "running"
            for op in ops:
                if op == "mark":
                    watchmark.mark(root, clients, "cafe01")  # any index identity
                    marked = True
                elif op == "clear":
                    watchmark.clear(root)
                    marked = False
                elif op == "stop" and state == "running":
                    holder.send_signal(signal.SIGSTOP)
                    _wait_state(holder.pid, "T")
                    state = "stopped"
                elif op == "cont" and state == "stopped":
                    holder.send_signal(signal.SIGCONT)
                    _wait_state_not(holder.pid, "T")
                    state = "running"
                elif op == "kill" and state != "dead":
                    holder.kill()
                    holder.wait()
                    state = "dead"
                assert watchmark.vouched(root, clients) == (marked and state == "running"), ops
        finally:
            holder.kill()
            holder.wait()
            if holder.stdout is not None:
                holder.stdout.close()


def _wait_state_not(pid: int, state: str) -> None:
    from tests.watchkit import wait_for

    def now() -> str:
        text = Path(f"/proc/{pid}/stat").read_text()
        return text[text.rindex(")") + 2]

    wait_for(lambda: now() != state, 10, now)


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    where=st.sampled_from(["parts/x.j2", "parts/deeper/x.html", "x.inc"]),
    words=st.lists(st.sampled_from(["ALPHA", "BRAVO", "CHARLIE"]), min_size=2, max_size=3),
)
def test_a_template_included_from_a_subfolder_is_part_of_the_build_key(
    cli: Callable[..., Result], tmp_path_factory: Any, where: str, words: list[str]
) -> None:
    """The class: any file a page template can include (Jinja loads any name under the
    templates folder, subfolders and other suffixes too).  Editing it must re-render
    the pages, exactly as a build with no state renders them."""
    root = tmp_path_factory.mktemp("tpl") / "records"
    shutil.copytree(Path(__file__).parent.parent / "clients", root / "clients")
    shutil.copy(Path(__file__).parent.parent / "sortext.yaml", root / "sortext.yaml")
    base = (Path(__file__).parent.parent / "sortext" / "templates" / "client.html.j2").read_text()
    (root / "templates").mkdir()
    tag = "{% block body %}"
    assert tag in base
    (root / "templates" / "client.html.j2").write_text(
        base.replace(tag, tag + '{% include "' + where + '" %}', 1), encoding="utf-8"
    )
    part = root / "templates" / where
    part.parent.mkdir(parents=True, exist_ok=True)
    page = root / "site" / "clients" / "amara-okafor.html"
    for word in words:
        part.write_text(f"<p>{word}</p>\n", encoding="utf-8")
        assert cli("build", *DAY, "--repo", str(root)).exit_code == 0
        assert f"<p>{word}</p>" in page.read_text(encoding="utf-8"), (where, word)


def test_an_index_write_after_a_read_is_not_refused_when_another_writer_committed(
    records_repo: Path,
) -> None:
    """The class behind "database is locked" from a build run beside queries: a write
    transaction that reads before its first real write (a ``with conn:`` whose first
    statement wrote nothing, then SELECTs while pages render) holds a WAL snapshot; a
    query committing meanwhile (a reply kept, the stage clock stored) made the
    build's next write fail at once, the busy timeout not applying to such an upgrade.
    The index's transactions take the write lock when they begin."""
    import threading

    from sortext.repo import open_repository
    from sortext.store.index import Index

    repo = open_repository(records_repo)
    with Index.open(repo) as first:
        first.refresh()
    done: list[str] = []

    def other_writer() -> None:
        conn = sqlite3.connect(records_repo / ".sortext" / "index.sqlite", timeout=30.0)
        try:
            with conn:
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('probe', 'x')")
            done.append("committed")
        finally:
            conn.close()

    with Index.open(repo) as index:
        conn = index.conn
        with conn:
            conn.executemany("DELETE FROM replies WHERE key = ?", [])  # nothing written
            conn.execute("SELECT count(*) FROM files").fetchone()  # a snapshot is read
            writer = threading.Thread(target=other_writer)
            writer.start()
            writer.join(1.0)  # it commits now, or waits for this transaction
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('mine', 'y')")
        writer.join(30.0)
    assert done == ["committed"]


def _rounds(tmp_path: Path, queries: bool) -> Path:
    """A 300-record repository built, then three rounds of: 20 records renamed, and a
    real ``sortext build`` run with (``queries``) ``list``, ``list --at-risk``,
    ``next`` and ``search`` beside it; every process must succeed.  Returns the root."""
    import random
    import subprocess
    import sys

    from bench.gen_pages import generate_repo

    root = generate_repo(300, tmp_path / "records")
    sortext = [sys.executable, "-m", "sortext"]
    day = ["--today", "2026-11-23", "--repo", str(root)]
    assert subprocess.run([*sortext, "build", *day], capture_output=True).returncode == 0
    rng = random.Random(7)
    files = sorted((root / "clients").glob("*.md"))
    for round_ in range(3):
        for path in rng.sample(files, 20):
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("\nname: ", f"\nname: R{round_} ", 1), encoding="utf-8")
        runs = [
            subprocess.Popen([*sortext, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for args in (
                ["build", *day],
                ["list", *day],
                ["list", "--at-risk", *day],
                ["next", *day],
                ["search", f"R{round_}", "--repo", str(root)],
            )[: 5 if queries else 1]
        ]
        for proc in runs:
            _, err = proc.communicate(timeout=300)
            assert isinstance(proc.args, list)
            assert proc.returncode == 0, (round_, proc.args[3:5], err.decode()[-500:])
    assert subprocess.run([*sortext, "build", *day], capture_output=True).returncode == 0
    return root


def _same_pages_as_a_fresh_build(tmp_path: Path, root: Path) -> None:
    import subprocess
    import sys

    scratch = tmp_path / "scratch"
    shutil.copytree(root, scratch, ignore=shutil.ignore_patterns(".sortext", "site", "NEXT.md"))
    fresh = ["--today", "2026-11-23", "--repo", str(scratch)]
    done = subprocess.run([sys.executable, "-m", "sortext", "build", *fresh], capture_output=True)
    assert done.returncode == 0
    stale = [
        str(page.relative_to(scratch))
        for page in sorted((scratch / "site").rglob("*.html"))
        if (root / page.relative_to(scratch)).read_bytes() != page.read_bytes()
    ]
    assert stale == []


def test_a_build_beside_queries_is_not_refused_the_index(tmp_path: Path) -> None:
    """Before the index's transactions took the write lock when they began, the build
    failed with "database is locked" in most rounds."""
    _rounds(tmp_path, queries=True)


def test_builds_alone_leave_the_pages_a_fresh_build_writes(tmp_path: Path) -> None:
    _same_pages_as_a_fresh_build(tmp_path, _rounds(tmp_path, queries=False))


def test_builds_beside_queries_leave_the_pages_a_fresh_build_writes(tmp_path: Path) -> None:
    _same_pages_as_a_fresh_build(tmp_path, _rounds(tmp_path, queries=True))


def _past_racy_window(since_ns: int) -> None:
    import time

    from sortext.views.recall import RACY_WINDOW_NS

    while time.time_ns() <= since_ns + RACY_WINDOW_NS:  # the clock passing a moment
        time.sleep(0.05)


def test_a_record_a_query_indexed_is_rendered_by_the_next_build(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    """A build plans from one stat pass when the last build used the same rules: that
    pass compares the files with the index.  A query that indexed an edited record
    first (``list`` refreshes the index) left the stat pass nothing to see, and the
    page kept the old name for good.  Sequential: edit, wait, list, wait, build."""
    import time

    root = _dated(records_repo)
    assert cli("build", *DAY, "--repo", str(root)).exit_code == 0
    page = root / "site" / "clients" / "northwind-bakery.html"
    from tests.dated import replace

    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakehouse")
    _past_racy_window(os.stat(root / NORTHWIND).st_ctime_ns)
    assert "Northwind Bakehouse" in _run(cli, root, "list", *DAY)[0]
    _past_racy_window(time.time_ns())
    assert cli("build", *DAY, "--repo", str(root)).exit_code == 0
    assert "Northwind Bakehouse" in page.read_text(encoding="utf-8")
    _same_pages_as_a_fresh_build(root.parent, root)
