"""Break-test of a simulated fortnight (round 11): what a coach saw go wrong beside git.

Each test fails on the code before its fix: real git repositories in tmp folders, real
bare remotes, the real watcher (waited on through its settle counter)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from sortext.vcs.scaffold import configure_git, ensure_gitattributes
from tests.conftest import git

CLIENT = "clients/amara-okafor.md"


def _set_stage(root: Path, stage: str) -> None:
    path = root / CLIENT
    text = path.read_text(encoding="utf-8")
    assert "stage: active\n" in text
    path.write_text(text.replace("stage: active\n", f"stage: {stage}\n", 1), encoding="utf-8")


def _conflict_by(records_repo: Path, operation: str) -> None:
    """Leave ``records_repo`` stopped in ``operation`` (rebase, cherry-pick, revert) on
    a conflict in the stage of CLIENT, merged through sortext's merge driver."""
    configure_git(records_repo)
    if ensure_gitattributes(records_repo):
        git(records_repo, "add", ".gitattributes")
        git(records_repo, "commit", "--quiet", "-m", "merge driver")
    git(records_repo, "checkout", "--quiet", "-b", "other")
    _set_stage(records_repo, "paused")
    git(records_repo, "commit", "--quiet", "--no-verify", "-am", "other: paused")
    git(records_repo, "checkout", "--quiet", "main")
    if operation == "revert":  # main changes the stage again after 'paused': revert clashes
        git(records_repo, "merge", "--quiet", "--ff-only", "other")
        path = records_repo / CLIENT
        path.write_text(
            path.read_text(encoding="utf-8").replace("stage: paused\n", "stage: review\n", 1),
            encoding="utf-8",
        )
        git(records_repo, "commit", "--quiet", "--no-verify", "-am", "main: review")
        args = ["revert", "--no-edit", "HEAD~1"]
    else:
        _set_stage(records_repo, "review")
        git(records_repo, "commit", "--quiet", "--no-verify", "-am", "main: review")
        args = ["rebase", "other"] if operation == "rebase" else ["cherry-pick", "other"]
    proc = subprocess.run(["git", *args], cwd=records_repo, capture_output=True, text=True)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert git(records_repo, "ls-files", "-u", "--", CLIENT).strip(), "no conflict left"


@pytest.mark.parametrize("operation", ["rebase", "cherry-pick", "revert"])
def test_resolve_stages_the_record_whatever_git_operation_stopped_on_it(
    records_repo: Path, cli: Callable[..., Result], operation: str
) -> None:
    """`git pull --rebase` stopped on a record: `sortext resolve` said 'no conflicts
    left' but staged it only during a merge (MERGE_HEAD), so `git rebase --continue`
    (cherry-pick, revert) refused with 'needs merge'.  The record is staged when the
    index holds it unmerged, whichever operation left it so."""
    _conflict_by(records_repo, operation)
    done = cli("resolve", "amara-okafor", "stage", "--take", "theirs", "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    assert "no conflicts left" in done.output
    assert git(records_repo, "ls-files", "-u").strip() == ""
    env = {"GIT_EDITOR": "true"}
    cont = subprocess.run(
        ["git", "-c", "core.editor=true", operation, "--continue"],
        cwd=records_repo,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **env},
    )
    assert cont.returncode == 0, cont.stdout + cont.stderr
    assert git(records_repo, "status", "--porcelain", "--", "clients").strip() == ""


def test_resolve_outside_any_operation_stages_nothing(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """A record with markers written by hand (no git operation): resolve settles the
    file and leaves the index alone, as before."""
    from sortext.vcs.merge import merge_files

    path = records_repo / CLIENT
    base = path.read_text(encoding="utf-8")
    merged = merge_files(
        base.encode(),
        base.replace("stage: active", "stage: review").encode(),
        base.replace("stage: active", "stage: paused").encode(),
    )
    path.write_text(merged.text, encoding="utf-8")
    done = cli("resolve", "amara-okafor", "stage", "--take", "ours", "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    assert git(records_repo, "diff", "--cached", "--name-only").strip() == ""
    assert git(records_repo, "diff", "--name-only").strip() == CLIENT
