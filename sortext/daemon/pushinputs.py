"""What a backup push's outcome depends on, and whether the user changed it.

A push the remote rejected (another machine pushed first), or one that failed
for a cause in this clone (a remote URL, a credential helper, a pre-push hook),
fails the same way until something changes: the remote-tracking refs (``git
fetch``, ``git pull``, ``sortext sync``, a push by hand), the branch checked out
or its commit (a merge, a rebase, a reset), git's configuration, the pre-push
hook.  :func:`read_inputs` takes that snapshot (one ``git for-each-ref`` and a
few ``stat``); :func:`what_moved` says what changed between two snapshots, in
words for the log, or None.  The watcher's own commits on top of the branch
change nothing a push depends on (they cannot settle a rejection): they are not
a reason to push again before the backoff.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from sortext.errors import GitError
from sortext.vcs import git

#: a file's identity and content stamp (inode, size, mtime in ns); None: missing
Stamp = tuple[int, int, int] | None


@dataclass(frozen=True, slots=True)
class PushInputs:
    """One snapshot: ``branch`` (``refs/heads/X`` HEAD is on; None when detached),
    its commit ``tip``, ``tracking`` (each remote-tracking ref of the pushed remotes
    -> its commit) and ``files`` (git's configuration files and the pre-push hook ->
    their :data:`Stamp`)."""

    branch: str | None
    tip: str | None
    tracking: tuple[tuple[str, str], ...]
    files: tuple[tuple[str, Stamp], ...]

    def tracking_of(self, remote: str, branch: str) -> str | None:
        """The commit ``refs/remotes/REMOTE/BRANCH`` names (None: no such ref)."""
        return dict(self.tracking).get(f"refs/remotes/{remote}/{branch}")


def watched_files(root: Path) -> list[Path]:
    """The files whose change may settle a failing push: the repository's ``config``
    (``remote set-url``, ``remote add``), this worktree's ``config.worktree``, the
    user's global configuration (a credential helper) and the pre-push hook git runs
    (``core.hooksPath`` honoured).  Absolute paths; [] when git cannot say."""
    try:
        out = git.text(
            root, "rev-parse", "--git-common-dir", "--git-dir", "--git-path", "hooks/pre-push"
        )
    except GitError:
        return []
    lines = out.splitlines()
    if len(lines) != 3:
        return []
    common, own, hook = (root / line if not os.path.isabs(line) else Path(line) for line in lines)
    home = Path(os.path.expanduser("~"))
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    return [
        common / "config",
        own / "config.worktree",
        home / ".gitconfig",
        Path(xdg) / "git" / "config",
        hook,
    ]


def _stamp(path: Path) -> Stamp:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def read_inputs(root: Path, remotes: Sequence[str], files: Sequence[Path]) -> PushInputs | None:
    """The snapshot now (one ``git for-each-ref``); None when git cannot say."""
    patterns = ["refs/heads/", *(f"refs/remotes/{r}/" for r in remotes)]
    try:
        out = git.text(root, "for-each-ref", "--format=%(objectname) %(refname) %(HEAD)", *patterns)
    except GitError:
        return None
    branch = tip = None
    tracking: list[tuple[str, str]] = []
    for line in out.splitlines():
        sha, ref, *mark = line.split()  # (a ref name holds no blank)
        if ref.startswith("refs/remotes/"):
            tracking.append((ref, sha))
        elif mark == ["*"]:
            branch, tip = ref, sha
    stamps = tuple((str(p), _stamp(p)) for p in files)
    return PushInputs(branch, tip, tuple(sorted(tracking)), stamps)


def what_moved(
    root: Path, before: PushInputs | None, after: PushInputs | None, own: Collection[str]
) -> str | None:
    """What changed from ``before`` to ``after`` that may change a push's outcome, said
    for the log ("origin/main moved"), or None.  ``own``: commits the watcher made; a
    branch that only moved forward by them (each on top of the last) did not change
    anything a push depends on."""
    if before is None or after is None:
        return None
    if before.files != after.files:
        changed = [p for (p, a), (_, b) in zip(before.files, after.files, strict=False) if a != b]
        return f"{changed[0] if changed else 'git configuration'} changed"
    if before.tracking != after.tracking:
        old, new = dict(before.tracking), dict(after.tracking)
        ref = min(r for r in old.keys() | new.keys() if old.get(r) != new.get(r))
        return f"{ref.removeprefix('refs/remotes/')} moved"
    if before.branch != after.branch:
        name = (after.branch or "").removeprefix("refs/heads/")
        return f"HEAD is on {name} now" if name else "HEAD was detached"
    if before.tip != after.tip and not _own_only(root, before.tip, after.tip, own):
        return f"{(after.branch or '').removeprefix('refs/heads/')} moved"
    return None


def _own_only(root: Path, old: str | None, new: str | None, own: Collection[str]) -> bool:
    """``new`` is ``old`` with only the watcher's own commits on top (each the parent of
    the next: git's ``--ancestry-path``; a watcher commit is never a merge)."""
    if not old or not new or not own:
        return False
    try:
        done = git.run_full(root, "rev-list", "--ancestry-path", f"{old}..{new}")
    except GitError:
        return False
    between = done.stdout.decode("ascii", "replace").split()
    return done.returncode == 0 and bool(between) and all(c in own for c in between)
