"""Two machines, one remote: pull with the field-aware merge driver, then push.

Never a home-made server: git moves the data; the merge driver
(:mod:`sortext.vcs.merge`) decides field by field; conflicts stop the sync and
wait for ``sortext resolve``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sortext.errors import GitError, SortextError
from sortext.repo import Repository
from sortext.vcs import git


class UnsavedChanges(SortextError):
    """Tracked files have uncommitted changes; sync would mix them into a merge."""


@dataclass(slots=True)
class SyncResult:
    remote: str
    branch: str
    merged: bool = False
    pushed: bool = False
    conflicts: list[str] = field(default_factory=list)


def backup_settings(repo: Repository) -> tuple[list[str], str | None]:
    """Remotes and branch from ``backup: {remotes: [...], branch: ...}`` in sortext.yaml."""
    return backup_section(repo.config.raw.get("backup") or {})


def backup_section(section: Any) -> tuple[list[str], str | None]:
    """The one reading of the ``backup`` section (its schema is in
    :mod:`sortext.schema.config`, checked by ``check``): remotes (default
    ``[origin]``) and branch (None: the current branch)."""
    if not isinstance(section, dict):
        section = {}
    remotes = section.get("remotes") or ["origin"]
    if isinstance(remotes, str):
        remotes = [remotes]
    branch = section.get("branch")
    return [str(r) for r in remotes], str(branch) if branch else None


def current_branch(root: Path) -> str:
    name = git.text(root, "symbolic-ref", "--short", "-q", "HEAD", check=False).strip()
    if not name:
        raise GitError("HEAD is detached; check out a branch (git switch main) and try again")
    return name


def merge_in_progress(root: Path) -> bool:
    return bool(git.text(root, "rev-parse", "-q", "--verify", "MERGE_HEAD", check=False).strip())


def unmerged_paths(root: Path) -> list[str]:
    out = git.text(root, "diff", "--name-only", "--diff-filter=U")
    return [line for line in out.splitlines() if line]


def _finish_merge(root: Path) -> list[str]:
    """Commit a merge whose conflicts were all settled; return paths still marked."""
    from sortext.check.conflicts import has_markers

    still = []
    for rel in unmerged_paths(root):
        path = root / rel
        if path.exists() and has_markers(path.read_text(encoding="utf-8", errors="replace")):
            still.append(rel)
        else:
            git.run(root, "add", "--", rel)
    if still:
        return still
    git.run(root, "commit", "--no-edit", "--quiet")
    return []


def _dirty(root: Path) -> list[str]:
    out = git.text(root, "status", "--porcelain", "--untracked-files=no")
    return [line[3:] for line in out.splitlines() if line]


def sync(repo: Repository, remote: str | None = None, attempts: int = 3) -> SyncResult:
    """Fetch + merge ``remote``'s branch, then push; stop at the first conflict."""
    remotes, configured = backup_settings(repo)
    name = remote or remotes[0]
    root = repo.root
    branch = configured or current_branch(root)
    result = SyncResult(name, branch)
    if merge_in_progress(root):
        result.conflicts = _finish_merge(root)
        if result.conflicts:
            return result
        result.merged = True
    dirty = _dirty(root)
    if dirty:
        raise UnsavedChanges(
            f"uncommitted changes in {', '.join(dirty[:5])}: commit them (or let "
            "'sortext watch' commit them), then sync"
        )
    with git.repository(root) as handle:
        remote_ref = handle.remote(name) if name in handle.remotes else None
        if remote_ref is None:
            raise GitError(f"no git remote named '{name}': add it with git remote add {name} URL")
        for _ in range(attempts):
            git.command(handle, "fetch", "--quiet", name)
            tracking = f"refs/remotes/{name}/{branch}"
            if tracking in {ref.path for ref in remote_ref.refs}:
                try:
                    git.command(handle, "merge", "--no-edit", "--quiet", tracking)
                except GitError as exc:
                    if unmerged_paths(root):
                        result.conflicts = unmerged_paths(root)
                        return result
                    raise GitError(f"git merge {tracking} stopped: {exc}") from exc
                result.merged = True
            try:
                git.command(handle, "push", "--quiet", name, f"HEAD:refs/heads/{branch}")
            except GitError:
                continue  # rejected: someone pushed meanwhile; fetch and merge again
            there = git.command(handle, "ls-remote", name, f"refs/heads/{branch}")
            if handle.head.commit.hexsha == there.split("\t")[0]:
                result.pushed = True
                return result
    raise GitError(f"could not push to {name} after {attempts} attempts; run sortext sync again")
