"""More dates handed to sortext from outside, read as a record's dates are (after
tests/test_dates_given.py): the places that commit left reading date text with
``date.fromisoformat`` or ``\\d``.

Found by trying the other spellings against every reader of outside text:

* ``sortext restore ID --at 9999-12-31`` was an internal error (``OverflowError``:
  the day after stepped past Python's last date); ``--at`` read any year;
* ``inbox/`` notes: ``date: 2026-W49-3`` was filed under Wednesday the 2nd,
  ``date: 20261203`` and other digits fell back to today silently, years 1 and
  9999 were filed as note headings, and a note dated next year was filed (a note
  records what has happened: ``pay --on`` refuses the same typo);
* ``money --month`` took fullwidth digits, a trailing newline and year 0001;
* ``SORTEXT_NOW`` read ``2026-W49-3T12:00Z`` as the 2nd and ``20261203T120000Z``;
* the refusal of a payment or a measurement ahead pointed to "a planned session".
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.errors import ParameterError, UsageError
from sortext.record.values import MAX_YEAR, MIN_YEAR
from tests.conftest import SAMPLE_TODAY
from tests.roundtripkit import copy_of
from tests.test_dates_given import DAYS, _other_forms

AMARA = "amara-okafor"
TODAY = dt.date.fromisoformat(SAMPLE_TODAY)
OUTSIDE = st.one_of(st.integers(1, MIN_YEAR - 1), st.integers(MAX_YEAR + 1, 9999))


# --- restore --at ----------------------------------------------------------------


@settings(max_examples=20)
@given(year=OUTSIDE)
def test_restore_at_a_year_outside_the_records_is_refused(sample_base: Path, year: int) -> None:
    from sortext.repo import open_repository
    from sortext.vcs.restore import restore

    repo = open_repository(sample_base)
    with pytest.raises(ParameterError, match="outside the years 1900 to 2199"):
        restore(repo, AMARA, f"{year:04d}-12-31")


def test_restore_at_the_last_day_python_knows_is_a_clean_refusal(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    before = (records_repo / "clients" / f"{AMARA}.md").read_bytes()
    done = cli("restore", AMARA, "--at", "9999-12-31", "--repo", str(records_repo))
    assert done.exit_code == 2, done.output
    assert "--at '9999-12-31' is outside the years 1900 to 2199" in done.output
    assert "internal error" not in done.output and "Traceback" not in done.output
    assert (records_repo / "clients" / f"{AMARA}.md").read_bytes() == before


# --- inbox notes -------------------------------------------------------------------


def _note(root: Path, date: str) -> Path:
    folder = root / "inbox"
    folder.mkdir(exist_ok=True)
    path = folder / "call.md"
    path.write_text(f'---\nclient: {AMARA}\ndate: "{date}"\n---\nShe called.\n', "utf-8")
    return path


def _file(root: Path) -> tuple[list[str], bytes]:
    from sortext.io.inbox import file_notes, read_inbox
    from sortext.repo import open_repository

    repo = open_repository(root)
    before = (root / "clients" / f"{AMARA}.md").read_bytes()
    result = file_notes(repo, read_inbox(repo, TODAY))
    after = (root / "clients" / f"{AMARA}.md").read_bytes()
    return [why for _, why in result.left], before if after == before else after


FIXTURES = [HealthCheck.function_scoped_fixture]


@settings(max_examples=20, suppress_health_check=FIXTURES)
@given(day=DAYS, pick=st.integers(min_value=0, max_value=10))
def test_an_inbox_note_dated_in_another_spelling_is_left_with_where(
    sample_base: Path, tmp_path_factory: pytest.TempPathFactory, day: dt.date, pick: int
) -> None:
    root = copy_of(sample_base, tmp_path_factory)
    text = _other_forms(day)[pick]
    if text.endswith("T00:00"):
        text = f"{day.isoformat()}X"  # (a day and a time of day is the day: read)
    path = _note(root, text.replace("\n", "\\n"))  # (YAML's escape: the newline itself)
    before = (root / "clients" / f"{AMARA}.md").read_bytes()
    left, after = _file(root)
    assert after == before  # nothing written
    assert path.exists()  # the note stays
    assert len(left) == 1 and left[0].startswith("inbox/call.md:3:7: date: '"), left
    assert "is not a date (YYYY-MM-DD)" in left[0]


@settings(max_examples=15, suppress_health_check=FIXTURES)
@given(year=OUTSIDE)
def test_an_inbox_note_dated_outside_the_records_years_is_left(
    sample_base: Path, tmp_path_factory: pytest.TempPathFactory, year: int
) -> None:
    root = copy_of(sample_base, tmp_path_factory)
    _note(root, f"{year:04d}-06-15")
    left, _ = _file(root)
    assert len(left) == 1 and "outside the years 1900 to 2199" in left[0], left


@settings(max_examples=15, suppress_health_check=FIXTURES)
@given(ahead=st.integers(min_value=1, max_value=(dt.date(MAX_YEAR, 12, 31) - TODAY).days))
def test_an_inbox_note_dated_after_today_is_left(
    sample_base: Path, tmp_path_factory: pytest.TempPathFactory, ahead: int
) -> None:
    root = copy_of(sample_base, tmp_path_factory)
    later = TODAY + dt.timedelta(days=ahead)
    path = _note(root, later.isoformat())
    before = (root / "clients" / f"{AMARA}.md").read_bytes()
    left, after = _file(root)
    assert after == before and path.exists()
    assert left == [
        f"inbox/call.md:3:7: date: a note dated {later.isoformat()} is after today "
        f"({SAMPLE_TODAY}): is the date a typo? correct the note to file it"
    ]


@pytest.mark.parametrize(
    ("date", "section"),
    [
        (SAMPLE_TODAY, SAMPLE_TODAY),
        ("2026-11-20", "2026-11-20"),
        ("2026-11-20T14:30", "2026-11-20"),
        ("2026-11-20 14:30:05+01:00", "2026-11-20"),
    ],
)
def test_an_inbox_note_dated_today_or_before_is_filed(
    records_repo: Path, date: str, section: str
) -> None:
    path = _note(records_repo, date)
    left, after = _file(records_repo)
    assert left == []
    assert not path.exists()
    assert f"## {section} note (inbox)".encode() in after


def test_an_inbox_md_heading_dated_ahead_is_left_at_its_line(records_repo: Path) -> None:
    inbox = records_repo / "inbox.md"
    inbox.write_text(
        "# Inbox\n\n## amara-okafor 2027-11-20\n\nShe paid.\n\n"
        "## amara-okafor 2026-02-30\n\nNo such day.\n\n## amara-okafor 2026-11-20\n\nFine.\n",
        "utf-8",
    )
    left, after = _file(records_repo)
    assert left == [
        "inbox.md:3:17: heading: a note dated 2027-11-20 is after today (2026-11-23): "
        "is the date a typo? correct the note to file it",
        "inbox.md:7:17: heading: '2026-02-30' is not a date (YYYY-MM-DD): correct the "
        "note to file it",
    ]
    assert b"## 2026-11-20 note (inbox)" in after
    assert b"2027-11-20" not in after


def test_the_inbox_command_leaves_a_note_ahead_and_says_where(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    _note(records_repo, "2027-11-20")
    done = cli("inbox", "--file", "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert done.exit_code == 1, done.output
    assert "left inbox/call.md: inbox/call.md:3:7: date: a note dated 2027-11-20" in done.output
    assert "Traceback" not in done.output


# --- money --month ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "words"),
    [
        ("２０２６-11", "is not a month"),
        ("2026-11\n", "is not a month"),
        ("2026-1", "is not a month"),
        ("0001-01", "outside the years 1900 to 2199"),
        ("9999-12", "outside the years 1900 to 2199"),
    ],
)
def test_money_month_is_read_as_a_records_month(
    cli: Callable[..., Result], sample_base: Path, month: str, words: str
) -> None:
    done = cli("money", "--month", month, "--today", SAMPLE_TODAY, "--repo", str(sample_base))
    assert done.exit_code == 2, done.output
    assert words in done.output and "--month" in done.output


# --- SORTEXT_NOW ---------------------------------------------------------------------


@given(
    moment=st.datetimes(min_value=dt.datetime(1901, 1, 1), max_value=dt.datetime(2198, 12, 31)),
    form=st.sampled_from(["basic", "week", "ordinal", "wide"]),
)
def test_sortext_now_reads_only_the_extended_calendar_form(moment: dt.datetime, form: str) -> None:
    from sortext.vcs.midnight import parse_instant

    moment = moment.replace(microsecond=0, tzinfo=dt.UTC)
    assert parse_instant(moment.isoformat()) == moment.timestamp()
    year, week, weekday = moment.isocalendar()
    clock = moment.strftime("%H:%M:%SZ")
    text = {
        "basic": moment.strftime("%Y%m%dT%H%M%SZ"),
        "week": f"{year:04d}-W{week:02d}-{weekday}T{clock}",
        "ordinal": f"{moment.year:04d}-{moment.timetuple().tm_yday:03d}T{clock}",
        "wide": moment.isoformat().translate({c: c + 0xFEE0 for c in range(48, 58)}),
    }[form]
    with pytest.raises(UsageError, match="is not an instant"):
        parse_instant(text)


def test_sortext_now_as_a_week_date_is_a_usage_error(records_repo: Path) -> None:
    import os

    done = subprocess.run(
        [sys.executable, "-m", "sortext", "agenda"],
        cwd=records_repo,
        env={**os.environ, "SORTEXT_NOW": "2026-W49-3T12:00:00Z"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "SORTEXT_NOW (environment variable): '2026-W49-3T12:00:00Z' is not an instant" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr


# --- the refusal of a day ahead names the way out only where there is one -------------


@pytest.mark.parametrize(
    ("args", "session"),
    [
        (("pay", AMARA, "INV-2026-058"), False),
        (("measure", AMARA, "deep-work", "9"), False),
        (("log", AMARA, "--focus", "Review"), True),
    ],
)
def test_only_a_session_ahead_is_pointed_to_the_status_scheduled(
    cli: Callable[..., Result], records_repo: Path, args: tuple[str, ...], session: bool
) -> None:
    later = (TODAY + dt.timedelta(days=3)).isoformat()
    done = cli(*args, "--on", later, "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert done.exit_code != 0 and "is after today" in done.output, done.output
    assert ("planned session" in done.output) is session, done.output
