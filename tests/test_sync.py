"""Two clones of one bare remote, synced with the field-aware merge driver."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import git
from tests.gitsetup import make_remote_and_clones

CLIENT = "clients/amara-okafor.md"


@pytest.fixture
def clones(records_repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    a, b = make_remote_and_clones(records_repo, tmp_path, ("ana", "ben"))
    return a, b


def edit(root: Path, pattern: str, replacement: str, message: str) -> None:
    path = root / CLIENT
    text = path.read_text(encoding="utf-8")
    new = re.sub(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert new != text
    path.write_text(new, encoding="utf-8")
    git(root, "commit", "--quiet", "-am", message)


NEW_SESSION = (
    "sessions:\n  - date: 2026-11-20\n    kind: coaching\n    status: held\n"
    "    focus: Partner hire\n    score: 7\n"
)


def test_stage_move_and_new_session_merge_cleanly(
    clones: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    a, b = clones
    edit(a, r"^stage: active", "stage: review", "move to review")
    edit(b, r"^sessions:\n", NEW_SESSION, "log session")
    first = cli("sync", "--repo", str(a))
    assert first.exit_code == 0, first.output
    result = cli("sync", "--repo", str(b))
    assert result.exit_code == 0, result.output
    assert cli("sync", "--repo", str(a)).exit_code == 0
    for root in (a, b):
        text = (root / CLIENT).read_text(encoding="utf-8")
        assert "stage: review" in text and "date: 2026-11-20" in text
        assert "<<<<<<<" not in text
        assert cli("check", "--repo", str(root)).exit_code == 0
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
    history = json.loads(cli("history", "amara-okafor", "--json", "--repo", str(a)).output)
    who = {(e["field"], e["author"]) for e in history}
    assert ("stage", "Ana Person") in who
    assert ("sessions[2026-11-20]", "Ben Person") in who


def test_both_move_stage_then_resolve(
    clones: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    a, b = clones
    edit(a, r"^stage: active", "stage: review", "to review")
    edit(b, r"^stage: active", "stage: paused", "paused")
    assert cli("sync", "--repo", str(a)).exit_code == 0
    result = cli("sync", "--repo", str(b))
    assert result.exit_code == 1
    assert "stage: merge conflict: ours 'paused', theirs 'review'" in result.output
    text = (b / CLIENT).read_text(encoding="utf-8")
    assert "<<<<<<< ours\nstage: paused\n=======\nstage: review\n>>>>>>> theirs\n" in text
    check = cli("check", "--repo", str(b))
    assert check.exit_code == 1
    assert f"{CLIENT}:6:1: error: stage: merge conflict" in check.output
    resolved = cli("resolve", "amara-okafor", "stage", "--take", "theirs", "--repo", str(b))
    assert resolved.exit_code == 0, resolved.output
    assert cli("check", "--repo", str(b)).exit_code == 0
    assert cli("sync", "--repo", str(b)).exit_code == 0
    assert cli("sync", "--repo", str(a)).exit_code == 0
    assert (a / CLIENT).read_bytes() == (b / CLIENT).read_bytes()
    assert "stage: review" in (a / CLIENT).read_text(encoding="utf-8")


def test_sync_refuses_uncommitted_changes(
    clones: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    a, _ = clones
    (a / CLIENT).write_text((a / CLIENT).read_text() + "\nmore\n")
    result = cli("sync", "--repo", str(a))
    assert result.exit_code == 2
    assert "uncommitted changes in clients/amara-okafor.md" in result.output


def test_sync_says_what_came_in_and_what_went_out(
    clones: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    """Each run names what it took from the remote (nothing, their commits as they are,
    a merge of both sides) and whether it pushed anything: a plain pull with nothing
    to push said "merged and pushed"."""
    a, b = clones

    def said(root: Path) -> str:
        result = cli("sync", "--repo", str(root))
        assert result.exit_code == 0, result.output
        return result.output.strip().split(": ", 1)[1]

    assert said(a) == "nothing new there, nothing to push"
    edit(a, r"^stage: active", "stage: review", "move to review")
    assert said(a) == "nothing new there, pushed this clone's changes"
    assert said(b) == "took the remote's changes, nothing to push"
    edit(a, r"^stage: review", "stage: active", "back to active")
    edit(b, r"^sessions:\n", NEW_SESSION, "log session")
    assert said(a) == "nothing new there, pushed this clone's changes"
    assert said(b) == "merged both sides' changes, pushed this clone's changes"
    assert said(a) == "took the remote's changes, nothing to push"
