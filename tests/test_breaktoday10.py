"""Break-testing the practice's one "today" (today10): real processes put at an
instant with ``SORTEXT_NOW``, every default answer held to the same command given
``--today <the practice day>`` (the oracle).

What broke:

1. Without ``timezone:`` the practice's day is each process's local date, but the
   query cache's meta row still kept the span of the day in the zone of the process
   that wrote it (``"zone": null`` and the instants of *its* local day): a ``next``
   under ``TZ=America/New_York`` at an instant its writer, under ``TZ=Asia/Tokyo``,
   had kept in Tokyo's span took Tokyo's day (tomorrow in New York), and replayed
   Tokyo's reply.  A span is only kept for a named zone now (the local date needs
   no time zone database either).
2. ``timezone:`` rewritten in place with the same size and the mtime set back (an
   editor writing in place, a sync tool restoring times): the watcher committed and
   rebuilt, but its "today" kept the old zone's day (NEXT.md said London's day, the
   command line Moscow's): :class:`PracticeZone` knew the file by (mtime, size,
   inode).  It keeps the ctime too now.
3. ``SORTEXT_NOW``'s refusal said "from 1900 to 2199" and refused instants of 1900
   and 2199 (its bounds are a day inside those years): it names the two instants.
4. Time in stage and last touched took a commit's day as its author's date (the
   offset of the machine that committed): a watcher under ``TZ=Asia/Tokyo`` dated
   a move made at 23:30 on the practice's 23rd (London) the 24th, so on the 25th
   ``show``/``list`` said 1 day in the stage, and on the 23rd "?" (entered
   tomorrow).  The day is the commit instant's in ``timezone:`` now
   (:func:`sortext.vcs.midnight.commit_day`); the stage caches are kept per zone.
5. ``changes --since DAY`` gave git the bare date, which git reads in the process's
   ``TZ``: under Los Angeles a London practice's 03:00 move on DAY was missed.
6. ``restore --at DAY`` ended the day at 23:59:59 UTC: a New York practice's
   evening version was skipped for the one before; ``history``, ``restore`` and
   the subject export's Markdown printed commits' author dates.  Both use the
   practice's midnight and day.

Held: a watcher and a remembered ``next`` across a real midnight (the last test);
by hand, not kept as a test: the DST days of Europe/London, America/New_York,
Australia/Lord_Howe (30 minutes) and Pacific/Apia's skipped 2011-12-30 (80
instants in all, at and around their midnights, each default ``next``/``show``/
``list --overdue`` three times equal to ``--today``'s).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import clock_env as _env
from tests.conftest import run_sortext as _sortext
from tests.conftest import set_zone
from tests.test_query_recall import _age
from tests.test_recall_line import _entry
from tests.test_recall_line import _env as entry_env
from tests.watchkit import Daemon, last_message, wait_for, wait_settled

#: 2026-11-24 10:00 in Tokyo, 2026-11-23 20:00 in New York.
INSTANT = "2026-11-24T01:00:00Z"


def _without_zone(root: Path) -> None:
    path = root / "sortext.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(x for x in lines if not x.startswith("timezone:")), encoding="utf-8")


def _local_day(tz: str, instant: str) -> str:
    moment = dt.datetime.fromisoformat(instant)
    return moment.astimezone(ZoneInfo(tz)).date().isoformat()


# --- 1. no timezone: the local date of each process, not of the one that kept the row --


def test_without_timezone_a_replay_kept_under_one_tz_is_not_served_under_another(
    records_repo: Path, tmp_path: Path
) -> None:
    """No ``timezone:``: ``next`` asked under TZ=Asia/Tokyo (the 24th there) and
    remembered, then the same command line under TZ=America/New_York at the same
    instant (the 23rd there) answers New York's day, before Click and through it."""
    root = records_repo
    _without_zone(root)
    _age(root)
    tokyo = entry_env(tmp_path, TZ="Asia/Tokyo", SORTEXT_NOW=INSTANT)
    new_york = dict(tokyo, TZ="America/New_York")
    expect = {
        tz: _sortext(root, ["next", "--today", _local_day(tz, INSTANT)], _env()).encode()
        for tz in ("Asia/Tokyo", "America/New_York")
    }
    assert expect["Asia/Tokyo"] != expect["America/New_York"]
    runs = [_entry(root, ["next"], tokyo) for _ in range(3)]
    assert [r[0] for r in runs] == [expect["Asia/Tokyo"]] * 3
    assert runs[-1][3] is False, "not remembered: the test proves nothing"
    assert [_entry(root, ["next"], new_york)[0] for _ in range(3)] == [
        expect["America/New_York"]
    ] * 3
    # through Click (--repo): the day the command takes is New York's too
    shown = _sortext(
        root,
        ["show", "amara-okafor", "--json", "--repo", str(root)],
        _env(TZ="America/New_York", SORTEXT_NOW=INSTANT),
    )
    assert json.loads(shown)["today"] == _local_day("America/New_York", INSTANT)


_TZS = ["UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati", "Australia/Lord_Howe"]
_INSTANTS = st.integers(min_value=1_700_000_000, max_value=1_900_000_000)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    written_tz=st.sampled_from(_TZS),
    read_tz=st.sampled_from(_TZS),
    configured=st.sampled_from([None, "Europe/London", "Australia/Lord_Howe"]),
    kept=_INSTANTS,
    offset=st.integers(min_value=-2 * 86400, max_value=2 * 86400),
)
def test_property_a_meta_row_tells_the_readers_practice_day(
    monkeypatch: pytest.MonkeyPatch,
    zone: None,
    written_tz: str,
    read_tz: str,
    configured: str | None,
    kept: int,
    offset: int,
) -> None:
    """A meta row written under any TZ at any instant tells a reader under any other
    TZ, at any instant (near the one it was kept at: in its span or not), the date in
    ``timezone:``, or the reader's local date without one."""
    from sortext.views.recall import _day_from, _meta_row

    monkeypatch.delenv("SORTEXT_TODAY", raising=False)
    set_zone(monkeypatch, written_tz)
    monkeypatch.setenv("SORTEXT_NOW", str(kept))
    row = json.loads(_meta_row("digest", "clients", configured))
    set_zone(monkeypatch, read_tz)
    instant = kept + offset
    monkeypatch.setenv("SORTEXT_NOW", str(instant))
    expected = dt.datetime.fromtimestamp(instant, ZoneInfo(configured or read_tz)).date()
    assert _day_from(row) == expected
    time.tzset()


# --- 2. timezone: rewritten in place, its mtime put back ----------------------------


def test_a_watcher_takes_a_zone_rewritten_with_the_same_size_and_mtime(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``timezone: Europe/London`` rewritten in place to ``Europe/Moscow`` (same size,
    same inode, the mtime set back): the watcher commits the change and rebuilds, and
    NEXT.md is Moscow's day (01:00 on the 24th), as ``next`` says, not London's
    (22:00 on the 23rd).  The zone was cached by (mtime, size, inode): only the
    ctime, which nothing sets back, tells such a write."""
    root = records_repo
    config = root / "sortext.yaml"
    monkeypatch.delenv("SORTEXT_TODAY", raising=False)
    monkeypatch.setenv("SORTEXT_NOW", "2026-11-23T22:00:00Z")
    daemon = Daemon(root, pinned_today=False)
    try:
        daemon.wait_ready()
        mark = wait_settled(root, 0, daemon)
        assert (
            (root / "NEXT.md")
            .read_text(encoding="utf-8")
            .startswith("# What happens next (2026-11-23)")
        )
        before = os.stat(config)
        raw = config.read_bytes()
        assert b"timezone: Europe/London\n" in raw
        with open(config, "r+b") as handle:
            handle.write(raw.replace(b"Europe/London", b"Europe/Moscow"))
        os.utime(config, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = os.stat(config)
        assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
            before.st_ino,
            before.st_size,
            before.st_mtime_ns,
        )
        wait_for(lambda: "sortext.yaml changed" in last_message(root), 30, lambda: daemon.log)
        wait_settled(root, mark, daemon)
        page = (root / "NEXT.md").read_text(encoding="utf-8")
    finally:
        daemon.stop()
    assert page.startswith("# What happens next (2026-11-24)"), page[:80]
    told = _sortext(root, ["show", "amara-okafor", "--json"], _env(TZ="UTC"))
    assert json.loads(told)["today"] == "2026-11-24"


def test_the_practice_zone_sees_a_rewrite_that_kept_size_and_mtime(tmp_path: Path) -> None:
    """:class:`PracticeZone` in one process (``serve`` keeps one too)."""
    from sortext.commands.options import PracticeZone

    config = tmp_path / "sortext.yaml"
    config.write_text("clients_dir: clients\ntimezone: Asia/Tokyo\n", encoding="utf-8")
    (tmp_path / "clients").mkdir()
    zone = PracticeZone(tmp_path)
    assert zone() == "Asia/Tokyo"
    before = os.stat(config)
    with open(config, "r+b") as handle:
        handle.write(b"clients_dir: clients\ntimezone: Asia/Seoul\n")
    os.utime(config, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert zone() == "Asia/Seoul"


# --- 3. SORTEXT_NOW's limits, as its error says them --------------------------------


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("1900-01-02T00:00:00Z", True),
        ("1900-01-01T23:59:59Z", False),  # in 1900, yet refused: the message said 1900
        ("2199-12-30T00:00:00+00:00", True),
        ("2199-12-30T00:00:00.5Z", False),  # in 2199
        ("2199-12-30T13:59:59+14:00", True),
        ("2026-12-31T23:59:60Z", False),  # a leap second: Python has no such instant
    ],
)
def test_sortext_now_refusals_name_the_instants_accepted(
    records_repo: Path, text: str, accepted: bool
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sortext", "next", "--json"],
        cwd=records_repo,
        env=_env(SORTEXT_NOW=text, TZ="UTC"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode == 0) is accepted, done.stderr
    if not accepted:
        assert "from 1900-01-02T00:00:00Z to 2199-12-30T00:00:00Z" in done.stderr
        assert "Traceback" not in done.stderr


_LOW = int(dt.datetime(1900, 1, 2, tzinfo=dt.UTC).timestamp())
_HIGH = int(dt.datetime(2199, 12, 30, tzinfo=dt.UTC).timestamp())


@given(
    st.one_of(
        st.integers(min_value=_LOW - 86400, max_value=_LOW + 86400),
        st.integers(min_value=_HIGH - 86400, max_value=_HIGH + 86400),
    ),
    st.sampled_from(["Z", "+00:00", "+14:00", "-12:00"]),
    st.integers(min_value=0, max_value=999_999),
)
def test_property_sortext_now_accepted_iff_between_the_instants_its_error_names(
    seconds: int, suffix: str, micro: int
) -> None:
    import re

    from sortext.errors import UsageError
    from sortext.vcs.midnight import parse_instant

    shift = {"Z": 0, "+00:00": 0, "+14:00": 14 * 3600, "-12:00": -12 * 3600}[suffix]
    wall = dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None, microsecond=micro)
    text = (wall + dt.timedelta(seconds=shift)).isoformat() + suffix
    moment = seconds + micro / 1e6
    try:
        assert parse_instant(text) == pytest.approx(moment, abs=1e-6)
    except UsageError as exc:
        low, high = re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(exc))[-2:]
        bounds = [dt.datetime.fromisoformat(b).timestamp() for b in (low, high)]
        assert not bounds[0] <= moment <= bounds[1], (text, str(exc))
    else:
        assert _LOW <= moment <= _HIGH


# --- 4. time in stage: a commit's day is the practice's, not its author's ------------


def _commit_at(root: Path, when: str, message: str) -> None:
    from tests.conftest import git

    git(root, "add", "-A")
    stamp = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    done = subprocess.run(
        ["git", "commit", "-q", "-m", message],
        cwd=root,
        env={**os.environ, **stamp},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_time_in_stage_counts_from_the_practices_day_of_the_commit(records_repo: Path) -> None:
    """``timezone: Europe/London``: Bruno moved to proposal by a watcher running under
    TZ=Asia/Tokyo at 23:30 London time on the 23rd (08:30 on the 24th in Tokyo, the
    offset the commit records).  On the practice's 25th he has been in proposal for 2
    days (since the 23rd), ``show`` and ``list`` alike; it said 1 (and on the 23rd
    itself, "?": a stage entered tomorrow)."""
    root = records_repo
    _sortext(root, ["move", "bruno-castellanos", "proposal"], _env())
    _commit_at(root, "2026-11-24T08:30:00+09:00", "move")
    env = _env(TZ="Asia/Tokyo", SORTEXT_NOW="2026-11-25T12:00:00Z")
    shown = json.loads(_sortext(root, ["show", "bruno-castellanos", "--json"], env))
    assert shown["today"] == "2026-11-25"
    assert shown["in_stage"] == "in proposal for 2 days", shown["in_stage"]
    row = [
        line for line in _sortext(root, ["list"], env).splitlines() if "bruno-castellanos" in line
    ]
    assert row and " 2d " in row[0], row
    on_the_day = _sortext(
        root, ["show", "bruno-castellanos", "--json", "--today", "2026-11-23"], env
    )
    assert json.loads(on_the_day)["in_stage"] == "in proposal since today"


@given(
    instant=_INSTANTS,
    offset_minutes=st.integers(min_value=-12 * 60, max_value=14 * 60),
    configured=st.sampled_from([None, "Europe/London", "Australia/Lord_Howe", "Pacific/Apia"]),
)
def test_property_a_commits_day_is_the_practices_whatever_offset_it_was_written_at(
    instant: int, offset_minutes: int, configured: str | None
) -> None:
    """``%aI`` of a commit made at ``instant`` by a machine at any UTC offset: its day
    is the practice's date of that instant; without ``timezone:``, the author's."""
    from sortext.vcs.midnight import commit_day, practice_day

    where = dt.timezone(dt.timedelta(minutes=offset_minutes))
    text = dt.datetime.fromtimestamp(instant, where).isoformat()
    if configured is None:
        assert commit_day(text, None) == text[:10]
    else:
        assert commit_day(text, configured) == practice_day(configured, instant).isoformat()


# --- 5. changes: the window starts at the practice's midnight -----------------------


def test_changes_since_a_day_starts_at_the_practices_midnight(records_repo: Path) -> None:
    """``timezone: Europe/London``; Bruno moved at 03:00 London time on the 23rd by a
    machine in Tokyo (12:00 there, the commit's offset).  ``changes --since
    2026-11-23`` lists it, dated the 23rd, under any TZ; under TZ=America/Los_Angeles
    the window began at Los Angeles' midnight (08:00 in London) and said "no changes".
    A move at 23:30 London time on the 22nd (08:30 on the 23rd in Tokyo) is not in
    the window, under any TZ."""
    root = records_repo
    _sortext(root, ["move", "chiara-bellini", "proposal"], _env())
    _commit_at(root, "2026-11-23T08:30:00+09:00", "late on the 22nd in London")
    _sortext(root, ["move", "bruno-castellanos", "proposal"], _env())
    _commit_at(root, "2026-11-23T12:00:00+09:00", "03:00 on the 23rd in London")
    args = ["changes", "--since", "2026-11-23", "--json"]
    oracle = _sortext(root, args, _env(TZ="Europe/London", SORTEXT_NOW="2026-11-24T12:00:00Z"))
    found = json.loads(oracle)
    moved = [(c["record_id"], c["when"]) for c in found["changes"] if c["kind"] == "stage_moved"]
    assert moved == [("bruno-castellanos", "2026-11-23")], found
    for tz in ("America/Los_Angeles", "Asia/Tokyo", "Pacific/Kiritimati"):
        env = _env(TZ=tz, SORTEXT_NOW="2026-11-24T12:00:00Z")
        assert _sortext(root, args, env) == oracle, tz


# --- 6. restore --at DATE: the last version of the practice's day --------------------


def _renamed(root: Path, name: str, when: str) -> None:
    from tests.dated import replace

    replace(root / "clients" / "amara-okafor.md", r"^name: .*$", f"name: {name}")
    _commit_at(root, when, name)


def test_restore_at_a_date_takes_the_last_version_of_the_practices_day(
    records_repo: Path,
) -> None:
    """``timezone: America/New_York``: Amara renamed at 21:00 on July 10 (01:00 UTC on
    the 11th) and again on the 11th.  ``restore --at 2026-07-10`` brings back the
    evening's version (the day ended at midnight New York time, not UTC: it brought
    back the version before) and says it is of the 10th; ``history`` dates the
    evening's change the 10th under any TZ."""
    root = records_repo
    config = root / "sortext.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "timezone: Europe/London", "timezone: America/New_York"
        ),
        encoding="utf-8",
    )
    _commit_at(root, "2026-07-01T12:00:00+00:00", "zone")
    _renamed(root, "Amara Evening", "2026-07-11T01:00:00+00:00")
    _renamed(root, "Amara Next Day", "2026-07-11T10:00:00-04:00")
    lines = _sortext(root, ["history", "amara-okafor"], _env(TZ="Asia/Tokyo")).splitlines()
    evening = [line for line in lines if "-> Amara Evening" in line]
    assert evening and evening[0].startswith("2026-07-10 "), lines
    out = root.parent / "subject"
    _sortext(root, ["export", "client", "amara-okafor", "--out", str(out)], _env(TZ="UTC"))
    told = (out / "amara-okafor.md").read_text(encoding="utf-8").splitlines()
    assert next(x for x in told if "Amara Evening" in x).startswith("- 2026-07-10 "), told
    said = _sortext(root, ["restore", "amara-okafor", "--at", "2026-07-10"], _env(TZ="UTC"))
    assert "as of 2026-07-10 " in said, said
    text = (root / "clients" / "amara-okafor.md").read_text(encoding="utf-8")
    assert "\nname: Amara Evening\n" in text


# --- held: a watcher and a command line across a real midnight ----------------------


def _zone_with_midnight_in(seconds: int) -> tuple[str, int, int]:
    """(a POSIX ``TZ`` whose next midnight is ``seconds`` from now, that midnight as
    seconds since the epoch, the zone's offset east of UTC in seconds)."""
    now = int(time.time())
    east = (86400 - seconds - now % 86400) % 86400
    if east > 43200:
        east -= 86400
    west = -east
    sign = "-" if west < 0 else "+"
    west = abs(west)
    name = f"<MID>{sign}{west // 3600:02d}:{west % 3600 // 60:02d}:{west % 60:02d}"
    return name, now + seconds, east


def test_a_watcher_and_a_remembered_next_cross_a_real_midnight(records_repo: Path) -> None:
    """No ``timezone:``, ``TZ`` set so that midnight comes 25 s after the start: the
    watcher renders NEXT.md for the day before, notices the new day with no save and
    renders the new day's; ``next``, remembered before midnight, is not replayed
    after it (the new day's answer, as ``--today`` gives it)."""
    root = records_repo
    _without_zone(root)
    _age(root)
    tz, midnight_at, east = _zone_with_midnight_in(25)
    before = dt.datetime.fromtimestamp(midnight_at - 1 + east, dt.UTC).date().isoformat()
    after = dt.datetime.fromtimestamp(midnight_at + east, dt.UTC).date().isoformat()
    env = _env(TZ=tz)
    oracle = {d: _sortext(root, ["next", "--today", d], _env()) for d in (before, after)}
    assert oracle[before] != oracle[after]
    os.environ["TZ"], saved = tz, os.environ.get("TZ")
    try:
        daemon = Daemon(root, pinned_today=False)
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
    try:
        daemon.wait_ready()
        wait_settled(root, 0, daemon)
        page = (root / "NEXT.md").read_text(encoding="utf-8")
        assert time.time() < midnight_at - 2, "the machine was too slow to test before midnight"
        assert page.startswith(f"# What happens next ({before})"), page[:60]
        asked = [_sortext(root, ["next"], env) for _ in range(3)]
        assert asked == [oracle[before]] * 3
        wait_for(
            lambda: (
                (root / "NEXT.md")
                .read_text(encoding="utf-8")
                .startswith(f"# What happens next ({after})")
            ),
            60,
            lambda: daemon.log,
        )
        assert _sortext(root, ["next"], env) == oracle[after]
    finally:
        daemon.stop()
