"""With a watcher running, every git command a user runs completes and leaves `git status`
clean, with no extra commits from the watcher for git's own writes (issue 11, item 4)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import SAMPLE_TODAY, git
from tests.watchkit import Daemon, idle_mark, settled, wait_commits, wait_settled

ALICE = "clients/amara-okafor.md"
BRUNO = "clients/bruno-castellanos.md"
JONAS = "clients/jonas-weber.md"


def set_field(root: Path, rel: str, name: str, value: str) -> None:
    path = root / rel
    text = path.read_text()
    current = next(line for line in text.splitlines() if line.startswith(f"{name}: "))
    path.write_text(text.replace(current, f"{name}: {value}", 1))


def run_git(root: Path, *args: str, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"


@pytest.fixture
def watched(records_repo: Path) -> Iterator[tuple[Path, Daemon]]:
    daemon = Daemon(records_repo)
    daemon.wait_ready()
    yield records_repo, daemon
    daemon.stop()


def step(
    root: Path, daemon: Daemon, action: Callable[[], None], touches_records: bool = True
) -> str:
    """Run a git action, wait until the watcher settled on it; check nothing was left
    behind and the watcher did not commit; returns HEAD."""
    mark = settled(root)
    action()
    head = git(root, "rev-parse", "HEAD").strip()
    if touches_records:
        wait_settled(root, mark, daemon)
    assert git(root, "status", "--porcelain") == "", daemon.log
    assert git(root, "rev-parse", "HEAD").strip() == head, "the watcher committed git's writes"
    return head


def test_git_operations_beside_a_running_watcher(
    watched: tuple[Path, Daemon], tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root, daemon = watched
    # three watcher commits on three clients
    for n, (rel, stage) in enumerate(
        [(ALICE, "review"), (BRUNO, "discovery"), (JONAS, "paused")], start=2
    ):
        set_field(root, rel, "stage", stage)
        wait_commits(root, n, daemon)
    idle_mark(root, daemon)
    watcher_commits = git(root, "rev-list", "--max-count=3", "HEAD").split()

    # checkout of an old commit and back
    step(root, daemon, lambda: run_git(root, "checkout", "-q", "--detach", "HEAD~2"))
    step(root, daemon, lambda: run_git(root, "checkout", "-q", "main"))

    # rebase -i replaying the watcher's commits (the two newest swapped)
    swap = "sed -i -e '2{h;d}' -e '3G'"
    step(
        root,
        daemon,
        lambda: run_git(root, "rebase", "-q", "-i", "HEAD~3", env={"GIT_SEQUENCE_EDITOR": swap}),
    )
    subjects = git(root, "log", "--format=%s", "-3").splitlines()
    assert subjects[0].startswith("bruno-castellanos") and subjects[1].startswith("jonas-weber")

    # revert of an old watcher commit
    old = git(root, "rev-list", "--max-count=1", "--grep", "amara-okafor", "HEAD").strip()
    step(root, daemon, lambda: run_git(root, "revert", "--no-edit", old))
    assert "stage: active" in (root / ALICE).read_text()

    # reset back, then forward again
    before_reset = git(root, "rev-parse", "HEAD").strip()
    step(root, daemon, lambda: run_git(root, "reset", "-q", "--hard", "HEAD~1"))
    step(root, daemon, lambda: run_git(root, "reset", "-q", "--hard", before_reset))

    # stash / pop of the user's own edit of a tracked non-record file
    (root / "plan.txt").write_text("one\n")
    run_git(root, "add", "plan.txt")
    run_git(root, "commit", "-qm", "plan")
    (root / "plan.txt").write_text("two\n")
    run_git(root, "stash", "-q")
    assert git(root, "status", "--porcelain") == ""
    run_git(root, "stash", "pop", "-q")
    assert git(root, "status", "--porcelain").split() == ["M", "plan.txt"]
    run_git(root, "checkout", "--", "plan.txt")

    # a second machine: fetch + merge, pull, cherry-pick
    other = tmp_path / "other"
    run_git(tmp_path, "clone", "-q", str(root), str(other))
    run_git(other, "config", "user.email", "other@sortext.invalid")
    run_git(other, "config", "user.name", "Other")
    set_field(other, JONAS, "stage", "inquiry")
    run_git(other, "commit", "-qam", "jonas-weber: stage paused -> inquiry")
    set_field(other, ALICE, "stage", "paused")
    run_git(other, "commit", "-qam", "amara-okafor: stage active -> paused")
    run_git(other, "checkout", "-qb", "side", "HEAD~2")
    set_field(other, BRUNO, "stage", "inquiry")
    run_git(other, "commit", "-qam", "bruno-castellanos: stage discovery -> inquiry")
    run_git(root, "fetch", "-q", str(other), "main:refs/remotes/other/main")
    step(root, daemon, lambda: run_git(root, "merge", "-q", "--ff-only", "other/main~1"))
    step(root, daemon, lambda: run_git(root, "pull", "-q", "--no-rebase", str(other), "main"))
    run_git(root, "fetch", "-q", str(other), "side:refs/remotes/other/side")
    step(root, daemon, lambda: run_git(root, "cherry-pick", "other/side"))
    assert "stage: inquiry" in (root / BRUNO).read_text()

    # only records (and config) in the records branch; the watcher made none of these
    tracked = git(root, "ls-tree", "-r", "--name-only", "HEAD").split()
    assert not [p for p in tracked if p == "NEXT.md" or p.startswith("site/")]
    assert all(c in git(root, "rev-list", "--all") for c in watcher_commits[2:])
    # the working-tree pages are a fresh build of where we ended
    clone = tmp_path / "fresh"
    run_git(tmp_path, "clone", "-q", str(root), str(clone))
    assert cli("build", "--repo", str(clone), "--today", SAMPLE_TODAY).exit_code == 0
    assert (root / "NEXT.md").read_bytes() == (clone / "NEXT.md").read_bytes()
    assert "Traceback" not in daemon.log
