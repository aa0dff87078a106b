"""Dates handed to sortext (command-line options, an assistant's arguments) read as a
record's dates read, and a day that has not come is not recorded as past.

Found after round 14: ``sortext pay amara-okafor INV-2026-058 --on 20261203`` and
``--on 2026-W49-3`` were taken (Python's ``date.fromisoformat`` reads the basic and the
week forms; the week date is a Wednesday, the 2nd, not the 3rd), where a record refuses
both; the assistant's ``preview_set_fields`` turned the text ``2026-W49-3`` into the
date 2026-12-02, silently, and its date arguments took year 1.  ``pay --on 2027-11-20``
(a typo for 2026) recorded a payment a year ahead (in next year's takings), and a
``held`` session or a measurement dated next year waited in the record to count a
year after it happened.  The class: date text from outside read by anything but
:func:`sortext.record.values.iso_day`; and a past-tense event dated after today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.assistant import guard
from sortext.assistant.server import _value
from sortext.errors import ParameterError
from sortext.record.values import MAX_YEAR, MIN_YEAR, iso_day
from sortext.vcs.changes import parse_since
from tests.conftest import SAMPLE_TODAY

AMARA = "amara-okafor"  # INV-2026-058 open, issued 2026-10-15; goal deep-work
TODAY = dt.date.fromisoformat(SAMPLE_TODAY)
DAYS = st.dates(min_value=dt.date(MIN_YEAR, 1, 1), max_value=dt.date(MAX_YEAR, 12, 31))


def _other_forms(day: dt.date) -> list[str]:
    """Spellings of ``day`` that are not ``YYYY-MM-DD`` (ISO's basic, week and ordinal
    forms, blanks around it, other digits, a sign), each a text a record refuses."""
    year, week, weekday = day.isocalendar()
    full = day.isoformat()
    wide = full.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})  # fullwidth
    arabic = full.translate({ord(c): ord(c) - ord("0") + 0x0660 for c in "0123456789"})
    return [
        day.strftime("%Y%m%d"),
        f"{year:04d}-W{week:02d}-{weekday}",
        f"{year:04d}W{week:02d}{weekday}",
        f"{day.year:04d}-{day.timetuple().tm_yday:03d}",
        f" {full}",
        f"{full}\n",
        f"+{full}",
        f"{full}T00:00",
        wide,
        arabic,
        full.replace("-", "/"),
    ]


@given(day=DAYS, pick=st.integers(min_value=0, max_value=10))
def test_only_yyyy_mm_dd_reads_as_a_day(day: dt.date, pick: int) -> None:
    assert iso_day(day.isoformat()) == day
    text = _other_forms(day)[pick]
    with pytest.raises(ValueError, match=r"is not a date \(YYYY-MM-DD\)"):
        iso_day(text)
    with pytest.raises(guard.AssistantInputError, match="is not a date"):
        guard.iso_date(text, "on")
    assert _value(text) == text  # the assistant's field value stays text: schema judges
    if text.strip() == day.isoformat():  # (--since reads past blanks around its value)
        assert parse_since(text, TODAY) == day
    else:
        with pytest.raises(ParameterError):
            parse_since(text, TODAY)


@given(year=st.one_of(st.integers(1, MIN_YEAR - 1), st.integers(MAX_YEAR + 1, 9999)))
def test_years_outside_the_records_range_are_refused_everywhere(year: int) -> None:
    text = f"{year:04d}-06-15"
    with pytest.raises(ValueError, match="outside the years"):
        iso_day(text)
    with pytest.raises(guard.AssistantInputError, match="outside the years"):
        guard.iso_date(text, "on")
    assert _value(text) == text
    with pytest.raises(ParameterError, match="outside the years"):
        parse_since(text, TODAY)


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pick=st.integers(min_value=0, max_value=10))
def test_pay_refuses_other_spellings_and_writes_nothing(
    cli: Callable[..., Result], records_repo: Path, pick: int
) -> None:
    path = records_repo / "clients" / f"{AMARA}.md"
    before = path.read_bytes()
    text = _other_forms(dt.date(2026, 11, 20))[pick]
    result = cli("pay", AMARA, "INV-2026-058", "--on", text, "--repo", str(records_repo))
    assert result.exit_code == 2, result.output
    assert "--on" in result.output and "is not a date (YYYY-MM-DD)" in result.output
    assert "Traceback" not in result.output
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (("pay", AMARA, "INV-2026-058"), "a payment"),
        (("measure", AMARA, "deep-work", "9"), "a measurement"),
        (("log", AMARA, "--focus", "Review"), "a held session"),
        (("log", AMARA, "--focus", "Review", "--status", "no-show"), "a no-show session"),
    ],
)
@pytest.mark.parametrize("ahead", [1, 365])
def test_a_day_still_to_come_is_not_recorded_as_past(
    cli: Callable[..., Result], records_repo: Path, args: tuple[str, ...], what: str, ahead: int
) -> None:
    path = records_repo / "clients" / f"{AMARA}.md"
    before = path.read_bytes()
    later = (TODAY + dt.timedelta(days=ahead)).isoformat()
    common = ("--today", SAMPLE_TODAY, "--repo", str(records_repo))
    result = cli(*args, "--on", later, *common)
    assert result.exit_code != 0, result.output
    assert f"{what} on {later} is after today ({SAMPLE_TODAY})" in result.output
    assert "Traceback" not in result.output
    assert path.read_bytes() == before  # nothing written
    # today itself is taken, and so is a day before it
    result = cli(*args, "--on", SAMPLE_TODAY, *common)
    assert result.exit_code == 0, result.output
    assert path.read_bytes() != before


@pytest.mark.parametrize("status", ["scheduled", "cancelled", "rescheduled"])
def test_a_planned_session_may_lie_ahead(
    cli: Callable[..., Result], records_repo: Path, status: str
) -> None:
    later = (TODAY + dt.timedelta(days=7)).isoformat()
    args = ("log", AMARA, "--focus", "Next review", "--status", status, "--on", later)
    result = cli(*args, "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    text = (records_repo / "clients" / f"{AMARA}.md").read_text(encoding="utf-8")
    assert later in text


def test_the_edits_the_assistant_shares_refuse_a_day_ahead(records_repo: Path) -> None:
    from sortext.edit.roundtrip import EditRefused, RecordEditor
    from sortext.edit.routine import add_measurement, pay_invoice

    path = records_repo / "clients" / f"{AMARA}.md"
    editor = RecordEditor(path.read_bytes())
    ahead = TODAY + dt.timedelta(days=30)
    with pytest.raises(EditRefused, match="is after today"):
        pay_invoice(editor, "INV-2026-058", ahead, today=TODAY)
    with pytest.raises(EditRefused, match="is after today"):
        add_measurement(editor, "deep-work", 8, ahead, today=TODAY)
    pay_invoice(editor, "INV-2026-058", TODAY, today=TODAY)  # (None: not checked)
    assert editor.get(("invoices", 2, "paid_on")) == TODAY.isoformat()
