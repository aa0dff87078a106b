"""Replace refs turned off and on while they exist: ``git -c core.useReplaceRefs=false``
(``GIT_CONFIG_PARAMETERS`` for the processes git runs, sortext's own git calls
included), ``GIT_CONFIG_COUNT``/``KEY``/``VALUE``, ``core.useReplaceRefs`` in the
repository's config, or ``GIT_NO_REPLACE_OBJECTS``.  Each changes the past git walks
under one HEAD, so the history mark (the key of the stage clock, the weekly caches,
the summary key) must change with it: a cache computed with replace refs honoured
was replayed with them off, and the other way round."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.pages.build import build
from sortext.repo import open_repository
from tests.conftest import git
from tests.test_break_summary8 import DAY, _commit_at, _move_and_build
from tests.test_summary_key import _summary_files

Toggle = Callable[[Path, pytest.MonkeyPatch], None]


def _cold(root: Path) -> dict[str, bytes]:
    shutil.rmtree(root / ".sortext")
    build(open_repository(root), DAY)
    return _summary_files(root)


def _off_by_dash_c(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # what ``git -c core.useReplaceRefs=false <alias or hook>`` hands its children
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.usereplacerefs'='false'")


def _off_by_count(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "core.useReplaceRefs")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "false")


def _off_in_config(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(root, "config", "core.useReplaceRefs", "false")


def _off_by_variable(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_NO_REPLACE_OBJECTS", "1")


def _on_again(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_KEY_0",
        "GIT_CONFIG_VALUE_0",
        "GIT_NO_REPLACE_OBJECTS",
    ):
        monkeypatch.delenv(name, raising=False)
    git(root, "config", "--unset-all", "core.useReplaceRefs") if _configured(root) else None


def _configured(root: Path) -> bool:
    import subprocess

    done = subprocess.run(
        ["git", "config", "--get", "core.useReplaceRefs"], cwd=root, capture_output=True
    )
    return done.returncode == 0


OFF = {
    "dash-c": _off_by_dash_c,
    "count": _off_by_count,
    "config": _off_in_config,
    "variable": _off_by_variable,
}


@pytest.fixture
def replaced(records_repo: Path) -> Path:
    """The sample repository dated two weeks back, a stage move this week, and a
    replace ref that makes HEAD parentless (with it honoured, every client is new)."""
    _commit_at(records_repo, "2026-11-08T10:00:00Z", "sample records", "--amend")
    _move_and_build(records_repo)
    git(records_repo, "replace", "--graft", "HEAD")
    return records_repo


@pytest.mark.parametrize("how", list(OFF))
def test_replace_refs_turned_off_and_on_render_what_git_then_shows(
    replaced: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    root = replaced
    build(open_repository(root), DAY)
    honoured = _summary_files(root)
    assert "New clients" in (root / "NEXT.md").read_text()
    OFF[how](root, monkeypatch)
    build(open_repository(root), DAY)
    assert "New clients" not in (root / "NEXT.md").read_text()
    assert "Stage moves" in (root / "NEXT.md").read_text()
    assert _summary_files(root) == _cold(root)
    _on_again(root, monkeypatch)
    build(open_repository(root), DAY)
    assert _summary_files(root) == honoured == _cold(root)


@pytest.mark.parametrize("how", list(OFF))
def test_the_history_mark_changes_with_whether_replace_refs_are_honoured(
    replaced: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The mark a build (:func:`sortext.vcs.git.shallow_mark`) and a query
    (:func:`sortext.vcs.historyid.history_id`) key their caches by."""
    from sortext.vcs.git import shallow_mark
    from sortext.vcs.historyid import history_id

    root = replaced
    on = shallow_mark(root), history_id(root)
    OFF[how](root, monkeypatch)
    off = shallow_mark(root), history_id(root)
    assert off[0] != on[0] and off[1] != on[1]
    _on_again(root, monkeypatch)
    assert (shallow_mark(root), history_id(root)) == on


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from([*OFF, "on"]), min_size=1, max_size=4))
def test_any_sequence_of_toggles_leaves_the_pages_a_cold_build_gives(
    replaced: Path, monkeypatch: pytest.MonkeyPatch, steps: list[str]
) -> None:
    """Property: replace refs turned off (any way) and on again in any order, a build
    after each: the last build's summary pages are a cold build's."""
    root = replaced
    _on_again(root, monkeypatch)
    for step in steps:
        if step == "on":
            _on_again(root, monkeypatch)
        else:
            OFF[step](root, monkeypatch)
        build(open_repository(root), DAY)
    assert _summary_files(root) == _cold(root)
    _on_again(root, monkeypatch)
