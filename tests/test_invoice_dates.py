"""An invoice's dates in order: paid, or due, before the day it was issued.

Found breaking round 14: ``sortext pay amara-okafor INV-2026-058 --on 2026-01-20`` (a
typo for 2026-11-20) marked an invoice issued on 2026-10-15 paid nine months before it
was written, exit 0, and ``check`` said nothing of it: the payment moved to another
month in ``sortext money`` and the exports, silently.  ``pay`` now refuses such a date;
a record edited by hand gets a warning at the date (a deposit taken before the invoice
was written is possible, so it is not an error).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from sortext.record.values import calendar_day
from sortext.schema.validate import invoice_date_problems
from tests.conftest import SAMPLE_TODAY

AMARA = "amara-okafor"  # INV-2026-058: overdue, issued 2026-10-15, due 2026-10-29


def test_pay_before_the_invoice_was_issued_is_refused(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    path = records_repo / "clients" / f"{AMARA}.md"
    before = path.read_bytes()
    args = ("pay", AMARA, "INV-2026-058", "--on", "2026-01-20", "--repo", str(records_repo))
    result = cli(*args, env={"SORTEXT_TODAY": SAMPLE_TODAY})
    assert result.exit_code != 0
    assert "issued on 2026-10-15" in result.output and "2026-01-20" in result.output
    assert "Traceback" not in result.output
    assert path.read_bytes() == before  # nothing written


def test_pay_on_the_day_it_was_issued_is_taken(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    args = ("pay", AMARA, "INV-2026-058", "--on", "2026-10-15", "--repo", str(records_repo))
    result = cli(*args, env={"SORTEXT_TODAY": SAMPLE_TODAY})
    assert result.exit_code == 0, result.output
    text = (records_repo / "clients" / f"{AMARA}.md").read_text(encoding="utf-8")
    assert "paid_on: 2026-10-15" in text


def test_check_warns_at_a_payment_dated_before_the_invoice(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    path = records_repo / "clients" / f"{AMARA}.md"
    text = path.read_text(encoding="utf-8")
    typo = text.replace("paid_on: 2026-07-09", "paid_on: 2026-01-09")
    assert typo != text
    path.write_text(typo, encoding="utf-8")
    result = cli("check", "--repo", str(records_repo))
    assert "Traceback" not in result.output
    line = next(i for i, row in enumerate(typo.splitlines(), 1) if "paid_on: 2026-01-09" in row)
    found = re.search(
        rf"clients/{AMARA}\.md:{line}:\d+: warning: invoices\[0\]\.paid_on: paid on 2026-01-09, "
        r"before the invoice was issued \(2026-07-01\)",
        result.output,
    )
    assert found, result.output


DAYS = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31))
# A date as a record may hold it once read: ISO text (normalized), a date, a datetime.
SPELLED = st.sampled_from(
    [dt.date.isoformat, lambda d: d, lambda d: dt.datetime(d.year, d.month, d.day, 9, 30)]
)


@given(issued=DAYS, paid=DAYS, due=DAYS, spell=SPELLED)
def test_a_warning_for_each_date_before_the_issue_date(
    issued: dt.date, paid: dt.date, due: dt.date, spell: Callable[[dt.date], object]
) -> None:
    invoice = {"id": "X-1", "amount": 1, "status": "paid"}
    invoice.update(issued=spell(issued), paid_on=spell(paid), due=spell(due))
    found = invoice_date_problems({"invoices": [{"id": "X-0"}, invoice]})
    flagged = {problem.path[2] for problem in found}
    assert flagged == {f for f, d in (("paid_on", paid), ("due", due)) if d < issued}
    assert all(p.severity == "warning" and p.path[:2] == ("invoices", 1) for p in found)


@given(value=st.one_of(st.text(max_size=12), st.integers(), st.none(), st.floats()))
def test_what_is_not_a_date_is_left_to_the_schema(value: object) -> None:
    """Any text, number or nothing in a date field: no error, no warning of its own."""
    day = calendar_day(value)
    assert day is None or (isinstance(value, str) and day.isoformat() == value)
    invoice_date_problems({"invoices": [{"issued": value, "paid_on": value, "due": "2026-01-01"}]})
