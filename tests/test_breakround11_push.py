"""A remote that refuses atomic pushes never gets pages whose records it refused.

The watcher and ``sortext backup`` push the records branch and the pages branch in
one ``git push --atomic`` so that a records push the remote rejects (another machine
pushed first: this clone is stale) never leaves the remote with this clone's pages
(force-pushed), which may quote a client erased on the other machine.  When the
remote cannot take an atomic push (``receive.advertiseAtomic false``, some hosting
servers) the fallback pushed every refspec plainly, together: git then updates each
ref it can, so the rejected records went with accepted, force-pushed pages, the very
thing the atomic push was for.  The fallback now pushes the records first and the
pages only after they went.

Real git: a bare remote that refuses atomic pushes, two clones.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from sortext.vcs import git as sgit


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=60
    ).stdout.strip()


def _setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    bare = tmp_path / "remote.git"
    _git(tmp_path, "init", "-q", "--bare", str(bare))
    _git(bare, "config", "receive.advertiseAtomic", "false")
    clones = []
    for name in ("mine", "other"):
        clone = tmp_path / name
        _git(tmp_path, "init", "-q", "-b", "main", str(clone))
        _git(clone, "config", "user.name", "Test Coach")
        _git(clone, "config", "user.email", "coach@example.invalid")
        _git(clone, "remote", "add", "origin", str(bare))
        clones.append(clone)
    mine, other = clones
    _git(mine, "commit", "-q", "--allow-empty", "-m", "first")
    _git(mine, "push", "-q", "origin", "main")
    _git(other, "fetch", "-q", "origin")
    _git(other, "reset", "-q", "--hard", "origin/main")
    return bare, mine, other


def test_a_refused_records_push_takes_no_pages_along(tmp_path: Path) -> None:
    bare, mine, other = _setup(tmp_path)
    _git(other, "commit", "-q", "--allow-empty", "-m", "the other machine's erasure")
    _git(other, "push", "-q", "origin", "main")
    # this clone is stale: its records are rejected; its pages quote what was erased
    _git(mine, "commit", "-q", "--allow-empty", "-m", "a save on the stale clone")
    _git(mine, "branch", "sortext-pages")
    done = sgit.push(
        mine, "origin", "HEAD:refs/heads/main", "+refs/heads/sortext-pages:refs/heads/sortext-pages"
    )
    assert done.returncode != 0
    assert b"atomic" not in done.stderr, done.stderr  # the cause told is the rejection
    pages = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", "refs/heads/sortext-pages"],
        cwd=bare,
        capture_output=True,
        timeout=60,
    )
    assert pages.returncode != 0, "the stale clone's pages reached the remote"
    assert _git(bare, "rev-parse", "main") == _git(other, "rev-parse", "HEAD")


def test_both_go_when_the_records_go(tmp_path: Path) -> None:
    bare, mine, _other = _setup(tmp_path)
    _git(mine, "commit", "-q", "--allow-empty", "-m", "a save")
    _git(mine, "branch", "sortext-pages")
    done = sgit.push(
        mine, "origin", "HEAD:refs/heads/main", "+refs/heads/sortext-pages:refs/heads/sortext-pages"
    )
    assert done.returncode == 0, done.stderr
    assert _git(bare, "rev-parse", "main") == _git(mine, "rev-parse", "HEAD")
    assert _git(bare, "rev-parse", "sortext-pages") == _git(mine, "rev-parse", "sortext-pages")
