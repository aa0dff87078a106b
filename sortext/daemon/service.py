"""The daemon's main loop: events in, debounced batches through the pipeline.

Order at start-up matters for "nothing is lost": take the per-repository
lock, start the observer, *then* catch up on what changed while no daemon
ran, so a save landing during the catch-up is seen by one or the other.
Every batch is wrapped: an exception is logged and the loop goes on.
The loop commits each batch and hands its pages to one page thread
(:class:`PageThread`), in commit order, so a save's commit never waits for
the pages of the save before it; a batch is counted (``settled``) and the
index vouched for only once its pages are done.  SIGINT/SIGTERM stop the
loop between batches; the queued page passes are finished and pending paths
settled before exit (and anything missed is caught up on the next start).
"""

from __future__ import annotations

import datetime as dt
import logging
import logging.handlers
import os
import queue
import signal
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from sortext.daemon.debounce import Debouncer
from sortext.daemon.events import Change
from sortext.daemon.lock import DaemonLock, RepositoryGone
from sortext.daemon.pipeline import MISSING_GRACE, Batch, Pipeline, Renderer, SettleResult
from sortext.daemon.state import write_json
from sortext.files import watchmark
from sortext.files.state import StateDir
from sortext.repo import Repository
from sortext.store.index import identity_of
from sortext.vcs.midnight import utc_now

log = logging.getLogger("sortext.watch")

#: Longest sleep of the loop when nothing is due (to notice a new day, retries).
TICK = 1.0
#: Seconds a change to the clients folder's entries must be past before the watcher
#: vouches for its index (see WatchService._folder_quiet_for): watchdog holds a
#: move out of a watched folder back 0.5 s (InotifyMoveEventGrouper.delay), plus
#: time for the held event to reach the handler.
MOVE_HELD = 0.8
#: Seconds between the watcher's looks for record files with more than one hard link
#: (while it is idle).  An edit made through another name of such a file (a link
#: outside the repository) raises no event in the clients folder: the look reads
#: each such record again (its edit is committed then, at worst this late), and
#: while any exists the watcher does not vouch for its index (queries stat the files).
RESCAN_EVERY = 30.0


class _LogFile(logging.handlers.WatchedFileHandler):
    """``.sortext/watch.log``, reopened (its folder made again) when the user deletes
    ``.sortext/`` while the watcher runs: it is derived data, safe to delete.  Never the
    folders above it (a deleted repository is not made again by a log line), and not
    at all once :attr:`detached` (the repository was replaced: the file at the path is
    another watcher's); the lines then go on to the file already open."""

    detached = False

    def reopenIfNeeded(self) -> None:
        if self.detached:
            return
        try:
            Path(self.baseFilename).parent.mkdir(exist_ok=True)
        except OSError:  # the repository itself is gone
            return
        super().reopenIfNeeded()


def _detach_log_file() -> None:
    """Keep the watcher's log lines out of the file now at ``.sortext/watch.log``."""
    for handler in logging.getLogger("sortext.watch").handlers:
        if isinstance(handler, _LogFile):
            handler.detached = True


class InertFormatter(logging.Formatter):
    """A log line whose message has control characters and newlines made visible.

    Messages quote record text (names, file names, git output); a newline or
    an escape sequence in them must not forge a log line or act on the
    terminal of whoever reads the log with ``tail``.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        from sortext.files.inert import clean

        record.message = clean(record.message)
        return super().formatMessage(record)


def setup_logging(root: Path, level: int = logging.INFO) -> None:
    """Human-readable log lines to stderr and ``.sortext/watch.log``."""
    logger = logging.getLogger("sortext.watch")
    logger.setLevel(level)
    if logger.handlers:
        return
    fmt = InertFormatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    stream = logging.StreamHandler()
    stream.setFormatter(fmt)
    logger.addHandler(stream)
    state = StateDir(root)
    state.path.mkdir(parents=True, exist_ok=True)
    file_handler = _LogFile(state.watch_log, encoding="utf-8")
    file_handler.setFormatter(fmt)
    logger.addHandler(file_handler)
    logger.propagate = False


@dataclass
class WatchService:
    """One running ``sortext watch``."""

    repo: Repository
    renderer: Renderer
    today: Callable[[], dt.date]
    poll: bool = False
    debounce: float = 0.3
    started_at: str = ""
    _stop: bool = False
    #: the daemon lock, once taken (:meth:`run`)
    _lock: DaemonLock | None = None
    #: why the watcher stopped because its repository went away ("" while it is there)
    _gone: str = ""
    _queue: queue.Queue[Change | None] = field(default_factory=queue.Queue)
    _pending: dict[Path, Change] = field(default_factory=dict)
    _last_commit: dict[str, str] = field(default_factory=dict)
    _state_key: Any = None
    _pusher: Any = None
    _pusher_factory: Any = None
    #: the watchdog observer and the clients folder it watches (see :meth:`_rewatch`)
    _observer: Any = None
    _watched_clients: Path | None = None
    #: settle counter: incremented after every finished batch (tests wait on it)
    settled: int = 0
    _settle_cond: threading.Condition = field(default_factory=threading.Condition)

    #: batches committed whose pages are not done yet (the page thread's queue)
    _rendering: int = 0
    _pages: PageThread | None = None
    #: called on the page thread after each time the watcher vouches for its index
    #: (root, hurry): the commands' remembered questions are worked out again, in a
    #: child process stopped when ``hurry()`` (``sortext.commands.watch.
    #: refresh_in_child``), never before a commit
    refresh: Callable[[Path, Callable[[], bool]], object] | None = None

    def wait_settled(self, after: int, timeout: float) -> int:
        """Block until more than ``after`` batches have settled with nothing pending
        (no change waiting, no batch's pages still to do); returns the counter (raises
        TimeoutError when ``timeout`` seconds pass)."""
        with self._settle_cond:
            if not self._settle_cond.wait_for(
                lambda: self.settled > after and not self._pending and not self._rendering,
                timeout,
            ):
                raise TimeoutError(f"the watcher did not settle within {timeout}s")
            return self.settled

    _failed: bool = False  # the last batch raised (the index may lack it)
    # the clients folder's mtime when this watcher first saw it, and when (monotonic)
    _folder_seen: tuple[int, float] | None = None
    _vouch_at: float | None = None  # when to try again to vouch (monotonic seconds)
    #: seconds between looks for hard-linked records (RESCAN_EVERY)
    rescan_every: float = RESCAN_EVERY
    #: record files with more than one hard link at the last look -> their stat then
    #: (inode, size, mtime, ctime in ns)
    _linked: dict[Path, tuple[int, int, int, int]] = field(default_factory=dict)
    _rescan_at: float = 0.0

    def stopping(self) -> bool:
        """Whether this watcher was asked to stop (a signal, :meth:`stop`); safe from
        any thread."""
        return self._stop

    def stop(self) -> None:
        """Ask the loop to finish (safe from a signal handler or another thread)."""
        self._stop = True
        self._queue.put(None)

    def run(self, ready: Callable[[], None] | None = None) -> None:
        """Serve until stopped.  Raises DaemonRunning if another daemon holds the repo,
        RepositoryGone (after stopping) when the repository was deleted, moved or
        replaced while it ran."""
        from sortext.daemon.events import start_observer
        from sortext.daemon.lock import acquire, lock_path
        from sortext.daemon.push import BackupTarget, Pusher
        from sortext.vcs.commit import GitRepo

        lock = acquire(lock_path(self.repo.root))
        self._lock = lock
        if lock.stale_pid:
            log.warning(
                "took over from a daemon that stopped without cleaning up (pid %d)", lock.stale_pid
            )
        self.started_at = utc_now().replace(microsecond=0).isoformat()
        previous = self._install_signals()
        observer = None
        pusher = None
        git = None
        try:
            git = GitRepo.open(self.repo.root)
            git.announce.append(self._own_commit)
            git_config = self.repo.config.raw.get("git")
            author = git_config.get("author") if isinstance(git_config, dict) else None
            pipeline = Pipeline(self.repo, git, self.renderer, self.today, author)
            config = self.repo.config.raw
            target = BackupTarget.from_config(config.get("backup"), config.get("pages"))
            pusher = Pusher(self.repo.root, target) if target else None
            if pusher is not None:
                pusher.start()
            self._pusher = pusher
            self._pusher_factory = lambda t: Pusher(self.repo.root, t)
            watchmark.clear(self.repo.root)
            observer = start_observer(
                pipeline.watched,
                self._queue,  # type: ignore[arg-type]
                self.poll,
                partial(watchmark.clear, self.repo.root),
            )
            self._observer = observer
            self._watched_clients = pipeline.watched.clients
            log.info("watching %s (pid %d)", self.repo.clients_path, os.getpid())
            pusher = self._finish(pipeline, self._safely(pipeline.start), pusher)
            self._look_for_links(pipeline)  # start-up read every record already
            self._vouch(pipeline)
            log.info(
                "ready: every save in %s is now validated and committed",
                self.repo.relative(self.repo.clients_path),
            )
            if ready:
                ready()
            self._loop(pipeline, pusher)
        finally:
            observer = self._observer or observer
            if observer is not None:
                observer.stop()
                observer.join(2)
            if not self._gone:  # else the mark at the path is another watcher's
                watchmark.clear(self.repo.root)
            if self._pusher is not None:
                self._pusher.stop()
            if git is not None:
                git.close()
            self._restore_signals(previous)
            lock.release()
            log.info("stopped")
        if self._gone:
            raise RepositoryGone(self._gone)

    def _own_commit(self, commit: str) -> None:
        """Tell the pusher (whichever is current) a commit is the watcher's own."""
        pusher = self._pusher
        if pusher is not None:
            pusher.own(commit)

    def _repository_gone(self) -> bool:
        """True (and logged) when the repository this watcher locked is no longer at its
        path: deleted, moved away, or replaced by a new clone.  The watcher stops rather
        than commit, render or push into whatever is there now (whose own watcher could
        start beside it, since the lock it holds is on a file no longer there)."""
        if self._gone or self._lock is None or self._lock.held():
            return bool(self._gone)
        self._gone = (
            f"{self.repo.root} is no longer the repository this watcher started in (it was "
            "deleted, moved or replaced: its .git/sortext-watch.pid is not the lock this "
            "watcher holds); stopping.  Start 'sortext watch' again in the repository"
        )
        _detach_log_file()
        log.error("%s", self._gone)
        return True

    def _loop(self, pipeline: Pipeline, pusher: Any) -> None:
        """Commit each due batch on this thread and leave its pages to the page thread
        (:class:`PageThread`), so that a save's commit never waits for the pages of
        the save before it; each batch is counted (:attr:`settled`) once its pages
        are done, in the order of the commits."""
        debouncer: Debouncer[Path] = Debouncer(self.debounce)
        rerender_at: float | None = None
        pages = PageThread(pipeline, self._queue, lambda: bool(self._pending))
        self._pages = pages
        pages.start()
        try:
            while True:
                pusher = self._collect(pipeline, pusher)
                if pipeline.rendered_ok or self._rendering:
                    rerender_at = None  # a page pass after a failed one is a full rebuild
                elif rerender_at is None:
                    rerender_at = time.monotonic() + pipeline.rerender_backoff
                deadline = debouncer.next_deadline()
                if rerender_at is not None:
                    deadline = rerender_at if deadline is None else min(deadline, rerender_at)
                if self._vouch_at is not None:
                    deadline = self._vouch_at if deadline is None else min(deadline, self._vouch_at)
                timeout = (
                    TICK if deadline is None else max(0.0, min(TICK, deadline - time.monotonic()))
                )
                try:
                    item = self._queue.get(timeout=timeout)
                    self._take(item, debouncer)
                    while True:
                        self._take(self._queue.get_nowait(), debouncer)
                except queue.Empty:
                    pass
                if self._stop or self._repository_gone():
                    break
                due = debouncer.due()
                if due:
                    due += self._other_missing(due, debouncer)
                    due += self._other_halves(due, debouncer)
                    changes = [self._pending.pop(p) for p in due]
                    changes += self._other_names(pipeline, changes, debouncer)
                    batch = self._commit(pipeline, changes)
                    for change in batch.result.retry:
                        self._pending.setdefault(change.path, change)
                        debouncer.touch(change.path, batch.result.retry_after)
                elif self._rendering:
                    pass  # a page pass is under way: the retry or the new day waits for it
                elif rerender_at is not None and time.monotonic() >= rerender_at:
                    rerender_at = None  # retry the failed render (a full rebuild), with backoff
                    self._commit(pipeline, [])
                elif deadline is None and (
                    pipeline.today() != pipeline.last_today or pipeline.head_moved()
                ):
                    # a new day, or HEAD moved with no file changed (an empty commit, a
                    # commit of what the watcher had already committed, reset --soft)
                    self._commit(pipeline, [])
                if (
                    not due
                    and not self._pending
                    and not self._rendering
                    and time.monotonic() >= self._rescan_at
                ):
                    linked = bool(self._linked)
                    for path in self._look_for_links(pipeline):
                        self._take(Change(path, "record"), debouncer)  # read it again
                    if linked and not self._linked:
                        self._vouch(pipeline)
                if self._vouch_at is not None and time.monotonic() >= self._vouch_at:
                    self._vouch(pipeline)
        finally:
            pages.close()  # the page passes already queued are finished first
        pusher = self._collect(pipeline, pusher)  # and counted (before _pages is unset)
        self._pages = None
        if self._gone:  # what is at the path now is not the repository these were saved in
            self._pending.clear()
        if self._pending:
            log.info("settling %d pending change(s) before exit", len(self._pending))
        # a change looked at again soon (a record missing for less than its grace, a
        # file still being written) is waited for, up to twice the grace (the longest
        # a missing record waits, see Pipeline._missing_wait) and a second more,
        # not left to the next start; a busy git is (retry_after 2 s).  What is still
        # to do stays in _pending meanwhile, so the state file's "pending" is true.
        deadline = time.monotonic() + 2 * MISSING_GRACE + 1.0
        while self._pending:
            changes = list(self._pending.values())
            self._pending.clear()
            result = self._safely(partial(pipeline.settle, changes))
            for change in result.retry:
                self._pending.setdefault(change.path, change)
            pusher = self._finish(pipeline, result, pusher)
            if self._pending and time.monotonic() + result.retry_after > deadline:
                log.info("%d change(s) left to the next start", len(self._pending))
                break
            if self._pending:
                time.sleep(result.retry_after)

    def _other_missing(self, due: list[Path], debouncer: Debouncer[Path]) -> list[Path]:
        """When a due record is missing, the other pending records that are missing
        too, taken with it: deletions waiting for their grace (``rm`` of many records)
        are looked at together, so the pipeline commits them as one change when the
        grace they share ends (:meth:`Pipeline._missing_wait`), not one commit per
        debounce window their events came in.  An ``lstat`` a pending record."""
        if not any(self._missing_record(path) for path in due):
            return []
        wanted = set(due)
        more = [p for p in self._pending if p not in wanted and self._missing_record(p)]
        return [p for p in more if debouncer.take(p)]

    def _missing_record(self, path: Path) -> bool:
        change = self._pending.get(path)
        return change is not None and change.kind == "record" and not os.path.lexists(path)

    def _other_halves(self, due: list[Path], debouncer: Debouncer[Path]) -> list[Path]:
        """The other path of each rename among ``due`` still waiting (the observer
        queues a rename as two changes, its destination first, a moment apart: their
        quiet windows may end in two turns of the loop), taken with it so that a rename
        is one commit; followed along a chain (a -> b -> c takes b and a with c)."""
        wanted = set(due)
        more: list[Path] = []
        frontier = list(due)
        while frontier:
            sources = {self._pending[p].moved_from for p in frontier if p in self._pending}
            frontier = []
            for path, change in self._pending.items():
                if path in wanted:
                    continue
                pair = change.moved_from in wanted or path in sources
                if pair and debouncer.take(path):
                    wanted.add(path)
                    more.append(path)
                    frontier.append(path)
        return more

    def _commit(self, pipeline: Pipeline, changes: list[Change]) -> Batch:
        """Commit a batch now and queue its pages.  When the commit step raises, its
        changes come back to be retried and a full rebuild is queued in its place
        (:meth:`Pipeline.failed_step`), so the batches are counted in order."""
        failed = False
        try:
            batch = pipeline.commit_step(changes)
        except Exception as exc:
            failed = True
            log.exception("internal error while processing changes (still watching): %s", exc)
            batch = pipeline.failed_step(changes)
        assert self._pages is not None
        with self._settle_cond:
            self._rendering += 1
        self._pages.put(batch, failed)
        return batch

    def _collect(self, pipeline: Pipeline, pusher: Any) -> Any:
        """Count the batches whose pages the page thread finished (in order)."""
        if self._pages is None:
            return pusher
        for result, failed in self._pages.finished():
            self._failed = failed
            with self._settle_cond:
                self._rendering -= 1
            pusher = self._finish(pipeline, result, pusher)
            self._vouch(pipeline)
        return pusher

    def _take(self, item: Change | None, debouncer: Debouncer[Path]) -> None:
        if item is None:
            return
        earlier = self._pending.get(item.path)
        if earlier is not None and earlier.moved_from and not item.moved_from:
            item = Change(item.path, item.kind, earlier.moved_from)
        self._pending[item.path] = item
        debouncer.touch(item.path)

    def _other_names(
        self, pipeline: Pipeline, changes: list[Change], debouncer: Debouncer[Path]
    ) -> list[Change]:
        """The other names of the hard-linked records among ``changes``, to read in
        the same batch: an edit through one name raises an event for that name only,
        and a second name in clients/ (same bytes now) would otherwise wait for the
        next look for links (:attr:`rescan_every`).  One ``lstat`` a changed record;
        the folder is looked through (:meth:`_look_for_links`) only when one has
        another link or had one at the last look.  Other records that look finds
        changed (an edit through a link outside, a backup tool's links moving every
        ctime) are read in a batch of their own, so they never delay this save."""
        inodes = set()
        for change in changes:
            if change.kind != "record":
                continue
            if change.path in self._linked:
                inodes.add(self._linked[change.path][0])
            info = _lstat(change.path)
            if info is not None and info.st_nlink > 1:
                inodes.add(info.st_ino)
        if not inodes:
            return []
        named = {change.path for change in changes}
        now = []
        for path in self._look_for_links(pipeline):
            if path in named:
                continue
            info = _lstat(path)
            if info is not None and info.st_ino in inodes:
                now.append(Change(path, "record"))
            else:
                self._take(Change(path, "record"), debouncer)  # read it again, later
        return now

    def _look_for_links(self, pipeline: Pipeline) -> list[Path]:
        """Look for record files with more than one hard link (one ``lstat`` a file,
        ~25 ms at 10,000 records), kept in :attr:`_linked`; the next look is due in
        :attr:`rescan_every` seconds.  A newly linked file withdraws the vouch.

        Returns the files to read again: those linked now or at the look before (an
        edit made through the other name just before that name was removed) whose
        stat moved since that look (an edit through any name moves the ctime)."""
        self._rescan_at = time.monotonic() + self.rescan_every
        found: dict[Path, tuple[int, int, int, int]] = {}
        again: list[Path] = []
        try:
            with os.scandir(self.repo.clients_path) as entries:
                for entry in entries:
                    path = Path(entry.path)
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    was = self._linked.get(path)
                    # (a folder named like a record has links of its own: no hard link)
                    linked = info.st_nlink > 1 and stat.S_ISREG(info.st_mode)
                    if not linked and was is None:
                        continue
                    if pipeline.watched.classify(path) != "record":
                        continue
                    key = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
                    if linked:
                        found[path] = key
                    if key != was:
                        again.append(path)
        except OSError:
            return []
        if found.keys() - self._linked.keys():
            watchmark.clear(self.repo.root)
            log.info(
                "%d record file(s) with other hard links (first: %s): an edit made "
                "through another name is seen within %.0f s, not at once",
                len(found),
                self.repo.relative(min(found)),
                self.rescan_every,
            )
        self._linked = found
        return sorted(again)

    def _vouch(self, pipeline: Pipeline) -> None:
        """Tell queries the index holds every save, when it does (files.watchmark):
        nothing pending, the last batch finished and its render kept the index, and no
        record file has another hard link (an edit through it raises no event here)."""
        keeps = getattr(pipeline.renderer, "keeps_index", False)
        if (
            self._linked
            or self._pending
            or self._rendering
            or self.poll
            or not keeps
            or self._failed
            or not pipeline.rendered_ok
        ):
            # not now: the next finished batch tries again (a retry left due would
            # make the loop poll its queue with a zero timeout until then)
            self._vouch_at = None
            return
        wait = self._folder_quiet_for()
        if wait > 0:  # a move out of the folder may still be held back: try again later
            self._vouch_at = time.monotonic() + wait
            return
        self._vouch_at = None
        watchmark.mark(self.repo.root, self.repo.clients_path, identity_of(self.repo.root))
        if self._pending or not self._queue.empty():  # a change arrived while writing
            watchmark.clear(self.repo.root)
        elif self.refresh is not None and self._pages is not None:
            self._pages.after(partial(self.refresh, self.repo.root))

    def _folder_quiet_for(self) -> float:
        """Seconds to wait before vouching: until :data:`MOVE_HELD` has passed since this
        watcher first saw the clients folder's current mtime (0 when it has).

        A file moved out of the folder is reported by the kernel only as a move from
        it; watchdog holds that event back (to pair it with a move into a watched
        folder) and every event behind it waits as well.  A marker written meanwhile
        would carry the folder's new mtime and vouch for an index that still holds
        the moved record, or an in-place save queued behind it.  Any such move
        changes the folder's mtime, so no marker is written until the folder has kept
        one mtime for longer than events are held back.  Measured on the monotonic
        clock from the first sight (a wall clock set back cannot shorten the wait)."""
        try:
            stamp = os.stat(self.repo.clients_path).st_mtime_ns
        except OSError:
            return MOVE_HELD
        now = time.monotonic()
        if self._folder_seen is None or self._folder_seen[0] != stamp:
            self._folder_seen = (stamp, now)
        return max(0.0, self._folder_seen[1] + MOVE_HELD - now)

    def _safely(self, step: Callable[[], SettleResult]) -> SettleResult:
        self._failed = False
        try:
            return step()
        except Exception as exc:
            self._failed = True
            log.exception("internal error while processing changes (still watching): %s", exc)
            return SettleResult()

    def _finish(self, pipeline: Pipeline, result: SettleResult, pusher: Any) -> Any:
        """Record the batch's outcome (state file, settle counter, push); returns the
        pusher, created, re-targeted or stopped when the backup settings changed."""
        if self._gone:  # the path holds another repository now: write nothing there
            return pusher
        pusher = self._retarget(pipeline, pusher)
        self._rewatch(pipeline)
        if result.commit:
            self._last_commit = {
                "id": result.commit,
                "message": (result.message or "").splitlines()[0],
                "at": utc_now().replace(microsecond=0).isoformat(),
            }
        if (result.commit or result.published) and pusher is not None:
            pusher.nudge()
        errors = {
            path: [d.format(False) for d in diags if d.is_error]
            for path, diags in sorted(pipeline.errors.items())
        }
        with self._settle_cond:
            self.settled += 1
            settled = self.settled
        # written after every batch (no fsync: it is rewritten next time), so the
        # settle counter a test or a tool waits on is always current
        key = (self._last_commit.get("id"), tuple((k, tuple(v)) for k, v in errors.items()))
        try:
            write_json(
                StateDir(self.repo.root).watch_state,
                {
                    "pid": os.getpid(),
                    "started": self.started_at,
                    "last_commit": self._last_commit,
                    "errors": errors,
                    "published_for": pipeline.published_for,
                    # the records commit the last batch saw (HEAD then)
                    "head": pipeline.last_head,
                    # which branch's pages are published, when not this one's
                    "pages": {"held": pipeline.pages_held} if pipeline.pages_held else {},
                    "settled": settled,
                    # changes waiting, and batches committed whose pages are not done
                    "pending": len(self._pending) + self._rendering,
                },
                durable=key != self._state_key,
            )
            self._state_key = key
        except Exception as exc:
            log.warning("cannot write the status file: %s", exc)
        with self._settle_cond:
            self._settle_cond.notify_all()
        return pusher

    def _rewatch(self, pipeline: Pipeline) -> None:
        """Watch the clients folder a changed ``clients_dir:`` names, without a restart:
        a new observer on it, and every record in it, and every record HEAD holds in
        the old one, queued (the renamed folder's records are committed at their new
        place, their old paths as gone).  The observer was started on the folder the
        configuration named at start-up, so a folder renamed with its ``clients_dir``
        had its records deleted from HEAD and never added again."""
        from sortext.daemon.events import start_observer
        from sortext.errors import GitError
        from sortext.vcs.git import listed

        watched = pipeline.watched
        old = self._watched_clients
        if old is None or watched.clients == old or self._observer is None:
            return
        log.info("clients_dir changed: watching %s", watched.clients)
        self._observer.stop()
        self._observer.join(2)
        self._observer = start_observer(
            watched,
            self._queue,  # type: ignore[arg-type]
            self.poll,
            partial(watchmark.clear, self.repo.root),
        )
        self._watched_clients = watched.clients
        self.repo = pipeline.repo
        root = watched.root
        try:
            known = listed(root, "ls-files", "--", old.relative_to(root).as_posix())
            names = sorted(os.listdir(watched.clients))
        except (GitError, OSError, ValueError):
            known, names = [], []
        for path in [root / rel for rel in known] + [watched.clients / n for n in names]:
            self._queue.put(Change(path, "record"))

    def _retarget(self, pipeline: Pipeline, pusher: Any) -> Any:
        """Pick up a changed ``backup`` section without a restart."""
        from sortext.daemon.push import BackupTarget

        config = pipeline.repo.config.raw
        target = BackupTarget.from_config(config.get("backup"), config.get("pages"))
        if pusher is not None and pusher.target == target:
            return pusher
        if pusher is not None and target is not None:
            pusher.retarget(target)  # a push failing for the old settings is tried again now
            log.info("backup settings changed: pushing to %s", ", ".join(target.remotes))
        elif pusher is not None:
            pusher.stop()
            pusher = None
            log.info("backup settings removed: no longer pushing")
        elif target is not None and self._pusher_factory is not None:
            pusher = self._pusher_factory(target)
            pusher.start()
            log.info("backup settings added: pushing to %s", ", ".join(target.remotes))
        self._pusher = pusher
        return pusher

    def _install_signals(self) -> dict[int, Any]:
        owner = os.getpid()

        def handler(signum: int, frame: FrameType | None) -> None:
            if os.getpid() != owner:
                # a forked worker (the index parses in a process pool) must die
                # as usual when its pool terminates it, not act as the daemon
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)
                return
            log.info("received %s: finishing", signal.Signals(signum).name)
            # Only the flag: the handler runs on the loop's own thread, between two
            # bytecodes, possibly while the loop holds its queue's lock (a put would
            # wait for itself for ever); the loop looks at the flag every TICK.
            self._stop = True

        previous: dict[int, Any] = {}
        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, handler)
        except ValueError:  # not the main thread (tests run the service in a thread)
            pass
        if previous:
            _guard_forks(owner)
        return previous

    @staticmethod
    def _restore_signals(previous: dict[int, Any]) -> None:
        if previous:
            _guard["owner"] = 0  # forks after the daemon stopped are left alone
        for sig, old in previous.items():
            signal.signal(sig, old)


def _lstat(path: Path) -> os.stat_result | None:
    """``path``'s own stat (a link not followed); None when it cannot be looked at."""
    try:
        return os.lstat(path)
    except OSError:
        return None


class PageThread:
    """The watcher's pages, one committed batch at a time, in the order of the commits
    (:meth:`Pipeline.pages_step`), on a thread of their own.

    ``wake`` (the loop's event queue) gets a None after each batch, so the loop counts
    it at once; ``later`` says whether a change is waiting in the loop (a batch that
    sees one, or a batch queued behind it, leaves publishing to that later batch)."""

    def __init__(
        self, pipeline: Pipeline, wake: queue.Queue[Any], later: Callable[[], bool]
    ) -> None:
        self._pipeline = pipeline
        self._wake = wake
        self._later = later
        self._jobs: queue.Queue[
            tuple[Batch | None, bool] | Callable[[Callable[[], bool]], object] | None
        ] = queue.Queue()
        self._lock = threading.Lock()
        self._task_queued = False
        self._done: queue.Queue[tuple[SettleResult, bool]] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sortext-pages", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def put(self, batch: Batch | None, failed: bool = False) -> None:
        """Queue a batch's pages (None: its commit step failed; only counted)."""
        self._jobs.put((batch, failed))

    def after(self, task: Callable[[Callable[[], bool]], object]) -> None:
        """Run ``task(hurry)`` after the batches queued so far, unless one is queued and
        not started yet (it runs once for both); ``hurry`` says whether a batch or a
        change is waiting.  A task that raises is logged; it is not counted as a batch."""
        with self._lock:
            if self._task_queued:
                return
            self._task_queued = True
        self._jobs.put(task)

    def finished(self) -> list[tuple[SettleResult, bool]]:
        """The batches done since the last call, in order: (result, whether it failed)."""
        out = []
        while True:
            try:
                out.append(self._done.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        """Finish the queued batches, then stop the thread."""
        self._jobs.put(None)
        self._thread.join()

    def _hurry(self) -> bool:
        return not self._jobs.empty() or self._later()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if callable(job):
                with self._lock:
                    self._task_queued = False
                try:
                    job(self._hurry)
                except Exception:
                    log.exception("internal error after a save (still watching)")
                continue
            batch, failed = job
            result = SettleResult() if batch is None else batch.result
            if batch is not None:
                try:
                    result = self._pipeline.pages_step(batch, self._hurry)
                except Exception:  # logged by pages_step, whose next pass is a full rebuild
                    failed = True
            self._done.put((result, failed))
            self._wake.put(None)


#: Signals the daemon handles in Python, which its forked workers must not.
_STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
#: the pid whose forks are guarded (0: none), and whether the hooks are registered
_guard: dict[str, int] = {"owner": 0, "registered": 0}


def _guard_forks(owner: int) -> None:
    """Forked workers (the index and the pages are built in ``fork`` pools) take the
    default action on SIGINT/SIGTERM from their first instruction.

    A pool that ends quickly terminates a worker the kernel may not have run yet: the
    SIGTERM is then pending when the child starts, Python's C handler notes it, and
    the interpreter's after-fork reset forgets it, so the worker waits for a task
    forever and the daemon waits for the worker (seen at 10,000 records on a busy
    machine: the start-up never finished).  The signals are blocked across the fork;
    the child sets them to the default action, then unblocks them, so a pending one
    ends it."""
    _guard["owner"] = owner
    if _guard["registered"]:
        return
    _guard["registered"] = 1

    def active() -> bool:
        return _guard["owner"] == os.getpid()

    def before() -> None:
        if active():
            signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)

    def after_in_parent() -> None:
        if active():
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)

    def after_in_child() -> None:
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        if not set(mask) >= _STOP_SIGNALS:
            return  # not forked by the guarded daemon
        _guard["owner"] = 0
        for sig in _STOP_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)

    os.register_at_fork(
        before=before, after_in_parent=after_in_parent, after_in_child=after_in_child
    )
