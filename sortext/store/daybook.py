"""The day book: each record's agenda items for the week and its invoices, kept as rows.

Stored beside a record's assessment (same key: the file, the day, the config
and its time in stage) so the dashboard's "this week" strip, its money
section and the per-owner pages are answered by SQLite after one edit, not
by reading every record again.  Rows are computed by the pure rules
(:func:`sortext.rules.agenda.record_items`, :func:`sortext.rules.money.invoice_rows`).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS day_items (
    path TEXT NOT NULL, owner TEXT, value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS day_items_path ON day_items (path);
CREATE TABLE IF NOT EXISTS day_invoices (
    path TEXT NOT NULL, record_id TEXT NOT NULL, name TEXT NOT NULL, owner TEXT,
    invoice TEXT NOT NULL, amount REAL NOT NULL, currency TEXT NOT NULL, status TEXT,
    issued TEXT, paid_on TEXT, due TEXT
);
CREATE INDEX IF NOT EXISTS day_invoices_path ON day_invoices (path);
"""
TABLES = ("day_items", "day_invoices")
WEEK_DAYS = 7


@dataclass(slots=True)
class DayRows:
    """One record's rows: agenda items (owner, JSON) and invoices."""

    items: list[tuple[str | None, str]] = field(default_factory=list)
    invoices: list[tuple[Any, ...]] = field(default_factory=list)


def to_rows(record: Any, config: Any, today: dt.date) -> DayRows:
    """The day-book rows of ``record`` for the week from ``today``."""
    from sortext.rules.agenda import record_items
    from sortext.rules.money import invoice_rows

    last = today + dt.timedelta(days=WEEK_DAYS - 1)
    items = record_items(record, config, today, last)
    return DayRows(
        [(i.owner, json.dumps([getattr(i, n) for n in i.__slots__])) for i in items],
        [tuple(row) for row in invoice_rows(record)],
    )


def forget(conn: sqlite3.Connection, paths: Iterable[str]) -> None:
    gone = [(p,) for p in paths]
    for table in TABLES:
        conn.executemany(f"DELETE FROM {table} WHERE path = ?", gone)


def store(conn: sqlite3.Connection, batch: Sequence[tuple[str, DayRows]]) -> None:
    """Replace the day-book rows of the records (by path) in ``batch``."""
    forget(conn, (path for path, _ in batch))
    conn.executemany(
        "INSERT INTO day_items VALUES (?, ?, ?)",
        [(path, owner, value) for path, rows in batch for owner, value in rows.items],
    )
    conn.executemany(
        "INSERT INTO day_invoices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(path, *inv) for path, rows in batch for inv in rows.invoices],
    )


def week_items(conn: sqlite3.Connection, owner: str | None = None) -> list[Any]:
    """The stored agenda items (of ``owner``), as :class:`sortext.rules.agenda.AgendaItem`."""
    from sortext.rules.agenda import AgendaItem

    if owner is None:
        rows = conn.execute("SELECT value FROM day_items")
    else:
        rows = conn.execute("SELECT value FROM day_items WHERE owner = ?", (owner,))
    return [AgendaItem(*json.loads(v)) for (v,) in rows]


def invoices(conn: sqlite3.Connection, owner: str | None = None) -> list[Any]:
    """The stored invoices (of ``owner``'s clients), as :class:`sortext.rules.money.InvoiceRow`."""
    from sortext.rules.money import InvoiceRow

    query = (
        "SELECT record_id, name, owner, invoice, amount, currency, status, issued, paid_on, due "
        "FROM day_invoices"
    )
    if owner is None:
        rows = conn.execute(query)
    else:
        rows = conn.execute(query + " WHERE owner = ?", (owner,))
    return [InvoiceRow(*row) for row in rows]


def money_totals(
    conn: sqlite3.Connection, today: dt.date, owner: str | None = None, top: int = 5
) -> Any:
    """Money at a glance summed by SQLite (the pages' figures): the same figures as
    :func:`sortext.rules.money.money_from_rows` over the stored invoices, without the
    list of open invoices (``open_invoices`` is empty)."""
    from sortext.rules.money import (
        BUCKETS,
        ClientRevenue,
        CurrencyMoney,
        DecimalSum,
        MoneySummary,
        rank_clients,
    )

    # decimal sums, as the rules add (typeshed wants finalize() -> int; SQLite takes floats);
    # FILTER hands dsum only the rows it adds (a Python call per row and figure otherwise),
    # and COALESCE gives 0 where no row matched (the aggregate then returns NULL)
    conn.create_aggregate("dsum", 1, DecimalSum)  # type: ignore[arg-type]

    year, month = f"{today.year:04d}", f"{today.year:04d}-{today.month:02d}"
    where, args = ("WHERE owner = ?", (owner,)) if owner is not None else ("", ())
    age = "MAX(0, CAST(julianday(?) - julianday(COALESCE(issued, due)) AS INTEGER))"
    bucket = (
        f"CASE WHEN COALESCE(issued, due) IS NULL OR julianday(COALESCE(issued, due)) IS NULL "
        f"THEN 0 ELSE {age} END"
    )
    rows = conn.execute(
        f"""
        SELECT currency,
          COALESCE(dsum(amount) FILTER (WHERE status NOT IN ('draft', 'void')
                   AND substr(issued, 1, 4) = ? AND julianday(substr(issued, 1, 10)) IS NOT NULL),
                   0),
          COALESCE(dsum(amount) FILTER (WHERE status NOT IN ('draft', 'void')
                   AND substr(issued, 1, 7) = ? AND julianday(substr(issued, 1, 10)) IS NOT NULL),
                   0),
          COALESCE(dsum(amount) FILTER (WHERE status = 'paid'
                   AND substr(paid_on, 1, 4) = ? AND julianday(substr(paid_on, 1, 10)) IS NOT NULL),
                   0),
          COALESCE(dsum(amount) FILTER (WHERE status = 'paid'
                   AND substr(paid_on, 1, 7) = ? AND julianday(substr(paid_on, 1, 10)) IS NOT NULL),
                   0),
          COALESCE(dsum(amount) FILTER (WHERE status IN ('sent', 'overdue') AND {bucket} <= 30), 0),
          COALESCE(dsum(amount) FILTER (WHERE status IN ('sent', 'overdue')
                   AND {bucket} BETWEEN 31 AND 60), 0),
          COALESCE(dsum(amount) FILTER (WHERE status IN ('sent', 'overdue')
                   AND {bucket} BETWEEN 61 AND 90), 0),
          COALESCE(dsum(amount) FILTER (WHERE status IN ('sent', 'overdue') AND {bucket} > 90), 0)
        FROM day_invoices {where} GROUP BY currency ORDER BY currency
        """,
        (year, month, year, month, *([today.isoformat()] * 4), *args),
    ).fetchall()
    currencies = []
    for cur, inv_y, inv_m, paid_y, paid_m, *buckets in rows:
        figures = CurrencyMoney(cur)
        figures.invoiced_year, figures.invoiced_month = float(inv_y), float(inv_m)
        figures.paid_year, figures.paid_month = float(paid_y), float(paid_m)
        figures.outstanding = {b: float(v) for (b, _), v in zip(BUCKETS, buckets, strict=True)}
        currencies.append(figures)
    tops = conn.execute(
        f"""
        SELECT record_id, name, currency, dsum(amount) AS paid FROM day_invoices
        WHERE status = 'paid' AND substr(paid_on, 1, 4) = ?
          AND julianday(substr(paid_on, 1, 10)) IS NOT NULL {"AND owner = ?" if owner else ""}
        GROUP BY record_id, currency
        """,
        (year, *args),
    ).fetchall()
    ranked = rank_clients((ClientRevenue(r, n, c, float(p)) for r, n, c, p in tops), top)
    return MoneySummary(today.isoformat(), month, currencies, ranked, [])
