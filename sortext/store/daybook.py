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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow
from typing import Any

from sortext.rules.outstanding import OUTSTANDING_SQL

SCHEMA = """
CREATE TABLE IF NOT EXISTS day_items (
    path TEXT NOT NULL, owner TEXT, day TEXT NOT NULL, o TEXT NOT NULL, kind TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS day_items_path ON day_items (path);
CREATE INDEX IF NOT EXISTS day_items_day ON day_items (day, o);
CREATE INDEX IF NOT EXISTS day_items_owner ON day_items (owner, day, o);
CREATE INDEX IF NOT EXISTS day_items_kind ON day_items (day, kind, owner);
CREATE TABLE IF NOT EXISTS day_inv (
    path TEXT NOT NULL, seq INTEGER NOT NULL, invoice TEXT NOT NULL, amount REAL NOT NULL,
    currency TEXT NOT NULL, status TEXT, issued TEXT, paid_on TEXT, due TEXT,
    PRIMARY KEY (path, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS day_who (
    path TEXT PRIMARY KEY, record_id TEXT NOT NULL, name TEXT NOT NULL, owner TEXT
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS day_invoices AS
    SELECT i.path AS path, i.seq AS seq, w.record_id AS record_id, w.name AS name,
        w.owner AS owner, i.invoice AS invoice, i.amount AS amount, i.currency AS currency,
        i.status AS status, i.issued AS issued, i.paid_on AS paid_on, i.due AS due
    FROM day_inv i JOIN day_who w ON w.path = i.path;
CREATE TABLE IF NOT EXISTS day_money_for (today TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS day_money (
    scope TEXT NOT NULL, currency TEXT NOT NULL, n INTEGER NOT NULL, figures TEXT NOT NULL,
    PRIMARY KEY (scope, currency)
);
CREATE TABLE IF NOT EXISTS day_paid (
    scope TEXT NOT NULL, record_id TEXT NOT NULL, currency TEXT NOT NULL, name TEXT NOT NULL,
    n INTEGER NOT NULL, paid TEXT NOT NULL, paid_f REAL NOT NULL,
    PRIMARY KEY (scope, record_id, currency)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS day_paid_rank ON day_paid (scope, currency, paid_f);
"""
#: ``day_money_for`` holds the day the kept money totals (``day_money``: per scope and
#: currency; ``day_paid``: paid this year per client) were summed for; they are kept
#: current as records are stored (see :func:`money_totals`).
#: ``day_invoices`` is a view: each invoice (``day_inv``) with its client's id, name and
#: owner, kept once per record (``day_who``) rather than once per invoice.
TABLES = (
    "day_items",
    "day_invoices",
    "day_inv",
    "day_who",
    "day_money_for",
    "day_money",
    "day_paid",
)
WEEK_DAYS = 7
# ``json.dumps(value, separators=(",", ":"))`` builds an encoder at each call; one kept
_COMPACT = json.JSONEncoder(separators=(",", ":"))


@dataclass(slots=True)
class DayRows:
    """One record's rows: agenda items (owner, day, order text, kind, JSON) and invoices."""

    items: list[tuple[str | None, str, str, str, str]] = field(default_factory=list)
    invoices: list[tuple[Any, ...]] = field(default_factory=list)


def to_rows(record: Any, config: Any, today: dt.date) -> DayRows:
    """The day-book rows of ``record`` for the week from ``today``."""
    from sortext.rules.agenda import order_text, record_items
    from sortext.rules.money import invoice_rows

    last = today + dt.timedelta(days=WEEK_DAYS - 1)
    items = record_items(record, config, today, last)
    return DayRows(
        [
            (
                i.owner,
                i.day,
                order_text(i),
                i.kind,
                _COMPACT.encode([getattr(i, n) for n in i.__slots__]),
            )
            for i in items
        ],
        [tuple(row) for row in invoice_rows(record)],
    )


def forget(conn: sqlite3.Connection, paths: Iterable[str]) -> None:
    gone = sorted(set(paths))
    with _totals_kept(conn, gone):
        _delete(conn, gone)


def _delete(conn: sqlite3.Connection, paths: Sequence[str]) -> None:
    gone = [(p,) for p in paths]
    for table in ("day_items", "day_inv", "day_who"):
        conn.executemany(f"DELETE FROM {table} WHERE path = ?", gone)


def store(conn: sqlite3.Connection, batch: Sequence[tuple[str, DayRows]]) -> None:
    """Replace the day-book rows of the records (by path) in ``batch``."""
    paths = sorted({path for path, _ in batch})
    with _totals_kept(conn, paths):
        _delete(conn, paths)
        conn.executemany(
            "INSERT INTO day_items VALUES (?, ?, ?, ?, ?, ?)",
            [(path, *item) for path, rows in batch for item in rows.items],
        )
        # rows kept in the order of (path, seq): a record's invoices are found (replaced,
        # or summed for the kept totals) without a second index on path
        conn.executemany(
            "INSERT INTO day_inv VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (path, seq, *inv[3:])
                for path, rows in batch
                for seq, inv in enumerate(rows.invoices)
            ],
        )
        conn.executemany(
            "INSERT INTO day_who VALUES (?, ?, ?, ?)",
            [(path, *rows.invoices[0][:3]) for path, rows in batch if rows.invoices],
        )


def week_items(conn: sqlite3.Connection, owner: str | None = None) -> list[Any]:
    """The stored agenda items (of ``owner``), as :class:`sortext.rules.agenda.AgendaItem`."""
    from sortext.rules.agenda import AgendaItem

    if owner is None:
        rows = conn.execute("SELECT value FROM day_items ORDER BY path, rowid")
    else:
        rows = conn.execute(
            "SELECT value FROM day_items WHERE owner = ? ORDER BY path, rowid", (owner,)
        )
    return [AgendaItem(*json.loads(v)) for (v,) in rows]


def week_top(
    conn: sqlite3.Connection,
    today: dt.date,
    days: int = WEEK_DAYS,
    owner: str | None = None,
    limit: int | None = None,
    counted: Callable[[str, str | None, bool], int | None] | None = None,
) -> list[Any]:
    """The agenda of ``days`` days from ``today`` (of ``owner``, if given) as
    :func:`sortext.rules.agenda.arrange` gives it from :func:`week_items`, each day
    cut to its first ``limit`` items (``more``: how many were left out, and of those
    ``more_overdue`` overdue actions).  SQLite reads only the rows shown.  Items that
    tie in the agenda's order come by record path (then in the record's order), as a
    cold build stored them: insertion order (rowid) alone put a record stored again
    after an incremental save last among its ties.  ``counted(day, owner, overdue)``:
    a day's counts kept as values (:func:`sortext.store.board.day_count`; None: count
    the rows)."""
    from sortext.rules.agenda import AgendaDay, AgendaItem

    mine, args = (" AND owner = ?", (owner,)) if owner is not None else ("", ())
    out = []
    for n in range(days):
        day = today + dt.timedelta(days=n)
        where = f"day = ?{mine}"
        keys = (day.isoformat(), *args)
        rows = conn.execute(
            f"SELECT value FROM day_items WHERE {where} ORDER BY o, path, rowid LIMIT ?",
            (*keys, -1 if limit is None else limit),
        ).fetchall()
        agenda = AgendaDay(day, [AgendaItem(*json.loads(v)) for (v,) in rows])
        if limit is not None and len(rows) == limit:
            total, overdue = _day_counts(conn, day.isoformat(), owner, where, keys, counted)
            shown_overdue = sum(1 for i in agenda.items if i.kind == "overdue")
            agenda.more, agenda.more_overdue = total - len(rows), overdue - shown_overdue
        out.append(agenda)
    return out


def _day_counts(
    conn: sqlite3.Connection,
    day: str,
    owner: str | None,
    where: str,
    keys: tuple[str, ...],
    counted: Callable[[str, str | None, bool], int | None] | None,
) -> tuple[int, int]:
    """(items, overdue actions) of ``day`` (of ``owner``): the counts ``counted`` gives
    (kept as values), else counted over the rows."""
    total = overdue = None
    if counted is not None:
        total, overdue = counted(day, owner, False), counted(day, owner, True)
    if total is None:
        total = conn.execute(f"SELECT count(*) FROM day_items WHERE {where}", keys).fetchone()[0]
    if overdue is None:
        overdue = conn.execute(
            f"SELECT count(*) FROM day_items WHERE {where} AND kind = 'overdue'", keys
        ).fetchone()[0]
    return int(total), int(overdue)


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
    """Money at a glance, for everyone or one owner: the same figures as
    :func:`money_totals_scan` (and :func:`sortext.rules.money.money_from_rows` over the
    stored invoices), read from totals the day book keeps current as records are
    stored, so the cost does not grow with the number of invoices.  The totals are
    summed again from the invoices (all owners at once) when they were kept for
    another day, or dropped (a large batch, a sum that would not be exact)."""
    from sortext.rules.money import (
        BUCKETS,
        ClientRevenue,
        CurrencyMoney,
        MoneySummary,
        rank_clients,
    )

    day = today.isoformat()
    if not _kept_for(conn, day):
        try:
            with conn:
                _recount(conn, day)
        except (sqlite3.OperationalError, ArithmeticError):
            with conn:
                _drop_totals(conn)
            return money_totals_scan(conn, today, owner, top)
    scope = _scope(owner)
    currencies = []
    for cur, figures in conn.execute(
        "SELECT currency, figures FROM day_money WHERE scope = ? ORDER BY currency", (scope,)
    ):
        inv_y, inv_m, paid_y, paid_m, *buckets = (float(Decimal(v)) for v in json.loads(figures))
        money = CurrencyMoney(cur)
        money.invoiced_year, money.invoiced_month = inv_y, inv_m
        money.paid_year, money.paid_month = paid_y, paid_m
        money.outstanding = {b: v for (b, _), v in zip(BUCKETS, buckets, strict=True)}
        currencies.append(money)
    tops: list[Any] = []
    if top > 0:
        paid_in = paid_currencies(conn, scope)
        for cur in paid_in:
            least = conn.execute(
                "SELECT paid_f FROM day_paid WHERE scope = ? AND currency = ? "
                "ORDER BY paid_f DESC LIMIT 1 OFFSET ?",
                (scope, cur, top - 1),
            ).fetchone()
            tops += conn.execute(
                "SELECT record_id, name, currency, paid_f FROM day_paid "
                "WHERE scope = ? AND currency = ? AND paid_f >= ?",
                (scope, cur, least[0] if least else float("-inf")),
            ).fetchall()
    tops.sort(key=lambda row: (row[0], row[2]))  # the order GROUP BY record_id, currency gives
    ranked = rank_clients((ClientRevenue(r, n, c, float(p)) for r, n, c, p in tops), top)
    month = f"{today.year:04d}-{today.month:02d}"
    return MoneySummary(day, month, currencies, ranked, [])


def paid_currencies(conn: sqlite3.Connection, scope: str) -> list[str]:
    """The currencies of ``scope``'s rows in ``day_paid``, sorted, one index seek each
    (``SELECT DISTINCT`` read every row of the scope: ~1.3 ms for each of the three
    summary pages at 30,000 clients)."""
    rows = conn.execute(
        "WITH RECURSIVE cur(c) AS ("
        " SELECT min(currency) FROM day_paid WHERE scope = ?1"
        " UNION ALL SELECT (SELECT min(currency) FROM day_paid"
        " WHERE scope = ?1 AND currency > cur.c) FROM cur WHERE cur.c IS NOT NULL"
        ") SELECT c FROM cur WHERE c IS NOT NULL",
        (scope,),
    )
    return [c for (c,) in rows]


def money_totals_scan(
    conn: sqlite3.Connection, today: dt.date, owner: str | None = None, top: int = 5
) -> Any:
    """:func:`money_totals` summed by SQLite over every stored invoice (the reference
    the kept totals are held to; used when they cannot be kept exactly)."""
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
    rows = conn.execute(
        f"SELECT currency, {_FIGURES.format(dsum='dsum', zero='0')} FROM day_invoices {where} "
        "GROUP BY currency ORDER BY currency",
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
        WHERE {_PAID_THIS_YEAR} {"AND owner = ?" if owner else ""}
        GROUP BY record_id, currency
        """,
        (year, *args),
    ).fetchall()
    ranked = rank_clients((ClientRevenue(r, n, c, float(p)) for r, n, c, p in tops), top)
    return MoneySummary(today.isoformat(), month, currencies, ranked, [])


# -- the kept totals -------------------------------------------------------------------

#: Records replaced in one call above which the kept totals are dropped, to be summed
#: again on the next read (a cold build, a new day: one pass beats many small ones).
DELTA_LIMIT = 200
_AGE = "MAX(0, CAST(julianday(?) - julianday(COALESCE(issued, due)) AS INTEGER))"
_BUCKET = (
    "CASE WHEN COALESCE(issued, due) IS NULL OR julianday(COALESCE(issued, due)) IS NULL "
    f"THEN 0 ELSE {_AGE} END"
)
_OUT = OUTSTANDING_SQL  # what sortext money and the exports count as open
# The eight figures of one currency, in order: invoiced this year and month, paid this
# year and month, outstanding 0-30, 31-60, 61-90, 90+ days.  Parameters: year, month,
# year, month, then today four times.
# The first four figures' conditions (parameters: year, month, year, month).
_DATED = (
    "status NOT IN ('draft', 'void') AND substr(issued, 1, 4) = ? "
    "AND julianday(substr(issued, 1, 10)) IS NOT NULL",
    "status NOT IN ('draft', 'void') AND substr(issued, 1, 7) = ? "
    "AND julianday(substr(issued, 1, 10)) IS NOT NULL",
    "status = 'paid' AND substr(paid_on, 1, 4) = ? "
    "AND julianday(substr(paid_on, 1, 10)) IS NOT NULL",
    "status = 'paid' AND substr(paid_on, 1, 7) = ? "
    "AND julianday(substr(paid_on, 1, 10)) IS NOT NULL",
)
_FIGURES = ",\n".join(
    "COALESCE({dsum}(amount) FILTER (WHERE " + cond + "), {zero})"
    for cond in (
        *_DATED,
        f"{_OUT} AND {_BUCKET} <= 30",
        f"{_OUT} AND {_BUCKET} BETWEEN 31 AND 60",
        f"{_OUT} AND {_BUCKET} BETWEEN 61 AND 90",
        f"{_OUT} AND {_BUCKET} > 90",
    )
)
# The invoices grouped by owner, currency and amount, with how many of each group every
# figure adds (_FIGURES' conditions, counted): a few rows per owner and currency, which
# Python adds as count x amount (see _grouped_figures).  Parameters: _FIGURES'.
_GROUPED = (
    "SELECT owner, currency, amount, count(*), "
    + _FIGURES.format(dsum="count", zero="0")
    + " FROM day_invoices {where} GROUP BY owner, currency, amount ORDER BY owner, currency"
)
_XSUM_FIGURES = _FIGURES.format(dsum="xsum", zero="'0'")
_PAID_THIS_YEAR = (
    "status = 'paid' AND substr(paid_on, 1, 4) = ? "
    "AND julianday(substr(paid_on, 1, 10)) IS NOT NULL"
)
_EXACT = Context(prec=28, traps=[Inexact, InvalidOperation, Overflow])


class _ExactSum:
    """A SQLite aggregate giving the exact decimal sum as text; raises (the query then
    fails) rather than round."""

    def __init__(self) -> None:
        self.total = Decimal(0)

    def step(self, value: float | None, /) -> None:
        if value is not None:
            self.total = _EXACT.add(self.total, Decimal(repr(float(value))))

    def finalize(self) -> str:
        return str(self.total)


def _scope(owner: str | None) -> str:
    """The kept totals' scope: "" for everyone, "=<owner>" for one owner's clients."""
    return "" if owner is None else f"={owner}"


def _kept_for(conn: sqlite3.Connection, day: str) -> bool:
    row = conn.execute("SELECT today FROM day_money_for").fetchone()
    return row is not None and row[0] == day


def _drop_totals(conn: sqlite3.Connection) -> None:
    for table in ("day_money_for", "day_money", "day_paid"):
        conn.execute(f"DELETE FROM {table}")


# (scope, currency) -> (invoices, the eight figures)
_Sums = dict[tuple[str, str], tuple[int, list[Decimal]]]
# (scope, record id, currency) -> (name, paid invoices, paid this year)
_Paid = dict[tuple[str, str, str], tuple[str, int, Decimal]]


def _contributions(
    conn: sqlite3.Connection, day: str, paths: Sequence[str] | None
) -> tuple[_Sums, _Paid]:
    """What the invoices of ``paths`` (None: all) add to the kept totals of ``day``."""
    try:  # registered once per connection (SQLite refuses while a statement runs)
        conn.execute("SELECT xsum(0)").fetchone()
    except sqlite3.OperationalError:
        conn.create_aggregate("xsum", 1, _ExactSum)  # type: ignore[arg-type]
    year, month = day[:4], day[:7]
    chunks: list[Sequence[str] | None] = [None]
    if paths is not None:
        chunks = [paths[i : i + 500] for i in range(0, len(paths), 500)]
    sums: _Sums = {}
    paid: _Paid = {}
    for chunk in chunks:
        where, args = "", tuple(chunk or ())
        if chunk is not None:
            where = f"path IN ({', '.join('?' * len(chunk))})"
        rows = _grouped_figures(conn, where, (year, month, year, month, *([day] * 4), *args))
        if rows is None:  # not provably exact in any order: the reference, row by row
            rows = conn.execute(
                f"SELECT owner, currency, count(*), {_XSUM_FIGURES} "
                f"FROM day_invoices {'WHERE ' + where if where else ''} GROUP BY owner, currency",
                (year, month, year, month, *([day] * 4), *args),
            ).fetchall()
        for owner, cur, n, *figures in rows:
            values = [Decimal(v) for v in figures]
            for scope in ("", _scope(owner)) if owner is not None else ("",):
                had_n, had = sums.get((scope, cur), (0, [Decimal(0)] * 8))
                sums[scope, cur] = (
                    had_n + n,
                    [_EXACT.add(a, b) for a, b in zip(had, values, strict=True)],
                )
        rows = conn.execute(
            "SELECT owner, record_id, currency, name, count(*), xsum(amount) FROM day_invoices "
            f"WHERE {_PAID_THIS_YEAR} {'AND ' + where if where else ''} "
            "GROUP BY owner, record_id, currency",
            (year, *args),
        ).fetchall()
        for owner, rid, cur, name, n, total in rows:
            for scope in ("", _scope(owner)) if owner is not None else ("",):
                _, had_n, had_total = paid.get((scope, rid, cur), (name, 0, Decimal(0)))
                paid[scope, rid, cur] = (name, had_n + n, _EXACT.add(had_total, Decimal(total)))
    return sums, paid


#: Wide enough for any sum :func:`_grouped_figures` bounds (a float's digits, exponents
#: of -1074 to 308, times a count of rows): it never rounds what it is used for.
_WIDE = Context(prec=2000, Emin=-999999, Emax=999999, traps=[Inexact, InvalidOperation, Overflow])


def _grouped_figures(
    conn: sqlite3.Connection, where: str, args: tuple[Any, ...]
) -> list[tuple[Any, ...]] | None:
    """The rows of ``SELECT owner, currency, count(*), <the eight xsum figures> ... GROUP
    BY owner, currency`` (the figures as Decimals), added up from :data:`_GROUPED`'s
    rows: the same values, exponents and signs as :class:`_ExactSum` adding one invoice
    at a time, without a Python call per invoice and figure (a cold build's recount of
    60,000 invoices: ~0.17 -> ~0.09 s).

    Exact sums are equal whatever their order, and ``_ExactSum`` may raise where this
    would not (a partial sum of another order needing more than 28 digits), so this
    answers only when no partial sum in any order can: every amount finite, and the sum
    of the magnitudes within 28 digits of the smallest exponent.  Otherwise None: the
    caller runs the row-by-row query (which raises, or answers, as it always did)."""
    grouped = conn.execute(
        _GROUPED.format(where="WHERE " + where if where else ""), args
    ).fetchall()
    exact: dict[float, Decimal] = {}
    magnitude, smallest = Decimal(0), 0
    for row in grouped:
        amount = row[2]
        if amount not in exact:
            value = Decimal(repr(float(amount)))
            if not value.is_finite():
                return None
            exact[amount] = value
            smallest = min(smallest, int(value.as_tuple().exponent))
        magnitude = _WIDE.add(magnitude, _WIDE.multiply(abs(exact[amount]), row[3]))
    if magnitude and magnitude.adjusted() - smallest + 1 > _EXACT.prec:
        return None
    totals: dict[tuple[str | None, str], list[Any]] = {}  # in the query's order
    for owner, cur, amount, n, *counts in grouped:
        entry = totals.setdefault((owner, cur), [0, *[Decimal(0)] * 8])
        entry[0] += n
        for i, times in enumerate(counts, 1):
            if times:
                entry[i] = _EXACT.add(entry[i], _EXACT.multiply(exact[amount], times))
    return [(owner, cur, *entry) for (owner, cur), entry in totals.items()]


def _recount(conn: sqlite3.Connection, day: str) -> None:
    """Sum the kept totals of ``day`` from every stored invoice."""
    sums, paid = _contributions(conn, day, None)
    _drop_totals(conn)
    conn.executemany(
        "INSERT INTO day_money VALUES (?, ?, ?, ?)",
        [(s, c, n, _figures_text(f)) for (s, c), (n, f) in sums.items()],
    )
    conn.executemany(
        "INSERT INTO day_paid VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(s, r, c, name, n, str(_plus(t)), float(t)) for (s, r, c), (name, n, t) in paid.items()],
    )
    conn.execute("INSERT INTO day_money_for VALUES (?)", (day,))


def _figures_text(values: list[Decimal]) -> str:
    return json.dumps([str(_plus(v)) for v in values])


def _plus(value: Decimal) -> Decimal:
    """A zero without its sign (a sum from nothing is never -0, nor must a difference be)."""
    return abs(value) if value.is_zero() else value


@contextmanager
def _totals_kept(conn: sqlite3.Connection, paths: Sequence[str]) -> Iterator[None]:
    """Keep the totals current while the invoices of ``paths`` are replaced inside the
    ``with`` block: subtract what they added before, add what they add after (exact
    decimal arithmetic; anything else drops the totals, summed again on the next read)."""
    row = conn.execute("SELECT today FROM day_money_for").fetchone()
    if row is None or not paths:
        yield
        return
    if len(paths) > DELTA_LIMIT:
        _drop_totals(conn)
        yield
        return
    day = str(row[0])
    try:
        before = _contributions(conn, day, paths)
    except (sqlite3.OperationalError, ArithmeticError):
        _drop_totals(conn)
        yield
        return
    yield
    try:
        after = _contributions(conn, day, paths)
        _apply(conn, before, after)
    except (sqlite3.OperationalError, ArithmeticError):
        _drop_totals(conn)


def _apply(
    conn: sqlite3.Connection, before: tuple[_Sums, _Paid], after: tuple[_Sums, _Paid]
) -> None:
    old_sums, old_paid = before
    new_sums, new_paid = after
    zero = [Decimal(0)] * 8
    for key in sorted(old_sums.keys() | new_sums.keys()):
        if old_sums.get(key) == new_sums.get(key):
            continue
        row = conn.execute(
            "SELECT n, figures FROM day_money WHERE scope = ? AND currency = ?", key
        ).fetchone()
        n, figures = (row[0], [Decimal(v) for v in json.loads(row[1])]) if row else (0, zero)
        old_n, old = old_sums.get(key, (0, zero))
        new_n, new = new_sums.get(key, (0, zero))
        n += new_n - old_n
        figures = [
            _EXACT.add(_EXACT.subtract(f, a), b) for f, a, b in zip(figures, old, new, strict=True)
        ]
        if n < 0:
            raise ArithmeticError("kept money totals out of step")
        if n == 0:
            conn.execute("DELETE FROM day_money WHERE scope = ? AND currency = ?", key)
        else:
            conn.execute(
                "INSERT OR REPLACE INTO day_money VALUES (?, ?, ?, ?)",
                (*key, n, _figures_text(figures)),
            )
    for pkey in sorted(old_paid.keys() | new_paid.keys()):
        if old_paid.get(pkey) == new_paid.get(pkey):
            continue
        got = conn.execute(
            "SELECT name, n, paid FROM day_paid WHERE scope = ? AND record_id = ? AND currency = ?",
            pkey,
        ).fetchone()
        name, n, total = (got[0], got[1], Decimal(got[2])) if got else ("", 0, Decimal(0))
        _, old_n, old_total = old_paid.get(pkey, ("", 0, Decimal(0)))
        new_name, new_n, new_total = new_paid.get(pkey, (name, 0, Decimal(0)))
        n += new_n - old_n
        total = _plus(_EXACT.add(_EXACT.subtract(total, old_total), new_total))
        if n < 0:
            raise ArithmeticError("kept money totals out of step")
        if n == 0:
            conn.execute(
                "DELETE FROM day_paid WHERE scope = ? AND record_id = ? AND currency = ?", pkey
            )
        else:
            conn.execute(
                "INSERT OR REPLACE INTO day_paid VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*pkey, new_name, n, str(total), float(total)),
            )
