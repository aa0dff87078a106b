"""A ref update git refuses leaves the user's index as the user had it.

The watcher's commit gives the user's index the committed entries before it moves
HEAD (``update-ref``).  When git refused that (a ``reference-transaction`` hook, a
``refs/heads/main.lock`` a crashed git left), the record stayed staged, and the
user's next ``git commit`` carried it unannounced.  Now the index gets its own
entries back; the watcher says why nothing was committed and commits on a later
try.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.errors import GitError
from sortext.vcs.commit import GitRepo
from tests.conftest import git
from tests.watchkit import Daemon, commit_count, wait_commits, wait_for

REL = "clients/amara-okafor.md"

HOOK = """#!/bin/sh
# refuse every ref update while the file 'refuse' exists in the work tree
if [ "$1" = prepared ] && [ -e refuse ]; then
    echo "reference-transaction: refused by policy" >&2
    exit 1
fi
exit 0
"""


def _refuse_by_hook(root: Path) -> Path:
    hooks = Path(git(root, "rev-parse", "--git-path", "hooks").strip())
    hooks = hooks if hooks.is_absolute() else root / hooks
    hooks.mkdir(parents=True, exist_ok=True)
    hook = hooks / "reference-transaction"
    hook.write_text(HOOK, encoding="utf-8")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    marker = root / "refuse"
    marker.write_text("", encoding="utf-8")
    return marker


def _refuse_by_lock(root: Path) -> Path:
    branch = git(root, "symbolic-ref", "HEAD").strip()
    lock = root / ".git" / f"{branch}.lock"
    lock.write_text("", encoding="utf-8")
    return lock


@pytest.mark.parametrize("refuse", [_refuse_by_lock, _refuse_by_hook])
def test_a_refused_commit_leaves_the_record_unstaged(records_repo: Path, refuse: object) -> None:
    root = records_repo
    assert callable(refuse)
    daemon = Daemon(root, "--no-pages")
    try:
        daemon.wait_ready()
        commits = commit_count(root)
        blocker: Path = refuse(root)
        path = root / REL
        path.write_text(path.read_text(encoding="utf-8") + "\nA note.\n", encoding="utf-8")
        wait_for(lambda: "not committed yet" in daemon.log, 20, lambda: daemon.log)
        # the refusal is told, and the index holds what the user had: HEAD's version
        assert "update-ref" in daemon.log or "refused" in daemon.log, daemon.log
        assert git(root, "diff", "--cached", "--name-only").strip() == ""
        assert git(root, "status", "--porcelain", "--", "clients").startswith(" M ")
        assert commit_count(root) == commits
        blocker.unlink()  # git accepts again: the watcher's retry commits the save
        wait_commits(root, commits + 1, daemon)
        wait_for(lambda: git(root, "status", "--porcelain", "--", "clients") == "", 10)
    finally:
        daemon.stop()


# What the user's index may hold for a path the watcher commits: HEAD's version, a
# version of their own staged, nothing (a new file, or a deletion they staged), or
# intent-to-add.
_STATES = st.sampled_from(["head", "staged", "absent", "intent"])


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=20)
@given(
    states=st.lists(_STATES, min_size=1, max_size=4),
    deletes=st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_any_index_is_given_back_after_a_refused_commit(
    tmp_path_factory: pytest.TempPathFactory, states: list[str], deletes: list[bool]
) -> None:
    root = tmp_path_factory.mktemp("repo")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "t@sortext.invalid")
    git(root, "config", "user.name", "T")
    (root / "clients").mkdir()
    (root / "clients" / "keep.md").write_text("keep\n")
    paths = [f"clients/r{i}.md" for i in range(len(states))]
    for i, state in enumerate(states):
        if state in ("head", "staged", "intent") or i % 2:
            (root / paths[i]).write_text(f"head {i}\n")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "base")
    for i, state in enumerate(states):
        file = root / paths[i]
        if state == "staged":
            file.write_text(f"staged {i}\n")
            git(root, "add", paths[i])
        elif state == "absent":
            if file.exists():
                git(root, "rm", "--quiet", "--cached", paths[i])
        elif state == "intent":
            git(root, "rm", "--quiet", "--cached", paths[i])
            git(root, "add", "--intent-to-add", paths[i])
    before = git(root, "ls-files", "--stage")
    repo = GitRepo.open(root)
    changes: dict[str, bytes | None] = {
        p: None if deletes[i] and i else f"watcher {i}\n".encode() for i, p in enumerate(paths)
    }  # the first a new version: the tree changes, so there is a ref to update
    _refuse_by_lock(root)
    with pytest.raises(GitError):
        repo.commit(changes, "refused")
    assert git(root, "ls-files", "--stage") == before
    repo.close()
    assert not any(n.startswith("sortext-") for n in os.listdir(root / ".git"))
