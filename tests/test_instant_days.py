"""A date and time handed in with its UTC offset is an instant: its day is the
practice's day then (the repository's ``timezone:``), not the day as written.

Before, an imported cell ``2026-11-23T23:30:00Z`` (a form service's timestamp, a
payment export's) was the 23rd for a Berlin practice, where it was already the
24th; ``2026-11-24T00:30:00+01:00`` was the 24th for a London one, where it was
still the 23rd and so "after today" on the 23rd.  An inbox note's ``date:`` alike.
Now one rule (:func:`sortext.vcs.midnight.instant_day`, which commits' author dates
already followed) reads them all: with a ``timezone:``, the practice's date at that
instant; without one (floating dates), or for a time without an offset, the day as
written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.io.fieldmap import _to_date
from sortext.vcs.midnight import instant_day
from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY
from tests.roundtripkit import copy_of
from tests.test_import import front
from tests.test_intake_first_contact import _form

ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/Los_Angeles",
    "America/St_Johns",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
)
MOMENTS = st.datetimes(min_value=dt.datetime(1950, 1, 2), max_value=dt.datetime(2150, 12, 30)).map(
    lambda m: m.replace(tzinfo=dt.UTC)
)
OFFSETS = st.integers(-12 * 4, 14 * 4).map(lambda q: dt.timezone(dt.timedelta(minutes=15 * q)))


def _spelled(moment: dt.datetime, separator: str, seconds: bool, zulu: bool) -> str:
    """``moment`` in ISO 8601 with its offset (``Z`` for UTC when ``zulu``)."""
    text = moment.isoformat(sep=separator, timespec="seconds" if seconds else "minutes")
    if zulu and moment.utcoffset() == dt.timedelta(0):
        text = text.removesuffix("+00:00") + "Z"
    return text


@settings(max_examples=300)
@given(
    moment=MOMENTS,
    offset=OFFSETS,
    zone=st.sampled_from((None, *ZONES)),
    separator=st.sampled_from("T "),
    seconds=st.booleans(),
    zulu=st.booleans(),
)
def test_an_instant_is_the_practices_day_then(
    moment: dt.datetime,
    offset: dt.timezone,
    zone: str | None,
    separator: str,
    seconds: bool,
    zulu: bool,
) -> None:
    written = moment.astimezone(offset)
    text = _spelled(written, separator, seconds, zulu)
    expected = written.date() if zone is None else written.astimezone(ZoneInfo(zone)).date()
    assert instant_day(text, zone) == expected.isoformat(), text
    assert _to_date(text, (), None, zone) == expected, text
    # a map's date_format with %z reads the same instant
    fmt = f"%Y-%m-%d{separator}%H:%M{':%S' if seconds else ''}%z"
    assert _to_date(text, (fmt,), None, zone) == expected, text
    # without its offset the time is the writer's own clock: the day as written
    naive = text[: 16 + 3 * seconds]
    assert _to_date(naive, (), None, zone) == written.date(), naive
    assert instant_day(naive, zone) == written.date().isoformat(), naive


# --- through the importers --------------------------------------------------------

IMPORT_DAY = "2026-11-30"
BILLING = PROJECT_ROOT / "docs" / "maps" / "billing-invoices.yaml"
HEADER = ["Invoice Number", "Customer Email", "Total", "Status", "Issue Date", "Due Date"]
AMARA = "amara.okafor@example.com"


def _zone(root: Path, zone: str | None) -> None:
    """``root``'s sortext.yaml with ``timezone:`` set to ``zone`` (None: removed)."""
    config = root / "sortext.yaml"
    lines = [
        line for line in config.read_text("utf-8").splitlines() if not line.startswith("timezone:")
    ]
    if zone is not None:
        lines.append(f"timezone: {zone}")
    config.write_text("\n".join(lines) + "\n", "utf-8")


@pytest.mark.parametrize(
    ("zone", "cell", "day"),
    [
        ("Europe/Berlin", "2026-11-18T23:30:00Z", "2026-11-19"),
        ("Europe/London", "2026-11-19T00:30:00+01:00", "2026-11-18"),
        ("America/Los_Angeles", "2026-11-19T06:00:00.000Z", "2026-11-18"),
        (None, "2026-11-18T23:30:00Z", "2026-11-18"),
        ("Europe/Berlin", "2026-11-18 23:30:00", "2026-11-18"),  # no offset: as written
    ],
)
def test_intake_dates_first_contact_by_the_practices_day(
    cli: Callable[..., Result],
    records_repo: Path,
    tmp_path: Path,
    zone: str | None,
    cell: str,
    day: str,
) -> None:
    _zone(records_repo, zone)
    form = _form(
        tmp_path / "form.csv",
        ["Submitted At", "Name", "Email"],
        [[cell, "Rosa Vidal", "rosa.vidal@example.org"]],
    )
    done = cli("intake", str(form), "--repo", str(records_repo), "--today", IMPORT_DAY)
    assert done.exit_code == 0, done.output
    path = records_repo / "clients" / "rosa-vidal.md"
    assert front(path)["dates"] == {"first_contact": day}


def test_a_payment_today_in_the_practice_is_not_after_today(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    """Paid at 00:30 on the 24th Berlin time is the 23rd in London: on the 23rd it is
    today's payment there, written as paid on the 23rd (it was refused as "after
    today", read as the 24th)."""
    _zone(records_repo, "Europe/London")
    row = ["INV-2026-058", AMARA, "840", "Paid", "2026-10-15", "2026-10-29"]
    bill = _form(tmp_path / "bill.csv", [*HEADER, "Paid Date"], [[*row, "2026-11-24T00:30+01:00"]])
    args = ("import", str(bill), "--map", str(BILLING), "--accept", "theirs")
    done = cli(*args, "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    invoices = front(records_repo / "clients" / "amara-okafor.md")["invoices"]
    assert isinstance(invoices, list)
    paid = next(i for i in invoices if i["id"] == "INV-2026-058")
    assert paid["paid_on"] == "2026-11-23"


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    moment=st.integers(0, 47 * 4).map(
        lambda q: dt.datetime(2026, 11, 20, tzinfo=dt.UTC) + dt.timedelta(minutes=15 * q)
    ),
    offset=OFFSETS,
)
def test_an_inbox_note_is_filed_under_the_practices_day(
    sample_base: Path,
    tmp_path_factory: pytest.TempPathFactory,
    moment: dt.datetime,
    offset: dt.timezone,
) -> None:
    from sortext.io.inbox import read_inbox
    from sortext.repo import open_repository

    root = copy_of(sample_base, tmp_path_factory)  # (timezone: Europe/London)
    folder = root / "inbox"
    folder.mkdir()
    text = moment.astimezone(offset).isoformat(timespec="minutes")
    (folder / "call.md").write_text(
        f'---\nclient: amara-okafor\ndate: "{text}"\n---\nShe called.\n', "utf-8"
    )
    (note,) = read_inbox(open_repository(root), dt.date.fromisoformat(SAMPLE_TODAY))
    assert note.day == moment.astimezone(ZoneInfo("Europe/London")).date(), text
