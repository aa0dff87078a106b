"""The index's side tables (page keys, remembered answers) and the display helpers,
each in the module that does its job."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sortext.repo import open_repository
from sortext.rules.wording import days_phrase
from sortext.store import answers, pagekeys
from sortext.store.index import Index
from sortext.views import format as fmt

_paths = st.text("abc/-.", min_size=1, max_size=12)
_keys = st.dictionaries(_paths, st.text("0123456789abcdef:", min_size=1, max_size=8))


def _conn() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.executescript(pagekeys.SCHEMA + answers.SCHEMA)
    return conn


@given(_keys, _keys, st.sets(_paths))
def test_page_keys_hold_the_last_key_of_each_page(
    first: dict[str, str], second: dict[str, str], removed: set[str]
) -> None:
    conn = _conn()
    pagekeys.set_page_keys(conn, first)
    pagekeys.set_page_keys(conn, second, removed)
    expected = {p: k for p, k in first.items() if p not in removed} | second
    assert pagekeys.page_keys(conn) == expected
    asked = set(first) | removed
    assert pagekeys.page_keys(conn, asked) == {p: k for p, k in expected.items() if p in asked}


def test_a_record_change_forgets_remembered_answers(records_repo: Path) -> None:
    repo = open_repository(records_repo)
    with Index.open(repo) as index:
        index.refresh()
        answers.remember(index.conn, "next:2026-11-20", {"items": [1, 2]})
        assert answers.recall(index.conn, "next:2026-11-20") == {"items": [1, 2]}
        index.refresh()  # nothing changed: the answer stands
        assert answers.recall(index.conn, "next:2026-11-20") == {"items": [1, 2]}
        record = records_repo / "clients" / "amara-okafor.md"
        record.write_bytes(record.read_bytes() + b"\nOne more line.\n")
        index.refresh()
        assert answers.recall(index.conn, "next:2026-11-20") is None


def test_the_index_creates_every_store_table(records_repo: Path) -> None:
    with Index.open(open_repository(records_repo)) as index:
        names = {row[0] for row in index.conn.execute("SELECT name FROM sqlite_master")}
    assert {"files", "records", "notes", "pages", "answers", "assessed", "findings"} <= names


@given(st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)), st.integers(-400, 400))
def test_late_says_days_late_or_the_rules_phrase(today: dt.date, offset: int) -> None:
    due = today + dt.timedelta(days=offset)
    text = fmt.late(due.isoformat(), today.isoformat())
    late = "1 day late" if offset == -1 else f"{-offset} days late"
    assert text == (late if offset < 0 else days_phrase(offset))


def test_display_helpers() -> None:
    assert fmt.money(1200, "EUR") == "1,200 EUR"
    assert fmt.money(87.5, None) == "87.50"
    assert fmt.money(None, "EUR") == ""
    assert fmt.number(7.25) == "7.2" and fmt.number(12.0) == "12" and fmt.number(None) == "–"
    assert fmt.percent(41.6) == "42%" and fmt.percent(None) == "" and fmt.percent(None, "–") == "–"
    assert fmt.weekday("2026-11-20") == "Fri" and fmt.weekday("soon") == ""
    assert fmt.late("not a date", "2026-11-20") == ""
