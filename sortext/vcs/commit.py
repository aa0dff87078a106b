"""Git for the daemon: commit exactly the validated bytes, beside the user's own git use.

Every call is a short-lived plain ``git`` process started by
:mod:`sortext.vcs.git` (its environment, timeout and error policy), not
GitPython: this is the watcher's hot path, and GitPython's command wrapper adds
measurable time per call (README, "Performance").  A commit is built
with plumbing in a private index file, so the user's staged work is never swept
in and no hook re-validates what the daemon has just validated:

1. ``hash-object -w`` the bytes that were validated (not whatever is on disk
   a millisecond later);
2. a private index (``read-tree HEAD``, ``update-index --index-info``),
   ``write-tree``, ``commit-tree``;
3. the user's index gets the same entries (so ``git status`` is clean), under
   git's own ``index.lock``, retried with backoff while someone else holds it;
   the entries it had are read first (``ls-files --stage``);
4. ``update-ref HEAD <new> <old>``: compare-and-swap, so a commit the user
   made meanwhile is never overwritten (we rebuild on the new HEAD and retry).
   When git refuses it (HEAD moved, a ``reference-transaction`` hook, a ref lock
   a crashed git left), the user's index gets its own entries back: a record is
   never left staged for the user's next ``git commit`` to carry unannounced.

History is never rewritten and nothing is committed while a merge, rebase,
cherry-pick, revert or bisect is in progress.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sortext.errors import GitError
from sortext.vcs.git import GitBusy, IndexLocked, run, run_full

__all__ = ["GitBusy", "GitRepo", "HeadMoved", "IndexLocked", "blob_id"]

log = logging.getLogger("sortext.watch")

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO = "0" * 40

#: Files in the git dir that mean "the user is in the middle of something".
IN_PROGRESS = {
    "MERGE_HEAD": "merge",
    "rebase-merge": "rebase",
    "rebase-apply": "rebase",
    "CHERRY_PICK_HEAD": "cherry-pick",
    "REVERT_HEAD": "revert",
    "BISECT_LOG": "bisect",
}

#: An index.lock older than this is reported as probably stale (never deleted).
STALE_LOCK_SECONDS = 600.0


class HeadMoved(GitError):
    """HEAD changed while a commit was being built (retried on the new HEAD)."""


def blob_id(data: bytes) -> str:
    """The object id git gives these bytes (computed here: no process needed)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class GitRepo:
    """Where git keeps things for one work tree (computed once at start-up)."""

    root: Path
    git_dir: Path
    index_file: Path
    has_identity: bool = True
    # The commit whose tree the private index file holds (after our last commit), so
    # the next commit on top of it skips re-reading a 20,000-entry tree.
    _private: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    #: told each commit before HEAD is moved to it (the watcher's pusher: its own
    #: commits settle no failed push, :mod:`sortext.daemon.pushinputs`)
    announce: list[Callable[[str], object]] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def open(cls, root: Path) -> GitRepo:
        out = run(root, "rev-parse", "--absolute-git-dir", "--git-path", "index")
        git_dir_text, index_text = out.decode().splitlines()[:2]
        git_dir = Path(git_dir_text)
        index = Path(index_text)
        ident = run_full(root, "var", "GIT_COMMITTER_IDENT")
        return cls(
            root, git_dir, index if index.is_absolute() else root / index, ident.returncode == 0
        )

    def operation_in_progress(self) -> str | None:
        """'merge', 'rebase', ... if the user is in the middle of one, else None."""
        for name, what in IN_PROGRESS.items():
            if (self.git_dir / name).exists():
                return what
        return None

    def index_lock_age(self) -> float | None:
        """Seconds since index.lock was created, or None when nobody holds it."""
        lock = self.index_file.with_name(self.index_file.name + ".lock")
        try:
            return max(0.0, time.time() - lock.stat().st_mtime)
        except FileNotFoundError:
            return None

    def head(self) -> str | None:
        """The commit HEAD points at, or None in a repository with no commits."""
        out = run(self.root, "rev-parse", "--verify", "-q", "HEAD^{commit}", ok_codes=(0, 1))
        text = out.decode().strip()
        return text or None

    def head_versions(self, paths: Sequence[str]) -> dict[str, bytes]:
        """HEAD's bytes of each path it has (one ``cat-file --batch`` for all)."""
        if not paths:
            return {}
        request = "".join(f"HEAD:{p}\n" for p in paths).encode()
        out = run(self.root, "cat-file", "--batch", input=request)
        found: dict[str, bytes] = {}
        pos = 0
        for path in paths:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if len(header) == 3 and header[1] == b"blob":
                size = int(header[2])
                found[path] = out[pos : pos + size]
                pos += size + 1
            elif len(header) == 3:  # a tree or other object at that path: skip its bytes
                pos += int(header[2]) + 1
        return found

    def ignored(self, paths: Sequence[str]) -> set[str]:
        """The paths your .gitignore excludes (generated pages you chose not to track)."""
        if not paths:
            return set()
        out = run(
            self.root,
            "check-ignore",
            "--no-index",
            "-z",
            "--stdin",
            input=b"".join(p.encode() + b"\0" for p in paths),
            ok_codes=(0, 1),
        )
        return {p.decode() for p in out.split(b"\0") if p}

    def _head_and_tree(self) -> tuple[str | None, str]:
        """HEAD's commit and tree in one process (None and the empty tree when unborn)."""
        proc = run_full(self.root, "rev-parse", "HEAD", "HEAD^{tree}")
        lines = proc.stdout.decode().split()
        if proc.returncode != 0 or len(lines) != 2:
            return None, EMPTY_TREE
        return lines[0], lines[1]

    def changed_paths(self, folder: str) -> list[str]:
        """Paths under ``folder`` whose working-tree version differs from HEAD
        (modified, added, deleted, untracked), repository-relative."""
        out = run(
            self.root,
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--no-renames",
            "--",
            folder,
        )
        paths = []
        for entry in out.split(b"\0"):
            if len(entry) > 3:
                paths.append(os.fsdecode(entry[3:]))  # (git.status_paths reads it alike)
        return paths

    def commit(
        self,
        changes: Mapping[str, bytes | None],
        message: str,
        author: str | None = None,
        attempts: int = 5,
    ) -> str | None:
        """Commit ``changes`` (path -> bytes, None = delete) on top of HEAD.

        Returns the new commit id, or None when the tree would not change (for
        example the file already equals HEAD's version: git itself wrote it).
        Raises GitBusy during a merge/rebase/..., IndexLocked when the user's
        index stays locked through every retry.
        """
        for attempt in range(attempts):
            try:
                return self._commit_once(changes, message, author)
            except HeadMoved:
                log.info("HEAD moved while committing; retrying on the new HEAD")
                time.sleep(0.01 * (attempt + 1))
        raise GitError("HEAD kept moving while committing; will retry on the next change")

    def _commit_once(
        self, changes: Mapping[str, bytes | None], message: str, author: str | None
    ) -> str | None:
        busy = self.operation_in_progress()
        if busy:
            raise GitBusy(f"a git {busy} is in progress; committing after it finishes")
        entries = self._store_blobs(changes)
        parent, parent_tree = self._head_and_tree()
        tree = self._tree_with(parent, entries)
        if tree == parent_tree:
            if parent:
                self._private["commit"] = parent
            self.sync_index(entries)
            return None
        args = ["commit-tree", tree, "-F", "-"]
        if parent:
            args[2:2] = ["-p", parent]
        commit = (
            run(
                self.root,
                *args,
                input=message.encode(),
                env=_identity_env(author, self.has_identity),
            )
            .decode()
            .strip()
        )
        before = self.index_entries(changes)
        self.sync_index(entries)
        for tell in self.announce:
            tell(commit)
        ref_message = "commit (sortext watch): " + message.splitlines()[0]
        try:
            run(self.root, "update-ref", "-m", ref_message, "HEAD", commit, parent or ZERO)
        except GitError as exc:
            # refused (a reference-transaction hook, a ref lock a crashed git left,
            # HEAD moved): the user's index goes back to what they had, so their next
            # commit does not carry this record unannounced
            self.sync_index(before)
            if self.head() != parent:
                raise HeadMoved(str(exc)) from exc
            raise
        self._private["commit"] = commit
        return commit

    def _store_blobs(self, changes: Mapping[str, bytes | None]) -> list[str]:
        """Write blobs; return ``--index-info`` lines (mode, id, path).

        The exact bytes given (what was validated, not what is on disk now) go to
        numbered ``sortext-blob-<pid>-<n>`` files in the git directory, and one
        ``hash-object --stdin-paths`` stores them all: a save with its pages writes
        four blobs, and a git process each cost ~5 ms."""
        written = sorted((path, data) for path, data in changes.items() if data is not None)
        lines = [f"0 {ZERO}\t{path}" for path, data in changes.items() if data is None]
        files = [self.git_dir / f"sortext-blob-{os.getpid()}-{n}" for n in range(len(written))]
        try:
            for file, (_, data) in zip(files, written, strict=True):
                file.write_bytes(data)
            out = (
                run(
                    self.root,
                    "hash-object",
                    "-w",
                    "--no-filters",
                    "--stdin-paths",
                    input="".join(f"{f}\n" for f in files).encode(),
                )
                if files
                else b""
            )
        except OSError as exc:
            raise GitError(f"cannot stage a blob in {self.git_dir}: {exc}") from exc
        finally:
            for file in files:
                file.unlink(missing_ok=True)
        for (path, data), stored in zip(written, out.decode().split(), strict=True):
            expected = blob_id(data)
            if stored != expected:
                raise GitError(f"git stored {path} as {stored}, expected {expected}")
            lines.append(f"100644 {stored}\t{path}")
        return sorted(lines, key=lambda line: line.split("\t", 1)[1])

    def _tree_with(self, parent: str | None, entries: list[str]) -> str:
        """HEAD's tree with ``entries`` applied, built in a private index file.

        The file is kept while this process runs: when ``parent`` is the commit we
        made last, it already holds that tree and only ``entries`` are applied."""
        private = self.private_index
        env = {"GIT_INDEX_FILE": str(private)}
        held = self._private.pop("commit", None)
        try:
            if not (parent and held == parent and private.exists()):
                if parent:
                    run(self.root, "read-tree", parent, env=env)
                else:
                    run(self.root, "read-tree", "--empty", env=env)
            run(self.root, "update-index", "--index-info", input=_lines(entries), env=env)
            return run(self.root, "write-tree", env=env).decode().strip()
        except BaseException:
            private.unlink(missing_ok=True)
            raise

    def prepare(self) -> None:
        """Fill the private index with HEAD's tree now (the watcher at start-up), so
        the first commit applies its entries instead of reading the whole tree first
        (~20 ms at 10,000 records).  Never raises: the commit reads it when needed."""
        head, _ = self._head_and_tree()
        if head is None or self._private.get("commit") == head:
            return
        try:
            run(self.root, "read-tree", head, env={"GIT_INDEX_FILE": str(self.private_index)})
        except GitError:
            self.private_index.unlink(missing_ok=True)
            return
        self._private["commit"] = head

    @property
    def private_index(self) -> Path:
        """This process's own index file (removed by ``close``, or as a leftover)."""
        return self.git_dir / f"sortext-index-{os.getpid()}"

    def close(self) -> None:
        """Remove the private index file (the watcher calls this when it stops)."""
        self._private.clear()
        self.private_index.unlink(missing_ok=True)

    def index_entries(self, paths: Iterable[str]) -> list[str]:
        """The user's index entries of ``paths`` as ``--index-info`` lines (``mode id
        stage<TAB>path``; ``0 <zeros><TAB>path`` for a path it does not hold), so that
        :meth:`sync_index` can put them back."""
        wanted = sorted(paths)
        if not wanted:
            return []
        out = run(self.root, "ls-files", "--stage", "-z", "--", *wanted)
        held: dict[str, list[str]] = {}
        for entry in out.split(b"\0"):
            if entry:
                info, _, path = os.fsdecode(entry).partition("\t")
                held.setdefault(path, []).append(f"{info}\t{path}")
        return [line for p in wanted for line in held.get(p, [f"0 {ZERO}\t{p}"])]

    def sync_index(self, entries: list[str], timeout: float = 10.0) -> None:
        """Give the user's index the committed entries, waiting for index.lock."""
        delay = 0.02
        deadline = time.monotonic() + timeout
        while True:
            try:
                run(self.root, "update-index", "--index-info", input=_lines(entries))
                return
            except IndexLocked:
                if time.monotonic() >= deadline:
                    age = self.index_lock_age()
                    hint = ""
                    if age is not None and age > STALE_LOCK_SECONDS:
                        hint = (
                            f" (the lock is {age / 60:.0f} minutes old and probably stale: "
                            "if no git command is running, delete it)"
                        )
                    raise IndexLocked(
                        f"{self.index_file}.lock is held by another git process{hint}"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)


def _lines(entries: list[str]) -> bytes:
    return "".join(e + "\n" for e in entries).encode()


def _identity_env(author: str | None, has_identity: bool) -> dict[str, str]:
    """Author from config ``git: {author: "Name <email>"}``; committer from git config,
    falling back to the author (so a machine without user.name still commits)."""
    env: dict[str, str] = {}
    if author and "<" in author and author.rstrip().endswith(">"):
        name, _, email = author.rstrip()[:-1].partition("<")
        env["GIT_AUTHOR_NAME"] = name.strip()
        env["GIT_AUTHOR_EMAIL"] = email.strip()
    if not has_identity:
        env.setdefault("GIT_AUTHOR_NAME", "sortext watch")
        env.setdefault("GIT_AUTHOR_EMAIL", "sortext@localhost")
        env["GIT_COMMITTER_NAME"] = env["GIT_AUTHOR_NAME"]
        env["GIT_COMMITTER_EMAIL"] = env["GIT_AUTHOR_EMAIL"]
    return env
