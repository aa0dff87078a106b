"""Break-testing refresh9 (the watcher refreshes only the questions asked since its last
finished refresh).

A wall clock stepped back (an NTP step, a hand-set clock) between a finished refresh and
the next ask must not make that ask look older than the refresh: the question would be
left out of the next refresh although it was asked after the last one (its next ask is
then worked out instead of replayed)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.store import answers
from tests.dated import replace
from tests.test_query_recall import NORTHWIND
from tests.test_recall_line import _entry
from tests.test_watch_refresh import Watcher, _fresh, _line, _replayed, watched

__all__ = ["watched"]  # the fixture, used by name

_NS = st.integers(min_value=0, max_value=2**62)


def _conn() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.executescript(answers.SCHEMA)
    return conn


def _pending(conn: sqlite3.Connection, key: str) -> bool:
    marks, since = answers.asked_marks(conn)
    return marks.get(key, 0) > since


def test_an_ask_after_a_refresh_counts_though_the_clock_stepped_back() -> None:
    """Refresh began at 10 s; the clock is stepped back 5 s; asked at 6 s (after it)."""
    conn = _conn()
    with conn:
        answers.set_refreshed(conn, 10_000_000_000)
        answers.mark_asked(conn, "line:a", 6_000_000_000)
    assert _pending(conn, "line:a")
    assert not answers.needs_mark(conn, "line:a")  # one write between two refreshes


def test_keep_line_counts_as_asked_after_the_refresh() -> None:
    conn = _conn()
    with conn:
        answers.set_refreshed(conn, 10_000_000_000)
        answers.keep_line(conn, "line:b", "{}", 64, 1)
    assert _pending(conn, "line:b")


@given(refreshes=st.lists(_NS, min_size=1, max_size=4), asked=_NS, before=st.lists(_NS))
def test_any_ask_after_the_last_refresh_is_pending(
    refreshes: list[int], asked: int, before: list[int]
) -> None:
    """Whatever the clock said at each refresh and ask: the line asked after the last
    finished refresh is pending, and needs no second mark until the next refresh."""
    conn = _conn()
    with conn:
        for at in before:
            answers.mark_asked(conn, "line:c", at)
        for began in refreshes:
            answers.set_refreshed(conn, began)
        answers.mark_asked(conn, "line:c", asked)
    assert _pending(conn, "line:c")
    assert not answers.needs_mark(conn, "line:c")



# -- which questions a refresh takes: the ones asked last, not the ones recorded last --


def _index(root: Path) -> Path:
    from sortext.files.state import StateDir

    path = StateDir(root).index
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.executescript(answers.SCHEMA)
    finally:
        conn.close()
    return path


def _record(path: Path, key: str, parts: list[object], at: int) -> None:
    """A command line's question as Recall.keep records it (its line and its mark)."""
    import time

    question = {
        "parts": parts,
        "clock": True,
        "colour": False,
        "outputs": ["utf-8", "utf-8"],
        "on": list(time.localtime()[:3]),
    }
    conn = sqlite3.connect(path)
    try:
        with conn:
            answers.keep_line(conn, key, json.dumps(question), 64, at)
    finally:
        conn.close()


@given(recorded=st.integers(min_value=1, max_value=12), again=st.data())
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_refresh_takes_the_questions_asked_last(
    tmp_path: Path, recorded: int, again: st.DataObject
) -> None:
    """A line recorded long ago and replayed now (a replay marks it, it does not record
    it again) is among the newest ASKED questions: a refresh takes the questions by
    when they were last asked, so the one the user keeps asking is refreshed."""
    import time

    from sortext.commands.watch import ASKED
    from sortext.views import recall

    root = tmp_path / f"r{time.monotonic_ns()}"
    path = _index(root)
    start = time.time_ns() - 10**12
    for n in range(recorded):
        _record(path, f"line:{n:064}", ["list", str(n)], start + n)
    replayed = again.draw(st.lists(st.integers(0, recorded - 1), unique=True, max_size=ASKED))
    for n in replayed:
        recall._mark(root, f"line:{n:064}")
    got = [q["parts"][1] for q in recall.questions(root, ASKED, pending=True)]
    assert got[: len(replayed)] == [str(n) for n in reversed(replayed)]
    assert len(got) == min(recorded, ASKED)


# -- list questions sharing one refresh pass: no cross-talk between them -------------

LISTS = (
    ("list",),
    ("--color", "always", "list"),
    ("list", "--sort", "-name"),
    ("--color", "always", "list", "--sort", "in_stage"),
    ("list", "--owner", "maya"),
    ("list", "--owner", "theo", "--json"),
    ("list", "--where", "billing.rate>=500", "--sort", "-billing.rate"),
    ("list", "--at-risk"),
    ("--color", "always", "list", "--at-risk", "--owner", "maya"),
    ("list", "--at-risk", "--json"),
    ("list", "--stage", "active"),
    ("list", "--stage", "inquiry", "--sort", "dates.renewal"),
)


def test_list_questions_refreshed_in_one_pass_each_equal_a_fresh_answer(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """The list questions of one pass share reads and formatted cells; after saves that
    change a name, an owner and a stage, each replay is what a fresh answer prints."""
    from sortext.commands.watch import ASKED as NEWEST

    root, watcher, env = watched
    forth = (
        ("name: Northwind Bakery", "name: Northwind \x1b]Bakery \u202e"),
        ("owner: theo", "owner: maya"),
        ("stage: proposal", "stage: active"),
    )
    back = tuple((new, old) for old, new in reversed(forth))
    edits = tuple(("^" + re.escape(old), new) for old, new in (*forth, *back))
    for start in range(0, len(LISTS), NEWEST):
        chunk = LISTS[start : start + NEWEST]
        watcher.saved()  # nothing pending: the chunk is what is asked since
        for query in chunk:
            _entry(root, _line(query), env)
        for pattern, text in edits:
            replace(root / NORTHWIND, pattern, text)
            watcher.saved("northwind-bakery.md")
            got = [_replayed(root, query, env) for query in chunk]
            # (a fresh answer drops every reply: the replays first)
            for query, reply in zip(chunk, got, strict=True):
                assert reply == _fresh(root, query, env), (text, query)


# -- the child's failure is told; the watcher's own stop is not a failure -------------

_CTRL_C = """
import logging, os, signal, sys
from pathlib import Path
from sortext.commands.watch import RefreshChild

logging.basicConfig(level=logging.WARNING, format="%(message)s")
stop = []
signal.signal(signal.SIGINT, lambda *_: stop.append(1))  # the watcher's handler: a flag
pressed = []

def hurry():
    if not pressed:  # Ctrl-C in the terminal: SIGINT to its foreground process group
        pressed.append(1)
        os.killpg(os.getpgrp(), signal.SIGINT)
        return False  # the watcher's loop sees its flag on its next tick
    return bool(stop)

print(RefreshChild()(Path(sys.argv[1]), hurry))
"""


def test_ctrl_c_stopping_the_watcher_is_not_told_as_the_childs_failure(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """Ctrl-C in the watcher's terminal reaches its whole process group: the refresh
    child, in that group, died of it and the watcher logged 'its process failed:
    killed by SIGINT' while it was being stopped.  The child is in a session of its
    own: the watcher stops it itself (hurry), which is never told."""
    import subprocess
    import sys

    root, watcher, env = watched
    watcher.saved(refresh=False)
    _entry(root, _line(("next",)), env)  # asked since: a child is started
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C, str(root)],
        capture_output=True,
        start_new_session=True,  # its own process group: the signal stays in it
        timeout=120,
        env=env,
    )
    assert done.stdout.strip() == b"None", done
    assert b"failed" not in done.stderr, done.stderr
