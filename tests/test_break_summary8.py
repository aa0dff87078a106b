"""Break tests of the summary key (NEXT.md, site/index.html, site/owners/ kept when
nothing they are rendered from changed): each holds a build's summary pages equal to
what a cold build (no ``.sortext/``: no key, no cache) renders from the same inputs."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.pages.build import build
from sortext.repo import open_repository
from tests.conftest import git, set_zone
from tests.test_summary_key import _summary_files

DAY = dt.date(2026, 11, 22)


def _cold(root: Path, today: dt.date) -> dict[str, bytes]:
    """The summary pages a build renders with no derived data at all."""
    shutil.rmtree(root / ".sortext")
    build(open_repository(root), today)
    return _summary_files(root)


def _commit_at(root: Path, when: str, message: str, *more: str) -> None:
    env = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(
        ["git", "commit", "-qam", message, *more],
        cwd=root,
        check=True,
        env={**os.environ, **env},
    )


@pytest.fixture
def dated(records_repo: Path) -> Path:
    """The sample repository, its one commit dated two weeks before :data:`DAY`."""
    _commit_at(records_repo, "2026-11-08T10:00:00Z", "sample records", "--amend")
    return records_repo


def test_another_time_zone_renders_this_week_again(
    dated: Path, monkeypatch: pytest.MonkeyPatch, zone: None
) -> None:
    records_repo = dated
    """"Since last week" is bounded by local midnights when sortext.yaml names no
    ``timezone:``: a commit at 23:30 UTC falls in today's window in UTC and after it
    at UTC+2 (same --today, same HEAD).  (With one, its midnights: see
    tests/test_practice_zone.py.)"""
    config = records_repo / "sortext.yaml"
    lines = config.read_text().splitlines(keepends=True)
    config.write_text("".join(x for x in lines if not x.startswith("timezone:")))
    path = records_repo / "clients" / "bruno-castellanos.md"
    path.write_text(path.read_text().replace("stage: inquiry", "stage: discovery"))
    _commit_at(records_repo, "2026-11-22T23:30:00Z", "move")
    set_zone(monkeypatch, "UTC")
    build(open_repository(records_repo), DAY)
    assert "Stage moves" in (records_repo / "NEXT.md").read_text()
    set_zone(monkeypatch, "Etc/GMT-2")
    build(open_repository(records_repo), DAY)
    kept = _summary_files(records_repo)
    assert kept == _cold(records_repo, DAY)
    assert "Stage moves" not in (records_repo / "NEXT.md").read_text()


def _move_and_build(root: Path) -> None:
    path = root / "clients" / "bruno-castellanos.md"
    path.write_text(path.read_text().replace("stage: inquiry", "stage: discovery"))
    _commit_at(root, "2026-11-20T10:00:00Z", "move")
    build(open_repository(root), DAY)
    assert "Stage moves" in (root / "NEXT.md").read_text()


@pytest.mark.parametrize("how", ["replace", "grafts", "packed"])
def test_a_replaced_past_renders_this_week_again(dated: Path, how: str) -> None:
    """``git replace --graft HEAD`` (or a graft file) keeps HEAD and changes the past
    git walks: HEAD without a parent makes every client new this week."""
    _move_and_build(dated)
    head = git(dated, "rev-parse", "HEAD").strip()
    if how == "grafts":
        (dated / ".git" / "info").mkdir(exist_ok=True)
        (dated / ".git" / "info" / "grafts").write_text(f"{head}\n")
    else:
        git(dated, "replace", "--graft", "HEAD")
        if how == "packed":
            git(dated, "pack-refs", "--all")
    build(open_repository(dated), DAY)
    kept = _summary_files(dated)
    assert kept == _cold(dated, DAY)
    assert "New clients" in (dated / "NEXT.md").read_text()


def test_the_history_mark_read_from_files_is_the_one_git_gives(
    dated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """:func:`sortext.vcs.git.shallow_mark` reads git's files in the usual layout and asks
    git otherwise (``GIT_DIR`` set): the same mark either way, replace refs and grafts
    included."""
    from sortext.vcs.git import shallow_mark

    assert shallow_mark(dated) == ""
    _commit_at(dated, "2026-11-20T10:00:00Z", "second", "--allow-empty")
    git(dated, "replace", "--graft", "HEAD")
    (dated / ".git" / "info").mkdir(exist_ok=True)
    (dated / ".git" / "info" / "grafts").write_text("")
    marks = [shallow_mark(dated)]
    git(dated, "pack-refs", "--all")
    marks.append(shallow_mark(dated))
    (dated / ".git" / "info" / "grafts").write_text(git(dated, "rev-parse", "HEAD"))
    marks.append(shallow_mark(dated))
    monkeypatch.setenv("GIT_DIR", str(dated / ".git"))
    assert shallow_mark(dated) == marks[-1]
    assert marks[0] == marks[1] != "" and marks[2] != marks[1]


_ZONES = [f"Etc/GMT{sign}{hours}" for hours in range(1, 13) for sign in "+-"] + ["UTC"]


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(_ZONES), min_size=2, max_size=3))
def test_any_time_zones_leave_the_pages_a_cold_build_gives(
    dated: Path, monkeypatch: pytest.MonkeyPatch, zone: None, zones: list[str]
) -> None:
    """Builds of one day in a sequence of time zones: the last one's summary pages are
    a cold build's in its zone (a commit near midnight UTC moves in and out of the
    window)."""
    if not (dated / "clients" / "bruno-castellanos.md").read_text().count("stage: discovery"):
        path = dated / "clients" / "bruno-castellanos.md"
        path.write_text(path.read_text().replace("stage: inquiry", "stage: discovery"))
        _commit_at(dated, "2026-11-22T23:30:00Z", "move")
    for name in zones:
        set_zone(monkeypatch, name)
        build(open_repository(dated), DAY)
    assert _summary_files(dated) == _cold(dated, DAY)


def _replace(root: Path) -> None:
    subprocess.run(["git", "replace", "-f", "--graft", "HEAD"], cwd=root, capture_output=True)


def _unreplace(root: Path) -> None:
    subprocess.run(["git", "replace", "-d", "HEAD"], cwd=root, capture_output=True)


def _pack(root: Path) -> None:
    git(root, "pack-refs", "--all")


def _graft(root: Path) -> None:
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "grafts").write_text(git(root, "rev-parse", "HEAD"))


def _ungraft(root: Path) -> None:
    (root / ".git" / "info" / "grafts").unlink(missing_ok=True)


_PAST_CHANGES = [_replace, _unreplace, _pack, _graft, _ungraft]


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(_PAST_CHANGES), min_size=1, max_size=4))
def test_any_rewrites_of_the_past_leave_the_pages_a_cold_build_gives(
    dated: Path, changes: list[Callable[[Path], None]]
) -> None:
    """Replace refs and grafts added, packed and removed under one HEAD, a build after
    each: the last build's summary pages are a cold build's."""
    record = dated / "clients" / "bruno-castellanos.md"
    if "stage: discovery" not in record.read_text():  # the first example
        _move_and_build(dated)
    for change in changes:
        change(dated)
        build(open_repository(dated), DAY)
    assert _summary_files(dated) == _cold(dated, DAY)


def test_a_graft_file_named_by_the_environment_renders_this_week_again(
    dated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``GIT_GRAFT_FILE`` moves the grafts out of ``.git``: the history mark reads the
    file git reads (asked of git), so a graft written there is seen."""
    grafts = tmp_path / "grafts"
    grafts.write_text("")
    monkeypatch.setenv("GIT_GRAFT_FILE", str(grafts))
    _move_and_build(dated)
    grafts.write_text(git(dated, "rev-parse", "HEAD"))
    build(open_repository(dated), DAY)
    assert _summary_files(dated) == _cold(dated, DAY)
    assert "New clients" in (dated / "NEXT.md").read_text()


class _Killed(BaseException):
    """A build stopped (as by SIGKILL) between writing the pages and keeping the key."""


def test_a_build_stopped_before_it_kept_the_key_and_the_change_undone_renders_again(
    dated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An inbox note renders new pages; the build stops before it stores their key; the
    note is deleted: the key is again the one kept before, but the pages on disk are
    the stopped build's, so their digests differ and they are rendered again."""
    import sortext.pages.build as build_module

    build(open_repository(dated), DAY)
    build(open_repository(dated), DAY)  # the key kept
    before = _summary_files(dated)
    (dated / "inbox.md").write_text("## call back\nthe bakery\n")

    def stop(*args: object) -> None:
        raise _Killed

    with monkeypatch.context() as patched:
        patched.setattr(build_module, "_keep_summary", stop)
        with pytest.raises(_Killed):
            build(open_repository(dated), DAY)
    assert _summary_files(dated) != before  # the note's count is on the pages
    (dated / "inbox.md").unlink()
    build(open_repository(dated), DAY)
    assert _summary_files(dated) == before == _cold(dated, DAY)
