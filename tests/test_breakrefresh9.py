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
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.store import answers
from tests.dated import replace
from tests.test_query_recall import NORTHWIND
from tests.test_recall_line import _entry
from tests.test_refresh_asked import _marks
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
    assert not answers.needs_mark(conn, "line:a")  # asked last: no second write


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
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
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

LISTS: tuple[tuple[str, ...], ...] = (
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


# -- a configuration change: the kept questions are answered under the new one --------

CONFIG_EDITS = (
    ("due_soon_days: 7", "due_soon_days: 30"),
    ("stale_days: {inquiry: 14,", "stale_days: {inquiry: 2,"),
    ("  - {name: paused, open: true, side: true}\n", ""),  # a stage gone: records invalid
    ("people: [maya, theo]", "people: [maya]"),  # --owner theo: an unknown person now
    ("{field: email, from: discovery, severity: warning}", "{field: phone, from: inquiry}"),
)
CONFIG_ASKED: tuple[tuple[str, ...], ...] = (
    ("next",),
    ("next", "--within", "7d"),
    ("list", "--at-risk"),
    ("--color", "always", "list", "--at-risk", "--json"),
    ("list", "--owner", "theo"),
    ("next", "--owner", "theo"),
    ("list", "--sort", "in_stage"),
    ("list", "--stage", "paused"),
)


@pytest.mark.parametrize(("old", "new"), CONFIG_EDITS)
def test_a_configuration_change_never_replays_the_old_configurations_text(
    watched: tuple[Path, Watcher, dict[str, str]], old: str, new: str
) -> None:
    """Questions asked, sortext.yaml changed so that their answers change, the watcher
    rebuilds (keeping the questions) and refreshes: each next ask prints what a fresh
    computation prints under the new configuration (a replay or not)."""
    root, watcher, env = watched
    watcher.saved()
    for query in CONFIG_ASKED:
        _entry(root, _line(query), env)
    config = root / "sortext.yaml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new), encoding="utf-8")
    watcher.saved()
    got = [_entry(root, _line(query), env)[:3] for query in CONFIG_ASKED]
    for query, reply in zip(CONFIG_ASKED, got, strict=True):
        assert reply == _fresh(root, query, env), (new, query)


# -- the watcher's log: what a failing child wrote is quoted inert, once per cause ----


@given(
    code=st.integers(min_value=-64, max_value=255).filter(lambda c: c != 0),
    stderr=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=200).map(lambda t: ("Traceback\n" + t + "\n").encode("utf-8")),
    ),
)
@settings(max_examples=200, deadline=None)
def test_a_failing_childs_warning_is_one_inert_line_told_once(code: int, stderr: bytes) -> None:
    """Whatever the child wrote on its standard error (a question's hostile arguments
    in an exception's message, invalid UTF-8): the warning is one line without control,
    format or separator characters, and the same failure again is not told again."""
    import logging
    import unicodedata

    from sortext.commands.watch import RefreshChild

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    log = logging.getLogger("sortext.watch")
    handler = Keep(logging.WARNING)
    log.addHandler(handler)
    try:
        child = RefreshChild()
        child._tell(code, stderr)
        child._tell(code, stderr)
    finally:
        log.removeHandler(handler)
    assert len(records) == 1
    message = records[0].getMessage()
    bad = [c for c in message if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    assert bad == [], message


# -- a replay whose mark cannot be written: printed as fresh, marked when it can -------


def test_a_replay_with_the_index_locked_is_printed_and_marked_when_it_can_be(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """A long build holds the index's write lock: a replay still prints the reply (what
    a fresh answer prints), giving up the mark after its short wait; the next replay,
    the lock gone, writes it, so the next save refreshes the question."""
    import time

    root, watcher, env = watched
    watcher.saved()
    query = ("next",)
    before = _marks(root)
    holder = sqlite3.connect(root / ".sortext" / "index.sqlite", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        began = time.monotonic()
        got = _replayed(root, query, env)
        waited = time.monotonic() - began
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _marks(root) == before  # not written, and no error
    assert waited < 5  # (a process start and the mark's 0.1 s wait, not the index's 2 s)
    assert got == _replayed(root, query, env)
    assert _marks(root) != before  # written now
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz")
    assert watcher.saved("northwind-bakery.md") == 1
    assert _replayed(root, query, env) == _fresh(root, query, env)


# -- two terminals asking the same command line ---------------------------------------

TERMINALS: tuple[dict[str, str], ...] = (
    {},
    {"PYTHONIOENCODING": "latin-1"},
    {"PYTHONIOENCODING": "ascii"},
    {"PYTHONIOENCODING": "utf-16"},
    {"NO_COLOR": "1"},
    {"COLUMNS": "40"},
)


@pytest.mark.parametrize("query", [("next",), ("--color", "always", "list", "--at-risk")])
def test_terminals_asking_the_same_line_each_get_a_fresh_answers_bytes(
    watched: tuple[Path, Watcher, dict[str, str]], query: tuple[str, ...]
) -> None:
    """The same command line asked from terminals of other encodings, colour and width,
    in turns, across saves of a record whose name the encodings write differently:
    whatever is replayed is what a fresh answer prints on that terminal."""
    root, watcher, env = watched
    names = ("Northwind Bakery", "Nörthwind ✓ Bakery", "Northwind 北 Bakery")
    for n, (old, new) in enumerate(zip(names, names[1:] + names[:1], strict=True)):
        replace(root / NORTHWIND, "^name: " + re.escape(old), "name: " + new)
        watcher.saved("northwind-bakery.md")
        envs = [dict(env, **extra) for extra in TERMINALS[n % 2 :: 2] + TERMINALS]
        got = [_entry(root, _line(query), each)[:3] for each in envs]
        for each, reply in zip(envs, got, strict=True):
            assert reply == _fresh(root, query, each), (new, each.get("PYTHONIOENCODING"))


# -- asked since the last refresh, whatever the wall clock says -----------------------

_OPS = st.lists(
    st.tuples(
        st.sampled_from(["ask", "refresh"]),
        st.integers(min_value=0, max_value=3),  # which line asks
        st.integers(min_value=-(10**12), max_value=10**12),  # the clock's step
    ),
    max_size=25,
)


def drive_asks(
    ops: list[tuple[str, int, int]], lines: int, check: Callable[[list[str], list[str]], None]
) -> None:
    """``lines`` command lines recorded (asked), then ``ops``: an ask of a line (a
    replay: marked when :func:`answers.needs_mark` says so, which it never says for the
    line asked last) or a refresh (the questions it takes as pending, then noted
    refreshed), each after the wall clock steps by the op's step (back or forth; it
    moves on by 1 ns between two readings).  At each refresh ``check(taken, since)``:
    the lines the refresh took (their ``parts[1]``, in its order) and those asked since
    the previous one, the last asked first."""
    import tempfile
    import time
    import types
    from unittest import mock

    from sortext.views import recall

    now = [time.time_ns()]

    def time_ns() -> int:
        now[0] += 1  # the clock moves on between two readings, unless stepped back
        return now[0]

    fake = types.SimpleNamespace(time_ns=time_ns, localtime=time.localtime)
    with tempfile.TemporaryDirectory() as folder, mock.patch.object(recall, "time", fake):
        root = Path(folder)
        path = _index(root)
        since: list[str] = []  # asked since the last refresh, the last asked first
        for n in range(lines):
            _record(path, f"line:{n:064}", ["list", str(n)], time_ns())  # recorded: asked
            since.insert(0, str(n))
        for op, line, step in ops:
            now[0] += step
            if op == "ask":
                key = f"line:{line:064}"
                conn = sqlite3.connect(path)
                try:
                    needed = answers.needs_mark(conn, key)
                finally:
                    conn.close()
                if since[:1] == [str(line)]:
                    assert not needed  # the same line again: only read
                if needed:
                    recall._mark(root, key)
                if str(line) in since:
                    since.remove(str(line))
                since.insert(0, str(line))
            else:
                from sortext.commands.watch import ASKED

                began = time_ns()
                asked = recall.questions(root, ASKED, pending=True)
                check([q["parts"][1] for q in asked], since)
                recall.refreshed(root, began, asked)
                since = []


@given(ops=_OPS)
@settings(max_examples=60, deadline=None)
def test_pending_is_what_was_asked_since_the_last_refresh_whatever_the_clock(
    ops: list[tuple[str, int, int]],
) -> None:
    """Lines are asked (a replay: marked when it needs a mark) and refreshes run, while
    the wall clock steps back and forth: the questions a refresh takes are exactly the
    lines asked since the previous one read its questions (none asked: none taken, so
    no child), and an ask after a refresh is never taken as older than it."""

    def check(taken: list[str], since: list[str]) -> None:
        assert set(taken) == set(since)

    drive_asks(ops, 4, check)
