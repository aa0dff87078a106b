"""The index's answer to the dashboard equals the in-memory one (``dashboard.assemble``)."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from pathlib import Path

import pytest

from bench.gen_pages import client_text
from sortext.check.load import Record, parse_record
from sortext.rules import findings as rules
from sortext.schema.config import Config, default_config_text, parse_config
from sortext.schema.validate import RecordValidator
from sortext.store import board
from sortext.views.dashboard import Dashboard, assemble, from_board

LIMIT = 7
LISTS = (
    "next_actions",
    "at_risk",
    "stuck",
    "progressing",
    "invoices_overdue",
    "invoices_due",
    "dates_due",
    "blocked",
    "retention",
)


@pytest.fixture(scope="module")
def config() -> Config:
    return parse_config(Path("."), default_config_text().encode(), "sortext.yaml")


@pytest.fixture(scope="module")
def records(config: Config) -> list[Record]:
    """Realistic generated clients, plus two that share a name (ties must order alike)."""
    rng = random.Random(7)
    validator = RecordValidator(config)
    out = []
    for i in range(160):
        text = client_text(i, rng)
        if i in (5, 6):
            text = text.replace(f" {i:05d}\n", " Twin\n", 1)
        loaded = parse_record(text.encode(), f"clients/c-{i:05d}.md", validator)
        assert loaded.record is not None
        out.append(loaded.record)
    return out


def _board(records: list[Record], config: Config, today: dt.date) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.executescript(board.SCHEMA)
    board.store(
        conn,
        [
            board.to_rows(r.path, "k", rules.assess(r, config, today), rules.is_open(r, config))
            for r in records
        ],
    )
    return conn


@pytest.mark.parametrize("today", ["2026-11-23", "2026-10-01", "2027-03-15"])
def test_index_dashboard_equals_the_in_memory_one(
    records: list[Record], config: Config, today: str
) -> None:
    day = dt.date.fromisoformat(today)
    full: Dashboard = assemble([rules.assess(r, config, day) for r in records], [], config, day)
    shown: Dashboard = from_board(_board(records, config, day), today, [], LIMIT)
    assert (shown.clients, shown.open_clients) == (full.clients, full.open_clients)
    for name in LISTS:
        whole, top = getattr(full, name), getattr(shown, name)
        assert len(top) == len(whole), name
        assert list(top) == list(whole[:LIMIT]), name
        assert top[:LIMIT] == whole[:LIMIT], name
    assert shown.next_counts == full.next_counts
    assert [c for c, _ in shown.overdue_totals] == [c for c, _ in full.overdue_totals]
    assert [t for _, t in shown.overdue_totals] == pytest.approx(
        [t for _, t in full.overdue_totals]
    )
    assert len(full.at_risk) > LIMIT and len(full.next_actions) > LIMIT  # truncation exercised


def test_next_items_in_page_order(records: list[Record], config: Config) -> None:
    day = dt.date(2026, 11, 23)
    conn = _board(records, config, day)
    assert board.all_next(conn) == rules.next_actions(records, config, day)
    for status in rules.NEXT_ORDER:
        expected = [n for n in rules.next_actions(records, config, day) if n.status == status]
        top = board.next_top(conn, LIMIT, status)
        assert (len(top), list(top)) == (len(expected), expected[:LIMIT])


def test_storing_again_replaces_and_forget_removes(records: list[Record], config: Config) -> None:
    day = dt.date(2026, 11, 23)
    conn = _board(records[:10], config, day)
    again = [board.to_rows(r.path, "k2", rules.assess(r, config, day), True) for r in records[:3]]
    board.store(conn, again)
    assert sum(1 for k in board.keys(conn).values() if k == "k2") == 3
    assert len(board.keys(conn)) == 10
    board.forget(conn, [r.path for r in records[:10]])
    for table in board.TABLES:
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_top_is_a_sequence_of_its_rows_with_the_full_length() -> None:
    top = board.Top([1, 2], 5)
    assert len(top) == 5 and bool(top) and list(top) == [1, 2] and top[:1] == [1]
    assert top[1] == 2 and not board.Top([], 0)
