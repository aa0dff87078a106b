"""One "since last week" window for the practice, whatever ``TZ`` each process runs
under: the window's midnights are in ``sortext.yaml``'s ``timezone:`` when it has one
(else the local zone).  A watcher and a command line run in two zones each rendered
their own zone's window, so the pages flipped between them on every run."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.pages.build import build
from sortext.repo import open_repository
from tests.conftest import git, set_zone
from tests.test_break_summary8 import _cold, _commit_at
from tests.test_summary_key import _summary_files
from tests.watchkit import Daemon, wait_settled

DAY = dt.date(2026, 11, 22)
#: 2026-11-23 00:30 in Berlin (UTC+1 in November), still 2026-11-22 in UTC
NEAR_MIDNIGHT = "2026-11-22T23:30:00Z"
BRUNO = "clients/bruno-castellanos.md"


def _practice(root: Path, timezone: str | None) -> Path:
    """``root``'s sortext.yaml with ``timezone: <timezone>`` (None: no timezone line);
    its records committed two weeks before DAY, then Bruno's stage moved at
    NEAR_MIDNIGHT."""
    config = root / "sortext.yaml"
    lines = [x for x in config.read_text().splitlines() if not x.startswith("timezone:")]
    if timezone is not None:
        lines.append(f"timezone: {timezone}")
    config.write_text("\n".join(lines) + "\n")
    _commit_at(root, "2026-11-08T10:00:00Z", "sample records", "--amend")
    path = root / BRUNO
    path.write_text(path.read_text().replace("stage: inquiry", "stage: discovery"))
    _commit_at(root, NEAR_MIDNIGHT, "move")
    return root


def test_the_window_is_the_configured_zones_under_any_tz(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch, zone: None
) -> None:
    """``timezone: Europe/Berlin``: a build under TZ=UTC and one under TZ=Asia/Tokyo
    both end the window at Berlin's midnight (the move at 00:30 Berlin is after it);
    the second keeps the first's summary pages, which are a cold build's."""
    root = _practice(records_repo, "Europe/Berlin")
    set_zone(monkeypatch, "UTC")
    build(open_repository(root), DAY)
    first = _summary_files(root)
    assert "Stage moves" not in (root / "NEXT.md").read_text()
    set_zone(monkeypatch, "Asia/Tokyo")
    build(open_repository(root), DAY)
    assert _summary_files(root) == first == _cold(root, DAY)


def test_without_a_timezone_the_local_zone_still_decides(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch, zone: None
) -> None:
    """No ``timezone:``: the local zone (TZ) bounds the window, as before."""
    root = _practice(records_repo, None)
    set_zone(monkeypatch, "UTC")
    build(open_repository(root), DAY)
    assert "Stage moves" in (root / "NEXT.md").read_text()
    set_zone(monkeypatch, "Europe/Berlin")
    build(open_repository(root), DAY)
    assert "Stage moves" not in (root / "NEXT.md").read_text()
    assert _summary_files(root) == _cold(root, DAY)


def _since_last_week(root: Path) -> str:
    """NEXT.md's "Since last week" section (what the window decides)."""
    text = (root / "NEXT.md").read_text(encoding="utf-8")
    section = text.split("## Since last week", 1)[1]
    return section.split("\n## ", 1)[0]


def _build_in(root: Path, tz: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sortext", "build", "--today", DAY.isoformat()],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, TZ=tz),
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("timezone", ["Europe/Berlin", None])
def test_a_watcher_and_a_command_line_in_two_zones_render_one_window(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch, timezone: str | None
) -> None:
    """A real watcher under TZ=UTC, then ``sortext build`` under TZ=Asia/Tokyo, then
    a save the watcher renders: with ``timezone:`` set, NEXT.md is the same bytes at
    every step; without it, the two zones' windows differ (the flip)."""
    root = _practice(records_repo, timezone)
    monkeypatch.setenv("TZ", "UTC")
    daemon = Daemon(root, "--today", DAY.isoformat())
    try:
        daemon.wait_ready()
        mark = wait_settled(root, 0, daemon)
        watched = _since_last_week(root)
        _build_in(root, "Asia/Tokyo")
        built = _since_last_week(root)
        other = root / "clients" / "kai-nakamura.md"
        other.write_text(other.read_text().replace("name: Kai Nakamura", "name: Kai Saved"))
        wait_settled(root, mark, daemon)
        again = _since_last_week(root)
        assert "Kai Saved" in git(root, "show", "HEAD:clients/kai-nakamura.md")
    finally:
        daemon.stop()
    if timezone is not None:
        assert "Stage moves" not in watched
        assert watched == built == again, daemon.log
    else:
        assert "Stage moves" in watched and "Stage moves" not in built
        assert "Stage moves" in again


_ZONES = ["UTC", "Asia/Tokyo", "America/Los_Angeles", "Europe/Berlin", "Pacific/Kiritimati"]


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    configured=st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
    zones=st.lists(st.sampled_from(_ZONES), min_size=2, max_size=3),
)
def test_any_tz_sequence_keeps_the_configured_zones_pages(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    zone: None,
    configured: str,
    zones: list[str],
) -> None:
    """Property: with ``timezone:`` set, builds of one day under any sequence of TZ
    values give the same summary pages, those of the first."""
    from tests.conftest import sample_records

    root = _practice(sample_records(tmp_path_factory.mktemp("zones") / "r"), configured)
    seen = []
    for name in zones:
        set_zone(monkeypatch, name)
        build(open_repository(root), DAY)
        seen.append(_summary_files(root))
    assert all(pages == seen[0] for pages in seen)
