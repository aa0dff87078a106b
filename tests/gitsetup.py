"""Helpers for tests that need several clones of one remote."""

from __future__ import annotations

from pathlib import Path

from sortext.vcs.scaffold import configure_git, ensure_gitattributes
from tests.conftest import git


def make_remote_and_clones(seed: Path, where: Path, names: tuple[str, ...]) -> tuple[Path, ...]:
    """A bare remote holding ``seed``'s history and one configured clone per name."""
    if ensure_gitattributes(seed):
        git(seed, "add", ".gitattributes")
        git(seed, "commit", "--quiet", "-m", "merge driver for client files")
    remote = where / "remote.git"
    git(where, "init", "--bare", "--quiet", "--initial-branch=main", str(remote))
    git(seed, "push", "--quiet", str(remote), "HEAD:refs/heads/main")
    clones = []
    for name in names:
        clone = where / name
        git(where, "clone", "--quiet", str(remote), str(clone))
        git(clone, "config", "user.name", f"{name.title()} Person")
        git(clone, "config", "user.email", f"{name}@sortext.invalid")
        configure_git(clone)
        clones.append(clone)
    return tuple(clones)
