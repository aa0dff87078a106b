"""The lists' counts and the overdue totals kept as values (``board_counts``, issue 15:
a one-file build no longer counts every row of the board for the summary pages).

Held to a recount over the tables after any sequence of stores and forgets (the
incremental path), with the counts kept, dropped and kept again in between; a damaged
or planted row is never read (the readers count over the tables instead).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.store import board, daybook

PATHS = [f"clients/c{i}.md" for i in range(6)]
OWNERS = [None, "maya", "theo"]
KINDS = ["invoice_overdue", "invoice_due", "review_due", "blocked", "retention_expired", "x"]
AMOUNTS = [None, 0.1, 0.2, 0.7, 10.0, 99.99, 1e16]
CURRENCIES = [None, "", "EUR", "USD"]


@st.composite
def rows(draw: Any, path: str) -> board.Rows:
    owner = draw(st.sampled_from(OWNERS))
    risk = draw(st.integers(0, 3))
    assessed = (
        path,
        "k",
        path[8:-3],
        "N",
        "n",
        owner,
        draw(st.integers(0, 1)),
        draw(st.integers(0, risk)),
        risk,
    )
    next_item = None
    if draw(st.booleans()):
        who = draw(st.sampled_from([*OWNERS, 5]))
        next_item = (path, "s", draw(st.integers(0, 4)), "", "", json.dumps(["i", "n", "a", who]))
    findings = []
    for seq in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(KINDS))
        section = board._SECTION_OF.get(kind)
        amount = draw(st.sampled_from(AMOUNTS))
        currency = draw(st.sampled_from(CURRENCIES))
        findings.append((path, seq, kind, 0, "", "", amount, currency, "[]", section, ""))
    goals = [
        (path, seq, "g", "[]", draw(st.sampled_from(["stuck", "progressing"])), 0.0)
        for seq in range(draw(st.integers(0, 2)))
    ]
    found = board.Rows(path, assessed, next_item, findings, goals)
    items = []
    for _ in range(draw(st.integers(0, 4))):
        day = draw(st.sampled_from(DAYS))
        kind = draw(st.sampled_from(["overdue", "action", "session"]))
        who = draw(st.sampled_from(OWNERS))
        items.append(
            (who, day, draw(st.sampled_from(["a", "b"])), kind, _item_json(day, kind, who))
        )
    found.day = daybook.DayRows(items, [])
    return found


DAYS = ["2026-11-23", "2026-11-24", "2026-11-29"]


def _item_json(day: str, kind: str, who: str | None) -> str:
    from sortext.rules.agenda import AgendaItem

    slots = AgendaItem.__slots__
    values: dict[str, object] = {name: None for name in slots}
    values.update(day=day, kind=kind, owner=who)
    return json.dumps([values[name] for name in slots])


@st.composite
def operations(draw: Any) -> list[tuple[str, Any]]:
    ops: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(1, 12))):
        what = draw(st.sampled_from(["store", "store", "forget", "keep", "drop"]))
        if what == "store":
            paths = draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=4, unique=True))
            ops.append((what, [draw(rows(p)) for p in paths]))
        elif what == "forget":
            ops.append((what, draw(st.lists(st.sampled_from(PATHS), max_size=3))))
        else:
            ops.append((what, None))
    return ops


def _conn() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.executescript(board.SCHEMA)
    conn.executescript(daybook.SCHEMA)
    return conn


def _readers(conn: sqlite3.Connection) -> dict[str, Any]:
    """What the pages read (totals only: ``limit`` 0 reads no rows)."""
    out: dict[str, Any] = {
        "clients": board.client_counts(conn),
        "next_counts": board.next_counts(conn),
        "next": len(board.next_top(conn, 0)),
        "overdue": board.overdue_totals(conn),
        "risk": len(board.at_risk_top(conn, ["x", "blocked"], 0)),
    }
    for rank in range(5):
        status = board_status(rank)
        out[f"next:{status}"] = len(board.next_top(conn, 0, status))
    for owner in ("maya", "theo", "5", "nobody"):
        out[f"next={owner}"] = len(board.next_top_of(conn, owner, 0))
        out[f"risk={owner}"] = len(board.at_risk_top(conn, ["x"], 0, owner))
    for section in board.SECTIONS:
        out[f"section:{section}"] = len(board.findings_top(conn, section, 0))
    for group in ("stuck", "progressing"):
        out[f"goal:{group}"] = len(board.goals_top(conn, group, 0))
    for who in (None, "maya", "theo", "nobody"):  # the week's "N more" (1 shown a day)
        week = daybook.week_top(conn, dt.date(2026, 11, 23), 7, who, 1, _counted(conn))
        out[f"week={who}"] = [(d.more, d.more_overdue) for d in week]
    return out


def _counted(conn: sqlite3.Connection) -> Any:
    """The day counts as the pages read them (kept, else None: counted over the rows)."""
    return lambda day, owner, overdue: board.day_count(conn, day, owner, overdue)


def board_status(rank: int) -> str:
    from sortext.rules.findings import NEXT_ORDER

    return NEXT_ORDER[rank]


def _recounted(conn: sqlite3.Connection) -> dict[str, Any]:
    """The readers' answers counted over the tables (the kept values set aside)."""
    kept = conn.execute("SELECT key, value FROM board_counts").fetchall()
    board.drop_counts(conn)
    try:
        return _readers(conn)
    finally:
        conn.executemany("INSERT INTO board_counts VALUES (?, ?)", kept)


@settings(max_examples=150, deadline=None)
@given(ops=operations(), small=st.booleans())
def test_kept_counts_equal_a_recount_after_any_stores_and_forgets(
    ops: list[tuple[str, Any]], small: bool
) -> None:
    # a small limit: a batch of more paths drops the counts, kept again by "keep"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(board, "COUNT_DELTA_LIMIT", 2 if small else 200)
        _run(ops)


def _run(ops: list[tuple[str, Any]]) -> None:
    conn = _conn()
    board.keep_counts(conn)
    for what, arg in ops:
        if what == "store":
            board.store(conn, arg)
            board.store_day(conn, arg)
        elif what == "forget":
            board.forget(conn, arg)
            board.forget_day(conn, arg)
        elif what == "keep":
            board.keep_counts(conn)
        else:
            board.drop_counts(conn)
        assert _readers(conn) == _recounted(conn)
        if board._is_kept(conn):  # and the rows themselves are a recount's
            stored = dict(conn.execute("SELECT key, value FROM board_counts WHERE key != ''"))
            stored.pop("overdue", None)
            assert stored == board._contributions(conn, None)


def _overdue(amount: float) -> tuple[Any, ...]:
    return (PATHS[0], 0, "invoice_overdue", 0, "", "", amount, "EUR", "[]", "invoice_overdue", "")


def _stored(conn: sqlite3.Connection) -> None:
    board.store(
        conn,
        [
            board.Rows(
                PATHS[0],
                (PATHS[0], "k", "c0", "N", "n", "maya", 1, 1, 2),
                (PATHS[0], "s", 0, "", "", json.dumps(["i", "n", "a", "maya"])),
                [
                    (
                        PATHS[0],
                        0,
                        "invoice_overdue",
                        0,
                        "",
                        "",
                        0.1,
                        "EUR",
                        "[]",
                        "invoice_overdue",
                        "",
                    )
                ],
                [(PATHS[0], 0, "g", "[]", "stuck", 0.0)],
            )
        ],
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("", "counts-0"),  # a marker of another form: not kept
        ("clients", "7"),  # a count that is not an integer
        ("clients", -3),
        ("next:0", "x"),
        ("next=maya", 2.5),
        ("section:invoice_overdue", None),
        ("overdue", "not json"),
        ("overdue", json.dumps([["EUR", "12"]])),
        ("overdue", json.dumps({"EUR": 1})),
        ("overdue", json.dumps([["EUR", 1.0, 2]])),
    ],
)
def test_a_damaged_or_planted_row_is_never_read(key: str, value: object) -> None:
    conn = _conn()
    _stored(conn)
    board.keep_counts(conn)
    fresh = _recounted(conn)
    if value is None:
        conn.execute("DELETE FROM board_counts WHERE key = ?", (key,))
        conn.execute("INSERT INTO board_counts VALUES (?, 99)", ("section:x",))
        assert _readers(conn)["clients"] == fresh["clients"]
        return
    conn.execute("INSERT OR REPLACE INTO board_counts VALUES (?, ?)", (key, value))
    assert _readers(conn) == fresh
    board.keep_counts(conn)  # kept again: a damaged marker or overdue row is replaced
    assert _readers(conn) == fresh


def test_a_count_out_of_step_is_dropped_not_made_negative() -> None:
    conn = _conn()
    _stored(conn)
    board.keep_counts(conn)
    conn.execute("UPDATE board_counts SET value = 0 WHERE key = 'goal:stuck'")
    board.forget(conn, [PATHS[0]])  # would take goal:stuck below zero
    assert not board._is_kept(conn)
    assert _readers(conn) == _recounted(conn)
    assert len(board.goals_top(conn, "stuck", 0)) == 0


def test_overdue_totals_are_summed_again_when_an_amount_changes() -> None:
    conn = _conn()
    _stored(conn)
    board.keep_counts(conn)
    assert board.overdue_totals(conn) == [("EUR", 0.1)]
    rows = board.Rows(
        PATHS[0],
        (PATHS[0], "k", "c0", "N", "n", "maya", 1, 0, 0),
        None,
        [_overdue(0.2)],
        [],
    )
    board.store(conn, [rows])
    assert board._kept_overdue(conn) is None  # no longer kept: summed on reading
    assert board.overdue_totals(conn) == [("EUR", 0.2)]
    board.keep_counts(conn)
    assert board._kept_overdue(conn) == [("EUR", 0.2)]
    # the same amounts again (another note in the record): the kept totals stay
    board.store(conn, [rows])
    assert board._kept_overdue(conn) == [("EUR", 0.2)]


def test_many_paths_at_once_drop_the_counts() -> None:
    conn = _conn()
    board.keep_counts(conn)
    many = [
        board.Rows(p, (p, "k", p, "N", "n", None, 1, 0, 0), None, [], [])
        for p in (f"clients/m{i}.md" for i in range(board.COUNT_DELTA_LIMIT + 1))
    ]
    board.store(conn, many)
    assert not board._is_kept(conn)
    assert board.client_counts(conn) == (len(many), len(many))
    board.keep_counts(conn)
    assert board._kept_count(conn, "clients") == len(many)


def test_counts_an_older_form_kept_are_not_read_for_the_days() -> None:
    """An index whose counts the first form kept (no day counts) reads as not kept:
    the week's counts come from the rows, and the next keep counts them all."""
    conn = _conn()
    store = board.Rows(
        "clients/a.md", ("clients/a.md", "k", "a", "N", "n", "maya", 1, 0, 0), None, [], []
    )
    store.day = daybook.DayRows(
        [("maya", "2026-11-23", "a", "overdue", _item_json("2026-11-23", "overdue", "maya"))] * 3,
        [],
    )
    board.store(conn, [store])
    board.store_day(conn, [store])
    board.keep_counts(conn)
    conn.execute("DELETE FROM board_counts WHERE key LIKE 'day%'")
    conn.execute("UPDATE board_counts SET value = 'counts-1' WHERE key = ''")
    assert board.day_count(conn, "2026-11-23", None, False) is None
    week = daybook.week_top(conn, dt.date(2026, 11, 23), 1, "maya", 1, _counted(conn))
    assert (week[0].more, week[0].more_overdue) == (2, 2)
    board.keep_counts(conn)
    assert board.day_count(conn, "2026-11-23", "maya", True) == 3
