"""Two machines, one remote: pull with the field-aware merge driver, then push.

Never a home-made server: git moves the data; the merge driver
(:mod:`sortext.vcs.merge`) decides field by field; conflicts stop the sync and
wait for ``sortext resolve``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sortext.errors import GitError, SortextError
from sortext.files.slug import implied_id
from sortext.repo import Repository
from sortext.vcs import git

if TYPE_CHECKING:
    from sortext.record.tombstone import Tombstone, Tombstones


class UnsavedChanges(SortextError):
    """Tracked files have uncommitted changes; sync would mix them into a merge."""


class ErasedClientRefused(SortextError):
    """The remote or this clone would bring back a client erased with ``sortext erase``."""


def _show(root: Path, spec: str) -> bytes | None:
    done = git.run_full(root, "show", spec)
    return done.stdout if done.returncode == 0 else None


def _drop_fetched(root: Path, remote: str) -> None:
    """Forget what was just fetched from ``remote`` (its tracking refs, then prune), so
    the erased client's objects do not stay in this repository."""
    refs = git.text(root, "for-each-ref", "--format=%(refname)", f"refs/remotes/{remote}/")
    for ref in refs.split():
        git.run(root, "update-ref", "-d", ref)
    (Path(git.text(root, "rev-parse", "--absolute-git-dir").strip()) / "FETCH_HEAD").unlink(
        missing_ok=True
    )
    git.run(root, "reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all")
    git.run(root, "gc", "--prune=now", "--quiet", timeout=git.REWRITE_TIMEOUT)


def check_resurrection(
    repo: Repository, remote: str, tracking: str, extra: tuple[str, ...] = ()
) -> None:
    """Refuse a sync that would bring back an erased client, either way.

    * the remote holds a record matching *our* tombstones (its history was not
      rewritten after ``sortext erase``): the fetched objects are dropped again;
    * this clone holds a record matching the *remote's* tombstones (the client
      was erased on another machine and this clone still has the old history).

    * ``extra``: other local refs about to be pushed (the pages branch) whose own
      history holds a client erased here or there (any path named after the
      client: ``site/clients/<id>.html``).

    Raises ErasedClientRefused saying what happened and what to do."""
    from sortext.record import tombstone

    root = repo.root
    ours = tombstone.load(root)
    theirs_text = _show(root, f"{tracking}:{tombstone.FILE_NAME}")
    try:
        theirs = tombstone.parse(theirs_text.decode("utf-8", "replace")) if theirs_text else None
    except ValueError:
        theirs = None
    prefix = repo.relative(repo.clients_path).rstrip("/") + "/"
    if ours.entries:
        # The remote's history (not only its tip) may hold the client: a file deleted
        # with a plain git rm before the erase is still in the commits a merge brings.
        old = _history_hit(root, ours, tracking, "HEAD", prefix)
        if old is not None:
            rel, stone = old
            _drop_fetched(root, remote)
            raise ErasedClientRefused(
                f"{remote} still holds a client erased here on {stone.date} (in its history: "
                f"{rel} on {tracking.removeprefix('refs/remotes/')}): nothing was merged and "
                f"the fetched copy was discarded. Rewrite the remote with the erased history: "
                f"git push --force {remote} --all && git push --force {remote} --tags "
                "(next time: sortext erase ID --push), then sortext sync"
            )
        changed = git.listed(
            root, "diff", "--name-only", "--no-renames", "--diff-filter=AM", "HEAD", tracking,
            "--", prefix,
        )  # fmt: skip
        for rel in changed:
            raw = _show(root, f"{tracking}:{rel}")
            hit = ours.match_text(implied_id(rel), raw or b"")
            if hit is not None:
                _drop_fetched(root, remote)
                raise ErasedClientRefused(
                    f"{remote} still holds a client erased here on {hit.date} ({rel} on "
                    f"{tracking.removeprefix('refs/remotes/')}): nothing was merged and the "
                    f"fetched copy was discarded. Rewrite the remote with the erased history: "
                    f"git push --force {remote} --all && git push --force {remote} --tags "
                    "(next time: sortext erase ID --push), then sortext sync"
                )
    if theirs is not None and theirs.entries:
        known = set(ours.entries)
        new = [e for e in theirs.entries if e not in known]
        if new:
            fresh = tombstone.Tombstones(theirs.salt, new)
            from sortext.record.source import read_bytes

            for path in repo.record_paths():
                # the entry's own bytes, as check reads them: never through a link, and
                # a folder or a pipe named x.md is matched by its name alone
                own = read_bytes(str(path))
                hit = fresh.match_text(
                    implied_id(path.name), own if isinstance(own, bytes) else b""
                )
                if hit is not None:
                    url = git.get_config(root, f"remote.{remote}.url") or remote
                    raise ErasedClientRefused(
                        f"{repo.relative(path)} is a client erased on another machine on "
                        f"{hit.date} ({tombstone.FILE_NAME} on {remote}); this clone still "
                        "holds them in its history, so it cannot sync. Re-clone: "
                        f"git clone {url} NEW-FOLDER, copy over any record you changed "
                        "here since your last sync, then delete this folder"
                    )
            related = git.run_full(root, "merge-base", "HEAD", tracking).returncode == 0
            # Related histories too: the rewrite keeps the commits from before the
            # client was added, so only this clone's own commits can say.
            if not related or _history_hit(root, fresh, "HEAD", tracking, prefix) is not None:
                url = git.get_config(root, f"remote.{remote}.url") or remote
                raise ErasedClientRefused(
                    f"the history on {remote} was rewritten to erase a client (on "
                    f"{new[0].date}, see {tombstone.FILE_NAME}); this clone still holds the "
                    f"old history, so it cannot sync. Re-clone: git clone {url} NEW-FOLDER, "
                    "copy over any record you changed here since your last sync, then "
                    "delete this folder"
                )

    for ref in extra:
        for stones in (ours, theirs):
            found = _history_hit(root, stones, ref, tracking, "") if stones else None
            if found is not None:
                name = ref.removeprefix("refs/heads/")
                raise ErasedClientRefused(
                    f"{name} still holds a client erased on {found[1].date} ({found[0]} in "
                    f"its history); pushing it would put them back on {remote}. Delete it "
                    f"(git branch -D {name}); sortext build writes the pages again"
                )


def refuse_resurrection(
    repo: Repository, remote: str, extra: tuple[str, ...] = (), fetch: bool = True
) -> None:
    """The one check before any push to ``remote`` (``sortext backup``, ``sortext
    sync``, the watcher's push): fetch it (unless ``fetch`` is False: just fetched) and
    refuse (ErasedClientRefused) when this clone's history holds a client erased there
    (a stale clone pushing to a branch the remote lacks would put the client back), or
    the remote still holds a client erased here.  Every branch of the remote is looked
    at, not only the one pushed to.  ``extra``: other local refs pushed too (the pages
    branch), checked as well.  A remote that cannot be fetched (empty, first backup,
    offline) is not checked: the push itself then fails or finds nothing to protect."""
    root = repo.root
    if fetch and git.run_full(root, "fetch", "--quiet", remote).returncode != 0:
        return
    refs = git.text(root, "for-each-ref", "--format=%(refname)", f"refs/remotes/{remote}/")
    for tracking in refs.split():
        if not tracking.endswith("/HEAD"):
            check_resurrection(repo, remote, tracking, extra)


def _history_hit(
    root: Path, stones: Tombstones, tip: str, exclude: str, prefix: str
) -> tuple[str, Tombstone] | None:
    """The first record file in the commits reachable from ``tip`` but not from
    ``exclude`` (under ``prefix``; "": any path) that matches ``stones``, by its file name (the id)
    or by the email of any version of it: (repository-relative path, tombstone)."""
    from sortext.vcs.log import log

    # the shared -z log reader: names as they are (git quotes "clients/caf\303\251.md"
    # in a plain listing, and a name may hold a newline)
    commits = log(root, "--no-renames", tip, "--not", exclude, paths=[prefix] if prefix else [])
    seen: set[tuple[str, str]] = set()
    for commit in commits:
        for change in commit.files:
            line = change.path
            stem = implied_id(line)  # clients/<id>.md, site/clients/<id>.html
            hit = stones.match(stem)
            if hit is None and (commit.sha, line) not in seen:
                seen.add((commit.sha, line))
                raw = _show(root, f"{commit.sha}:{line}")
                hit = stones.match_text(stem, raw) if raw else None
            if hit is not None:
                return line, hit
    return None


@dataclass(slots=True)
class SyncResult:
    """What ``sortext sync`` did with one remote's branch."""

    remote: str
    branch: str
    merged: bool = False
    pushed: bool = False
    #: what came in: "" (nothing new there), "fast-forward" (their commits taken as
    #: they are) or "merge" (a merge commit joins both sides)
    incoming: str = ""
    #: whether the push sent commits the remote did not have
    sent: bool = False
    conflicts: list[str] = field(default_factory=list)


def backup_settings(repo: Repository) -> tuple[list[str], str | None]:
    """Remotes and branch from ``backup: {remotes: [...], branch: ...}`` in sortext.yaml."""
    return backup_section(repo.config.raw.get("backup") or {})


def backup_section(section: Any) -> tuple[list[str], str | None]:
    """The one reading of the ``backup`` section (its schema is in
    :mod:`sortext.schema.config`, checked by ``check``): remotes (default
    ``[origin]``; an explicit ``[]`` means only the encrypted remotes) and branch
    (None: the current branch)."""
    if not isinstance(section, dict):
        section = {}
    remotes = section.get("remotes")
    if remotes is None:
        remotes = ["origin"]
    if isinstance(remotes, str):
        remotes = [remotes]
    branch = section.get("branch")
    return [str(r) for r in remotes], str(branch) if branch else None


def current_branch(root: Path) -> str:
    name = git.text(root, "symbolic-ref", "--short", "-q", "HEAD", check=False).strip()
    if not name:
        raise GitError(
            f"HEAD is detached (a commit checked out, not a branch); go back to your branch "
            f"({git.back_to_a_branch(root)}) and try again"
        )
    return name


def merge_in_progress(root: Path) -> bool:
    return bool(git.text(root, "rev-parse", "-q", "--verify", "MERGE_HEAD", check=False).strip())


def unmerged_paths(root: Path) -> list[str]:
    return git.listed(root, "diff", "--name-only", "--diff-filter=U")


def _finish_merge(root: Path) -> list[str]:
    """Commit a merge whose conflicts were all settled; return paths still marked."""
    from sortext.check.conflicts import has_markers
    from sortext.record.source import read_bytes

    still = []
    for rel in unmerged_paths(root):
        path = root / rel
        if not os.path.lexists(path):  # deleted on one side, and here: settled
            git.run(root, "add", "--", rel)
            continue
        # its own bytes (O_NOFOLLOW, never waiting on a pipe): a conflicted link, or
        # anything but a file, is the user's to settle, never read through
        own = read_bytes(str(path))
        if not isinstance(own, bytes) or has_markers(own.decode("utf-8", "replace")):
            still.append(rel)
        else:
            git.run(root, "add", "--", rel)
    if still:
        return still
    git.run(root, "commit", "--no-edit", "--quiet")
    return []


def _dirty(root: Path) -> list[str]:
    return git.status_paths(root, "--untracked-files=no")


def sync(repo: Repository, remote: str | None = None, attempts: int = 3) -> SyncResult:
    """Fetch + merge ``remote``'s branch, then push; stop at the first conflict."""
    remotes, configured = backup_settings(repo)
    name = remote or (remotes[0] if remotes else "origin")
    root = repo.root
    branch = configured or current_branch(root)
    result = SyncResult(name, branch)
    if merge_in_progress(root):
        result.conflicts = _finish_merge(root)
        if result.conflicts:
            return result
        result.merged = True
        result.incoming = "merge"  # the merge a conflict left, committed now
    dirty = _dirty(root)
    if dirty:
        raise UnsavedChanges(
            f"uncommitted changes in {', '.join(dirty[:5])}: commit them (or let "
            "'sortext watch' commit them), then sync"
        )
    with git.repository(root) as handle:
        if name not in handle.remotes:
            git.remote_url(root, name)  # raises the one message naming the remotes there
        remote_ref = handle.remote(name)
        for _ in range(attempts):
            git.command(handle, "fetch", "--quiet", name)
            tracking = f"refs/remotes/{name}/{branch}"
            # every branch of the remote, not only ours: a stale clone syncing to a
            # branch name the rewritten remote lacks would upload the old history
            refuse_resurrection(repo, name, fetch=False)
            theirs = None
            if tracking in {ref.path for ref in remote_ref.refs}:
                before = handle.head.commit.hexsha
                theirs = handle.commit(tracking).hexsha
                try:
                    git.command(handle, "merge", "--no-edit", "--quiet", tracking)
                except GitError as exc:
                    if unmerged_paths(root):
                        result.conflicts = unmerged_paths(root)
                        return result
                    left = (
                        "; the merge is left in progress: once that is fixed, run 'sortext "
                        "sync' again (it commits the merge), or undo it with 'git merge "
                        "--abort'"
                        if merge_in_progress(root)
                        else ""
                    )
                    raise GitError(f"git merge {tracking} stopped: {exc}{left}") from exc
                result.merged = True
                after = handle.head.commit.hexsha
                if after != before:
                    result.incoming = "fast-forward" if after == theirs else "merge"
                # (a rejected push comes round again: what came in the first time stays)
            try:
                git.command(handle, "push", "--quiet", name, f"HEAD:refs/heads/{branch}")
            except GitError:
                continue  # rejected: someone pushed meanwhile; fetch and merge again
            there = git.command(handle, "ls-remote", name, f"refs/heads/{branch}")
            if handle.head.commit.hexsha == there.split("\t")[0]:
                result.pushed = True
                result.sent = handle.head.commit.hexsha != theirs
                return result
    raise GitError(f"could not push to {name} after {attempts} attempts; run sortext sync again")
