"""One settled batch of changes: read, validate, render, commit.

:meth:`Pipeline.settle` is the whole per-save job, kept apart from the event
loop so it can be tested (and benchmarked) directly.  Its rules:

* what counts is the file on disk *now* (events only said "look here");
  a file that is still changing, or empty (an editor's truncate-then-write
  caught in the middle), is looked at again later, not taken as intent;
* an invalid record is reported (``path:line:col: message``) and left alone:
  not committed, not touched on disk; the pages keep its last valid version;
* valid records and the pages regenerated from them go into one commit whose
  message names the changed fields;
* a record whose bytes equal HEAD's was written by git itself (checkout,
  pull, reset): it is rendered, never committed;
* when git is busy (merge, rebase, a held index.lock) the records are tried
  again later; nothing is lost, because the file on disk is the truth;
* each saved version is parsed and validated once: the index, the pages and
  the commit message reuse that result for the bytes that were read.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sortext.daemon.events import Change, WatchedPaths
from sortext.errors import GitError, SortextError
from sortext.record.diagnostics import Diagnostic
from sortext.record.source import MAX_FILE_BYTES
from sortext.repo import Repository
from sortext.vcs.commit import GitBusy, GitRepo, IndexLocked, blob_id

if TYPE_CHECKING:
    from sortext.check.load import LoadResult, Preparsed
    from sortext.schema.validate import RecordValidator

log = logging.getLogger("sortext.watch")

#: How many times an empty file is looked at again before it counts as a save.
EMPTY_RETRIES = 2


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


def read_stable(path: Path) -> bytes | _Unstable | None:
    """The file's bytes, None if it is gone (or not a regular file: a symbolic
    link is never committed as its target's bytes), or UNSTABLE when it changed
    between the two looks (an editor still writing)."""
    try:
        before = os.lstat(path)
        if not stat.S_ISREG(before.st_mode):
            return None
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        after = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError:
        return UNSTABLE
    same = (before.st_ino, before.st_size, before.st_mtime_ns) == (
        after.st_ino,
        after.st_size,
        after.st_mtime_ns,
    )
    return raw if same and len(raw) == after.st_size else UNSTABLE


@dataclass
class SettleResult:
    """What one batch did; ``retry`` paths should be settled again after ``retry_after``."""

    commit: str | None = None
    message: str | None = None
    rebuilt: bool = False
    pages: list[Path] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    retry: list[Change] = field(default_factory=list)
    retry_after: float = 0.3


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
    #: False when the last render raised (the index may lack that batch)
    render_ok: bool = True
    _empty_strikes: dict[str, int] = field(default_factory=dict)
    _validator: RecordValidator | None = None
    #: generated pages written since the last commit (they ride along with the next one)
    _pages: set[Path] = field(default_factory=set)

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
        from sortext.daemon.leftovers import remove_leftovers
        from sortext.files.state import StateDir

        root = self.repo.root
        remove_leftovers(
            [
                self.repo.clients_path,
                root,
                StateDir(root).path,
                root / "site",
                root / "site" / "clients",
                self.git.git_dir,
            ]
        )
        self.last_head = self.git.head()
        self.last_today = self.today()
        result = SettleResult(rebuilt=True)
        result.pages = self._render(None)
        for generated in ("NEXT.md", "site"):
            self._pages.update(self.repo.root / rel for rel in self.git.changed_paths(generated))
        clients = self.repo.relative(self.repo.clients_path)
        changed = [
            Change(self.repo.root / rel, "record")
            for rel in self.git.changed_paths(clients)
            if self.watched.classify(self.repo.root / rel) == "record"
        ]
        if changed:
            caught = self.settle(changed, catch_up=True)
            caught.rebuilt = True
            caught.pages = sorted({*result.pages, *caught.pages})
            return caught
        return result

    def settle(self, changes: Sequence[Change], catch_up: bool = False) -> SettleResult:
        """Act on a batch of quiet paths.  Never raises for bad user data."""
        result = SettleResult()
        full = self._refresh_context(changes)
        parsed: dict[str, tuple[bytes, LoadResult]] = {}
        records, moved_from = self._read_records(changes, result, parsed)
        valid = {rel: raw for rel, raw in records.items() if raw is not None}
        gone = [rel for rel, raw in records.items() if raw is None]
        touched = [self.repo.root / rel for rel in records] + [
            self.repo.root / rel for rel in result.invalid
        ]
        if full or touched:
            result.rebuilt = full
            result.pages = self._render(None if full else touched, parsed)
            root = self.repo.root.resolve()
            self._pages.update(p for p in result.pages if root in p.resolve().parents)
        if not records:
            return result
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
            return result
        message = self._message(to_commit, moved_from, in_head, catch_up, parsed)
        pages = {self.repo.relative(page): page for page in self._pages}
        skipped = self.git.ignored(sorted(pages))
        for rel, page in sorted(pages.items()):
            page_bytes = read_stable(page)
            if rel not in skipped and not isinstance(page_bytes, _Unstable):
                to_commit[rel] = page_bytes
        self._commit(to_commit, message, changes, result)
        return result

    # -- steps ------------------------------------------------------------------

    def _refresh_context(self, changes: Sequence[Change]) -> bool:
        """Reload config when it changed; True when everything must be re-rendered."""
        full = False
        if any(c.kind == "config" for c in changes):
            from sortext.repo import open_repository

            try:
                self.repo = open_repository(self.repo.root)
                full = True
                log.info("configuration or templates changed: full rebuild")
            except SortextError as exc:
                log.error("%s (keeping the previous configuration)", exc)
        head = self.git.head()
        if head != self.last_head:
            log.info("HEAD moved outside sortext (checkout, pull, commit): full rebuild")
            self.last_head = head
            full = True
        today = self.today()
        if today != self.last_today:
            self.last_today = today
            full = True
        return full

    def _read_records(
        self,
        changes: Sequence[Change],
        result: SettleResult,
        parsed: dict[str, tuple[bytes, LoadResult]],
    ) -> tuple[dict[str, bytes | None], dict[str, str]]:
        """Read and validate each record; returns the new versions of valid or
        deleted records, and which paths were moved from where.  Every version
        parsed here goes into ``parsed`` (path -> bytes, result) for the later steps."""
        from sortext.check.load import parse_record

        validator = self.validator
        records: dict[str, bytes | None] = {}
        moved_from: dict[str, str] = {}
        seen_paths: set[Path] = set()
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
            if raw == b"" and self._empty_strikes.get(rel, 0) < EMPTY_RETRIES:
                self._empty_strikes[rel] = self._empty_strikes.get(rel, 0) + 1
                result.retry.append(change)
                result.retry_after = 0.5
                continue
            self._empty_strikes.pop(rel, None)
            key = "" if raw is None else blob_id(raw)
            if change.moved_from is not None:
                moved_from[rel] = self.repo.relative(change.moved_from)
            if self.seen.get(rel) == key and rel not in moved_from:
                continue
            self.seen[rel] = key
            if raw is None:
                self.errors.pop(rel, None)
                records[rel] = None
                continue
            loaded = parse_record(raw, rel, validator)
            parsed[rel] = (raw, loaded)
            if not loaded.ok:
                self.errors[rel] = loaded.diagnostics
                result.invalid.append(rel)
                for diagnostic in loaded.diagnostics:
                    if diagnostic.is_error:
                        log.error("%s (not committed)", diagnostic.format(False))
                continue
            if rel in self.errors:
                log.info("%s is valid again", rel)
                del self.errors[rel]
            for warning in self._owned_warnings(raw, rel, loaded):
                log.warning("%s", warning.format(False))
            records[rel] = raw
        return records, moved_from

    def _report_copy(self, path: Path) -> None:
        """A sync tool's conflict copy appeared: say so, with the command that merges it."""
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

    def _render(self, records: list[Path] | None, ready: Preparsed | None = None) -> list[Path]:
        today = self.last_today or self.today()
        self.render_ok = True
        try:
            if records is None:
                return self.renderer.rebuild(self.repo, today)
            return self.renderer.update(self.repo, records, today, ready)
        except Exception as exc:  # a template bug must not stop commits
            self.render_ok = False
            log.exception("rendering the pages failed: %s", exc)
            return []

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
            log.log(level, "not committed yet: %s", exc)
            for change in changes:
                rel = self.repo.relative(change.path)
                if rel in to_commit:
                    self.seen.pop(rel, None)  # look at it again next time
                    result.retry.append(change)
            result.retry_after = 2.0
            return
        if commit is None:
            return
        self.last_head = commit
        self._pages.clear()
        result.commit = commit
        result.message = message
        log.info("committed %s %s", commit[:8], message.splitlines()[0])
