"""The refresh takes the questions asked last, however many are asked between two
saves (tidy10 item 2).

A replay marked its command line asked once between two refreshes: with more than
ASKED (8) questions asked since a refresh, a question asked early and asked again
last kept its first mark, so "the newest eight" were the first asked, and the refresh
worked out the wrong ones.  A replay now writes its mark unless its mark is already
the newest (the same command line asked again and again only reads), and a mark is
always past every other: the order of the marks is the order of the asks.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.store import answers
from tests.dated import replace
from tests.test_breakrefresh9 import LISTS, drive_asks
from tests.test_query_recall import NORTHWIND, _dated
from tests.test_recall_line import _entry, _env
from tests.test_watch_refresh import _fresh, _line, _replayed
from tests.watchkit import Daemon, commit_count, wait_for

ASKED_HERE = LISTS[:10]  # ten distinct questions: more than a refresh takes


def _refreshed_at(root: Path) -> int:
    """When the last finished refresh began (its mark; 0 before any)."""
    conn = sqlite3.connect(root / ".sortext" / "index.sqlite")
    try:
        return answers.asked_marks(conn)[1]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def _save(root: Path, daemon: Daemon, name: str) -> None:
    """Save Northwind under ``name``; wait until the watcher committed it and finished
    a refresh after it (the refresh mark moved)."""
    before, commits = _refreshed_at(root), commit_count(root)
    replace(root / NORTHWIND, r"^name: .*", f"name: {name}")
    wait_for(
        lambda: commit_count(root) > commits and _refreshed_at(root) > before,
        60,
        lambda: daemon.log,
    )


def test_a_real_watcher_refreshes_the_questions_asked_last_of_more_than_eight(
    records_repo: Path, tmp_path: Path
) -> None:
    """Ten questions asked after a refresh, then the first two asked again: the next
    save's refresh works out those two and the six asked last before them, not the
    first eight asked.  Each refreshed reply is a replay equal to a fresh answer."""
    from sortext.commands.watch import ASKED
    from sortext.files.state import StateDir

    root = _dated(records_repo)
    env = _env(tmp_path)
    daemon = Daemon(root)
    try:
        daemon.wait_ready()
        wait_for(StateDir(root).watch_current.exists, 20, lambda: daemon.log)
        for query in ASKED_HERE * 2:  # each line recorded (once indexed)
            _entry(root, _line(query), env)
        _save(root, daemon, "Northwind Bakerz")  # nothing pending after it
        for query in (*ASKED_HERE, *ASKED_HERE[:2]):
            _entry(root, _line(query), env)
        _save(root, daemon, "Northwind Bakery")
        expected = {*ASKED_HERE[:2], *ASKED_HERE[-(ASKED - 2) :]}
        # a replay (no Click) is a reply the refresh kept; the others are worked out
        replayed = {query for query in ASKED_HERE if not _entry(root, _line(query), env)[3]}
        assert replayed == expected
        ends = (ASKED_HERE[0], ASKED_HERE[-1])
        got = {query: _replayed(root, query, env) for query in ends}
        for query in ends:  # (a fresh answer drops every reply: the replays first)
            assert got[query] == _fresh(root, query, env), query
    finally:
        daemon.stop()


# -- the order of the marks is the order of the asks, whatever the clock and number ---

_LINES = 12
_OPS = st.lists(
    st.tuples(
        st.sampled_from(["ask", "ask", "ask", "refresh"]),
        st.integers(min_value=0, max_value=_LINES - 1),  # which line asks
        st.integers(min_value=-(10**12), max_value=10**12),  # the clock's step
    ),
    max_size=40,
)


@given(ops=_OPS)
@settings(max_examples=80, deadline=None)
def test_a_refresh_takes_the_lines_asked_last_whatever_their_number_and_the_clock(
    ops: list[tuple[str, int, int]],
) -> None:
    """Twelve lines asked in any order (a replay: marked when it needs a mark), with
    refreshes between, while the wall clock steps back and forth: each refresh takes
    exactly the ASKED lines asked last since the previous one, the last asked first;
    and asking the line asked last again writes nothing."""
    from sortext.commands.watch import ASKED

    def check(taken: list[str], since: list[str]) -> None:
        assert taken == since[:ASKED]

    drive_asks(ops, _LINES, check)
