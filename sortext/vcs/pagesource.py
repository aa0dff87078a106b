"""Which branch the published pages follow: one branch of the practice, never two.

The pages branch (``sortext-pages``) is one ref per repository: every worktree of
it, and every clone pushing to one remote, writes the same branch.  Two watchers on
two branches (a second worktree, a side branch checked out) publishing to it would
make ``NEXT.md`` on the git host flip between them.  So the pages are published
from one branch only, :func:`pages_source`, the first of:

1. ``pages: {from: NAME}`` in sortext.yaml;
2. the remote's default branch: ``refs/remotes/<remote>/HEAD`` (set by ``git
   clone``, or ``git remote set-head origin --auto``) of the first backup remote
   that has one (default ``origin``);
3. the branch that first published them: each pages commit names the branch it
   was published from (a ``from branch: NAME`` line); while that branch exists
   here, it keeps them.  A pages branch no branch claimed yet (none, or one made
   by an older version) is claimed by the first branch to publish, atomically
   (:func:`sortext.vcs.pages.publish` checks the claim on the tip it replaces).

A watcher on another branch still builds the pages in its working tree (they are
its branch's, for the user to open); it does not publish them, its backup push
leaves the pages branch alone, and it says so once in its log and in ``sortext
status``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sortext.errors import GitError, SortextError
from sortext.vcs import git

#: The line of a pages commit's message naming the branch it was published from.
SOURCE_LINE = re.compile(r"^from branch: (\S+)$", re.MULTILINE)


class PagesElsewhere(SortextError):
    """The pages branch is another branch's (:func:`pages_source`): not published."""

    def __init__(self, source: PagesSource, here: str) -> None:
        super().__init__(source.held(here))
        self.source = source


@dataclass(frozen=True, slots=True)
class PagesSource:
    """``branch``: the short name of the branch whose pages are published (None: not
    decided yet, the first branch to publish claims them); ``why``: how it was decided,
    in words; ``claimed``: decided by the claim on the pages branch (rule 3), which
    the publish checks again on the tip it replaces."""

    branch: str | None
    why: str
    claimed: bool = False

    def allows(self, here: str | None) -> bool:
        """Whether HEAD on branch ``here`` (short name; None: detached) publishes."""
        return here is not None and (self.branch is None or self.branch == here)

    def held(self, here: str) -> str:
        """What the watcher on ``here`` says once: why its pages stay local."""
        return (
            f"the pages are published from {self.branch} ({self.why}); this worktree is on "
            f"{here}: its pages are built here, not published (set pages.from in "
            "sortext.yaml to publish another branch's)"
        )


def pages_source(
    root: Path,
    pages_ref: str | None,
    explicit: str | None,
    remotes: Sequence[str],
    read_claim: bool = True,
) -> PagesSource:
    """The branch the pages at ``pages_ref`` are published from (rules 1-3 above):
    ``explicit`` is ``pages.from``; ``remotes`` the backup remotes, in order.  The
    remotes' ``HEAD`` are read from the ref files (git asked only for a layout they do
    not answer); the claim costs two git processes, or none when ``read_claim`` is
    false (``branch`` is then None: :func:`sortext.vcs.pages.publish` checks the claim
    on the tip it reads anyway).  A git failure reads as "not set"."""
    if explicit:
        return PagesSource(explicit, "pages.from in sortext.yaml")
    for remote in remotes:
        name = remote_head(root, remote)
        if name:
            return PagesSource(name, f"the default branch of {remote}, {remote}/HEAD")
    why = "the branch that first published them"
    return PagesSource(claimed_by(root, pages_ref) if read_claim else None, why, True)


def remote_head(root: Path, remote: str) -> str | None:
    """The branch ``refs/remotes/REMOTE/HEAD`` names (``main`` for origin/main), or
    None.  Read from the file (git keeps a symbolic ref loose, in the common git
    directory of all worktrees); git is asked when the layout is not that one."""
    from sortext.vcs.headref import _GIT_ENV

    prefix = f"refs/remotes/{remote}/"
    common = _common_dir(root)
    if common is not None and not any(os.environ.get(v) for v in _GIT_ENV):
        try:
            text = (common / prefix / "HEAD").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            if not (common / "reftable").exists():
                return None
            text = ""
        except (OSError, UnicodeDecodeError):
            text = ""
        if text.startswith(f"ref: {prefix}"):
            return text[len(prefix) + 5 :] or None
    try:
        target = git.text(root, "symbolic-ref", "-q", f"{prefix}HEAD", check=False).strip()
    except GitError:
        return None
    return target[len(prefix) :] or None if target.startswith(prefix) else None


def _common_dir(root: Path) -> Path | None:
    """The common git directory of the work tree at ``root`` (``.git``, or the one a
    linked worktree's ``commondir`` names), read from the files; None when ``root``
    holds no ``.git`` of a layout read here."""
    dot = root / ".git"
    if dot.is_dir():
        return dot
    try:
        line = dot.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not line.startswith("gitdir: "):
        return None
    own = Path(line[len("gitdir: ") :])
    own = own if own.is_absolute() else root / own
    try:
        common = (own / "commondir").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return own
    return Path(common) if Path(common).is_absolute() else own / common


def claimed_by(
    root: Path, pages_ref: str | None, message: str | None = None, unless: str | None = None
) -> str | None:
    """The branch the newest pages commit names (its ``from branch:`` line; ``message``:
    that commit's message when already read), while a branch of that name exists
    here; None otherwise (no pages yet, an older pages commit, the branch deleted or
    renamed: the claim is void).  ``unless``: a branch known to exist (the one HEAD
    is on), returned without asking git when it is the one named."""
    if pages_ref is None:
        return None
    try:
        if message is None:
            done = git.run_full(root, "log", "-1", "--format=%B", pages_ref, "--")
            if done.returncode != 0:
                return None
            message = done.stdout.decode("utf-8", "replace")
        found = SOURCE_LINE.search(message)
        if found is None:
            return None
        name = found.group(1)
        if name == unless:
            return name  # the asker's own branch: no need to look for it
        there = git.run_full(root, "rev-parse", "--verify", "-q", f"refs/heads/{name}")
    except GitError:
        return None
    return name if there.returncode == 0 else None


def current_branch(root: Path) -> str | None:
    """The short name of the branch HEAD is on; None when detached (or git fails)."""
    try:
        name = git.text(root, "symbolic-ref", "--short", "-q", "HEAD", check=False).strip()
    except GitError:
        return None
    return name or None
