"""One-way exports: the ICS parses as a calendar with every due date; output is stable."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY


def sample_records() -> list[dict[str, Any]]:
    from sortext.io.export import load_records
    from sortext.repo import open_repository

    return load_records(open_repository(PROJECT_ROOT))


def expected_due_dates(records: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(record id, date) of everything that should be on the calendar, read from the data."""
    wanted = set()
    for data in records:
        rid = data["id"]
        if isinstance(data.get("next_action"), dict):
            wanted.add((rid, data["next_action"]["due"]))
        for key in ("next_review", "renewal"):
            if data.get("dates", {}).get(key):
                wanted.add((rid, data["dates"][key]))
        if data.get("billing", {}).get("renewal"):
            wanted.add((rid, data["billing"]["renewal"]))
        for invoice in data.get("invoices", []):
            if invoice.get("due") and invoice["status"] not in ("paid", "void"):
                wanted.add((rid, invoice["due"]))
        for session in data.get("sessions", []):
            if session["status"] == "scheduled":
                wanted.add((rid, session["date"]))
    return wanted


def test_ics_parses_and_holds_every_due_date(cli: Callable[..., Result]) -> None:
    import icalendar

    result = cli("export", "ics", "--repo", str(PROJECT_ROOT))
    assert result.exit_code == 0, result.output
    calendar = icalendar.Calendar.from_ical(result.output)
    found = set()
    uids = []
    for event in calendar.walk("VEVENT"):
        uid = str(event["UID"])
        uids.append(uid)
        start = event.decoded("DTSTART")
        if isinstance(start, dt.datetime):  # a timed session or action: zoned, with an end
            assert start.tzinfo is not None
            assert event.decoded("DTEND") > start
            day = start.date()
        else:  # an all-day event
            assert event.decoded("DTEND") == start + dt.timedelta(days=1)
            day = start
        record_id = next(r["id"] for r in sample_records() if uid.startswith(r["id"] + "-"))
        found.add((record_id, day.isoformat()))
    wanted = expected_due_dates(sample_records())
    assert wanted, "the samples should have due dates"
    assert wanted <= found
    assert len(uids) == len(set(uids))


def test_ics_uid_is_stable_when_the_date_moves() -> None:
    from sortext.io.export import calendar_events

    data: dict[str, Any] = {
        "id": "ann",
        "name": "Ann",
        "next_action": {"what": "Call", "due": "2026-11-01"},
    }
    before = calendar_events([data])
    data["next_action"]["due"] = "2026-12-01"
    after = calendar_events([data])
    assert [e.uid for e in before] == [e.uid for e in after] == ["ann-next-action@sortext"]
    assert after[0].date == "2026-12-01"


def test_ics_lines_are_folded_and_escaped() -> None:
    import icalendar

    from sortext.io.export import to_ics

    what = "Send the proposal; include pricing, scope and the timeline " * 3
    record = {"id": "ann", "name": "Ann", "next_action": {"what": what, "due": "2026-11-30"}}
    text = to_ics([record])
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    event = next(iter(icalendar.Calendar.from_ical(text).walk("VEVENT")))
    assert str(event["SUMMARY"]) == f"Ann: {what}"


def test_exports_are_deterministic(cli: Callable[..., Result]) -> None:
    for kind in ("csv", "json", "ics"):
        first = cli("export", kind, "--repo", str(PROJECT_ROOT), "--today", SAMPLE_TODAY)
        second = cli("export", kind, "--repo", str(PROJECT_ROOT), "--today", SAMPLE_TODAY)
        assert first.exit_code == 0
        assert first.output == second.output


def test_csv_has_one_row_per_client(cli: Callable[..., Result]) -> None:
    result = cli("export", "csv", "--repo", str(PROJECT_ROOT), "--today", SAMPLE_TODAY)
    rows = list(csv.DictReader(io.StringIO(result.output)))
    records = sample_records()
    assert [r["id"] for r in rows] == [d["id"] for d in records]
    amara = next(r for r in rows if r["id"] == "amara-okafor")
    assert amara["next_action_overdue"] == "true"
    assert amara["invoices_open"] == "1"


def test_json_holds_the_front_matter(cli: Callable[..., Result]) -> None:
    result = cli("export", "json", "--repo", str(PROJECT_ROOT))
    assert json.loads(result.output) == sample_records()


def test_configured_exports_are_written_once(records_repo: Path) -> None:
    from sortext.io.export import write_configured_exports
    from sortext.repo import open_repository

    config = records_repo / "sortext.yaml"
    config.write_text(
        config.read_text() + "\nexports:\n  exports/calendar.ics: ics\n  exports/clients.csv: csv\n"
    )
    repo = open_repository(records_repo)
    today = dt.date.fromisoformat(SAMPLE_TODAY)
    written = write_configured_exports(repo, today)
    assert sorted(p.name for p in written) == ["calendar.ics", "clients.csv"]
    assert write_configured_exports(repo, today) == []
    assert (records_repo / "exports" / "calendar.ics").read_text().startswith("BEGIN:VCALENDAR")


@pytest.mark.parametrize("target", ["../outside.ics", "clients/x.ics"])
def test_configured_export_paths_stay_in_the_repo(records_repo: Path, target: str) -> None:
    from sortext.errors import ConfigError
    from sortext.io.export import write_configured_exports
    from sortext.repo import open_repository

    config = records_repo / "sortext.yaml"
    config.write_text(config.read_text() + f"\nexports:\n  {target}: ics\n")
    with pytest.raises(ConfigError):
        write_configured_exports(open_repository(records_repo), dt.date(2026, 11, 23))


def test_export_out_writes_atomically_and_reports_unchanged(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    target = records_repo / "out" / "calendar.ics"
    target.parent.mkdir()
    first = cli("export", "ics", "--out", str(target), "--repo", str(records_repo))
    assert first.exit_code == 0 and "written" in first.output
    assert target.read_text().startswith("BEGIN:VCALENDAR")
    second = cli("export", "ics", "--out", str(target), "--repo", str(records_repo))
    assert "unchanged" in second.output
