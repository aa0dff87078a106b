"""A calendar import makes each client's new sessions in one edit of the record, and
writes the bytes appending them one by one wrote.

Found in a break round: each session booked into one client re-read and re-parsed
the record (``RecordEditor.append`` per session): a ``FREQ=DAILY;BYHOUR=9,17`` series
(184 sessions, the most a series books) took 12-24 s, a file of 12 series 38 s.  The
import now groups a record's run of new sessions into one ``RecordEditor.extend``,
and looks each booking's session up by UID instead of scanning the client's
sessions.  These tests import through the command into real repositories and hold
the records written to the old path (one ``append`` per session, kept here as
:func:`one_by_one`).  Speed is measured by ``bench/calendar_import_bench.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from click.testing import Result

import sortext.io.importer as importer
from sortext.edit.roundtrip import RecordEditor
from sortext.errors import SortextError
from sortext.io.calendar import plan_calendar
from sortext.repo import open_repository

TODAY = dt.date(2026, 12, 2)


def one_by_one(editor: RecordEditor, changes: Iterable[importer.Change]) -> None:
    """The old ``_apply_changes``: an ``append`` per new entry, a ``set`` per value."""
    for change in changes:
        if change.kind == "new-item":
            editor.append(change.path, change.new)
        else:
            editor.set(change.path, change.new)


def _series(uid: str, mail: str, start: str, rule: str, extra: str = "", summary: str = "") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{start}\r\nDURATION:PT30M\r\n"
        f"RRULE:{rule}\r\n{extra}SUMMARY:{summary or 'Check-in: ' + uid}\r\n"
        f"ATTENDEE;CN=Someone:mailto:{mail}\r\nEND:VEVENT\r\n"
    )


def _ics(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\n" + "".join(events)).encode() + (
        b"END:VCALENDAR\r\n"
    )


def _client(root: Path, slug: str, mail: str, sessions: str) -> Path:
    path = root / "clients" / f"{slug}.md"
    path.write_text(
        f"---\nname: {slug.replace('-', ' ').title()}\nstage: active\nemail: {mail}\n"
        "next_action: {what: Prepare, owner: me, due: 2026-12-09}\n"
        f"{sessions}---\n\nNotes.\n",
        encoding="utf-8",
    )
    return path


def _expected(root: Path, ics: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Each record the import writes, as the old path (one append each) makes it."""
    repo = open_repository(root)
    plan = plan_calendar(repo, ics, (), TODAY)
    with monkeypatch.context() as patched:
        patched.setattr(importer, "_apply_changes", one_by_one)
        return {
            record.display: importer.prepare_record(repo, record, plan.source, TODAY, "import").new
            for record in plan.records
            if record.is_new or record.changes
        }


def _import(cli: Callable[..., Result], root: Path, ics: Path, *more: str) -> Result:
    return cli("import", str(ics), "--today", TODAY.isoformat(), "--repo", str(root), *more)


def test_many_sessions_for_one_client_are_the_bytes_of_one_append_each(
    empty_repo: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """184 sessions of one series and two weekly series into clients whose sessions
    are written in block style, in flow style, or not at all; and a new client."""
    _client(
        empty_repo,
        "ann-block",
        "ann@example.com",
        "sessions:\n  - date: 2026-11-02\n    status: held\n    kind: intake\n",
    )
    _client(
        empty_repo,
        "bo-flow",
        "bo@example.com",
        "sessions:\n  - {date: 2026-11-02, status: held}  # first one\n",
    )
    _client(empty_repo, "cy-none", "cy@example.com", "")
    ics = empty_repo / "many.ics"
    ics.write_bytes(
        _ics(
            _series("daily@x", "ann@example.com", "20261202T090000Z", "FREQ=DAILY;BYHOUR=9,17"),
            _series("w1@x", "bo@example.com", "20261203T100000Z", "FREQ=WEEKLY"),
            _series("w2@x", "bo@example.com", "20261204T150000Z", "FREQ=WEEKLY;INTERVAL=2"),
            _series("w3@x", "cy@example.com", "20261205T080000Z", "FREQ=DAILY;INTERVAL=3"),
            _series("new@x", "dee@example.org", "20261206T110000Z", "FREQ=WEEKLY"),
        )
    )
    expected = _expected(empty_repo, ics, monkeypatch)
    assert len(expected) == 4, sorted(expected)  # three clients and a new one
    done = _import(cli, empty_repo, ics)
    assert done.exit_code == 0, done.output
    assert "refused" not in done.output
    for display, text in expected.items():
        assert (empty_repo / display).read_bytes() == text, display
    assert (empty_repo / "clients" / "ann-block.md").read_text().count("daily@x/") == 184


def test_moved_cancelled_and_new_sessions_together_are_the_bytes_of_the_old_path(
    empty_repo: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client holding sessions the series booked before (one moved since, one
    dropped, one held): sets and appends interleave in one edit, in order."""
    _client(
        empty_repo,
        "ann",
        "ann@example.com",
        "sessions:\n"
        "  - {date: 2026-12-07, time: '10:00', minutes: 30, status: scheduled, "
        "uid: s@x/20261207T100000Z}\n"
        "  - {date: 2026-12-14, time: '10:00', minutes: 30, status: scheduled, "
        "uid: s@x/20261214T100000Z}\n"
        "  - {date: 2026-12-21, time: '10:00', minutes: 30, status: held, "
        "uid: s@x/20261221T100000Z}\n",
    )
    moved = (
        "BEGIN:VEVENT\r\nUID:s@x\r\nRECURRENCE-ID:20261207T100000Z\r\n"
        "DTSTART:20261208T120000Z\r\nDURATION:PT45M\r\nSEQUENCE:2\r\nSUMMARY:moved\r\n"
        "ATTENDEE:mailto:ann@example.com\r\nEND:VEVENT\r\n"
    )
    ics = empty_repo / "moved.ics"
    ics.write_bytes(
        _ics(
            _series("s@x", "ann@example.com", "20261207T100000Z", "FREQ=WEEKLY", ""),
            moved,
            _series(
                "t@x",
                "ann@example.com",
                "20261202T170000Z",
                "FREQ=DAILY",
                "EXDATE:20261214T170000Z\r\n",
            ),
        ).replace(b"RRULE:FREQ=WEEKLY\r\n", b"RRULE:FREQ=WEEKLY\r\nEXDATE:20261214T100000Z\r\n")
    )
    expected = _expected(empty_repo, ics, monkeypatch)
    assert list(expected) == ["clients/ann.md"]
    done = _import(cli, empty_repo, ics)
    assert done.exit_code == 0, done.output
    written = (empty_repo / "clients" / "ann.md").read_bytes()
    assert written == expected["clients/ann.md"]
    assert b"status: cancelled" in written and b"2026-12-08" in written


def test_a_record_the_sessions_overflow_is_refused_as_before(
    empty_repo: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A twice-daily series with a long title (184 sessions of ~450 bytes) passes the
    64 KiB front matter: the record is refused with the message the one-by-one
    appends gave, and nothing is written."""
    path = _client(empty_repo, "ann", "ann@example.com", "")
    before = path.read_bytes()
    ics = empty_repo / "long.ics"
    title = "Programme check-in " + "and more words " * 25
    ics.write_bytes(
        _ics(
            _series(
                "d@x", "ann@example.com", "20261202T090000Z", "FREQ=DAILY;BYHOUR=9,17", "", title
            )
        )
    )
    repo = open_repository(empty_repo)
    plan = plan_calendar(repo, ics, (), TODAY)
    (record,) = plan.records
    with monkeypatch.context() as patched:
        patched.setattr(importer, "_apply_changes", one_by_one)
        with pytest.raises(SortextError) as old:
            importer.prepare_record(repo, record, plan.source, TODAY, "import")
    done = _import(cli, empty_repo, ics)
    assert done.exit_code == 1
    assert f"refused: clients/ann.md: {str(old.value).splitlines()[0]}" in done.output
    assert "64 KiB" in str(old.value)
    assert path.read_bytes() == before


def test_a_dry_run_says_what_the_import_then_writes(
    empty_repo: Path, cli: Callable[..., Result]
) -> None:
    """The dry run's plan and counts are those of the write (one edit or many)."""
    _client(empty_repo, "ann", "ann@example.com", "sessions: []\n")
    ics = empty_repo / "d.ics"
    ics.write_bytes(
        _ics(_series("daily@x", "ann@example.com", "20261202T090000Z", "FREQ=DAILY;BYHOUR=9,17"))
    )
    dry = _import(cli, empty_repo, ics, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "184 bookings: 1 record to update, 0 new" in dry.output
    done = _import(cli, empty_repo, ics)
    assert done.exit_code == 0, done.output
    assert "184 bookings: 1 record to update, 0 new" in done.output
    again = _import(cli, empty_repo, ics, "--dry-run")
    assert "0 records to update" in again.output


def test_a_series_cancelled_after_it_was_booked_cancels_each_session(
    empty_repo: Path, cli: Callable[..., Result]
) -> None:
    """60 sessions booked in one edit, then the series cancelled: 60 status changes,
    one ``set`` each (a run of value changes checked only at its end wrote records
    the one-by-one path refuses: tests/test_import_refused_midway.py)."""
    _client(empty_repo, "ann", "ann@example.com", "sessions: []\n")
    rule = "FREQ=DAILY;BYHOUR=9,17;COUNT=60"
    daily = _series("daily@x", "ann@example.com", "20261202T090000Z", rule)
    ics = empty_repo / "d.ics"
    ics.write_bytes(_ics(daily))
    assert _import(cli, empty_repo, ics).exit_code == 0
    ics.write_bytes(_ics(daily.replace("SUMMARY:", "STATUS:CANCELLED\r\nSUMMARY:")))
    done = _import(cli, empty_repo, ics)
    assert done.exit_code == 0, done.output
    written = (empty_repo / "clients" / "ann.md").read_bytes()
    assert written.count(b"status: cancelled") == 60
