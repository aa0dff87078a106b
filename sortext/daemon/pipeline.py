"""One settled batch of changes: read, validate, render, commit.

:meth:`Pipeline.settle` is the whole per-save job, kept apart from the event
loop so it can be tested (and benchmarked) directly.  Its rules:

* what counts is the file on disk *now* (events only said "look here");
  a file that is still changing, or empty (an editor's truncate-then-write
  caught in the middle), is looked at again later, not taken as intent;
* an invalid record is reported (``path:line:col: message``) and left alone:
  not committed, not touched on disk; the pages keep its last valid version;
* valid records go into one commit whose message names the changed fields; a
  valid ``sortext.yaml`` or template change gets a commit of its own;
* the pages are rendered *after* the commit, so they show the committed state
  (the "since last week" section includes that commit), and are written to the
  working tree, where they are git-ignored; when the working tree's records
  equal that commit (no invalid record, nothing pending) they are published to
  the pages branch (:mod:`sortext.vcs.pages`), never to the records branch;
* a record whose bytes equal HEAD's was written by git itself (checkout,
  pull, reset): it is rendered, never committed;
* when git is busy (merge, rebase, a held index.lock) the records are tried
  again later; nothing is lost, because the file on disk is the truth;
* each saved version is parsed and validated once: the index, the pages and
  the commit message reuse that result for the bytes that were read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import os
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sortext.daemon.events import Change, WatchedPaths
from sortext.errors import GitError, SortextError, StorageError
from sortext.record import source
from sortext.record.diagnostics import Diagnostic
from sortext.record.source import (
    LINK_PROBLEM,
    MAX_FILE_BYTES,
    file_problem,
    kind_problem,
    os_problem,
)
from sortext.repo import Repository
from sortext.vcs.commit import GitBusy, GitRepo, IndexLocked, blob_id
from sortext.vcs.pages import PagesSettings
from sortext.vcs.pagesource import PagesSource
from sortext.vcs.stagefacts import warm_stage_facts

if TYPE_CHECKING:
    from sortext.check.load import LoadResult, Preparsed
    from sortext.schema.validate import RecordValidator

log = logging.getLogger("sortext.watch")

#: Longest wait between retries of a failed render (a full disk), in seconds.
MAX_RERENDER_BACKOFF = 60.0

#: How many times an empty file is looked at again before it counts as a save.
EMPTY_RETRIES = 2

#: Seconds a record that went missing (not moved away) is waited for before its
#: deletion is committed: an editor that saves by deleting the file and writing it
#: anew leaves it missing for a moment, maybe longer than the debounce window (20 ms
#: by choice, or a busy machine), and that save must not show in history as the
#: record's deletion followed by its re-creation.  Independent of the debounce.
MISSING_GRACE = 1.0


class Renderer(Protocol):
    """Keeps the index and the generated pages current; returns the page paths it wrote."""

    def rebuild(self, repo: Repository, today: dt.date) -> list[Path]:
        """Everything from scratch (start-up, config change, checkout, new day)."""

    def update(
        self,
        repo: Repository,
        records: Sequence[Path],
        today: dt.date,
        ready: Preparsed | None = None,
    ) -> list[Path]:
        """Only what depends on these record files (changed, added, deleted or broken).

        ``ready`` (display path -> bytes read and their LoadResult) are the
        versions the pipeline already parsed; reuse them for files still holding
        those bytes."""


class NoPages:
    """A renderer that renders nothing: validation and commits only."""

    keeps_index = False  # the index is not updated: queries must look for themselves

    def rebuild(self, repo: Repository, today: dt.date) -> list[Path]:
        return []

    def update(
        self,
        repo: Repository,
        records: Sequence[Path],
        today: dt.date,
        ready: Preparsed | None = None,
    ) -> list[Path]:
        return []


class _Unstable:
    """The file changed while it was being read."""


UNSTABLE = _Unstable()


def read_stable(path: Path) -> bytes | _Unstable | Diagnostic | None:
    """The file's bytes; None if it is gone or a symbolic link (a link is never
    committed as its target's bytes, the caller reports it); UNSTABLE when it changed
    between the two looks (an editor still writing); a Diagnostic (``file`` field,
    placed by the caller) when it is there but cannot be read as a record: a folder,
    a named pipe, a socket or a device named like one, or any OSError but "missing"
    (permissions, I/O).  Such a record is reported once, not looked at again until
    an event names it.  A file over MAX_FILE_BYTES gives its first MAX_FILE_BYTES + 1
    bytes, so it is reported as too large rather than looked at again forever."""
    try:
        before = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return os_problem(exc)
    if stat.S_ISLNK(before.st_mode):
        return None
    kind = kind_problem(before.st_mode)
    if kind is not None:
        return kind  # (never opened: a pipe's open could wait, a socket's fails)
    try:
        # the entry looked at may be replaced before it is opened: never follow a link
        # that took its place, never wait on a pipe (O_NONBLOCK), and read only a file
        fd = source.opener(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return UNSTABLE  # a link took its place: looked at again
        return os_problem(exc)
    try:
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return UNSTABLE  # it changed in kind: looked at again
            raw = handle.read(MAX_FILE_BYTES + 1)
        after = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return os_problem(exc)
    # the ctime too: a write in the same mtime tick (or one that sets the mtime back)
    # moves it, and nothing sets it back
    same = (before.st_ino, before.st_size, before.st_mtime_ns, before.st_ctime_ns) == (
        after.st_ino,
        after.st_size,
        after.st_mtime_ns,
        after.st_ctime_ns,
    )
    if same and after.st_size > MAX_FILE_BYTES and len(raw) == MAX_FILE_BYTES + 1:
        return raw  # too large: the first MAX + 1 bytes, which validation reports as such
    return raw if same and len(raw) == after.st_size else UNSTABLE


@dataclass
class SettleResult:
    """What one batch did; ``retry`` paths should be settled again after ``retry_after``."""

    commit: str | None = None
    message: str | None = None
    #: the pages-branch commit made for ``commit`` (None: not published)
    published: str | None = None
    rebuilt: bool = False
    pages: list[Path] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    retry: list[Change] = field(default_factory=list)
    retry_after: float = 0.3


@dataclass
class Batch:
    """A committed batch waiting for its pages (:meth:`Pipeline.commit_step`): its
    result so far, the configuration and day it was read under, the records commit
    HEAD named after it (``head``), whether it needs a full rebuild, the record files
    it touched and the versions it parsed (display path -> bytes, LoadResult)."""

    result: SettleResult
    repo: Repository
    today: dt.date
    head: str | None
    full: bool
    touched: list[Path]
    parsed: dict[str, tuple[bytes, LoadResult]]
    catch_up: bool = False

    @property
    def committed(self) -> bool:
        return self.result.commit is not None


@dataclass
class Pipeline:
    """The daemon's memory between batches, and the per-batch job."""

    repo: Repository
    git: GitRepo
    renderer: Renderer
    today: Callable[[], dt.date]
    author: str | None = None
    #: blob id (or "" for missing) of the last version of each record we acted on
    seen: dict[str, str] = field(default_factory=dict)
    #: current diagnostics of each invalid record
    errors: dict[str, list[Diagnostic]] = field(default_factory=dict)
    last_head: str | None = None
    last_today: dt.date | None = None
    _empty_strikes: dict[str, int] = field(default_factory=dict)
    #: record path -> when (time.monotonic) it was first found missing, since it was
    #: last found present (see MISSING_GRACE)
    _missing_since: dict[str, float] = field(default_factory=dict)
    _validator: RecordValidator | None = None
    #: where the pages are published (``pages:`` in sortext.yaml)
    pages: PagesSettings = field(default_factory=PagesSettings)
    #: the records commit the pages branch was last published for
    published_for: str | None = None
    #: the branch (``refs/heads/...``) HEAD was on at that publish (None: not yet)
    published_branch: str | None = None
    #: the day the pages on the branch were built for (the injected clock's): when the
    #: day changes, the pages of the same records commit are published again, since
    #: NEXT.md's "today" (due, overdue, this week) moved
    published_day: dt.date | None = None
    #: why this branch's pages are not published (another branch's are: pagesource),
    #: said once in the log and shown by ``sortext status``; None while it publishes
    pages_held: str | None = None
    #: the last "not committed yet" / "not published" reason logged (logged once each)
    _held: str | None = None
    _publish_error: str | None = None
    #: False after a failed render: the next render is a full rebuild, nothing is
    #: published until one succeeds; ``rerender_backoff`` seconds until the retry
    rendered_ok: bool = True
    #: pages (repository-relative) written or removed since the last publish; None:
    #: unknown (at start), so publishing looks at every page
    _unpublished: set[str] | None = None
    rerender_backoff: float = 0.0
    _render_error: str | None = None
    #: seconds before a batch whose commit step raised is tried again: 2 s, doubled
    #: at each failure in a row up to MAX_RERENDER_BACKOFF, 0 after a commit step
    #: that returns (a code error that repeats is not retried, and logged, every 2 s)
    commit_backoff: float = 0.0

    @property
    def validator(self) -> RecordValidator:
        """Compiled once per configuration (compiling the schema is the slow part)."""
        if self._validator is None or self._validator.config is not self.repo.config:
            from sortext.schema.validate import RecordValidator

            self._validator = RecordValidator(self.repo.config)
        return self._validator

    @property
    def watched(self) -> WatchedPaths:
        root = self.repo.root
        return WatchedPaths(
            root, self.repo.clients_path, (root / "sortext.yaml",), root / "templates"
        )

    def start(self) -> SettleResult:
        """Start-up: full rebuild, then commit what changed while no daemon ran."""
        from sortext.daemon.leftovers import remove_leftovers, write_folders

        root = self.repo.root
        remove_leftovers(write_folders(self.repo, self.git.git_dir))
        self.last_head = self._head()
        self.last_today = self.today()
        self._hint_tracked_pages()
        self.pages = self._pages_settings(self.repo)
        if self.pages.ref is not None:
            from sortext.vcs.pages import published_for

            try:
                self.published_for = published_for(root, self.pages.ref)
            except GitError:
                self.published_for = None
        clients = self.repo.relative(self.repo.clients_path)
        changed = [
            Change(self.repo.root / rel, "record")
            for rel in self.git.changed_paths(clients)
            if self.watched.classify(self.repo.root / rel) == "record"
        ]
        changed += [
            Change(path, "record")
            for path in self._odd_entries()
            if Change(path, "record") not in changed
        ]
        changed += [
            Change(root / rel, "config")
            for rel in self.git.changed_paths("sortext.yaml") + self.git.changed_paths("templates")
        ]
        result = self.settle(changed, catch_up=True, full=True)
        result.rebuilt = True
        self.git.prepare()  # the first save's commit starts from HEAD's tree, already read
        if self._unpublished is None and result.published is None:
            # The branch already holds pages for HEAD, but the pages on disk may differ
            # (a new day, a build run by hand): compare them all now, at start-up, so
            # that the first save restages only the pages it wrote.
            self._publish(result, catch_up=True, restage=True)
        self.published_day = self.last_today  # start-up compared every page for today
        return result

    def settle(
        self,
        changes: Sequence[Change],
        catch_up: bool = False,
        full: bool = False,
        hurry: Callable[[], bool] | None = None,
    ) -> SettleResult:
        """Act on a batch of quiet paths.  Never raises for bad user data.

        ``hurry`` (asked after the render): True when another save is waiting;
        publishing is then left to that save's batch, which commits first and
        publishes the pages of both (so a publish never delays the next commit).

        The same as :meth:`commit_step` then :meth:`pages_step`; the watcher runs
        the two on different threads, so that a save's commit never waits for an
        earlier save's pages."""
        return self.pages_step(self.commit_step(changes, catch_up, full), hurry)

    def commit_step(
        self, changes: Sequence[Change], catch_up: bool = False, full: bool = False
    ) -> Batch:
        """Read, validate and commit a batch (the part a save waits for); the pages
        are left to :meth:`pages_step`, called once per batch in the order of their
        commits (it may run on another thread while later batches commit: this step
        touches neither the index nor the pages)."""
        result = SettleResult()
        config_changes = self._refresh_context(changes)
        full = full or config_changes is not None
        parsed: dict[str, tuple[bytes, LoadResult]] = {}
        records, moved_from = self._read_records(changes, result, parsed, grace=not catch_up)
        if config_changes:
            self._commit_config(config_changes, changes, result)
        if records:
            self._commit_records(records, moved_from, catch_up, parsed, changes, result)
        touched = [self.repo.root / rel for rel in records] + [
            self.repo.root / rel for rel in result.invalid
        ]
        today = self.last_today or self.today()
        self.commit_backoff = 0.0
        return Batch(result, self.repo, today, self.last_head, full, touched, parsed, catch_up)

    def failed_step(self, changes: Sequence[Change]) -> Batch:
        """The batch of a :meth:`commit_step` that raised (a code error): its changes
        are to be looked at again after a pause (none of them is remembered as seen,
        so a save is not dropped until its next edit), and its pages are a full
        rebuild (a configuration change in it may already have been taken).  The
        pause is :attr:`commit_backoff`: 2 s, doubled at each failure in a row."""
        for change in changes:
            with contextlib.suppress(ValueError):
                self.seen.pop(self.repo.relative(change.path), None)
        self.commit_backoff = min(max(2.0, self.commit_backoff * 2), MAX_RERENDER_BACKOFF)
        result = SettleResult(retry=list(changes), retry_after=self.commit_backoff)
        today = self.last_today or self.today()
        return Batch(result, self.repo, today, self.last_head, True, [], {})

    def pages_step(self, batch: Batch, hurry: Callable[[], bool] | None = None) -> SettleResult:
        """Render the pages of a committed batch, then publish them when they are its
        commit's (``hurry``: see :meth:`settle`).  Batches are passed in the order
        :meth:`commit_step` made them, one at a time.

        Raises what a code error raises, after marking the render failed: the batch's
        pages may be missing or unpublished, so the next page pass is a full rebuild
        that looks at every page, and nothing is published until one succeeds."""
        try:
            return self._pages_step(batch, hurry)
        except Exception as exc:
            self._render_failed(f"internal error while rendering (still watching): {exc}", exc)
            raise

    def _pages_step(self, batch: Batch, hurry: Callable[[], bool] | None) -> SettleResult:
        result = batch.result
        if batch.committed:
            warm_stage_facts(batch.repo)  # time in stage: the new commit, before any query
        full = batch.full or not self.rendered_ok
        if full or batch.touched:
            result.rebuilt = full
            result.pages = self._render(
                None if full else batch.touched, batch.parsed, batch.repo, batch.today
            )
            if self._unpublished is not None:
                self._unpublished.update(batch.repo.relative(p) for p in result.pages)
        if hurry is not None and not batch.catch_up and hurry():
            return result  # the next batch publishes (its commit is HEAD's descendant)
        if batch.head != self.last_head:
            return result  # a later batch committed since: it renders and publishes both
        self._publish(result, batch.catch_up, head=batch.head, day=batch.today)
        return result

    def _commit_records(
        self,
        records: dict[str, bytes | None],
        moved_from: dict[str, str],
        catch_up: bool,
        parsed: Preparsed,
        changes: Sequence[Change],
        result: SettleResult,
    ) -> None:
        valid = {rel: raw for rel, raw in records.items() if raw is not None}
        gone = [rel for rel, raw in records.items() if raw is None]
        wanted = sorted({*records, *moved_from.values()})
        in_head = self.git.head_versions(wanted)
        to_commit: dict[str, bytes | None] = {}
        for rel, raw in valid.items():
            if in_head.get(rel) != raw:  # equal bytes: git itself wrote it
                to_commit[rel] = raw
        for rel in gone:
            if rel in in_head:
                to_commit[rel] = None
        if not to_commit:
            return
        message = self._message(to_commit, moved_from, in_head, catch_up, parsed)
        self._commit(to_commit, message, changes, result)

    def _commit_config(
        self,
        config_changes: dict[str, bytes | None],
        changes: Sequence[Change],
        result: SettleResult,
    ) -> None:
        """A valid configuration or template change: its own commit, so the records
        branch (and ``sortext sync``) never sees it as someone's unsaved work."""
        in_head = self.git.head_versions(sorted(config_changes))
        to_commit = {
            rel: raw
            for rel, raw in config_changes.items()
            if in_head.get(rel) != raw and not (raw is None and rel not in in_head)
        }
        if not to_commit:
            return
        names = ", ".join(sorted(to_commit))
        self._commit(to_commit, f"config: {names} changed", changes, result)

    def _publish(
        self,
        result: SettleResult,
        catch_up: bool,
        restage: bool = False,
        head: str | None = None,
        day: dt.date | None = None,
    ) -> None:
        """Publish the pages just rendered for HEAD, when they are exactly HEAD's.

        Our own commits publish; so does HEAD moving forward on a branch (pull,
        merge) or at start-up.  A checkout of an old commit or a reset back does
        not: the branch keeps showing the newest pages.  ``restage``: compare
        every page with the branch even when it was published for HEAD (start-up).
        ``head``: the records commit the pages were rendered for (default: the last
        one this watcher saw).  ``day``: the day they were rendered for; pages of the
        commit already published, rendered for another day than the branch's (the day
        changed while the watcher ran), are published again, as one pages commit."""
        ref = self.pages.ref
        head = self.last_head if head is None else head
        new_day = day is not None and self.published_day is not None and day != self.published_day
        if ref is None or head is None:
            return
        if head == self.published_for and not restage and not new_day:
            return
        branch = self._branch()
        if branch is None:  # a commit checked out, ours made on it too: not the practice's
            self._log_publish_problem(
                f"pages for {head[:8]} not published: HEAD is detached (a commit checked "
                "out, not a branch); publishing goes on once a branch is checked out"
            )
            return
        if (
            result.commit is None
            and not catch_up
            and head != self.published_for
            and not self._moved_forward(head, branch)
        ):
            return
        why = None
        if not self.rendered_ok:
            why = "the pages could not be rendered"
        elif self.errors:
            why = self._invalid_reason()
        elif result.retry:
            why = "changes are still pending"
        elif self.git.operation_in_progress():
            why = "a git operation is in progress"
        elif self._head() != head:
            why = "HEAD moved"
        if why is not None:
            self._log_publish_problem(f"pages for {head[:8]} not published yet: {why}")
            return
        from sortext.vcs.pages import publish
        from sortext.vcs.pagesource import PagesElsewhere

        here = branch.removeprefix("refs/heads/")
        source = self._pages_source()
        if not source.allows(here):
            self._hold_pages(source.held(here))
            return
        try:
            subject = (result.message or "").splitlines()[0] if result.commit == head else None
            note = f"a new day: {day.isoformat()}" if new_day and day is not None else None
            result.published = publish(
                self.repo.root,
                head,
                self.pages,
                subject,
                self._unpublished,
                note,
                source=here,
                claim=source.claimed,
            )
        except PagesElsewhere as exc:
            self._hold_pages(str(exc))
            return
        except (GitError, OSError) as exc:
            self._log_publish_problem(f"pages for {head[:8]} not published: {exc}")
            return
        self.pages_held = None
        self.published_for = head
        self.published_branch = branch
        if day is not None:
            self.published_day = day
        self._publish_error = None
        self._unpublished = set()

    def _pages_source(self) -> PagesSource:
        """The branch whose pages are published (:func:`sortext.vcs.pagesource.
        pages_source`: ``pages.from``, the backup remote's default branch, the branch
        that first published them)."""
        from sortext.vcs.pagesource import pages_source
        from sortext.vcs.sync import backup_section

        remotes, _ = backup_section(self.repo.config.raw.get("backup"))
        # (the claim is checked by publish, on the tip it reads anyway)
        return pages_source(
            self.repo.root, self.pages.ref, self.pages.source, remotes, read_claim=False
        )

    def _hold_pages(self, text: str) -> None:
        """This branch's pages stay in the working tree: said once (log, ``status``)."""
        if text != self.pages_held:
            log.info("%s", text)
            self.pages_held = text

    def _branch(self) -> str | None:
        """The branch HEAD is on (``refs/heads/main``); None when HEAD is detached (or
        git cannot say)."""
        from sortext.vcs import git as gitlayer

        try:
            proc = gitlayer.run_full(self.repo.root, "symbolic-ref", "-q", "HEAD")
        except GitError:
            return None
        name = proc.stdout.decode("utf-8", "replace").strip()
        return name if proc.returncode == 0 and name else None

    def _moved_forward(self, head: str, branch: str) -> bool:
        """HEAD (on ``branch``) moved forward from the last published records commit:
        it descends from it (pull, merge, a commit by hand), or it is that branch's
        history rewritten (``commit --amend``, ``rebase``, ``pull --rebase``: neither
        descendant nor ancestor).  A reset back (HEAD an ancestor) or another branch
        checked out is not."""
        from sortext.vcs import git as gitlayer

        if self.published_for is None:
            return True

        def ancestor(old: str, new: str) -> bool | None:
            try:
                proc = gitlayer.run_full(self.repo.root, "merge-base", "--is-ancestor", old, new)
            except GitError:
                return None
            return {0: True, 1: False}.get(proc.returncode)  # 128: a commit gone (gc)

        forward = ancestor(self.published_for, head)
        if forward is None:
            return branch == self.published_branch
        if forward:
            return True
        return branch == self.published_branch and ancestor(head, self.published_for) is False

    def _log_publish_problem(self, text: str) -> None:
        if text != self._publish_error:
            log.info("%s", text)
            self._publish_error = text

    def _hint_tracked_pages(self) -> None:
        """One line when this branch still tracks the generated pages (an older layout)."""
        from sortext.vcs import git as gitlayer

        try:
            tracked = gitlayer.listed(self.repo.root, "ls-files", "--", "NEXT.md", "site")
        except GitError:
            return
        if tracked:
            log.warning(
                "NEXT.md and site/ are still tracked in this branch: run 'sortext install' "
                "to stop tracking them (they are published to their own branch)"
            )

    def head_moved(self) -> bool:
        """HEAD is not the commit the last batch saw (read from the ref files: cheap
        enough for every idle turn of the loop)."""
        from sortext.vcs import git as gitlayer

        head = gitlayer.head_from_files(self.repo.root)
        return head is not None and head != self.last_head

    def _head(self) -> str | None:
        """HEAD's commit, read from the ref files (no process: this runs before every
        commit), asking git only for layouts the files do not answer."""
        from sortext.vcs import git as gitlayer

        return gitlayer.head_from_files(self.repo.root) or self.git.head()

    @staticmethod
    def _pages_settings(repo: Repository) -> PagesSettings:
        try:
            return PagesSettings.from_config(repo.config.raw.get("pages"))
        except SortextError as exc:
            log.error("%s (pages are not published)", exc)
            return PagesSettings(None)

    # -- steps ------------------------------------------------------------------

    def _odd_entries(self) -> list[Path]:
        """Entries named like a record that git's status never lists (a folder, a
        named pipe, a socket, a device: git sees no file there), so that start-up
        reports them as a save of them would be (one ``scandir``, no ``stat``)."""
        try:
            with os.scandir(self.repo.clients_path) as entries:
                return sorted(
                    Path(e.path)
                    for e in entries
                    if not e.is_file(follow_symlinks=False)
                    and not e.is_symlink()
                    and self.watched.classify(e.path) == "record"
                )
        except OSError:
            return []

    def _refresh_context(self, changes: Sequence[Change]) -> dict[str, bytes | None] | None:
        """Reload config when it changed.  Returns None when nothing needs a full
        re-render, else the valid configuration files to commit (path -> bytes,
        None = deleted; empty when only HEAD or the day moved)."""
        full = False
        config_changes: dict[str, bytes | None] = {}
        configs = [c for c in changes if c.kind == "config"]
        if configs:
            from sortext.repo import open_repository

            try:
                self.repo = open_repository(self.repo.root)
                self.pages = self._pages_settings(self.repo)
                full = True
                log.info("configuration or templates changed: full rebuild")
                for change in configs:
                    raw = read_stable(change.path)
                    if raw is None or isinstance(raw, bytes):  # (unreadable: refused above)
                        config_changes[self.repo.relative(change.path)] = raw
            except SortextError as exc:
                log.error("%s (keeping the last valid configuration)", exc)
        head = self._head()
        if head != self.last_head:
            log.info("HEAD moved outside sortext (checkout, pull, commit): full rebuild")
            self.last_head = head
            full = True
        today = self.today()
        if today != self.last_today:
            self.last_today = today
            full = True
        from sortext.files.state import StateDir

        if not StateDir(self.repo.root).index.exists():
            # .sortext/ was deleted (it is derived data): the whole index is rebuilt
            # before anything is rendered or published from it
            log.info("the index (%s) is gone: full rebuild", StateDir.rel(StateDir.INDEX))
            full = True
        return config_changes if full else None

    def _read_records(
        self,
        changes: Sequence[Change],
        result: SettleResult,
        parsed: dict[str, tuple[bytes, LoadResult]],
        grace: bool = True,
    ) -> tuple[dict[str, bytes | None], dict[str, str]]:
        """Read and validate each record; returns the new versions of valid or
        deleted records, and which paths were moved from where.  Every version
        parsed here goes into ``parsed`` (path -> bytes, result) for the later steps.
        ``grace``: a missing record (not moved away) is waited for (MISSING_GRACE)
        before it counts as deleted; not at start-up's catch-up, where it was deleted
        while nobody watched."""
        from sortext.check.load import parse_record

        validator = self.validator
        records: dict[str, bytes | None] = {}
        moved_from: dict[str, str] = {}
        seen_paths: set[Path] = set()
        moved_away = {c.moved_from for c in changes if c.moved_from is not None}
        for change in changes:
            if change.kind == "copy" and change.path not in seen_paths:
                seen_paths.add(change.path)
                self._report_copy(change.path)
            if change.kind != "record" or change.path in seen_paths:
                continue
            seen_paths.add(change.path)
            rel = self.repo.relative(change.path)
            raw = read_stable(change.path)
            if isinstance(raw, _Unstable):
                result.retry.append(change)
                continue
            if isinstance(raw, Diagnostic):
                # there, but not readable as a record: reported as an invalid record is
                # (once per problem; an event naming it again reads it again), never
                # committed, never taken for its deletion
                self._empty_strikes.pop(rel, None)
                self._missing_since.pop(rel, None)
                key = f"unreadable:{raw.message}"
                if self.seen.get(rel) == key and change.moved_from is None:
                    continue
                self.seen[rel] = key
                self.errors[rel] = [raw.placed(rel)]
                result.invalid.append(rel)
                self._log_invalid(rel)
                continue
            if raw == b"" and self._empty_strikes.get(rel, 0) < EMPTY_RETRIES:
                self._empty_strikes[rel] = self._empty_strikes.get(rel, 0) + 1
                result.retry.append(change)
                result.retry_after = 0.5
                continue
            self._empty_strikes.pop(rel, None)
            # a record that is a symbolic link: an error as check reports it (never
            # read, never committed, never taken for the record's deletion)
            link = raw is None and os.path.islink(change.path)
            if grace and raw is None and not link and change.path not in moved_away:
                wait = self._missing_wait(rel)  # deleted, or being saved anew?
                if wait > 0:
                    result.retry.append(change)
                    result.retry_after = max(result.retry_after, wait)
                    continue
            self._missing_since.pop(rel, None)
            key = "link" if link else "" if raw is None else blob_id(raw)
            if change.moved_from is not None:
                moved_from[rel] = self.repo.relative(change.moved_from)
            if self.seen.get(rel) == key and rel not in moved_from:
                continue
            self.seen[rel] = key
            if link:
                self.errors[rel] = [file_problem(LINK_PROBLEM).placed(rel)]
                result.invalid.append(rel)
                self._log_invalid(rel)
                continue
            if raw is None:
                self.errors.pop(rel, None)
                records[rel] = None
                continue
            loaded = parse_record(raw, rel, validator)
            parsed[rel] = (raw, loaded)
            if not loaded.ok:
                self.errors[rel] = loaded.diagnostics
                result.invalid.append(rel)
                self._log_invalid(rel)
                continue
            if rel in self.errors:
                log.info("%s is valid again", rel)
                del self.errors[rel]
            for warning in self._owned_warnings(raw, rel, loaded):
                log.warning("%s", warning.format(False))
            records[rel] = raw
        return records, moved_from

    def _kept(self, rel: str) -> str:
        """What stays of the invalid record ``rel`` while it is invalid: its last valid
        version, committed (HEAD holds it), or nothing yet (a new record)."""
        try:
            committed = rel in self.git.head_versions([rel])
        except GitError:
            committed = True  # git cannot say: the likelier case (records are edited)
        if committed:
            return "not committed: its last valid version stays committed and on the pages"
        return "not committed: no version of it is committed until it is valid"

    def _log_invalid(self, rel: str) -> None:
        """One line per error of the invalid record ``rel``: ``path:line:col: error:
        field: message``, and what stays committed meanwhile (:meth:`_kept`)."""
        kept = self._kept(rel)
        for diagnostic in self.errors.get(rel, []):
            if diagnostic.is_error:
                log.error("%s (%s)", diagnostic.format(False), kept)

    def _invalid_reason(self) -> str:
        """Why the pages wait while records are invalid: the first error of the first
        invalid record (``path:line:col: error: field: message``) and how many more."""
        first = sorted(self.errors)[0]
        errors = [d for d in self.errors[first] if d.is_error] or self.errors[first]
        shown = errors[0].format(False) if errors else first
        more = len(self.errors) - 1
        also = f"; {more} more record(s) with errors" if more else ""
        return (
            f"{shown} (the last valid version of each record with errors stays committed; "
            f"the pages follow once it is fixed){also}"
        )

    def _missing_wait(self, rel: str) -> float:
        """Seconds still to wait before the missing record ``rel`` counts as deleted: 0
        once it has been missing at every look for :data:`MISSING_GRACE` seconds (a
        look that finds it present starts the grace again), or when its deletion is
        already what the watcher last saw.

        Records found missing one after another (``rm clients/*``: their events come in
        over several debounce windows) wait together, until the grace of the last one
        found missing ends, so their deletions are one commit; never longer than twice
        the grace from a record's own first look (a steady stream of deletions does not
        hold the first one back for ever)."""
        if self.seen.get(rel) == "":
            return 0.0
        now = time.monotonic()
        since = self._missing_since.setdefault(rel, now)
        latest = max(self._missing_since.values())
        until = min(since + 2 * MISSING_GRACE, latest + MISSING_GRACE)
        return max(0.0, until - now)

    def _report_copy(self, path: Path) -> None:
        """A sync tool's conflict copy appeared: say so, with the command that merges it
        (a ``Jane.MD``: that it is not read, and its right name)."""
        from sortext.check.many import copy_warning

        if path.exists():
            log.warning("%s", copy_warning(self.repo, path).format(False))

    def _owned_warnings(self, raw: bytes, rel: str, loaded: Any) -> list[Diagnostic]:
        """Hand edits of fields another system owns (a warning: the save is still committed)."""
        from sortext.check.owned import OwnedStores, owned_in_text

        record = loaded.record
        try:
            stores = OwnedStores(self.repo)
            if not stores.patterns or record is None:
                return []
            text = raw.decode("utf-8", "replace")
            return owned_in_text(text, record.data, record.id, rel, stores)
        except Exception as exc:  # a warning must never stop a commit
            log.warning("%s: owned fields not compared: %s", rel, exc)
            return []

    def _render(
        self,
        records: list[Path] | None,
        ready: Preparsed | None = None,
        repo: Repository | None = None,
        today: dt.date | None = None,
    ) -> list[Path]:
        """Render; after a failed render the next one is a full rebuild (the index
        may have lost entries: a full disk, a deleted file), and nothing is
        published until a render succeeds."""
        import sqlite3

        repo = repo or self.repo
        today = today or self.last_today or self.today()
        if not self.rendered_ok:
            records = None
        try:
            if records is None:
                pages = self.renderer.rebuild(repo, today)
            else:
                pages = self.renderer.update(repo, records, today, ready)
        except (StorageError, OSError, sqlite3.Error) as exc:
            self._render_failed(f"pages not rendered: storage error: {exc}", None)
            return []
        except SortextError as exc:  # the user's own (a TemplateProblem names its line)
            self._render_failed(f"rendering the pages failed: {exc}", None)
            return []
        except Exception as exc:  # a template bug must not stop commits
            self._render_failed(f"rendering the pages failed: {exc}", exc)
            return []
        if not self.rendered_ok:
            log.info("pages rendered again (full rebuild of the index)")
        self.rendered_ok = True
        self._render_error = None
        self.rerender_backoff = 0.0
        return pages

    def _render_failed(self, text: str, exc: Exception | None) -> None:
        """One log line per distinct failure (a traceback only for a code error), and
        a retry with backoff: 2 s doubling to :data:`MAX_RERENDER_BACKOFF`."""
        self.rendered_ok = False
        self._unpublished = None  # pages may be half written: look at all of them next time
        self.rerender_backoff = min(max(2.0, self.rerender_backoff * 2), MAX_RERENDER_BACKOFF)
        if text == self._render_error:
            return
        self._render_error = text
        suffix = f" (retrying in {self.rerender_backoff:.0f} s, then with backoff; commits go on)"
        if exc is not None:
            log.error("%s%s", text, suffix, exc_info=exc)
        else:
            log.error("%s%s", text, suffix)

    def _message(
        self,
        to_commit: dict[str, bytes | None],
        moved_from: dict[str, str],
        in_head: dict[str, bytes],
        catch_up: bool,
        parsed: Preparsed | None = None,
    ) -> str:
        from sortext.vcs.messages import commit_message

        old_versions: dict[str, bytes | None] = {
            rel: in_head.get(moved_from.get(rel, rel)) for rel in to_commit
        }
        return commit_message(
            self.validator, to_commit, old_versions, moved_from, catch_up=catch_up, parsed=parsed
        )

    def _commit(
        self,
        to_commit: dict[str, bytes | None],
        message: str,
        changes: Sequence[Change],
        result: SettleResult,
    ) -> None:
        author = self.author
        try:
            commit = self.git.commit(to_commit, message, author)
        except (GitBusy, IndexLocked, GitError) as exc:
            level = logging.INFO if isinstance(exc, GitBusy) else logging.WARNING
            if str(exc) != self._held:  # once per reason, not every retry
                log.log(level, "not committed yet: %s", exc)
                self._held = str(exc)
            for change in changes:
                rel = self.repo.relative(change.path)
                if rel in to_commit:
                    self.seen.pop(rel, None)  # look at it again next time
                    result.retry.append(change)
            result.retry_after = 2.0
            return
        if commit is None:
            return
        self._held = None
        self.last_head = commit
        result.commit = commit
        result.message = message
        log.info("committed %s %s", commit[:8], message.splitlines()[0])
