"""Issue 16, things coming in: calendar bookings (.ics), the inbox, a folder of notes."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY

DATA = PROJECT_ROOT / "tests" / "data"


def run(cli: Callable[..., Result], root: Path, *args: str) -> Result:
    return cli(*args, "--repo", str(root))


def front(root: Path, rid: str) -> dict:  # type: ignore[type-arg]
    from sortext.api import open as open_api

    return dict(open_api(root).record(rid).data)


# -- bookings --------------------------------------------------------------------


def test_google_calendar_booking_and_new_inquiry(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    before = (records_repo / "clients/amara-okafor.md").read_bytes()
    dry = run(cli, records_repo, "import", str(DATA / "google-calendar.ics"))
    assert dry.exit_code == 0, dry.output
    assert "new: clients/priya-raman.md (Priya Raman)" in dry.output
    assert (records_repo / "clients/amara-okafor.md").read_bytes() == before  # dry run
    assert not (records_repo / "clients/priya-raman.md").exists()
    done = run(
        cli,
        records_repo,
        "import",
        str(DATA / "google-calendar.ics"),
        "--apply",
        "--today",
        SAMPLE_TODAY,
    )
    assert done.exit_code == 0, done.output
    sessions = front(records_repo, "amara-okafor")["sessions"]
    booked = [s for s in sessions if s.get("uid") == "4q9c1v7fa0s2gm1h8k3j5l6p0b@google.com"]
    assert booked == [
        {
            "date": "2026-11-24",
            "time": "14:30",
            "minutes": 50,
            "status": "scheduled",
            "focus": "Coaching: Amara Okafor",
            "uid": "4q9c1v7fa0s2gm1h8k3j5l6p0b@google.com",
        }
    ]
    priya = front(records_repo, "priya-raman")
    assert priya["stage"] == "inquiry" and priya["email"] == "priya.raman@example.org"
    assert priya["sessions"][0]["time"] == "09:00"  # TZID Europe/London kept local
    assert run(cli, records_repo, "check").exit_code == 0
    again = run(cli, records_repo, "import", str(DATA / "google-calendar.ics"), "--apply")
    assert "0 records to update, 0 new" in again.output  # idempotent by UID
    agenda = run(cli, records_repo, "agenda", "--today", "2026-11-24").output
    assert "14:30-15:20 Amara Okafor" in agenda


def test_calendly_cancellation_marks_the_session(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    out = run(cli, records_repo, "import", str(DATA / "calendly.ics"), "--apply")
    assert out.exit_code == 0, out.output
    farid = front(records_repo, "farid-haddad")["sessions"]
    cancelled = [s for s in farid if s.get("uid", "").startswith("e7a8b9c0")]
    assert [s["status"] for s in cancelled] == ["cancelled"]
    assert "! conflict" not in out.output and "0 conflicts" in out.output


def test_a_held_session_is_never_reverted(cli: Callable[..., Result], records_repo: Path) -> None:
    run(cli, records_repo, "import", str(DATA / "calcom.ics"), "--apply")
    path = records_repo / "clients/bruno-castellanos.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: scheduled", "status: held"),
        encoding="utf-8",
    )
    again = run(cli, records_repo, "import", str(DATA / "calcom.ics"), "--apply")
    assert "0 records to update" in again.output
    assert "status: held" in path.read_text(encoding="utf-8")


def test_calcom_duration_and_timezone_conversion(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    cfg = records_repo / "sortext.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace("Europe/London", "Europe/Berlin"), encoding="utf-8"
    )
    run(cli, records_repo, "import", str(DATA / "calcom.ics"), "--apply")
    s = next(x for x in front(records_repo, "bruno-castellanos")["sessions"] if x.get("uid"))
    assert (s["date"], s["time"], s["minutes"]) == ("2026-11-24", "14:00", 45)  # 13:00Z in Berlin


def test_not_a_calendar_is_a_clear_error(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.ics"
    bad.write_bytes(b"\x00\xffnot a calendar")
    out = run(cli, records_repo, "import", str(bad))
    assert (
        out.exit_code == 2
        and "not an iCalendar file" in out.output
        and "Traceback" not in out.output
    )


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 20), st.integers(7, 19), st.sampled_from([30, 45, 50, 60]), st.booleans()
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda e: e[0],
    )
)
def test_generated_calendars_import_once(events: list[tuple[int, int, int, bool]]) -> None:
    """Property: any calendar of events for a known client plans one new session per
    UID (cancelled unknown ones are skipped) and nothing once those sessions exist."""
    import icalendar

    from sortext.io.calendar import plan_calendar
    from sortext.repo import open_repository

    cal = icalendar.Calendar()
    cal.add("prodid", "-//test//EN")
    cal.add("version", "2.0")
    for n, hour, minutes, cancelled in events:
        ev = icalendar.Event()
        ev.add("uid", f"ev-{n}@test.invalid")
        start = dt.datetime(2026, 12, 1 + n, hour, 0, tzinfo=dt.UTC)
        ev.add("dtstart", start)
        ev.add("dtend", start + dt.timedelta(minutes=minutes))
        ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        att = icalendar.vCalAddress("mailto:kai@tidewater-analytics.example")
        att.params["cn"] = icalendar.vText("Kai Nakamura")
        ev.add("attendee", att)
        cal.add_component(ev)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "r"
        shutil.copytree(PROJECT_ROOT / "clients", root / "clients")
        shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
        ics = Path(tmp) / "c.ics"
        ics.write_bytes(cal.to_ical())
        repo = open_repository(root)
        plan = plan_calendar(repo, ics)
        added = [c for r in plan.records for c in r.changes if c.kind == "new-item"]
        assert len(added) == sum(1 for e in events if not e[3])
        assert all(c.new["minutes"] in (30, 45, 50, 60) for c in added)
        from sortext.io.importer import apply_plan

        apply_plan(repo, plan, dt.date(2026, 11, 23))
        assert plan_calendar(repo, ics).records == []


# -- the inbox -------------------------------------------------------------------


def test_inbox_files_matched_notes_and_keeps_the_rest(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    inbox = records_repo / "inbox"
    inbox.mkdir()
    (inbox / "2026-11-22-call.md").write_text(
        "---\nclient: Amara Okafor\n---\nBoard approved the hire.\n"
        "next: Send the delegation worksheet by fri\n",
        encoding="utf-8",
    )
    (inbox / "fwd.txt").write_text(
        "From: Kai <kai@tidewater-analytics.example>\nTiles change shipped.\n", encoding="utf-8"
    )
    (inbox / "stranger.md").write_text("Met someone at the meetup.\n", encoding="utf-8")
    (records_repo / "inbox.md").write_text(
        "# Inbox\n\n## Chiara 2026-11-21\nPrefers mornings.\n\n## Nobody here\nA thought.\n",
        encoding="utf-8",
    )
    listed = run(cli, records_repo, "inbox", "--today", SAMPLE_TODAY)
    assert "inbox/2026-11-22-call.md  -> amara-okafor" in listed.output
    assert "next: Send the delegation worksheet by 2026-11-27" in listed.output
    assert "inbox/stranger.md  unmatched" in listed.output
    assert (inbox / "fwd.txt").exists()  # listing writes nothing
    filed = run(cli, records_repo, "inbox", "--file", "--today", SAMPLE_TODAY)
    assert filed.exit_code == 1  # two notes left
    assert sorted(p.name for p in inbox.iterdir()) == ["stranger.md"]
    assert (records_repo / "inbox.md").read_text(
        encoding="utf-8"
    ) == "# Inbox\n\n## Nobody here\nA thought.\n"
    amara = (records_repo / "clients/amara-okafor.md").read_text(encoding="utf-8")
    assert "## 2026-11-22 note (inbox)\n\nBoard approved the hire.\n" in amara
    assert front(records_repo, "amara-okafor")["next_action"]["due"] == "2026-11-27"
    assert "Tiles change shipped" in (records_repo / "clients/kai-nakamura.md").read_text(
        encoding="utf-8"
    )
    assert "Prefers mornings." in (records_repo / "clients/chiara-bellini.md").read_text(
        encoding="utf-8"
    )
    assert run(cli, records_repo, "check").exit_code == 0
    hand = run(
        cli, records_repo, "inbox", "--file", "--assign", "inbox/stranger.md=bruno-castellanos"
    )
    assert "filed inbox/stranger.md -> clients/bruno-castellanos.md" in hand.output


def test_an_invalid_next_line_leaves_the_note(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    inbox = records_repo / "inbox"
    inbox.mkdir()
    note = inbox / "x.md"
    note.write_text("Chiara: call moved\nnext: call her by someday\n", encoding="utf-8")
    before = (records_repo / "clients/chiara-bellini.md").read_bytes()
    out = run(cli, records_repo, "inbox", "--file", "--today", SAMPLE_TODAY)
    assert out.exit_code == 1 and "cannot read the due day 'someday'" in out.output
    assert note.exists() and (records_repo / "clients/chiara-bellini.md").read_bytes() == before


def test_a_refused_edit_leaves_the_note(cli: Callable[..., Result], records_repo: Path) -> None:
    """A next action on a client without one needs a due day: refused, note kept."""
    inbox = records_repo / "inbox"
    inbox.mkdir()
    (inbox / "g.md").write_text(
        "Greta: wants a follow-up\nnext: plan the follow-up\n", encoding="utf-8"
    )
    out = run(cli, records_repo, "inbox", "--file", "--today", SAMPLE_TODAY)
    assert out.exit_code == 1 and "left inbox/g.md" in out.output
    assert (inbox / "g.md").exists()


@given(st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)), st.integers(0, 6))
def test_weekday_due_is_the_next_such_day(day: dt.date, weekday: int) -> None:
    from sortext.io.inbox import due_from

    names = ["mon", "tuesday", "wed", "thu", "friday", "sat", "sun"]
    due = due_from(names[weekday], day)
    assert due is not None and due.weekday() == weekday and 0 <= (due - day).days < 7


# -- foreign notes and a folder of them -------------------------------------------


@given(st.sampled_from(["no", "yes", "on", "off", "No", "NO", "y", "n"]))
def test_foreign_properties_keep_yaml_12_words_as_text(word: str) -> None:
    from sortext.io.foreign import parse_note

    note = parse_note(f"---\nanswer: {word}\n---\nbody\n", "n.md")
    assert note.properties == {"answer": word} and note.body == "body"


def test_foreign_note_with_broken_properties_is_read_as_text() -> None:
    from sortext.io.foreign import parse_note

    note = parse_note("---\nname: [unclosed\n---\nhello\n", "n.md")
    assert note.properties == {} and "hello" in note.body
    assert note.problem is not None and note.problem.startswith("n.md:")


def test_notes_folder_migration(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    vault = tmp_path / "vault"
    (vault / "Clients").mkdir(parents=True)
    (vault / ".obsidian").mkdir()
    (vault / ".obsidian" / "app.md").write_text("---\nname: Not a client\n---\n", encoding="utf-8")
    (vault / "Clients" / "Dana Ruiz.md").write_text(
        "---\nemail: dana@example.org\nstatus: lead\nnorwegian: no\nrating: 5\n---\n"
        "Met at the fair.\n",
        encoding="utf-8",
    )
    (vault / "Clients" / "Amara.md").write_text(
        "---\nemail: amara.okafor@example.com\n---\nOld notes from 2025.\n", encoding="utf-8"
    )
    (vault / "broken.md").write_text("---\nemail: [x\n---\ntext\n", encoding="utf-8")
    mapfile = tmp_path / "obsidian.yaml"
    mapfile.write_text(
        "source: obsidian\nfields:\n  name: file\n  email: email\n"
        "  stage: {column: status, values: {lead: inquiry, client: active}}\nnotes: [body]\n",
        encoding="utf-8",
    )
    dry = run(cli, records_repo, "import", str(vault), "--map", str(mapfile))
    assert dry.exit_code == 0, dry.output
    assert "new: clients/dana-ruiz.md (Dana Ruiz)" in dry.output
    assert "Clients/Dana Ruiz.md: not mapped: norwegian, rating" in dry.output
    assert "broken.md" in dry.output and "Not a client" not in dry.output
    assert not (records_repo / "clients/dana-ruiz.md").exists()
    done = run(
        cli,
        records_repo,
        "import",
        str(vault),
        "--map",
        str(mapfile),
        "--apply",
        "--today",
        SAMPLE_TODAY,
    )
    assert done.exit_code == 0, done.output
    dana = (records_repo / "clients/dana-ruiz.md").read_text(encoding="utf-8")
    assert "Met at the fair." in dana and "**body**" not in dana
    assert front(records_repo, "dana-ruiz")["stage"] == "inquiry"
    amara = (records_repo / "clients/amara-okafor.md").read_text(encoding="utf-8")
    assert amara.count("Old notes from 2025.") == 1
    again = run(cli, records_repo, "import", str(vault), "--map", str(mapfile), "--apply")
    assert "0 records to update, 0 new" in again.output
    assert (records_repo / "clients/amara-okafor.md").read_text(encoding="utf-8").count(
        "Old notes from 2025."
    ) == 1
    assert run(cli, records_repo, "check").exit_code == 0


def test_notes_folder_without_a_map(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    vault = tmp_path / "notion"
    vault.mkdir()
    (vault / "Eli Park.md").write_text(
        "---\ncompany: Park & Co\ntags: [design]\n---\nIntro.\n", encoding="utf-8"
    )
    out = run(cli, records_repo, "import", str(vault), "--apply", "--today", SAMPLE_TODAY)
    assert out.exit_code == 0, out.output
    eli = front(records_repo, "eli-park")
    assert eli["company"] == "Park & Co" and eli["tags"] == ["design"]
    _ = json
