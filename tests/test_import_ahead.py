"""An import does not bring in, as having happened, a day that has not come.

Found breaking the date change of round 15: ``pay --on 2027-11-20`` (2027 for 2026)
is refused, but ``sortext import bill.csv --map docs/maps/billing-invoices.yaml``
with that Paid Date planned ``invoices[INV-2026-058].paid_on: 2027-11-20``, and an
intake form whose timestamp read 11/20/2027 made that the client's first contact.
The class: a past-tense date (a payment, a held or no-show session, a measurement,
a first contact) after today, from any row of any import.  Such a row is a problem
at its cell and is not imported (intake keeps the cell as written in the notes, as
it keeps every answer that does not read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.io.fieldmap import load_map
from sortext.io.importer import plan_import
from sortext.io.spreadsheet import read_table
from sortext.repo import open_repository
from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY
from tests.test_intake_first_contact import _form as _csv  # (a CSV as forms write it)

TODAY = dt.date.fromisoformat(SAMPLE_TODAY)
BILLING = PROJECT_ROOT / "docs" / "maps" / "billing-invoices.yaml"
HEADER = ["Invoice Number", "Customer Email", "Total", "Status", "Issue Date", "Due Date"]
AMARA = "amara.okafor@example.com"


def _bill(path: Path, paid: dt.date) -> Path:
    row = ["INV-2026-058", AMARA, "840", "Paid", "2026-10-15", "2026-10-29", paid.isoformat()]
    return _csv(path, [*HEADER, "Paid Date"], [row])


def test_a_payment_dated_next_year_is_not_imported(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    record = records_repo / "clients" / "amara-okafor.md"
    before = record.read_bytes()
    bill = _bill(tmp_path / "bill.csv", dt.date(2027, 11, 20))
    args = ("import", str(bill), "--map", str(BILLING), "--accept", "theirs")
    done = cli(*args, "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert done.exit_code == 1, done.output
    assert "Traceback" not in done.output
    assert "Paid Date" in done.output
    assert f"invoices.paid_on: 2027-11-20 is after today ({SAMPLE_TODAY})" in done.output
    assert record.read_bytes() == before  # the row was not imported


FIXTURE = [HealthCheck.function_scoped_fixture]


@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURE)
@given(offset=st.integers(min_value=-3650, max_value=3650))
def test_a_payment_is_imported_exactly_when_its_day_has_come(
    records_repo: Path, tmp_path_factory: pytest.TempPathFactory, offset: int
) -> None:
    paid = TODAY + dt.timedelta(days=offset)
    bill = _bill(tmp_path_factory.mktemp("bill") / "bill.csv", paid)
    repo = open_repository(records_repo)
    table = read_table(bill)
    plan = plan_import(repo, table.rows, load_map(BILLING), "billing", ["*"], today=TODAY)
    ahead = [p for p in plan.problems if "is after today" in p.message]
    if paid > TODAY:
        assert len(ahead) == 1 and ahead[0].column == "Paid Date"
        assert not plan.records  # the row is not planned at all
    else:
        assert not ahead
        changed = {c.label for r in plan.records for c in r.changes} | {
            c.label for r in plan.records for c in r.conflicts
        }
        assert "invoices[INV-2026-058].paid_on" in changed


SESSIONS_MAP = """\
source: calendar-sheet
match: email
fields:
  email: Email
item:
  list: sessions
  key: date
  fields:
    date: {column: Date, type: date}
    kind: Kind
    status:
      column: Status
      values: {Held: held, No-show: no-show, Scheduled: scheduled, Cancelled: cancelled}
"""


@pytest.mark.parametrize(
    ("status", "refused"),
    [("Held", True), ("No-show", True), ("Scheduled", False), ("Cancelled", False)],
)
def test_a_session_ahead_is_imported_only_as_a_plan(
    records_repo: Path, tmp_path: Path, status: str, refused: bool
) -> None:
    fmap = tmp_path / "sessions.yaml"
    fmap.write_text(SESSIONS_MAP, encoding="utf-8")
    later = (TODAY + dt.timedelta(days=10)).isoformat()
    sheet = _csv(
        tmp_path / "s.csv",
        ["Email", "Date", "Kind", "Status"],
        [[AMARA, later, "coaching", status]],
    )
    repo = open_repository(records_repo)
    plan = plan_import(repo, read_table(sheet).rows, load_map(fmap), "cal", ["*"], today=TODAY)
    ahead = [p for p in plan.problems if "is after today" in p.message]
    assert bool(ahead) == refused, plan.problems
    if refused:
        assert ahead[0].column == "Date" and f"sessions.date: {later}" in ahead[0].message


def test_intake_keeps_a_timestamp_ahead_in_the_notes_not_as_first_contact(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    form = _csv(
        tmp_path / "form.csv",
        ["Timestamp", "Name", "Email"],
        [["11/20/2027 9:12:44", "Rosa Vidal", "rosa.vidal@example.org"]],
    )
    done = cli("intake", str(form), "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    assert "is after today" in done.output and "kept as written in the notes" in done.output
    text = (records_repo / "clients" / "rosa-vidal.md").read_text(encoding="utf-8")
    assert "first_contact: 2027" not in text and "2027-11-20 first contact" not in text
    assert "11/20/2027 9:12:44" in text  # the answer is not lost
