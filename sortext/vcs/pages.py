"""Publish the rendered pages on a branch of their own, never in the records branch.

The pages (``NEXT.md``, ``site/``) are derived output, git-ignored in the
records branch.  After each records commit the watcher renders them from the
committed state and :func:`publish` commits them to ``refs/heads/<branch>``
(default ``sortext-pages``) with plumbing only:

1. a private index file in the git directory (``sortext-pages-index``), kept
   between calls so ``git add -A -f`` re-hashes only the pages whose stat
   changed;
2. ``write-tree``, then ``commit-tree`` with the previous pages commit as
   parent and a message naming the records commit the pages were built from;
3. ``update-ref`` with the old value (compare-and-swap).

The user's index, working tree and HEAD are never touched.  The branch keeps a
bounded history: past ``2 * keep`` commits the oldest are squashed so that
``keep`` remain (the first of them becomes a root commit); only this branch is
ever rewritten, and only it is force-pushed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sortext.errors import ConfigError, GitError
from sortext.files.write import TEMP_MARKER
from sortext.schema.refname import PAGES_BRANCH, branch_problem
from sortext.vcs import git


def _drop_temp(root: Path, env: dict[str, str]) -> None:
    """Take a writer's temporary files and a build's staging folders (any name holding
    ``.sortext-tmp-``) out of the pages index ``env`` names: a killed writer's are
    debris until they are cleaned, never pages."""
    staged = git.names(git.run(root, "ls-files", "-z", env=env))
    debris = [name for name in staged if TEMP_MARKER in name]
    if debris:
        listing = b"".join(os.fsencode(name) + b"\0" for name in debris)
        git.run(root, "update-index", "--force-remove", "-z", "--stdin", input=listing, env=env)


DEFAULT_BRANCH = PAGES_BRANCH
DEFAULT_KEEP = 50
#: What the pages branch holds (repository-relative), as ``sortext build`` writes them.
PAGE_PATHS = ("NEXT.md", "site")
#: The message's first line names the records commit: ``pages for <sha>``.
_FOR = re.compile(r"^pages for ([0-9a-f]{40,64})\b")
_IDENTITY = {
    "GIT_AUTHOR_NAME": "sortext pages",
    "GIT_AUTHOR_EMAIL": "sortext@localhost",
    "GIT_COMMITTER_NAME": "sortext pages",
    "GIT_COMMITTER_EMAIL": "sortext@localhost",
}


@dataclass(frozen=True, slots=True)
class PagesSettings:
    """``pages: {branch: sortext-pages, keep: 50, from: main}`` in sortext.yaml;
    ``pages: false`` turns publishing off (``branch`` None).  ``source`` (``from``):
    the one branch whose pages are published (None: the rules of
    :func:`sortext.vcs.pagesource.pages_source` decide)."""

    branch: str | None = DEFAULT_BRANCH
    keep: int = DEFAULT_KEEP
    source: str | None = None

    @property
    def ref(self) -> str | None:
        return f"refs/heads/{self.branch}" if self.branch else None

    @classmethod
    def from_config(cls, raw: Any) -> PagesSettings:
        """Read the ``pages`` value; raises ConfigError for a bad one (``check``
        reports the same through the config schema)."""
        if raw is None or raw is True:
            return cls()
        if raw is False:
            return cls(None)
        if not isinstance(raw, Mapping):
            raise ConfigError("pages: expected false or {branch: NAME, keep: N}")
        branch = raw.get("branch", DEFAULT_BRANCH)
        keep = raw.get("keep", DEFAULT_KEEP)
        source = raw.get("from")
        if branch is False:
            return cls(None)
        if not isinstance(branch, str) or branch_problem(branch) is not None:
            raise ConfigError(f"pages.branch: not a usable branch name: {branch!r}")
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise ConfigError(f"pages.keep: expected a whole number of commits >= 1: {keep!r}")
        if source is not None and (
            not isinstance(source, str) or branch_problem(source) is not None
        ):
            raise ConfigError(f"pages.from: not a usable branch name: {source!r}")
        if source == branch:
            raise ConfigError(f"pages.from: the pages branch itself: {source!r}")
        return cls(branch, keep, source)


def pages_index(root: Path) -> Path:
    """The private index the pages are staged in (inside the git directory)."""
    return git.git_dir(root) / "sortext-pages-index"


def tip(root: Path, ref: str) -> str | None:
    """The commit ``ref`` points at, or None when it does not exist yet."""
    out = git.run(root, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}", ok_codes=(0, 1))
    return out.decode().strip() or None


def published_for(root: Path, ref: str) -> str | None:
    """The records commit the newest pages commit on ``ref`` was built from."""
    head = tip(root, ref)
    if head is None:
        return None
    subject = git.text(root, "log", "-1", "--format=%s", head).strip()
    found = _FOR.match(subject)
    return found.group(1) if found else None


def publish(
    root: Path,
    records_commit: str,
    settings: PagesSettings,
    subject: str | None = None,
    changed: Collection[str] | None = None,
    note: str | None = None,
    source: str | None = None,
    claim: bool = False,
) -> str | None:
    """Commit the pages now in ``root``'s working tree to the pages branch.

    ``subject``: the records commit's first line, for the message (read from git
    when not given).  ``changed``: the repository-relative pages written or
    removed since the last publish (the renderer knows them); only those are
    restaged, when the private index still holds the branch's tip.  Without it
    every page is looked at (``git add -A``: a stat per file).  ``note``: a line
    added to the message (why the same records commit is published again).
    ``source``: the branch the pages are published from (a ``from branch:`` line,
    :mod:`sortext.vcs.pagesource`); ``claim``: that branch publishes only while the
    branch's tip names no other existing branch (read from the tip this commit
    replaces, which the compare-and-swap holds: two branches claiming at once, one
    wins), else PagesElsewhere is raised.

    Returns the new pages commit, or None when publishing is off or the branch
    already holds these pages for ``records_commit``.  Raises GitError when git
    fails.  Call it from one process at a time (the watcher, under its daemon
    lock).
    """
    ref = settings.ref
    if ref is None:
        return None
    index = pages_index(root)
    # Only the one running watcher (it holds the daemon lock) publishes, so a lock on
    # the private index is a leftover of a watcher that was killed mid-publish.
    index.with_name(index.name + ".lock").unlink(missing_ok=True)
    env = {"GIT_INDEX_FILE": str(index)}
    parent, parent_tree, parent_for, parent_message = _tip(root, ref)
    if claim and source is not None and parent is not None:
        from sortext.vcs.pagesource import PagesElsewhere, PagesSource, claimed_by

        owner = claimed_by(root, ref, parent_message, unless=source)
        if owner is not None and owner != source:
            raise PagesElsewhere(
                PagesSource(owner, "the branch that first published them", True), source
            )
    held = _held_tip(index)
    if parent is None or not index.exists() or held != parent:
        changed = None  # the private index does not hold the tip: look at every page
        if parent is None:
            git.run(root, "read-tree", "--empty", env=env)
        else:
            git.run(root, "read-tree", parent, env=env)
    if changed is not None:
        pages = sorted(
            p for p in changed if (p == "NEXT.md" or p.startswith("site/")) and TEMP_MARKER not in p
        )
        if pages:
            listing = "".join(f"{p}\n" for p in pages).encode()
            git.run(root, "update-index", "--add", "--remove", "--stdin", input=listing, env=env)
    else:
        present = [p for p in PAGE_PATHS if (root / p).exists()]
        absent = [p for p in PAGE_PATHS if p not in present]
        if present:
            git.run(root, "add", "-A", "-f", "--", *present, env=env)
            _drop_temp(root, env)
        if absent:
            git.run(root, "rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", *absent, env=env)
    tree = git.run(root, "write-tree", env=env).decode().strip()
    same_source = source is None or claimed_by_line(parent_message) == source
    if parent is not None and parent_tree == tree and parent_for == records_commit and same_source:
        return None
    if subject is None:
        subject = git.text(root, "log", "-1", "--format=%s", records_commit).strip()
    message = f"pages for {records_commit}\n\nbuilt from: {subject}\n"
    if note:
        message += f"{note}\n"
    if source is not None:
        message += f"from branch: {source}\n"
    args = ["commit-tree", tree, "-F", "-"]
    if parent is not None:
        args[2:2] = ["-p", parent]
    commit = git.run(root, *args, input=message.encode(), env=_IDENTITY).decode().strip()
    old = parent or "0" * len(commit)
    try:
        git.run(root, "update-ref", "-m", "sortext pages", ref, commit, old)
    except GitError:
        index.unlink(missing_ok=True)  # someone else moved the branch: restage next time
        raise
    tip = _bound(root, ref, settings.keep) or commit
    _hold_tip(index, tip)
    return commit


def _held_tip(index: Path) -> str | None:
    """The pages commit whose tree the private index holds (written after each publish)."""
    try:
        return index.with_name(index.name + ".tip").read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def _hold_tip(index: Path, commit: str) -> None:
    from sortext.errors import StorageError
    from sortext.files.write import atomic_write

    try:
        atomic_write(index.with_name(index.name + ".tip"), (commit + "\n").encode(), durable=False)
    except StorageError:
        index.unlink(missing_ok=True)  # cannot vouch for it: restage next time


def _tip(root: Path, ref: str) -> tuple[str | None, str | None, str | None, str]:
    """The branch's newest commit, its tree, the records commit it names and its
    message (one process); Nones and "" when the branch does not exist yet."""
    proc = git.run_full(root, "log", "-1", "--format=%H %T %B", ref, "--")
    if proc.returncode != 0:
        return None, None, None, ""
    parts = proc.stdout.decode("utf-8", "replace").split(" ", 2)
    if len(parts) < 2:
        return None, None, None, ""
    message = parts[2] if len(parts) == 3 else ""
    found = _FOR.match(message)
    return parts[0], parts[1].strip(), found.group(1) if found else None, message


def claimed_by_line(message: str) -> str | None:
    """The branch a pages commit's message names (``from branch: NAME``), or None."""
    from sortext.vcs.pagesource import SOURCE_LINE

    found = SOURCE_LINE.search(message)
    return found.group(1) if found else None


def _bound(root: Path, ref: str, keep: int) -> str | None:
    """Squash all but the newest ``keep`` commits once the branch holds ``2 * keep``;
    returns the new tip when it did (same tree as before)."""
    count = int(git.text(root, "rev-list", "--count", "--first-parent", ref).strip())
    if count <= 2 * keep:
        return None
    newest_first = git.text(root, "rev-list", "--first-parent", f"-{keep}", ref).split()
    old_tip = newest_first[0]
    parent: str | None = None
    for commit in reversed(newest_first):
        tree = git.text(root, "rev-parse", f"{commit}^{{tree}}").strip()
        message = git.run(root, "log", "-1", "--format=%B", commit)
        if parent is None:
            message = message.rstrip(b"\n") + b"\n\n(older pages squashed into this commit)\n"
        args = ["commit-tree", tree, "-F", "-"]
        if parent is not None:
            args[2:2] = ["-p", parent]
        parent = git.run(root, *args, input=message, env=_IDENTITY).decode().strip()
    assert parent is not None
    git.run(root, "update-ref", "-m", "sortext pages: squash old pages", ref, parent, old_tip)
    return parent
