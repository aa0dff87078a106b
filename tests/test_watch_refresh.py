"""Issue 15 items 1-2: after a save, a running watcher works the questions asked today
out again (``sortext.commands.watch.refresh_replies``), so the first ``next`` or
``list`` after a save is a replay.

What it keeps must never be served stale and must be byte for byte what the command
line prints: every test runs the real entry point in fresh processes (as a user's
shell does) and holds a replayed reply to a fresh computation of the same question
(replies dropped, through Click), after generated sequences of saves; and each thing
the reply depends on (the records, the day, ``sortext.yaml``, colour, the streams'
encoding, the terminal width) is a case where the watcher's reply MUST NOT be
replayed.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.store.index import identity_of
from tests.conftest import SAMPLE_TODAY
from tests.dated import replace
from tests.test_query_recall import DAY, NORTHWIND, _dated
from tests.test_recall_line import _entry, _env

ASKED = (
    ("next",),
    ("next", "--json"),
    ("next", "--owner", "maya", "--within", "7d"),
    ("list", "--at-risk"),
    ("--color", "always", "list", "--at-risk"),
    ("--color", "always", "next"),
)


def _line(query: tuple[str, ...]) -> list[str]:
    return [*query, *DAY]


def _forget(root: Path) -> None:
    """Drop every remembered reply (rows and files): the next query works it out."""
    conn = sqlite3.connect(root / ".sortext" / "index.sqlite")
    try:
        with conn:
            conn.execute("DELETE FROM replies")
    finally:
        conn.close()
    shutil.rmtree(root / ".sortext" / "replies", ignore_errors=True)


def _fresh(root: Path, query: tuple[str, ...], env: dict[str, str]) -> tuple[bytes, bytes, int]:
    """The question worked out now, through Click (no reply remembered)."""
    _forget(root)
    out, err, code, click = _entry(root, _line(query), env)
    assert click, query
    return out, err, code


class Watcher:
    """This test holding the watcher's lock and doing what ``sortext watch`` does after a
    save: index the file, vouch (the marker), then the page thread's refresh."""

    def __init__(self, root: Path) -> None:
        from sortext.daemon.lock import acquire
        from sortext.files import watchmark
        from sortext.files.state import StateDir

        self.root = root
        self.lock = acquire(StateDir(root).watch_lock)
        watchmark.mark(root, root / "clients", identity_of(root))

    def saved(self, *names: str, refresh: bool = True) -> int:
        from sortext.commands.watch import refresh_replies
        from sortext.files import watchmark
        from sortext.repo import open_repository
        from sortext.store.index import Index

        watchmark.clear(self.root)
        with Index.open(open_repository(self.root)) as index:
            index.refresh(only=list(names))
        watchmark.mark(self.root, self.root / "clients", identity_of(self.root))
        return refresh_replies(self.root, lambda: False) if refresh else 0

    def close(self) -> None:
        from sortext.files import watchmark

        watchmark.clear(self.root)
        self.lock.release()


@pytest.fixture
def watched(records_repo: Path, tmp_path: Path) -> Iterator[tuple[Path, Watcher, dict[str, str]]]:
    root = _dated(records_repo)
    env = _env(tmp_path)
    watcher = Watcher(root)
    try:
        for query in ASKED * 2:  # each command line records its question (once indexed)
            _entry(root, _line(query), env)
        yield root, watcher, env
    finally:
        watcher.close()


def _replayed(root: Path, query: tuple[str, ...], env: dict[str, str]) -> tuple[bytes, bytes, int]:
    out, err, code, click = _entry(root, _line(query), env)
    assert not click, f"{query}: worked out instead of replayed"
    return out, err, code


def test_the_first_query_after_a_save_is_the_watchers_reply(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    root, watcher, env = watched
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz")
    assert watcher.saved("northwind-bakery.md") == len(ASKED)
    got = {query: _replayed(root, query, env) for query in ASKED}  # before any is dropped
    assert b"Northwind Bakerz" in got[("list", "--at-risk")][0]
    for query in ASKED:
        assert got[query] == _fresh(root, query, env), query


# One save: a client's name, its next action's text or due day, its stage, its
# notes; a client added or removed.
_SAVES = st.sampled_from(
    [
        ("name", "Northwind Bakery", "Zed Northwind"),
        ("name", "Northwind Bakery", "A Very Long Northwind Bakery Name That Widens Columns"),
        ("what", "Follow up on the website proposal", "Call"),
        ("due", "due: 2026-11-16", "due: 2026-12-30"),
        ("due", "due: 2026-11-16", "due: 2026-11-23"),
        ("stage", "stage: proposal", "stage: active"),
        ("notes", "Three-shop bakery", "Four-shop bakery"),
        ("add", "", ""),
        ("remove", "", ""),
    ]
)


def _apply(root: Path, save: tuple[str, str, str], n: int) -> str:
    kind, old, new = save
    path = root / NORTHWIND
    if kind == "add":
        name = f"copy-{n}.md"
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if not text:
            return name
        (root / "clients" / name).write_text(
            text.replace("name: Northwind Bakery", f"name: Copy {n}", 1), encoding="utf-8"
        )
        return name
    if kind == "remove":
        if path.exists():
            path.unlink()
        return path.name
    if not path.exists():
        return path.name
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path.name


def test_a_question_asked_on_a_latin1_terminal_is_refreshed_for_it(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """The watcher writes for the encoding the question's streams had (Inès on a
    Latin-1 stream, a sparkline's stand-ins): the replay equals a fresh answer there."""
    root, watcher, env = watched
    latin = dict(env, PYTHONIOENCODING="latin-1")
    query = ("list",)
    for _ in range(2):
        _entry(root, _line(query), latin)
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bäckerei")
    watcher.saved("northwind-bakery.md")
    got = _replayed(root, query, latin)
    assert "Bäckerei".encode("latin-1") in got[0] and "Inès".encode("latin-1") in got[0]
    assert got == _fresh(root, query, latin)


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(saves=st.lists(_SAVES, min_size=1, max_size=3))
def test_after_any_saves_the_replay_equals_a_fresh_answer(
    records_repo: Path, tmp_path_factory: pytest.TempPathFactory, saves: list[tuple[str, str, str]]
) -> None:
    tmp = tmp_path_factory.mktemp("refresh")
    root = tmp / "repo"
    shutil.copytree(records_repo, root, symlinks=True, ignore=shutil.ignore_patterns(".sortext"))
    root = _dated(root)
    env = _env(tmp)
    watcher = Watcher(root)
    try:
        # a few, to keep the example short: two lists share the reads of one pass
        asked = (("next",), ("list", "--at-risk"), ("list",), ("--color", "always", "next"))
        for query in asked * 2:
            _entry(root, _line(query), env)
        for n, save in enumerate(saves):
            watcher.saved(_apply(root, save, n))
            got = {query: _replayed(root, query, env) for query in asked}
            for query in asked:
                assert got[query] == _fresh(root, query, env), (save, query)
    finally:
        watcher.close()


def test_a_save_after_the_refresh_is_not_answered_from_it(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """The watcher's reply is keyed by its marker: the next save (a new marker) is
    answered afresh, with that save in it."""
    root, watcher, env = watched
    watcher.saved()
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz")
    watcher.saved("northwind-bakery.md", refresh=False)
    out, _, _, click = _entry(root, _line(("list", "--at-risk")), env)
    assert click and b"Northwind Bakerz" in out


def test_a_change_the_watcher_has_not_vouched_for_is_not_refreshed(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """No marker (a change pending): the watcher keeps nothing."""
    from sortext.commands.watch import refresh_replies
    from sortext.files import watchmark

    root, _, _ = watched
    watchmark.clear(root)
    _forget(root)
    assert refresh_replies(root, lambda: False) == 0
    conn = sqlite3.connect(root / ".sortext" / "index.sqlite")
    try:
        assert conn.execute("SELECT count(*) FROM replies").fetchone()[0] == 0
    finally:
        conn.close()


def test_another_day_config_colour_or_encoding_is_answered_afresh(
    watched: tuple[Path, Watcher, dict[str, str]], tmp_path: Path
) -> None:
    root, watcher, env = watched
    watcher.saved()
    query = ("list", "--at-risk")
    _replayed(root, query, env)
    # another day (asked with another --today: a question not refreshed)
    out, _, _, click = _entry(root, ["list", "--at-risk", "--today", "2026-12-24"], env)
    assert click
    # another encoding of stdout: its own question
    latin = dict(env, PYTHONIOENCODING="latin-1")
    assert _entry(root, _line(query), latin)[3]
    # NO_COLOR set: another situation, worked out (not the coloured reply)
    plain = dict(env, NO_COLOR="1")
    out, _, _, click = _entry(root, _line(("--color", "always", "next")), plain)
    assert click and b"\x1b[" in out  # --color always still wins over NO_COLOR
    assert _entry(root, _line(("next",)), plain)[3]
    # sortext.yaml changed after the watcher's reply: not replayed
    watcher.saved()
    config = root / "sortext.yaml"
    config.write_bytes(config.read_bytes() + b"\n# a comment\n")
    assert _entry(root, _line(query), env)[3]


def test_a_refreshed_reply_for_another_width_is_not_replayed(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """``next`` fits its lines to the terminal's width: a question asked at one width
    is worked out again at that width only (the width is part of the question)."""
    from sortext.commands.watch import refresh_replies
    from sortext.views import recall

    root, watcher, _ = watched
    parts = ["next", None, None, False, SAMPLE_TODAY, False, 60]
    question = {
        "parts": parts,
        "clock": False,
        "colour": False,
        "outputs": ["utf-8", "utf-8"],
        "on": _on(root),
    }
    _plant(root, "line:" + "0" * 64, json.dumps(question))
    watcher.saved(refresh=False)
    _forget(root)
    assert refresh_replies(root, lambda: False) >= 1
    narrow = recall.Refresh(root, question)
    assert narrow.remembered
    wide = recall.Refresh(root, dict(question, parts=[*parts[:6], 200]))
    assert not wide.remembered and wide.wanted


def _on(root: Path) -> list[int]:
    """The practice's day now, as a question records the day it was asked on."""
    from sortext.repo import open_repository
    from sortext.vcs.midnight import practice_day

    day = practice_day(open_repository(root).config.timezone)
    return [day.year, day.month, day.day]


def _plant(root: Path, key: str, value: str) -> None:
    """Record a command line's question as asked now (its line and its mark)."""
    conn = sqlite3.connect(root / ".sortext" / "index.sqlite")
    try:
        with conn:
            conn.execute("INSERT INTO reply_lines VALUES (?, ?)", (key, value))
            conn.execute("INSERT OR REPLACE INTO reply_asked VALUES (?, ?)", (key, time.time_ns()))
    finally:
        conn.close()


def test_hurry_stops_the_refresh(watched: tuple[Path, Watcher, dict[str, str]]) -> None:
    from sortext.commands.watch import refresh_replies

    root, watcher, _ = watched
    watcher.saved(refresh=False)
    _forget(root)
    assert refresh_replies(root, lambda: True) == 0


def test_a_damaged_question_is_skipped(watched: tuple[Path, Watcher, dict[str, str]]) -> None:
    from sortext.commands.watch import refresh_replies

    root, watcher, env = watched
    today = _on(root)
    for value in (
        "not json",
        '{"parts": ["next", 1, 2], "clock": false, "colour": false, '
        '"outputs": ["utf-8", "utf-8"], "on": ' + str(today) + "}",
        '{"parts": ["list", null, null, "nobody", [], null, false, false, "'
        + SAMPLE_TODAY
        + '", false], "clock": true, "colour": false, "outputs": ["utf-8", "utf-8"], '
        '"on": ' + str(today) + "}",
    ):
        _plant(root, "line:" + os.urandom(8).hex(), value)
    watcher.saved(refresh=False)
    _forget(root)
    refresh_replies(root, lambda: False)  # no error; the good questions are answered
    assert _replayed(root, ("next",), env) == _fresh(root, ("next",), env)


def test_a_real_watcher_refreshes_the_replies_after_a_save(
    records_repo: Path, tmp_path: Path
) -> None:
    """``sortext watch`` itself (the real observer, its page thread): after a save it
    commits, renders, vouches, then works the questions asked today out again; the
    first query after the save is then a replay, equal to a fresh answer."""
    from sortext.files.state import StateDir
    from tests.watchkit import Daemon, commit_count, replies_refreshed, wait_for

    root = _dated(records_repo)
    env = _env(tmp_path)
    asked = (("next",), ("list", "--at-risk"))
    daemon = Daemon(root)
    try:
        daemon.wait_ready()
        marker = StateDir(root).watch_current
        wait_for(marker.exists, 20, lambda: daemon.log)
        for query in asked * 2:
            _entry(root, _line(query), env)
        commits = commit_count(root)
        replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz")
        wait_for(
            lambda: commit_count(root) > commits and replies_refreshed(root, asked),
            30,
            lambda: daemon.log,
        )
        got = {query: _replayed(root, query, env) for query in asked}
        assert b"Northwind Bakerz" in got[("list", "--at-risk")][0]
        for query in asked:
            assert got[query] == _fresh(root, query, env), query
    finally:
        daemon.stop()


def test_a_reply_kept_by_another_build_is_not_replayed(
    watched: tuple[Path, Watcher, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watcher keys its replies by the build it took at its start: a sortext
    upgraded or edited while it runs (another identity) never replays them."""
    from sortext.views import recall

    root, watcher, env = watched
    monkeypatch.setattr(recall, "_BUILD", "0.0.0:an-older-build")
    assert watcher.saved() >= 1
    assert _entry(root, _line(("next",)), env)[3]  # worked out by this build
    monkeypatch.setattr(recall, "_BUILD", None)
    watcher.saved()
    assert not _entry(root, _line(("next",)), env)[3]


def test_the_page_thread_runs_a_task_once_for_many_asks_and_survives_its_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``PageThread.after``: a task asked for again before it started runs once; a task
    that raises is logged and the thread goes on with the next job."""
    import queue
    import threading

    from sortext.daemon.service import PageThread
    from tests.watchkit import wait_for as wait

    gate = threading.Event()
    ran: list[str] = []

    def blocker(hurry: object) -> None:
        gate.wait(10)
        ran.append("blocker")

    def task(hurry: object) -> None:
        ran.append("task")

    def broken(hurry: object) -> None:
        raise RuntimeError("a code error")

    pages = PageThread(None, queue.Queue(), lambda: False)  # type: ignore[arg-type]
    pages.start()
    pages.after(blocker)
    wait(lambda: not pages._task_queued, 10)  # the blocker has started
    pages.after(task)
    pages.after(task)  # queued and not started: runs once for both
    gate.set()
    pages.close()
    assert ran == ["blocker", "task"]
    pages = PageThread(None, queue.Queue(), lambda: False)  # type: ignore[arg-type]
    pages.start()
    pages.after(broken)
    wait(lambda: not pages._task_queued, 10)
    pages.after(task)
    pages.close()
    assert ran[-1] == "task"
    assert "a code error" in caplog.text


def test_the_watchers_child_keeps_the_replies_and_is_stopped_when_hurried(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """``refresh_in_child``: the pass in a process of its own (the watcher's interpreter
    stays free for the next save's commit); stopped at once when a change waits."""
    from sortext.commands.watch import refresh_in_child

    root, watcher, env = watched
    watcher.saved(refresh=False)
    _forget(root)
    assert refresh_in_child(root, lambda: True) is None  # killed before it finished
    assert refresh_in_child(root, lambda: False) == 0
    got = _replayed(root, ("list", "--at-risk"), env)
    assert got == _fresh(root, ("list", "--at-risk"), env)
