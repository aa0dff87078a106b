"""Intake respects the respondent (issue 13, item 4).

A "No" to storing data still copied every answer to the notes; a US Google
Sheets timestamp dropped the whole response; with --map unmapped columns were
dropped; a proposed update could move dates.first_contact later."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.io.fieldmap import CellError, _to_date
from tests.test_import import front, run

CONSENT_Q = "May we store your answers to prepare your sessions?"


def _form(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    return path


def test_no_to_storing_data_keeps_only_the_minimum(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    form = _form(
        tmp_path / "form.csv",
        ["Timestamp", "Full name", "Email address", "Phone", "What brings you here?", CONSENT_Q],
        [
            ["11/21/2026 9:12:44", "Zoe Ng", "zoe.ng@example.org", "+1 555 0100", "Burnout", "No"],
            ["11/20/2026 8:00:00", "Max Roe", "max.roe@example.org", "+1 555 0101", "Sleep", "Yes"],
        ],
    )
    result = run(cli, records_repo, "intake", str(form))
    assert result.exit_code == 0, result.output
    assert "no consent to storing data: kept only name, email" in result.output
    zoe_file = records_repo / "clients" / "zoe-ng.md"
    zoe = front(zoe_file)
    assert zoe["consent"] == {"data_use": False}
    assert "phone" not in zoe
    # the template's own record date, not the respondent's timestamp
    dates = zoe.get("dates") or {}
    assert isinstance(dates, dict) and dates.get("first_contact") != "2026-11-21"
    assert "Burnout" not in zoe_file.read_text(encoding="utf-8")
    max_file = records_repo / "clients" / "max-roe.md"
    max_ = front(max_file)
    assert max_["phone"] == "+1 555 0101"
    assert max_["dates"]["first_contact"] == "2026-11-20"  # type: ignore[index]
    assert "Sleep" in max_file.read_text(encoding="utf-8")


def test_configured_minimum(cli: Callable[..., Result], records_repo: Path, tmp_path: Path) -> None:
    config = records_repo / "sortext.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "\nintake: {minimum: [name]}\n", encoding="utf-8"
    )
    form = _form(
        tmp_path / "form.csv",
        ["Name", "Email", "Do you consent to data storage?"],
        [["Ada Kim", "ada.kim@example.org", "no"]],
    )
    assert run(cli, records_repo, "intake", str(form)).exit_code == 0
    ada = front(records_repo / "clients" / "ada-kim.md")
    assert "email" not in ada and ada["consent"] == {"data_use": False}
    config.write_text(
        config.read_text(encoding="utf-8") + "\nintake: {minimum: name}\n", encoding="utf-8"
    )
    assert run(cli, records_repo, "check").exit_code != 0  # typed in the config schema


def test_unreadable_timestamp_is_kept_not_the_client_lost(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    form = _form(
        tmp_path / "form.csv",
        ["Timestamp", "Name", "Email"],
        [["05/06/2026 10:00:00", "Lia Park", "lia.park@example.org"]],
    )
    result = run(cli, records_repo, "intake", str(form))
    assert result.exit_code == 0, result.output
    assert "ambiguous" in result.output and "kept as written" in result.output
    text = (records_repo / "clients" / "lia-park.md").read_text(encoding="utf-8")
    assert "Timestamp (kept as written)" in text and "05/06/2026 10:00:00" in text


def test_mapped_intake_keeps_unmapped_columns_in_the_notes(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    fmap = tmp_path / "m.yaml"
    fmap.write_text("match: email\nfields:\n  name: Name\n  email: Email\n", encoding="utf-8")
    form = _form(
        tmp_path / "form.csv",
        ["Name", "Email", "Goals", "Budget"],
        [["Noor Ali", "noor.ali@example.org", "Focus", "500"]],
    )
    assert run(cli, records_repo, "intake", str(form), "--map", str(fmap)).exit_code == 0
    text = (records_repo / "clients" / "noor-ali.md").read_text(encoding="utf-8")
    assert "intake form" in text and "**Goals**" in text and "**Budget**" in text


def test_proposed_update_never_moves_first_contact_later(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    amara = front(records_repo / "clients" / "amara-okafor.md")
    assert amara["dates"]["first_contact"] == "2026-05-12"  # type: ignore[index]
    later = _form(
        tmp_path / "later.csv",
        ["Timestamp", "Name", "Email", "Company"],
        [["11/21/2026 9:12:44", "Amara Okafor", "amara.okafor@example.com", "New Co"]],
    )
    result = run(cli, records_repo, "intake", str(later))
    assert "proposed update: clients/amara-okafor.md" in result.output
    assert "first_contact" not in result.output
    earlier = _form(
        tmp_path / "earlier.csv",
        ["Timestamp", "Name", "Email"],
        [["4/30/2026 9:12:44", "Amara Okafor", "amara.okafor@example.com"]],
    )
    result = run(cli, records_repo, "intake", str(earlier))
    assert "dates.first_contact" in result.output and "2026-04-30" in result.output


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("11/30/2026 9:12:44", dt.date(2026, 11, 30)),
        ("11/30/2026 9:12:44 PM", dt.date(2026, 11, 30)),
        ("30/11/2026", dt.date(2026, 11, 30)),
        ("30.11.2026", dt.date(2026, 11, 30)),
        ("Nov 30, 2026", dt.date(2026, 11, 30)),
        ("30 November 2026", dt.date(2026, 11, 30)),
        ("2026-11-30T09:12:44Z", dt.date(2026, 11, 30)),
        ("6/6/2026", dt.date(2026, 6, 6)),
    ],
)
def test_common_unambiguous_formats(text: str, day: dt.date) -> None:
    assert _to_date(text, ()) == day


@settings(max_examples=300, deadline=None)
@given(day=st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)), us=st.booleans())
def test_property_slashed_dates_read_right_or_refused(day: dt.date, us: bool) -> None:
    """Month/day or day/month: the right date, or a refusal when it reads both ways."""
    first, second = (day.month, day.day) if us else (day.day, day.month)
    text = f"{first}/{second}/{day.year} 9:12:44"
    try:
        got = _to_date(text, ())
    except CellError as exc:
        assert "ambiguous" in str(exc)
        assert day.day <= 12 and day.month <= 12 and day.day != day.month
        return
    assert got == day


def test_messages_name_the_rows_first_line(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    form = _form(
        tmp_path / "form.csv",
        ["Name", "Email", "Story", "Timestamp"],
        [
            ["Ola Berg", "ola.berg@example.org", "line one\nline two\nline three", "13/13/2026"],
        ],
    )
    result = run(cli, records_repo, "intake", str(form))
    # the row starts on line 2; its quoted story ends on line 4, where Timestamp starts
    assert f"{form}:4:13: Timestamp: impossible date" in result.output, result.output


_ANSWERS = st.sampled_from(["No", "no", "NO", "Nein", "No, thanks", "maybe", "", "Yes", "yes"])


@settings(max_examples=40, deadline=None)
@given(answer=_ANSWERS, phone=st.sampled_from(["+1 555 0100", ""]), goal=st.text(max_size=10))
def test_property_consent_decides_what_is_stored(answer: str, phone: str, goal: str) -> None:
    """Anything but a clear yes (or an empty answer) stores only the minimum."""
    from sortext.io.intake import plan_intake
    from sortext.io.spreadsheet import Row
    from sortext.repo import open_repository
    from tests.conftest import PROJECT_ROOT

    repo = open_repository(PROJECT_ROOT)
    row = Row(
        2,
        {
            "Name": "Zed Quo",
            "Email": "zed.quo@example.org",
            "Phone": phone,
            "Goal": goal,
            "I consent to you storing my data": answer,
        },
    )
    plan = plan_intake(repo, [row], None)
    (record,) = plan.new
    fields = {c.label: c.new for c in record.changes}
    if answer.strip().casefold() in ("yes",) or not answer.strip():
        assert fields.get("consent.data_use") in (True, None)
        # (a goal holding a control character is kept in the notes as escapes, and said)
        assert all("control characters kept as escapes" in r for r in record.remarks)
    else:
        assert fields["consent.data_use"] is False
        assert set(fields) <= {"name", "email", "consent.data_use"}
        assert record.notes == []
        assert any("consent" in r for r in record.remarks)
