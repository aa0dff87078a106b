"""Past-tense dates after today reaching records by the other ways into an import.

Found breaking c1777e9 (imports refuse a payment, a held session, a measurement
or a first contact dated after today): the check read only the row's own cells of
the map's ``item:`` block and its ``dates.first_contact``, and only for CSV/JSON.

- a sheet keyed by ``uid`` marking a calendar booking dated next week ``held``
  (the date is the record's, not the row's) was imported; so was a row moving a
  held session's date a year ahead without naming its status;
- ``sortext import NOTES_FOLDER`` never checked at all;
- intake said the cell was "kept as written in the notes" but still wrote the
  item (a held session dated 2027);
- a top-level field path into a list (``invoices[2].paid_on``) went round the
  check, and ``invoices.paid_on`` or ``invoices[5].paid_on`` crashed with an
  internal error.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.errors import UsageError
from sortext.io.fieldmap import load_map
from sortext.io.importer import plan_import
from sortext.io.spreadsheet import read_table
from sortext.repo import open_repository
from tests.conftest import SAMPLE_TODAY

TODAY = dt.date.fromisoformat(SAMPLE_TODAY)
FARID = "farid.haddad@example.net"
UID = "e7a8b9c0-d1e2-4f30-9a4b-5c6d7e8f9a0b@calendly.com"  # scheduled for 2026-11-27
BOOKED = dt.date(2026, 11, 27)
FIXTURE = [HealthCheck.function_scoped_fixture]

UID_MAP = """\
source: sheet
match: email
fields:
  email: Email
item:
  list: sessions
  key: uid
  fields:
    uid: UID
    date: {column: Date, type: date}
    status: Status
"""


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    return path


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURE)
@given(
    status=st.sampled_from([None, "scheduled", "held", "no-show", "cancelled"]),
    offset=st.one_of(st.none(), st.integers(min_value=-400, max_value=400)),
)
def test_a_session_is_judged_as_the_row_leaves_it(
    records_repo: Path,
    tmp_path_factory: pytest.TempPathFactory,
    status: str | None,
    offset: int | None,
) -> None:
    folder = tmp_path_factory.mktemp("uid")
    (folder / "map.yaml").write_text(UID_MAP, encoding="utf-8")
    date = None if offset is None else TODAY + dt.timedelta(days=offset)
    sheet = _csv(
        folder / "s.csv",
        ["Email", "UID", "Date", "Status"],
        [[FARID, UID, date.isoformat() if date else "", status or ""]],
    )
    repo = open_repository(records_repo)
    fmap = load_map(folder / "map.yaml")
    plan = plan_import(repo, read_table(sheet).rows, fmap, "sheet", ["*"], today=TODAY)
    ahead = [p for p in plan.problems if "is after today" in p.message]
    after_status = status or "scheduled"
    after_date = date or BOOKED
    said = status is not None or date is not None
    refused = said and after_status in ("held", "no-show") and after_date > TODAY
    assert bool(ahead) == refused, (plan.problems, status, date)
    if refused:
        assert ahead[0].column == ("Date" if date is not None else "Status")
        assert ahead[0].line == 2 and ahead[0].col > 1
        assert not plan.records
    else:
        assert not plan.problems


NOTES_MAP = """\
source: notes
match: email
fields:
  name: name
  email: email
  dates.first_contact: {column: first_contact, type: date}
notes: [body]
"""


@pytest.mark.parametrize(("day", "refused"), [("2027-11-20", True), (SAMPLE_TODAY, False)])
def test_a_notes_folder_is_checked_as_a_csv_is(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path, day: str, refused: bool
) -> None:
    notes = tmp_path / "vault"
    notes.mkdir()
    (notes / "zed.md").write_text(
        f"---\nname: Zed Quinn\nemail: zed@example.org\nfirst_contact: {day}\n---\nMet.\n",
        encoding="utf-8",
    )
    (tmp_path / "map.yaml").write_text(NOTES_MAP, encoding="utf-8")
    done = cli(
        "import",
        str(notes),
        "--map",
        str(tmp_path / "map.yaml"),
        "--today",
        SAMPLE_TODAY,
        "--repo",
        str(records_repo),
    )
    record = records_repo / "clients" / "zed-quinn.md"
    if refused:
        assert done.exit_code == 1, done.output
        assert f"zed.md:4:1: first_contact: dates.first_contact: {day} is after today" in (
            done.output
        )
        assert not record.exists()
    else:
        assert done.exit_code == 0, done.output
        assert f"first_contact: {day}" in record.read_text(encoding="utf-8")


INTAKE_MAP = """\
source: form
match: email
fields:
  name: Name
  email: Email
item:
  list: sessions
  key: date
  fields:
    date: {column: Discovery Call, type: date}
    status: {default: held}
    kind: {default: discovery}
"""


def test_intake_keeps_an_item_dated_ahead_out_of_the_record(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "map.yaml").write_text(INTAKE_MAP, encoding="utf-8")
    form = _csv(
        tmp_path / "form.csv",
        ["Name", "Email", "Discovery Call"],
        [["Q Ren", "qren@example.org", "2027-11-20"]],
    )
    done = cli(
        "intake",
        str(form),
        "--map",
        str(tmp_path / "map.yaml"),
        "--today",
        SAMPLE_TODAY,
        "--repo",
        str(records_repo),
    )
    assert done.exit_code == 0, done.output
    assert "kept as written in the notes" in done.output
    text = (records_repo / "clients" / "q-ren.md").read_text(encoding="utf-8")
    assert "sessions:" not in text and "date: 2027-11-20" not in text
    assert "2027-11-20" in text  # in the notes, as written


@settings(max_examples=40, deadline=None)
@given(
    target=st.sampled_from(
        [
            "invoices[2].paid_on",
            "invoices[-1].paid_on",
            "invoices[9].paid_on",
            "invoices.paid_on",
            "invoices.2.paid_on",
            "sessions[0].date",
            "sessions.status",
            "measurements[0].date",
            "blockers.what",
            "goals[0].id",
            "tags.first",
            "billing.package[0]",
        ]
    )
)
def test_a_map_field_into_a_list_is_refused_at_its_line(target: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "map.yaml"
        path.write_text(
            f'source: x\nfields:\n  email: Email\n  "{target}": {{column: Paid}}\n',
            encoding="utf-8",
        )
        with pytest.raises(UsageError) as caught:
            load_map(path)
    assert f"map.yaml:4:3: {target}: a path into the list" in str(caught.value)
    assert "item:" in str(caught.value)


def test_a_top_level_field_that_is_a_list_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(
        "source: x\nfields:\n  email: Email\n  tags: {column: Tags, type: list}\n"
        "  billing.rate: {column: Rate, type: number}\n",
        encoding="utf-8",
    )
    assert [s.target for s in load_map(path).fields][1:] == [("tags",), ("billing", "rate")]
