"""Two machines, each running a watcher, `sortext sync` both ways in many interleavings:
never a conflict on anything generated, records merged field by field (issue 11, item 4).

A property test: hypothesis generates the interleaving (which side edits which client's
field, when each side syncs).  Few examples by default (each starts two watchers);
``SORTEXT_PROPERTY_EXAMPLES=50`` runs more.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PROJECT_ROOT, git
from tests.watchkit import Daemon, idle_mark, settled, wait_commits, wait_settled

CLIENTS = ["amara-okafor", "bruno-castellanos", "elena-marsh"]
#: each side edits its own field, so a same-client edit on both sides merges cleanly
FIELD = {"a": "email", "b": "company"}

EDIT = st.tuples(st.sampled_from(["a", "b"]), st.just("edit"), st.sampled_from(CLIENTS))
SYNC = st.tuples(st.sampled_from(["a", "b"]), st.just("sync"), st.just(""))
STEPS = st.lists(st.one_of(EDIT, SYNC), min_size=3, max_size=7)


def _machines(base: Path) -> tuple[Path, Path]:
    seed = base / "seed"
    seed.mkdir()
    shutil.copy(PROJECT_ROOT / "sortext.yaml", seed / "sortext.yaml")
    shutil.copytree(PROJECT_ROOT / "clients", seed / "clients")
    shutil.copytree(PROJECT_ROOT / "templates", seed / "templates")
    shutil.copy(PROJECT_ROOT / ".gitignore", seed / ".gitignore")
    shutil.copytree(PROJECT_ROOT / ".githooks", seed / ".githooks")  # committed, as init does
    (seed / ".gitattributes").write_text("clients/*.md merge=sortext\n")
    config = seed / "sortext.yaml"
    config.write_text(config.read_text() + "\nbackup: {remotes: [origin], branch: main}\n")
    git(seed, "init", "-q", "-b", "main")
    git(seed, "-c", "user.email=s@x.invalid", "-c", "user.name=S", "add", "-A")
    git(seed, "-c", "user.email=s@x.invalid", "-c", "user.name=S", "commit", "-qm", "start")
    remote = base / "remote.git"
    git(base, "clone", "-q", "--bare", str(seed), str(remote))
    sides = []
    for name in ("a", "b"):
        clone = base / name
        git(base, "clone", "-q", str(remote), str(clone))
        git(clone, "config", "user.email", f"{name}@sortext.invalid")
        git(clone, "config", "user.name", name.upper())
        install = subprocess.run(
            [sys.executable, "-m", "sortext", "install", "--repo", str(clone)],
            capture_output=True,
            text=True,
        )
        assert install.returncode == 0, install.stderr
        sides.append(clone)
    return sides[0], sides[1]


def _edit(root: Path, client: str, field: str, n: int) -> None:
    path = root / "clients" / f"{client}.md"
    lines = path.read_text().splitlines(keepends=True)
    i = next(i for i, line in enumerate(lines) if line.startswith(f"{field}: "))
    value = f"side{n}@example.com" if field == "email" else f"Company {n}"
    lines[i] = f"{field}: {value}\n"
    path.write_text("".join(lines))


def _generated(root: Path) -> list[str]:
    tracked = git(root, "ls-tree", "-r", "--name-only", "HEAD").split()
    return [p for p in tracked if p == "NEXT.md" or p.startswith("site/")]


@settings(
    max_examples=int(os.environ.get("SORTEXT_PROPERTY_EXAMPLES", "2")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_two_watchers_and_sync_in_any_interleaving(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, str, str]]
) -> None:
    base = tmp_path_factory.mktemp("two")
    a, b = _machines(base)
    roots = {"a": a, "b": b}
    daemons = {name: Daemon(root) for name, root in roots.items()}
    try:
        for daemon in daemons.values():
            daemon.wait_ready()
        for name, root in roots.items():
            idle_mark(root, daemons[name])
        for n, (side, what, client) in enumerate([*steps, ("a", "sync", ""), ("b", "sync", "")]):
            root, daemon = roots[side], daemons[side]
            if what == "edit":
                count = int(git(root, "rev-list", "--count", "HEAD"))
                _edit(root, client, FIELD[side], n)
                wait_commits(root, count + 1, daemon)
                idle_mark(root, daemon)
                continue
            mark = settled(root)
            before = git(root, "rev-parse", "HEAD").strip()
            proc = subprocess.run(
                [sys.executable, "-m", "sortext", "sync", "--repo", str(root)],
                capture_output=True,
                text=True,
            )
            assert proc.returncode == 0, proc.stdout + proc.stderr + daemon.log
            after = git(root, "rev-parse", "HEAD").strip()
            if git(root, "diff", "--name-only", before, after, "--", "clients"):
                wait_settled(root, mark, daemon)  # the watcher saw git's writes
            assert git(root, "rev-parse", "HEAD").strip() == after  # and committed none
            assert git(root, "status", "--porcelain") == "", daemon.log
            assert _generated(root) == []
        # both sides synced last: b holds every edit of both sides (the newest of each)
        last: dict[tuple[str, str], int] = {}
        for n, (side, what, client) in enumerate(steps):
            if what == "edit":
                last[(client, FIELD[side])] = n
        for (client, field), n in last.items():
            value = f"side{n}@example.com" if field == "email" else f"Company {n}"
            assert f"{field}: {value}\n" in (b / "clients" / f"{client}.md").read_text()
        for root in roots.values():
            assert "Traceback" not in daemons[root.name].log
    finally:
        for daemon in daemons.values():
            daemon.stop()
