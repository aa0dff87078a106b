"""What the pages read from the day book equals what the slow paths compute.

The week strip: each day's first rows (SQLite, in agenda order) equal the
agenda :func:`sortext.rules.agenda.arrange` gives from every stored item, cut
to the page's limit, with the count of what was left out.

The money totals the day book keeps current equal a sum over every stored invoice.

``sortext.store.daybook.money_totals`` reads totals kept as records are stored
(so a build after one edit does not add up every invoice again);
``money_totals_scan`` sums the stored invoices.  Any sequence of stores and
forgets, for any day, owner and ``top``, must give the same answer from both.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.check.load import Record
from sortext.schema.config import load_config
from sortext.store import daybook
from tests.conftest import PROJECT_ROOT

TODAY = dt.date(2026, 11, 30)
CONFIG = load_config(PROJECT_ROOT)
OWNERS = [None, "maya", "theo"]

cents = st.decimals(min_value=-500, max_value=20000, places=2, allow_nan=False)
invoice = st.fixed_dictionaries(
    {
        "amount": cents.map(float),
        "currency": st.sampled_from(["EUR", "GBP", "USD"]),
        "status": st.sampled_from(["draft", "sent", "paid", "overdue", "void"]),
        "issued": st.dates(dt.date(2025, 6, 1), TODAY).map(dt.date.isoformat),
        "paid_on": st.dates(dt.date(2025, 6, 1), TODAY).map(dt.date.isoformat),
    },
    optional={"due": st.dates(dt.date(2025, 6, 1), TODAY).map(dt.date.isoformat)},
)
# one step: store a client's (new) invoices, or forget a client
step = st.tuples(
    st.sampled_from(["ada", "bea", "cy", "dee"]),
    st.sampled_from(OWNERS),
    st.sampled_from(["Ada", "Bea", "Cy"]),
    st.one_of(st.none(), st.lists(invoice, max_size=4)),
)


def _record(rid: str, owner: str | None, name: str, invoices: list[dict[str, Any]]) -> Record:
    data: dict[str, Any] = {"name": name, "stage": "active", "invoices": invoices}
    if owner is not None:
        data["owner"] = owner
    return Record(f"clients/{rid}.md", rid, data, "", 1)


def _same(conn: sqlite3.Connection, day: dt.date, top: int) -> None:
    for owner in OWNERS:
        kept = daybook.money_totals(conn, day, owner, top)
        scanned = daybook.money_totals_scan(conn, day, owner, top)
        assert [c.to_json() for c in kept.currencies] == [c.to_json() for c in scanned.currencies]
        assert kept.top_clients == scanned.top_clients
        assert (kept.today, kept.month) == (scanned.today, scanned.month)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(step, max_size=12),
    st.integers(min_value=0, max_value=3),
    st.sampled_from([TODAY, TODAY + dt.timedelta(days=45), dt.date(2026, 1, 3)]),
)
def test_kept_totals_equal_a_scan_after_any_stores(
    steps: list[tuple[str, str | None, str, list[dict[str, Any]] | None]],
    top: int,
    day: dt.date,
) -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript(daybook.SCHEMA)
    _same(conn, day, top)  # the totals are now kept, for ``day``
    for n, (rid, owner, name, invoices) in enumerate(steps):
        if invoices is None:
            daybook.forget(conn, [f"clients/{rid}.md"])
        else:
            for i, inv in enumerate(invoices):
                inv["id"] = f"INV-{n}-{i}"
            record = _record(rid, owner, name, invoices)
            daybook.store(conn, [(record.path, daybook.to_rows(record, CONFIG, day))])
        kept_for = conn.execute("SELECT today FROM day_money_for").fetchall()
        assert kept_for == [(day.isoformat(),)]  # kept through the change, not summed again
        _same(conn, day, top)
    _same(conn, day + dt.timedelta(days=1), top)  # another day: summed again


def test_a_large_batch_drops_the_kept_totals_and_the_next_read_sums_again() -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript(daybook.SCHEMA)
    paid = {"amount": 10.0, "currency": "EUR", "status": "paid", "issued": "2026-11-02"}
    paid["paid_on"] = "2026-11-03"
    first = _record("ada", "maya", "Ada", [{"id": "1", **paid}])
    daybook.store(conn, [(first.path, daybook.to_rows(first, CONFIG, TODAY))])
    assert daybook.money_totals(conn, TODAY).currencies[0].paid_year == 10.0
    many = [
        _record(f"c{i:04d}", "theo", f"C {i}", [{"id": "1", **paid}])
        for i in range(daybook.DELTA_LIMIT + 1)
    ]
    daybook.store(conn, [(r.path, daybook.to_rows(r, CONFIG, TODAY)) for r in many])
    assert conn.execute("SELECT count(*) FROM day_money_for").fetchone()[0] == 0
    _same(conn, TODAY, 5)
    assert daybook.money_totals(conn, TODAY).currencies[0].paid_year == 10.0 * (len(many) + 1)


def test_a_sum_that_would_round_is_never_kept() -> None:
    """An amount 10^20 beside a cent needs more than 28 digits: the totals are not kept
    (no rounded figure can differ from the scan), and the answer is the scan's."""
    conn = sqlite3.connect(":memory:")
    conn.executescript(daybook.SCHEMA)
    sent = {"currency": "EUR", "status": "sent", "issued": "2026-11-02"}
    a = _record("ada", None, "Ada", [{"id": "1", "amount": 0.01, **sent}])
    daybook.store(conn, [(a.path, daybook.to_rows(a, CONFIG, TODAY))])
    _same(conn, TODAY, 5)
    b = _record("bea", None, "Bea", [{"id": "1", "amount": 1e26, **sent}])
    daybook.store(conn, [(b.path, daybook.to_rows(b, CONFIG, TODAY))])
    assert conn.execute("SELECT count(*) FROM day_money_for").fetchone()[0] == 0
    _same(conn, TODAY, 5)


def test_a_build_after_one_edit_keeps_the_totals_rather_than_summing_again(
    records_repo: Any, monkeypatch: Any
) -> None:
    """The watcher's and ``sortext build``'s case: the edited record's invoices are
    stored while the index refresh runs; the totals follow without a full sum, and the
    pages equal those of a build from nothing."""
    import shutil

    from sortext.pages.build import build
    from sortext.repo import open_repository
    from tests.conftest import SAMPLE_TODAY

    today = dt.date.fromisoformat(SAMPLE_TODAY)
    build(open_repository(records_repo), today)
    amara = records_repo / "clients" / "amara-okafor.md"
    text = amara.read_text()
    assert "amount: 840, status: paid" in text
    amara.write_text(text.replace("amount: 840, status: paid", "amount: 845.5, status: paid", 1))

    def no_recount(*args: object) -> None:
        raise AssertionError("the totals were summed again")

    monkeypatch.setattr(daybook, "_recount", no_recount)
    build(open_repository(records_repo), today)
    monkeypatch.undo()
    twin = records_repo.parent / "twin"
    shutil.copytree(records_repo, twin, ignore=shutil.ignore_patterns(".sortext", "site"))
    build(open_repository(twin), today)
    for rel in ("NEXT.md", "site/index.html", "site/owners/maya.html"):
        assert (records_repo / rel).read_bytes() == (twin / rel).read_bytes()


agenda_item = st.builds(
    lambda off, kind, time, name, what, owner, late: (off, kind, time, name, what, owner, late),
    st.one_of(st.just(0), st.integers(min_value=-1, max_value=8)),
    st.sampled_from(["session", "due", "overdue"]),
    st.one_of(st.none(), st.sampled_from(["09:00", "09:30", "14:00"])),
    st.sampled_from(["Ada", "ada", "Bea", "Émile", "Zoë"]),
    st.sampled_from(["Call", "Call back", "Prep"]),
    st.sampled_from(OWNERS),
    st.integers(min_value=0, max_value=40),
)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.lists(agenda_item, min_size=1, max_size=8), max_size=8),
    st.sampled_from([None, 1, 2, 3]),
    st.sampled_from(OWNERS),
)
def test_a_days_first_rows_equal_the_arranged_agenda_cut_to_the_limit(
    records: list[list[tuple[Any, ...]]], limit: int | None, owner: str | None
) -> None:
    from sortext.rules.agenda import AgendaItem, arrange, order_text

    conn = sqlite3.connect(":memory:")
    conn.executescript(daybook.SCHEMA)
    for n, items in enumerate(records):
        rows = daybook.DayRows()
        for off, kind, time, name, what, who, late in items:
            day = (TODAY + dt.timedelta(days=off)).isoformat()
            item = AgendaItem(day, kind, f"r{n}", name, what, who, time, None, None, late)
            value = [getattr(item, slot) for slot in item.__slots__]
            rows.items.append((who, day, order_text(item), kind, json.dumps(value)))
        daybook.store(conn, [(f"clients/r{n}.md", rows)])
    full = arrange(daybook.week_items(conn, owner), TODAY, 7)
    top = daybook.week_top(conn, TODAY, 7, owner, limit)
    assert [d.day for d in top] == [d.day for d in full]
    for cut, whole in zip(top, full, strict=True):
        shown = whole.items if limit is None else whole.items[:limit]
        assert cut.items == shown
        rest = whole.items[len(shown) :]
        assert cut.more == len(rest)
        assert cut.more_overdue == sum(1 for i in rest if i.kind == "overdue")


def test_an_owners_first_next_actions_equal_every_next_action_filtered(records_repo: Any) -> None:
    """The per-owner page's next actions: the first rows of one owner's, read by SQLite,
    equal every next action (page order) kept for that owner, cut to the limit."""
    from sortext.pages.build import build
    from sortext.repo import open_repository
    from sortext.store import board
    from sortext.store.index import Index
    from tests.conftest import SAMPLE_TODAY

    repo = open_repository(records_repo)
    build(repo, dt.date.fromisoformat(SAMPLE_TODAY))
    with Index.open(repo) as index:
        every = board.all_next(index.conn)
        owners = {n.owner for n in every}
        assert {"maya", "theo"} <= owners
        for owner in sorted(o for o in owners if o is not None):
            mine = [n for n in every if n.owner == owner]
            for limit in (1, 2, 50):
                top = board.next_top_of(index.conn, owner, limit)
                assert list(top) == mine[:limit] and len(top) == len(mine)


# Amounts as a record may hold them: cents, any float, and the edges of exact sums (a
# sum needing more than 28 digits, the smallest and largest floats, zeros, infinities).
any_amount = st.one_of(
    cents.map(float),
    st.floats(allow_nan=False),
    st.sampled_from([0.0, -0.0, 1e26, -1e26, 1e-20, 5e-324, 1.7976931348623157e308]),
    st.sampled_from([float("inf"), -float("inf"), 0.1, 0.3, 1e27, 123456789.123]),
)
stored_invoice = st.tuples(
    st.sampled_from(["ada", "bea", "cy"]),
    any_amount,
    st.sampled_from(["EUR", "GBP"]),
    st.sampled_from(["draft", "sent", "paid", "overdue", "void", None]),
    st.one_of(st.none(), st.sampled_from(["2026-11-02", "2026-02-30", "2025-12-31", "soon"])),
    st.one_of(st.none(), st.sampled_from(["2026-11-20", "2026-07-01", "2026-13-01"])),
    st.one_of(st.none(), st.sampled_from(["2026-08-01", "2026-11-29", "x"])),
)


def _contributions_either_way(
    conn: sqlite3.Connection, day: str, paths: list[str] | None, monkeypatch: Any
) -> list[Any]:
    """``_contributions`` grouped by amount and row by row (the reference: its grouping
    switched off): each the sums and paid rows in their order, or the error raised."""
    answers: list[Any] = []
    for grouped in (True, False):
        with monkeypatch.context() as patch:
            if not grouped:
                patch.setattr(daybook, "_grouped_figures", lambda *args: None)
            try:
                sums, paid = daybook._contributions(conn, day, paths)
            except (sqlite3.OperationalError, ArithmeticError) as exc:
                answers.append(("raised", type(exc).__name__))
                continue
        answers.append(
            (
                [(k, n, [str(v) for v in figures]) for k, (n, figures) in sums.items()],
                [(k, name, n, str(total)) for k, (name, n, total) in paid.items()],
            )
        )
    return answers


@settings(max_examples=300, deadline=None)
@given(
    st.lists(stored_invoice, max_size=30),
    st.sampled_from(["2026-11-30", "2026-12-01", "2027-01-02"]),
    st.booleans(),
)
def test_money_totals_added_by_amount_equal_the_row_by_row_sum(
    invoices: list[tuple[Any, ...]], day: str, some: bool
) -> None:
    """The kept totals' sums, added per (owner, currency, amount) group as count x
    amount, equal the exact row-by-row sum: the same digits, exponents and signs, in the
    same order; where a partial sum could need more than 28 digits (or an amount is
    infinite) the row-by-row sum is what runs, raising or answering as it does."""
    import pytest

    conn = sqlite3.connect(":memory:")
    conn.executescript(daybook.SCHEMA)
    owners = {"ada": "maya", "bea": None, "cy": "theo"}
    for rid, owner in owners.items():
        conn.execute(
            "INSERT INTO day_who VALUES (?, ?, ?, ?)", (f"clients/{rid}.md", rid, rid, owner)
        )
    for seq, (rid, amount, cur, status, issued, paid_on, due) in enumerate(invoices):
        conn.execute(
            "INSERT INTO day_inv VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (f"clients/{rid}.md", seq, f"INV-{seq}", amount, cur, status, issued, paid_on, due),
        )
    paths = ["clients/ada.md", "clients/cy.md"] if some else None
    with pytest.MonkeyPatch.context() as monkeypatch:
        grouped, row_by_row = _contributions_either_way(conn, day, paths, monkeypatch)
    assert grouped == row_by_row


def test_a_cold_builds_recount_adds_by_amount(monkeypatch: Any) -> None:
    """The recount of realistic invoices (cents, two owners, one currency) takes the
    grouped path: no aggregate call per invoice."""
    conn = sqlite3.connect(":memory:")
    conn.executescript(daybook.SCHEMA)
    sent = {"currency": "EUR", "status": "sent", "issued": "2026-11-02"}
    records = [
        _record(f"c{i}", OWNERS[i % 3], f"C {i}", [{"id": "1", "amount": 120.5 + i, **sent}])
        for i in range(30)
    ]
    daybook.store(conn, [(r.path, daybook.to_rows(r, CONFIG, TODAY)) for r in records])
    calls: list[float] = []
    step = daybook._ExactSum.step

    def counted(self: Any, value: float) -> None:
        calls.append(value)
        step(self, value)

    monkeypatch.setattr(daybook._ExactSum, "step", counted)
    daybook._recount(conn, TODAY.isoformat())
    assert conn.execute("SELECT count(*) FROM day_money").fetchone()[0] == 3  # "", maya, theo
    assert len(calls) == 0  # the paid-this-year query's: none here (nothing paid)
    _same(conn, TODAY, 5)
