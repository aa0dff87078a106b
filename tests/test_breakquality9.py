"""Break-tests for quality9 / roundtrip9 (unreadable records, the practice zone,
nested clients folders, future mtimes, the export/import round trip).

Real git repositories in tmp dirs, the real commands through Click's runner, the
real watchdog observer (waiting on the settle counter, never on time)."""

from __future__ import annotations

import functools
import json
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import git, sample_records
from tests.roundtripkit import (
    MAPS,
    copy_of,
    import_companies,
    put_values,
    roundtrip,
    roundtrip_property,
)

EXPORT_MAP, JSON_MAP = MAPS["csv"], MAPS["json"]

# --- export then import: values an import trims ---------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_blanks_at_the_ends_of_a_value_survive_export_then_import(
    fmt: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """An import trims every cell; it used to write the trimmed value back over a
    record whose value had a blank at an end ('Acme  ' -> 'Acme', accepted)."""
    root = sample_records(tmp_path / "records")
    assert put_values(root, "Acme  ", " send it ", cli)
    result = roundtrip(root, fmt, cli)
    assert "0 records to update" in result.output


_BLANKS = st.text(alphabet=st.sampled_from([" ", "\u00a0", "\u3000", "\u2003"]), max_size=3)
_CORE = st.text(alphabet=st.sampled_from(["a", "1", "=", "'", " ", "+", "@", ",", ";"]), max_size=5)


@st.composite
def _padded(draw: st.DrawFn) -> str:
    return draw(_BLANKS) + draw(_CORE) + "x" + draw(_BLANKS)


test_property_padded_values_survive_export_then_import = roundtrip_property(
    _padded(), 12, refused="skip"
)


def test_a_sheet_that_changes_more_than_blanks_still_updates(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """The trimmed comparison does not hide a real change."""
    root = sample_records(tmp_path / "records")
    assert put_values(root, "Acme  ", "send it", cli)
    import_companies(root, tmp_path / "s.csv", "id,company\namara-okafor,  Acme Ltd \n", cli)
    assert 'company: "Acme Ltd"' in (root / "clients" / "amara-okafor.md").read_text("utf-8")


@pytest.mark.parametrize(
    ("fmt", "mapping", "message"),
    [
        ("json", EXPORT_MAP, "the map names columns this file does not have"),
        ("csv", JSON_MAP, "invalid JSON"),
    ],
)
def test_a_file_imported_with_the_other_format_map_is_refused_unchanged(
    fmt: str, mapping: Path, message: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = sample_records(tmp_path / "records")
    before = {p.name: p.read_bytes() for p in (root / "clients").glob("*.md")}
    out = tmp_path / f"clients.{fmt}"
    assert cli("export", fmt, "--out", str(out), "--repo", str(root)).exit_code == 0
    result = cli(
        "import", str(out), "--map", str(mapping), "--accept", "theirs", "--repo", str(root)
    )
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in (root / "clients").glob("*.md")} == before


# --- the watcher: unreadable records coming and going -----------------------------

RECORD = "clients/amara-okafor.md"
OTHER = "clients/bruno-castellanos.md"


def _deletions(root: Path, rel: str) -> int:
    return len(git(root, "log", "--diff-filter=D", "--format=%H", "--", rel).split())


def test_an_unreadable_records_removal_is_committed_once(
    records_repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A record replaced by a FIFO (never committed, never taken for a deletion),
    then the FIFO removed: now the record is gone, and that is one commit."""
    import os

    from tests.test_break_watch7 import WAIT, settle, watching
    from tests.test_unreadable_records import idle, state
    from tests.test_watch_pages import set_field
    from tests.watchkit import wait_for

    root = records_repo
    path = root / RECORD
    caplog.set_level("INFO", logger="sortext.watch")
    with watching(root) as service:
        path.unlink()
        os.mkfifo(path)
        set_field(root, OTHER, "name", "Bruno Beside")
        wait_for(lambda: "Bruno Beside" in git(root, "show", f"HEAD:{OTHER}"), WAIT)
        idle(service, root, lambda: RECORD in json.dumps(state(root)["errors"]))
        assert _deletions(root, RECORD) == 0
        path.unlink()
        wait_for(lambda: _deletions(root, RECORD) == 1, WAIT, lambda: caplog.text)
        settle(service, root)
        set_field(root, OTHER, "name", "Bruno After")
        wait_for(lambda: "Bruno After" in git(root, "show", f"HEAD:{OTHER}"), WAIT)
        settle(service, root)
        assert _deletions(root, RECORD) == 1
        assert state(root)["errors"] == {} and state(root)["pending"] == 0
        assert not (root / "site" / "clients" / "amara-okafor.html").exists()


@pytest.mark.parametrize("kind", ["pipe", "link"])
def test_a_record_back_as_it_was_clears_its_error_without_a_commit(
    records_repo: Path, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """File -> FIFO (or a symlink to another record) -> the very same bytes again:
    the error goes, the page loses its banner, and there is nothing to commit."""
    import os

    from tests.test_break_watch7 import WAIT, settle, watching
    from tests.test_unreadable_records import idle, state
    from tests.test_watch_pages import set_field
    from tests.watchkit import wait_for

    root = records_repo
    path = root / RECORD
    original = path.read_bytes()
    page = root / "site" / "clients" / "amara-okafor.html"
    caplog.set_level("INFO", logger="sortext.watch")
    with watching(root) as service:
        head = git(root, "rev-parse", "HEAD").strip()
        path.unlink()
        if kind == "pipe":
            os.mkfifo(path)
        else:
            path.symlink_to("bruno-castellanos.md")
        idle(
            service,
            root,
            lambda: (
                RECORD in json.dumps(state(root)["errors"])
                and "The file has errors" in page.read_text("utf-8")
            ),
        )
        path.unlink()
        path.write_bytes(original)
        idle(service, root, lambda: state(root)["errors"] == {})
        set_field(root, OTHER, "name", "Bruno Later")
        wait_for(lambda: "Bruno Later" in git(root, "show", f"HEAD:{OTHER}"), WAIT)
        settle(service, root)
        assert git(root, "log", "--format=%H", "-1", "--", RECORD).strip() == head
        assert "The file has errors" not in page.read_text("utf-8")
        assert state(root)["pending"] == 0


@pytest.mark.parametrize("replacement", ["link", "file"])
def test_a_clients_folder_replaced_by_a_link_or_a_file_keeps_the_watcher_running(
    records_repo: Path, tmp_path: Path, replacement: str, caplog: pytest.LogCaptureFixture
) -> None:
    """``clients/`` moved away and a symlink to another folder (or a plain file) put
    in its place: the watcher stays up and settles; with the real folder back, a
    save is committed."""
    import os

    from tests.test_break_watch7 import WAIT, settle, watching
    from tests.test_watch_pages import set_field
    from tests.watchkit import wait_for

    root = records_repo
    caplog.set_level("INFO", logger="sortext.watch")
    with watching(root) as service:
        os.rename(root / "clients", tmp_path / "away")
        if replacement == "link":
            shutil.copytree(tmp_path / "away", tmp_path / "elsewhere")
            (root / "clients").symlink_to(tmp_path / "elsewhere")
        else:
            (root / "clients").write_text("not a folder\n", encoding="utf-8")
        wait_for(lambda: service.settled > 0, WAIT)
        mark = service.settled
        service.wait_settled(mark - 1, WAIT)
        if replacement == "link":
            set_field(root, "clients/bruno-castellanos.md", "name", "Bruno Via Link")
        (root / "clients").unlink()
        os.rename(tmp_path / "away", root / "clients")
        set_field(root, OTHER, "name", "Bruno Home Again")
        wait_for(
            lambda: "Bruno Home Again" in git(root, "show", f"HEAD:{OTHER}"),
            WAIT,
            lambda: caplog.text + git(root, "log", "--stat", "-3"),
        )
        settle(service, root)
        assert "Traceback" not in caplog.text
        assert "Bruno Via Link" not in git(root, "log", "-p")


# --- timezone: the practice's day, not only its midnights ---------------------------


def _practice_zone(root: Path, zone: str) -> None:
    config = root / "sortext.yaml"
    lines = [x for x in config.read_text().splitlines() if not x.startswith("timezone:")]
    config.write_text("\n".join([*lines, f"timezone: {zone}"]) + "\n")
    git(root, "commit", "-qam", f"timezone {zone}")


def _zone_day(zone: str) -> str:
    import datetime as dt
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(zone)).date().isoformat()


def _build_without_today(root: Path, tz: str) -> str:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "SORTEXT_TODAY"}
    done = subprocess.run(
        [sys.executable, "-m", "sortext", "build"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(env, TZ=tz),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return (root / "NEXT.md").read_text(encoding="utf-8")


def test_builds_in_two_zones_without_today_render_the_practice_day(records_repo: Path) -> None:
    """``timezone: Europe/Berlin``, no --today: a build under TZ=Etc/GMT+12 and one
    under TZ=Etc/GMT-14 (whose local dates always differ, by one or two days) render
    the same NEXT.md, that of Berlin's date.  Each took its own local date for
    "today", so the pages flipped between the two machines' days (README: "a
    watcher started in one zone and a command line in another render the same
    window")."""
    root = records_repo
    _practice_zone(root, "Europe/Berlin")
    for _attempt in range(2):  # once more if Berlin's midnight passed in between
        day = _zone_day("Europe/Berlin")
        west = _build_without_today(root, "Etc/GMT+12")
        east = _build_without_today(root, "Etc/GMT-14")
        if _zone_day("Europe/Berlin") == day:
            break
    assert west == east


def _next_has(root: Path, text: str) -> bool:
    return text in (root / "NEXT.md").read_text(encoding="utf-8")


def test_a_watcher_takes_a_changed_timezone_for_its_day(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real ``sortext watch`` (no --today) under TZ=Etc/GMT+12 with ``timezone:
    Etc/GMT+12``; then ``timezone: Etc/GMT-14`` saved while it runs: NEXT.md is
    rendered for the new zone's date (one or two days later), as a build under any
    TZ renders it.  The watcher kept the local date of the zone it ran in."""
    from tests.watchkit import Daemon, wait_for

    root = records_repo
    _practice_zone(root, "Etc/GMT+12")
    monkeypatch.setenv("TZ", "Etc/GMT+12")
    daemon = Daemon(root, pinned_today=False)
    try:
        daemon.wait_ready()
        for zone in ("Etc/GMT+12", "Etc/GMT-14"):
            if zone != "Etc/GMT+12":
                config = root / "sortext.yaml"
                config.write_text(config.read_text().replace("Etc/GMT+12", zone))
            expected = f"# What happens next ({_zone_day(zone)})"
            wait_for(
                functools.partial(_next_has, root, expected),
                60,
                lambda: daemon.log + (root / "NEXT.md").read_text(encoding="utf-8")[:200],
            )
    finally:
        daemon.stop()


_SOME_ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "America/Santiago",
    "America/Havana",
    "Asia/Beirut",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "Etc/GMT+12",
    "Etc/GMT-14",
    "UTC",
]


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(_SOME_ZONES),
    now=st.integers(min_value=1_700_000_000, max_value=1_900_000_000),
)
def test_property_the_practice_day_holds_now_between_its_midnights(zone: str, now: int) -> None:
    """The day a process takes for "today" and the window's midnights agree in every
    zone, across DST changes (London's last week of October, Santiago and Havana
    whose clocks skip or repeat around midnight)."""
    import datetime as dt

    from sortext.vcs.midnight import midnight, practice_day

    day = practice_day(zone, now)
    assert midnight(day, zone) <= now < midnight(day + dt.timedelta(days=1), zone)


def test_the_london_window_over_the_october_clock_change_is_eight_days_and_an_hour() -> None:
    import datetime as dt

    from sortext.vcs.midnight import window_bounds

    start, end = window_bounds(dt.date(2026, 10, 27), "Europe/London")
    assert end - start == 8 * 86400 + 3600  # 25 October had 25 hours
    assert dt.datetime.fromtimestamp(start, dt.UTC).isoformat() == "2026-10-19T23:00:00+00:00"


# --- a nested clients folder renamed to another configured name ---------------------


@pytest.mark.parametrize("order", ["folder-first", "config-first"])
def test_a_nested_clients_folder_renamed_with_the_config_is_watched_at_its_new_name(
    records_repo: Path, order: str
) -> None:
    """``records/team/clients`` renamed ``records/crew/clients`` and ``clients_dir:``
    changed to match (in either order) while a watcher runs: the records are at the
    new place in HEAD, none is lost, and a save there is committed."""
    import os

    from tests.test_break_watch7 import WAIT, running, settle
    from tests.test_watch_nested_clients import names, nested
    from tests.test_watch_pages import set_field
    from tests.watchkit import wait_for

    root = nested(records_repo)
    new = "records/crew/clients"
    config = root / "sortext.yaml"
    with running(root, debounce=0.05) as (service, _stop):
        held = [n.split("/")[-1] for n in names(root)]
        steps: list[Callable[[], object]] = [
            lambda: os.rename(root / "records" / "team", root / "records" / "crew"),
            lambda: config.write_text(
                config.read_text().replace(
                    "clients_dir: records/team/clients", f"clients_dir: {new}"
                )
            ),
        ]
        for step in steps if order == "folder-first" else steps[::-1]:
            step()
        wait_for(
            lambda: [n.split("/")[-1] for n in names(root, new)] == held,
            WAIT,
            lambda: git(root, "log", "--stat", "-3") + git(root, "status"),
        )
        settle(service, root)
        record = f"{new}/amara-okafor.md"
        set_field(root, record, "name", "Amara Crew")
        wait_for(
            lambda: "Amara Crew" in git(root, "show", f"HEAD:{record}"),
            WAIT,
            lambda: git(root, "log", "--stat", "-3") + git(root, "status"),
        )
        settle(service, root)
        assert names(root) == []


@pytest.mark.parametrize(
    ("zone", "ok"),
    [("localtime", False), ("Mars/Olympus_Mons", False), ("../../etc/UTC", False), ("UTC", True)],
)
def test_a_zone_that_is_this_machines_own_is_refused(
    zone: str, ok: bool, records_repo: Path, cli: Callable[..., Result]
) -> None:
    """``timezone: localtime`` loaded (the tz folder links it to the machine's zone):
    each machine then had its own window again, the thing ``timezone:`` stops."""
    config = records_repo / "sortext.yaml"
    lines = [x for x in config.read_text().splitlines() if not x.startswith("timezone:")]
    config.write_text("\n".join([*lines, f"timezone: {zone}"]) + "\n")
    result = cli("check", "--repo", str(records_repo))
    if ok:
        assert "timezone" not in result.output, result.output
    else:
        assert result.exit_code == 2
        assert f"error: timezone: unknown time zone '{zone}'" in result.output, result.output


def test_a_fifo_a_writer_holds_open_neither_blocks_the_watcher_nor_is_committed(
    records_repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A record turned into a FIFO that a writer opens (and writes a record's text
    into) while the watcher runs: the watcher reports it, settles, commits the
    other save and never the pipe's bytes; the file written back is committed."""
    import os
    import threading

    from tests.test_break_watch7 import WAIT, settle, watching
    from tests.test_unreadable_records import idle, state
    from tests.test_watch_pages import set_field
    from tests.watchkit import wait_for

    root = records_repo
    path = root / RECORD
    text = path.read_text(encoding="utf-8")
    caplog.set_level("INFO", logger="sortext.watch")
    with watching(root) as service:
        head = git(root, "rev-parse", "HEAD").strip()
        path.unlink()
        os.mkfifo(path)

        def writer() -> None:
            try:
                fd = os.open(path, os.O_WRONLY)  # waits for a reader
                try:
                    os.write(fd, text.replace("Amara Okafor", "Amara Piped").encode())
                finally:
                    os.close(fd)
            except OSError:
                pass  # the reader went away first (EPIPE) or the pipe was removed

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        set_field(root, OTHER, "name", "Bruno Beside Pipe")
        wait_for(lambda: "Bruno Beside Pipe" in git(root, "show", f"HEAD:{OTHER}"), WAIT)
        idle(service, root, lambda: RECORD in json.dumps(state(root)["errors"]))
        assert git(root, "log", "--format=%H", "-1", "--", RECORD).strip() == head
        assert "Amara Piped" not in git(root, "log", "-p", "-3")
        # release a writer still waiting (the watcher never opened the pipe)
        reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        thread.join(WAIT)
        os.close(reader)
        assert not thread.is_alive()
        path.unlink()
        path.write_text(text.replace("Amara Okafor", "Amara Filed"), encoding="utf-8")
        wait_for(lambda: "Amara Filed" in git(root, "show", f"HEAD:{RECORD}"), WAIT)
        settle(service, root)
        assert state(root)["errors"] == {}


def test_a_config_turned_into_a_fifo_does_not_stop_the_watcher(
    records_repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """sortext.yaml replaced by a named pipe while the watcher runs: the last valid
    configuration is kept, a save is still committed, and the file put back is
    read again."""
    import os

    from tests.test_break_watch7 import WAIT, settle, watching
    from tests.test_watch_pages import set_field
    from tests.watchkit import wait_for

    root = records_repo
    config = root / "sortext.yaml"
    text = config.read_text(encoding="utf-8")
    caplog.set_level("INFO", logger="sortext.watch")
    with watching(root) as service:
        config.unlink()
        os.mkfifo(config)
        set_field(root, OTHER, "name", "Bruno Past Pipe")
        wait_for(
            lambda: "Bruno Past Pipe" in git(root, "show", f"HEAD:{OTHER}"),
            WAIT,
            lambda: caplog.text,
        )
        config.unlink()
        config.write_text(text, encoding="utf-8")
        set_field(root, OTHER, "name", "Bruno Config Back")
        wait_for(lambda: "Bruno Config Back" in git(root, "show", f"HEAD:{OTHER}"), WAIT)
        settle(service, root)
        assert git(root, "show", "HEAD:sortext.yaml") == text


_TAG = st.text(
    alphabet=st.sampled_from(["a", "b", ";", " ", ",", "=", "-"]), min_size=1, max_size=5
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tags=st.lists(_TAG.map(lambda t: t + "t"), min_size=1, max_size=3))
def test_property_tags_holding_the_separator_survive_export_then_import(
    tags: list[str],
    sample_base: Path,
    tmp_path_factory: pytest.TempPathFactory,
    cli: Callable[..., Result],
) -> None:
    """``tags: ["a;b"]`` is exported as the cell ``a;b`` (the map's separator is
    ``;``) and was imported back as ``[a, b]``: an import never splits an item."""
    root = copy_of(sample_base, tmp_path_factory, "tags")
    record = root / "clients" / "amara-okafor.md"
    text = record.read_text(encoding="utf-8")
    record.write_text(
        text.replace("tags: [leadership, architecture]", f"tags: {json.dumps(tags)}"),
        encoding="utf-8",
    )
    assume(cli("check", str(record), "--repo", str(root)).exit_code == 0)
    git(root, "commit", "-qam", "tags")
    roundtrip(root, "csv", cli)


def test_a_tag_holding_the_separator_survives_export_then_import(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = sample_records(tmp_path / "records")
    record = root / "clients" / "amara-okafor.md"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("tags: [leadership, architecture]", 'tags: ["a;b", c]'))
    git(root, "commit", "-qam", "tags")
    assert "0 records to update" in roundtrip(root, "csv", cli).output


# --- replace refs under another base (GIT_REPLACE_REF_BASE) ---------------------------


def test_replace_refs_under_another_base_key_the_history_mark(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``GIT_REPLACE_REF_BASE=refs/alt/``: git reads replace refs there, not under
    ``refs/replace/``.  The mark hashed the variable's value but listed only
    ``refs/replace/``: a graft made (or removed) under the other base kept the mark,
    so the pages kept the past git no longer walks."""
    from sortext.pages.build import build
    from sortext.repo import open_repository
    from sortext.vcs.git import shallow_mark
    from sortext.vcs.historyid import history_id
    from tests.test_break_summary8 import DAY, _commit_at, _move_and_build
    from tests.test_replace_toggle import _cold
    from tests.test_summary_key import _summary_files

    root = records_repo
    _commit_at(root, "2026-11-08T10:00:00Z", "sample records", "--amend")
    _move_and_build(root)
    monkeypatch.setenv("GIT_REPLACE_REF_BASE", "refs/alt/")
    build(open_repository(root), DAY)
    plain = _summary_files(root), shallow_mark(root), history_id(root)
    assert "New clients" not in (root / "NEXT.md").read_text()
    git(root, "replace", "--graft", "HEAD")
    assert git(root, "for-each-ref", "refs/alt/").strip()
    build(open_repository(root), DAY)
    assert "New clients" in (root / "NEXT.md").read_text()
    assert (shallow_mark(root), history_id(root)) != plain[1:]
    assert _summary_files(root) == _cold(root)
    git(root, "replace", "-d", git(root, "rev-parse", "HEAD").strip())
    build(open_repository(root), DAY)
    assert (_summary_files(root), shallow_mark(root), history_id(root)) == plain


# --- future-dated files under the watcher and the quick queries ----------------------


def test_a_future_dated_record_edited_in_place_is_committed_and_listed(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """``touch -d`` a week ahead, indexed; then the same number of bytes changed and
    the mtime put back a week ahead (``touch -d`` again) while a watcher runs: the
    edit is committed and ``sortext show`` has it."""
    import subprocess

    from tests.test_break_watch7 import WAIT, settle, watching
    from tests.watchkit import wait_for

    root = records_repo
    path = root / RECORD
    stamp = "2026-12-07 10:00:00"
    subprocess.run(["touch", "-d", stamp, str(path)], check=True)
    assert "Amara Okafor" in cli("show", "amara-okafor", "--repo", str(root)).output
    with watching(root) as service:
        settle(service, root)
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("Amara Okafor", "Amara Okafoz"), encoding="utf-8")
        subprocess.run(["touch", "-d", stamp, str(path)], check=True)
        wait_for(lambda: "Amara Okafoz" in git(root, "show", f"HEAD:{RECORD}"), WAIT)
        settle(service, root)
    assert "Amara Okafoz" in cli("show", "amara-okafor", "--repo", str(root)).output


# --- ICS: the UID carries record text too ------------------------------------------

_ID_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(["\u202e", "\u2028", "\u2066", "\u200b", "\x85", "\x1b", "-", "a", "1"]),
        st.characters(exclude_categories=["Cs"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=100)
@given(_ID_TEXT)
def test_property_an_invoice_id_in_an_ics_uid_shows_no_control(invoice_id: str) -> None:
    """``invoices[].id`` is free text (check allows a bidi override, a line
    separator); it went into the event's UID unchanged."""
    import icalendar

    from sortext.io.export import to_ics

    record = {
        "id": "amara-okafor",
        "name": "Amara",
        "stage": "active",
        "invoices": [
            {
                "id": invoice_id,
                "amount": 1,
                "status": "sent",
                "issued": "2026-11-01",
                "due": "2026-12-01",
            }
        ],
    }
    calendar = icalendar.Calendar.from_ical(to_ics([record]))
    uids = [str(e["UID"]) for e in calendar.walk("VEVENT")]
    assert any("invoice" in uid for uid in uids), uids
    for uid in uids:
        assert not any(
            c not in "\t" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in uid
        ), repr(uid)


def test_an_invoice_id_with_a_bidi_override_is_shown_in_the_uid(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    import icalendar

    root = sample_records(tmp_path / "records")
    record = root / "clients" / "amara-okafor.md"
    record.write_text(
        record.read_text().replace("{id: INV-2026-058,", '{id: "INV\\u202e058\\u2028x",')
    )
    assert cli("check", str(record), "--repo", str(root)).exit_code == 0
    out = tmp_path / "c.ics"
    result = cli("export", "ics", "--out", str(out), "--repo", str(root), "--today", "2026-10-01")
    assert result.exit_code == 0, result.output
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")]
    assert "amara-okafor-invoice-INV\\u202e058\\u2028x@sortext" in uids, uids
