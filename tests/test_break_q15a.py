"""Adversarial checks of the issue-15 speed work: the cached answers against the slow
paths through histories the first tests did not walk (merges of older commits, as
sync makes them)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sortext.repo import open_repository
from sortext.vcs.stagefacts import stage_facts

SKELETON = Path(__file__).parent.parent / "sortext/skeleton/sortext.yaml"


def _git(root: Path, *args: str, day: str = "2026-10-01") -> str:
    stamp = f"{day}T12:00:00+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    done = subprocess.run(
        ["git", *args], cwd=root, check=True, env=env, capture_output=True, text=True
    )
    return done.stdout


def _repo(root: Path, folder: str = "clients") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    text = SKELETON.read_text(encoding="utf-8")
    (root / "sortext.yaml").write_text(text.replace("clients_dir: clients", f"clients_dir: {folder}"))
    (root / folder).mkdir()
    _git(root, "init", "--quiet", "--initial-branch=main")
    _git(root, "config", "user.email", "t@sortext.invalid")
    _git(root, "config", "user.name", "T")
    return root


def _record(stage: str, notes: str = "notes") -> str:
    return f"---\nname: A\nstage: {stage}\n---\n\n{notes}\n"


def test_a_merged_older_commit_does_not_move_last_touched_back(tmp_path: Path) -> None:
    """Another machine's commit (older) merged after the cache moved to a newer local
    one: the cache must say what a pass over the whole history says."""
    root = _repo(tmp_path / "r")
    record = root / "clients" / "a.md"
    record.write_text(_record("inquiry"))
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "one", day="2026-10-01")
    _git(root, "checkout", "-qb", "laptop")
    record.write_text(_record("proposal"))
    _git(root, "commit", "-qam", "laptop: stage", day="2026-10-10")
    _git(root, "checkout", "-q", "main")
    record.write_text(_record("inquiry", "notes\nmore"))
    _git(root, "commit", "-qam", "desk: notes", day="2026-10-12")
    repo = open_repository(root)
    stage_facts(repo)  # cached at the desk's commit
    _git(root, "merge", "-q", "--no-edit", "laptop", day="2026-10-13")
    truth = stage_facts(repo, use_cache=False)
    assert truth["a"].last_touched is not None and str(truth["a"].last_touched) == "2026-10-12"
    assert stage_facts(repo) == truth
    assert stage_facts(repo) == truth  # and what it saved reads back
