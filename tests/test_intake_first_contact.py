"""An intake record's first contact is the day the form was answered, not the import day.

The response's timestamp (whatever the form calls the column, whatever common
unambiguous form it is written in) gives ``dates.first_contact`` and the date of
the record's "first contact" notes heading; the import day is used only when the
response has no timestamp that reads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PROJECT_ROOT
from tests.test_import import front

IMPORT_DAY = "2026-11-30"


def _form(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    return path


def _intake(cli: Callable[..., Result], repo: Path, *args: str) -> Result:
    result = cli("intake", *args, "--repo", str(repo), "--today", IMPORT_DAY)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize(
    ("header", "cell"),
    [
        ("Timestamp", "11/18/2026 9:12:44"),  # Google Sheets, US
        ("Timestamp", "2026/11/18 09:12:44 AM GMT"),  # Google Forms CSV
        ("Submit Date (UTC)", "2026-11-18 10:04:31"),  # Typeform
        ("Submitted At", "2026-11-18T09:15:00.000Z"),
        ("Submission Date", "Nov 18, 2026 9:12 AM"),  # Jotform
        ("Date Submitted", "18 November 2026 14:03"),
        ("Completion time", "11/18/2026 21:12:44"),  # Microsoft Forms
        ("createdAt", "2026-11-18T09:15:00Z"),  # Tally's JSON key as a column
        ("created_at", "18.11.2026 09:15"),
        ("Date created", "18/11/2026"),  # Wufoo
    ],
)
def test_first_contact_is_the_response_timestamp(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path, header: str, cell: str
) -> None:
    form = _form(
        tmp_path / "form.csv",
        [header, "Name", "Email", "Goals"],
        [[cell, "Rosa Vidal", "rosa.vidal@example.org", "Focus"]],
    )
    _intake(cli, records_repo, str(form))
    path = records_repo / "clients" / "rosa-vidal.md"
    assert front(path)["dates"] == {"first_contact": "2026-11-18"}
    text = path.read_text(encoding="utf-8")
    assert "## 2026-11-18 first contact" in text and IMPORT_DAY + " first contact" not in text
    assert "**Goals**" in text and header not in text.split("intake form", 1)[1]


def test_without_a_timestamp_the_import_day_is_first_contact(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    form = _form(
        tmp_path / "form.csv", ["Name", "Email"], [["Rosa Vidal", "rosa.vidal@example.org"]]
    )
    _intake(cli, records_repo, str(form))
    path = records_repo / "clients" / "rosa-vidal.md"
    assert front(path)["dates"] == {"first_contact": IMPORT_DAY}
    assert f"## {IMPORT_DAY} first contact" in path.read_text(encoding="utf-8")


def test_an_unreadable_timestamp_falls_back_and_is_kept(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    form = _form(
        tmp_path / "form.csv",
        ["Timestamp", "Name", "Email"],
        [["05/06/2026 10:00:00", "Rosa Vidal", "rosa.vidal@example.org"]],
    )
    result = _intake(cli, records_repo, str(form))
    assert "ambiguous" in result.output
    path = records_repo / "clients" / "rosa-vidal.md"
    assert front(path)["dates"] == {"first_contact": IMPORT_DAY}
    assert "05/06/2026 10:00:00" in path.read_text(encoding="utf-8")


def test_a_map_without_first_contact_still_reads_the_timestamp(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    fmap = tmp_path / "m.yaml"
    fmap.write_text("match: email\nfields:\n  name: Name\n  email: Email\n", encoding="utf-8")
    form = _form(
        tmp_path / "form.csv",
        ["Submitted at", "Name", "Email"],
        [["2026-11-18 09:00", "Rosa Vidal", "rosa.vidal@example.org"]],
    )
    _intake(cli, records_repo, str(form), "--map", str(fmap))
    assert front(records_repo / "clients" / "rosa-vidal.md")["dates"] == {
        "first_contact": "2026-11-18"
    }


def test_tally_json_with_its_map(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    data = PROJECT_ROOT / "tests" / "data" / "tally.json"
    _intake(cli, records_repo, str(data), "--map", str(PROJECT_ROOT / "docs/maps/tally.yaml"))
    sam = records_repo / "clients" / "sam-oduya.md"
    assert front(sam)["dates"] == {"first_contact": "2026-11-21"}
    assert "## 2026-11-21 first contact" in sam.read_text(encoding="utf-8")


# --- property: any moment, written in any form a form tool uses ------------------------

HEADERS = [
    "Timestamp",
    "Submitted At",
    "Submit Date (UTC)",
    "Submission Date",
    "Date Submitted",
    "Completion time",
    "createdAt",
    "submitted_at",
    "Created",
]
FORMS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.000Z",
    "%Y-%m-%dT%H:%M:%S+02:00",
    "%Y/%m/%d %I:%M:%S %p GMT",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%d %B %Y %H:%M",
    "%Y-%m-%d",
]


def _repo(base: Path) -> Path:
    root = base / "repo"
    (root / "clients").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml", root / "sortext.yaml")
    return root


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 12, 31)),
    st.sampled_from(HEADERS),
    st.sampled_from(FORMS),
    st.booleans(),
)
def test_any_timestamp_form_gives_its_day(
    moment: dt.datetime, header: str, form: str, as_json: bool
) -> None:
    from sortext.io.importer import prepare_record
    from sortext.io.intake import plan_intake
    from sortext.io.spreadsheet import read_table
    from sortext.repo import open_repository

    cell = moment.strftime(form)
    day_month = form.startswith(("%d/", "%m/"))
    ambiguous = day_month and moment.day <= 12 and moment.day != moment.month
    with tempfile.TemporaryDirectory() as tmp:
        root = _repo(Path(tmp))
        row = {header: cell, "Name": "Rosa Vidal", "Email": "rosa.vidal@example.org"}
        if as_json:
            source = Path(tmp) / "form.json"
            source.write_text(json.dumps({"responses": [row]}), encoding="utf-8")
        else:
            source = _form(Path(tmp) / "form.csv", list(row), [list(row.values())])
        repo = open_repository(root)
        table = read_table(source, None, None, None, None, None)
        plan = plan_intake(repo, table.rows, None)
        (record,) = plan.new
        today = dt.date(2100, 1, 1)
        prepared = prepare_record(repo, record, plan.source, today, "intake form")
        text = prepared.new.decode("utf-8")
        expected = today if ambiguous else moment.date()
        assert f"first_contact: {expected.isoformat()}\n" in text, (cell, text)
        assert f"## {expected.isoformat()} first contact" in text
        if ambiguous:
            assert cell in text  # kept as written in the notes


@pytest.mark.parametrize(
    ("other", "day"),
    [("11/30/2026 9:12:44", "2026-05-06"), ("30/11/2026 09:12", "2026-06-05")],
)
def test_the_column_decides_an_ambiguous_day(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path, other: str, day: str
) -> None:
    form = _form(
        tmp_path / "form.csv",
        ["Timestamp", "Name", "Email"],
        [
            ["05/06/2026 10:00:00", "Rosa Vidal", "rosa.vidal@example.org"],
            [other, "Ines Roth", "ines.roth@example.org"],
        ],
    )
    result = _intake(cli, records_repo, str(form))
    assert "ambiguous" not in result.output
    assert front(records_repo / "clients" / "rosa-vidal.md")["dates"] == {"first_contact": day}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)), min_size=1, max_size=4),
    st.integers(13, 28),
    st.sampled_from(["%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y"]),
)
def test_a_column_of_one_order_reads_every_row(days: list[dt.date], late: int, form: str) -> None:
    """One unambiguous date in the column (a day past the 12th) reads all its rows."""
    from sortext.io.intake import plan_intake
    from sortext.io.spreadsheet import read_table
    from sortext.repo import open_repository

    days = [*days, days[0].replace(day=late)]
    with tempfile.TemporaryDirectory() as tmp:
        root = _repo(Path(tmp))
        rows = [
            [dt.datetime(d.year, d.month, d.day, 9, 30).strftime(form), f"P {n}", f"p{n}@x.org"]
            for n, d in enumerate(days)
        ]
        source = _form(Path(tmp) / "form.csv", ["Timestamp", "Name", "Email"], rows)
        table = read_table(source, None, None, None, None, None)
        plan = plan_intake(open_repository(root), table.rows, None)
        got = {
            r.name: next(c.new for c in r.changes if c.path == ("dates", "first_contact"))
            for r in plan.new
        }
        assert got == {f"P {n}": d for n, d in enumerate(days)}, rows
