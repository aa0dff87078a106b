"""Break-testing refresh9 (the watcher refreshes only the questions asked since its last
finished refresh).

A wall clock stepped back (an NTP step, a hand-set clock) between a finished refresh and
the next ask must not make that ask look older than the refresh: the question would be
left out of the next refresh although it was asked after the last one (its next ask is
then worked out instead of replayed)."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from sortext.store import answers

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
