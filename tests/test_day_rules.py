"""Issue 16, the pure parts: the stale rule on time in stage (injected), the agenda's
order, money buckets and totals, packages, list conditions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.check.load import Record
from sortext.rules import findings as rules
from sortext.rules.agenda import agenda
from sortext.rules.money import BUCKETS, bucket_of, money_summary
from sortext.schema.config import load_config
from sortext.views.filters import parse_condition
from tests.conftest import PROJECT_ROOT

CONFIG = load_config(PROJECT_ROOT)
TODAY = dt.date(2026, 11, 23)


def rec(rid: str = "ada", **data: Any) -> Record:
    base: dict[str, Any] = {"name": rid.title(), "stage": "active"}
    base.update(data)
    return Record(f"clients/{rid}.md", rid, base, "", 1)


# -- time in stage -------------------------------------------------------------------


def test_stale_rule_counts_time_in_stage_not_typed_dates() -> None:
    """A client in contracted for 60 days whose record shows activity 29 days ago
    is 60 days in stage when git says so."""
    r = rec(stage="contracted", dates={"started": (TODAY - dt.timedelta(days=29)).isoformat()})
    since = TODAY - dt.timedelta(days=60)
    found = [f for f in rules.assess(r, CONFIG, TODAY, since).findings if f.kind == "stale_stage"]
    assert [f.reason for f in found] == [f"in contracted for 60 days (since {since})"]
    without = rules.assess(r, CONFIG, TODAY).findings
    # without git's clock the rule falls back to the typed dates: the "29"
    assert [f.reason for f in without if f.kind == "stale_stage"] == [
        "in contracted with nothing new for 29 days (since 2026-10-25)"
    ]
    # findings() takes the map by id
    assert any(f.kind == "stale_stage" for f in rules.findings([r], CONFIG, TODAY, {"ada": since}))


@given(
    st.sampled_from(["inquiry", "discovery", "proposal", "contracted", "review"]),
    st.integers(-5, 400),
)
def test_stale_iff_days_in_stage_exceed_the_limit(stage: str, days: int) -> None:
    """Property: with a known stage start, stale exactly when days in stage > stale_days."""
    r = rec(stage=stage)
    since = TODAY - dt.timedelta(days=days)
    found = rules.stale_stage_findings(r, CONFIG, TODAY, since)
    limit = int(CONFIG.threshold("stale_days")[stage])
    if days < 0:
        return  # a future start (clock skew) falls back to the record's dates
    assert bool(found) == (days > limit)


# -- agenda ------------------------------------------------------------------------


times = st.one_of(
    st.none(), st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), times, st.sampled_from(["scheduled", "held", "cancelled"])),
        max_size=12,
    )
)
def test_agenda_days_list_timed_first_in_time_order(
    sessions: list[tuple[int, str | None, str]],
) -> None:
    """Property: each day lists timed entries by time, then untimed; cancelled never."""
    data = [
        {
            "date": (TODAY + dt.timedelta(days=d)).isoformat(),
            "status": s,
            **({"time": t} if t else {}),
        }
        for d, t, s in sessions
    ]
    days = agenda([rec(sessions=data)], CONFIG, TODAY, 7)
    assert [d.day for d in days] == [TODAY + dt.timedelta(days=i) for i in range(7)]
    for day in days:
        timed = [i.time for i in day.items if i.time is not None]
        assert timed == sorted(timed)
        kinds = [i.time is None for i in day.items]
        assert kinds == sorted(kinds)  # no timed item after an untimed one
        assert all(i.status != "cancelled" for i in day.items)
    expected = sum(1 for _, _, s in sessions if s != "cancelled")
    assert sum(len(d.items) for d in days) == expected


def test_agenda_overdue_on_first_day_and_owner_filter() -> None:
    a = rec("ada", owner="maya", next_action={"what": "Call", "due": "2026-11-20", "owner": "theo"})
    b = rec(
        "bea",
        owner="maya",
        next_action={"what": "Send", "due": "2026-11-23", "time": "09:15", "minutes": 30},
    )
    day = agenda([a, b], CONFIG, TODAY, 1)[0]
    assert [(i.kind, i.record_id, i.span) for i in day.items] == [
        ("due", "bea", "09:15-09:45"),
        ("overdue", "ada", ""),
    ]
    assert day.items[1].days_late == 3
    theo = agenda([a, b], CONFIG, TODAY, 1, owner="theo")[0]
    assert [i.record_id for i in theo.items] == ["ada"]  # the action's owner, not the record's


# -- money -------------------------------------------------------------------------


def test_bucket_edges() -> None:
    assert [bucket_of(d) for d in (0, 30, 31, 60, 61, 90, 91, 500)] == [
        "0-30",
        "0-30",
        "31-60",
        "31-60",
        "61-90",
        "61-90",
        "90+",
        "90+",
    ]


invoice = st.fixed_dictionaries(
    {
        "id": st.text("ABC123", min_size=1, max_size=4),
        "amount": st.integers(0, 5000),
        "currency": st.sampled_from(["EUR", "GBP"]),
        "status": st.sampled_from(["draft", "sent", "paid", "overdue", "void"]),
        "issued": st.dates(dt.date(2025, 6, 1), TODAY).map(dt.date.isoformat),
    }
)


@settings(max_examples=80, deadline=None)
@given(st.lists(invoice, max_size=10))
def test_money_buckets_add_up_per_currency(invoices: list[dict[str, Any]]) -> None:
    """Property: per currency, the buckets sum to the open (sent/overdue) amounts;
    currencies are never mixed; invoiced this month <= this year."""
    summary = money_summary([rec(invoices=invoices)], TODAY)
    for c in summary.currencies:
        open_sum = sum(
            i["amount"]
            for i in invoices
            if i["currency"] == c.currency and i["status"] in ("sent", "overdue")
        )
        assert c.outstanding_total == open_sum
        assert set(c.outstanding) == {b for b, _ in BUCKETS}
        assert c.invoiced_month <= c.invoiced_year
    assert sum(len(c.outstanding) for c in summary.currencies) == 4 * len(summary.currencies)


def test_money_month_year_and_top_clients() -> None:
    a = rec(
        "ada",
        billing={"currency": "EUR"},
        invoices=[
            {
                "id": "1",
                "amount": 100,
                "status": "paid",
                "issued": "2026-11-01",
                "paid_on": "2026-11-05",
            },
            {"id": "2", "amount": 50, "status": "sent", "issued": "2026-07-01"},
            {"id": "3", "amount": 70, "status": "draft", "issued": "2026-11-02"},
        ],
    )
    b = rec(
        "bea",
        invoices=[
            {
                "id": "9",
                "amount": 300,
                "currency": "GBP",
                "status": "paid",
                "issued": "2026-03-01",
                "paid_on": "2026-03-09",
            }
        ],
    )
    s = money_summary([a, b], TODAY)
    eur = next(c for c in s.currencies if c.currency == "EUR")
    assert (eur.invoiced_month, eur.invoiced_year, eur.paid_month, eur.paid_year) == (
        100,
        150,
        100,
        100,
    )
    assert eur.outstanding["90+"] == 50  # 145 days since issue
    # ranked within each currency (EUR before GBP), never across them
    assert [(t.record_id, t.currency) for t in s.top_clients] == [("ada", "EUR"), ("bea", "GBP")]
    march = money_summary([a, b], TODAY, (2026, 3))
    assert next(c for c in march.currencies if c.currency == "GBP").paid_month == 300


# -- packages ----------------------------------------------------------------------


def _package_record(held: int, total: int) -> Record:
    sessions = [{"date": f"2026-10-{i + 1:02d}", "status": "held"} for i in range(held)]
    sessions.append({"date": "2026-01-05", "status": "held"})  # before the package started
    return rec(
        billing={"plan": "x", "package": {"sessions": total, "started": "2026-09-01"}},
        sessions=sessions,
        links={"contract": "c.pdf"},
    )


def test_package_phrase_and_reminders() -> None:
    status = rules.package_status(_package_record(7, 12), TODAY)
    assert status is not None and status.phrase == "session 7 of 12 (5 left)"

    def kinds(record: Any) -> list[str]:
        return [f.reason for f in rules.package_findings(record, CONFIG, TODAY)]

    assert kinds(_package_record(7, 12)) == []
    assert kinds(_package_record(10, 12)) == ["package: 2 sessions left (10 of 12)"]
    assert kinds(_package_record(12, 12)) == ["package used up (12 of 12 sessions)"]


@given(st.integers(0, 30), st.integers(1, 30))
def test_package_counts_held_sessions_since_start(held: int, total: int) -> None:
    status = rules.package_status(_package_record(min(held, 28), total), TODAY)
    assert status is not None and status.used == min(held, 28) and status.total == total
    found = rules.package_findings(_package_record(min(held, 28), total), CONFIG, TODAY)
    assert bool(found) == (total - min(held, 28) <= 2)


# -- list conditions ---------------------------------------------------------------


def test_conditions_numbers_lists_and_text() -> None:
    data = {
        "billing": {"rate": 420},
        "tags": ["leadership", "architecture"],
        "company": "Okafor Ltd",
    }
    assert parse_condition("billing.rate>=300").matches(data)
    assert not parse_condition("billing.rate<300").matches(data)
    assert parse_condition("tags=leadership").matches(data)
    assert parse_condition("tags!=sales").matches(data)
    assert parse_condition("company~okafor").matches(data)
    assert not parse_condition("phone=1").matches(data)
    assert parse_condition("phone!=1").matches(data)


@given(
    st.integers(-1000, 1000),
    st.integers(-1000, 1000),
    st.sampled_from([">=", "<=", ">", "<", "=", "!="]),
)
def test_numeric_conditions_compare_as_numbers(value: int, bound: int, op: str) -> None:
    import operator

    ops = {
        ">=": operator.ge,
        "<=": operator.le,
        ">": operator.gt,
        "<": operator.lt,
        "=": operator.eq,
        "!=": operator.ne,
    }
    assert parse_condition(f"x{op}{bound}").matches({"x": value}) == ops[op](value, bound)


def test_bad_condition_is_a_clear_error() -> None:
    import pytest

    from sortext.views.filters import FilterError

    with pytest.raises(FilterError, match="FIELD OP VALUE"):
        parse_condition("rate 300")
    _ = Path  # keep the import used for type checkers
