"""Which filesystem events matter, and what they mean.

Editors save in many ways (write in place, write a temp file and rename it
over, move the original to a backup first); the daemon does not try to
follow each dance.  An event only marks a path *dirty*; once the path has
been quiet for the debounce window, the daemon reads what is on disk.  This
module decides which names are records or configuration, and which are
editor debris to ignore.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sortext.files.write import TEMP_MARKER
from sortext.record.copies import conflict_copy, is_record_name, misnamed

#: Editor and tool debris: backups, swap and lock files, safe-write temps.
_IGNORED = (
    re.compile(r".*~$"),  # vim/emacs backup
    re.compile(r"^#.*#$"),  # emacs auto-save
    re.compile(r"^\..*"),  # .file.swp, .#file (emacs lock), .x.sortext-tmp-*, dotfiles
    re.compile(r".*\.sw[a-p]$"),  # vim swap, any suffix letter
    re.compile(r"^\d+$"),  # vim's 4913 write probe (and its siblings)
    re.compile(r".*___jb_(tmp|old|bak)___$"),  # JetBrains safe-write
    re.compile(f".*{re.escape(TEMP_MARKER)}.*"),  # sortext's own atomic writes (files.write)
    re.compile(r".*\.(tmp|temp|bak|orig|rej)$"),
)

Kind = Literal["record", "config", "copy"]


def is_debris(name: str) -> bool:
    """True for a file name an editor or tool writes beside the real file."""
    return any(p.match(name) for p in _IGNORED)


@dataclass(frozen=True)
class WatchedPaths:
    """What the daemon watches in one repository, and how to classify a path."""

    root: Path
    clients: Path
    config_files: tuple[Path, ...]
    templates: Path

    @property
    def between(self) -> tuple[Path, ...]:
        """The folders between the root and the clients folder, the top one first
        (``records`` for a ``records/clients`` folder; none when the clients folder
        sits directly under the root, or outside it)."""
        if self.root not in self.clients.parents:
            return ()
        return tuple(p for p in reversed(self.clients.parents) if self.root in p.parents)

    def on_the_way(self, path: Path) -> bool:
        """Whether ``path`` is the clients folder or a folder between it and the root:
        made anew, the clients folder may be back; deleted or moved, it went with it."""
        return path == self.clients or path in self.between

    def classify(self, path: str | Path) -> Kind | None:
        """'record' for clients/<id>.md, 'copy' for a sync tool's conflict copy
        or a Markdown file named otherwise (``Jane.MD``) there (reported, never a
        record), 'config' for sortext.yaml / schema / templates, None for anything
        else (debris, other folders, directories)."""
        p = Path(path)
        if is_debris(p.name):
            return None
        if p.parent == self.clients:
            if is_record_name(p.name):
                return "record"
            found = conflict_copy(p.name) is not None or misnamed(p.name) is not None
            return "copy" if found else None
        if p in self.config_files:
            return "config"
        if self.templates in p.parents:
            return "config"
        return None


@dataclass(frozen=True)
class Change:
    """A dirty path, plus where it came from when it was moved/renamed here."""

    path: Path
    kind: Kind
    moved_from: Path | None = None


class ChangeHandler:
    """Watchdog handler: turn raw events into :class:`Change` values on a queue.

    Runs on the observer's thread; the main loop consumes the queue.
    """

    def __init__(
        self,
        watched: WatchedPaths,
        sink: queue.Queue[Change],
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.watched = watched
        self.sink = sink
        self.on_change = on_change  # called after each change is queued
        #: called (on the observer's thread) with the folder made when the clients
        #: folder, or a folder between it and the root, appears anew (deleted and made
        #: again, or moved there): the watches below it followed the old one
        self.on_clients_back: Callable[[Path], None] | None = None
        #: called when the clients folder itself is deleted or moved away (no event
        #: then names the records that went with it)
        self.on_clients_gone: Callable[[], None] | None = None

    def _put(self, change: Change) -> None:
        self.sink.put(change)
        if self.on_change is not None:
            self.on_change()

    def dispatch(self, event: Any) -> None:
        """Called by watchdog for every event (the FileSystemEventHandler protocol)."""
        kind = event.event_type
        if kind in ("opened", "closed_no_write"):
            return
        src = Path(_text(event.src_path))
        if event.is_directory and kind in ("created", "moved") and self.on_clients_back:
            made = Path(_text(event.dest_path if kind == "moved" else event.src_path))
            if self.watched.on_the_way(made):
                self.on_clients_back(made)
                return
        gone = event.is_directory and kind in ("deleted", "moved")
        if gone and self.watched.on_the_way(src) and self.on_clients_gone:
            self.on_clients_gone()
            return
        if kind == "moved":
            dest = Path(_text(event.dest_path))
            dest_kind = self.watched.classify(dest)
            src_kind = self.watched.classify(src)
            if dest_kind is not None:
                moved_from = src if src_kind == "record" else None
                self._put(Change(dest, dest_kind, moved_from))
            if src_kind is not None:
                self._put(Change(src, src_kind))
            return
        src_kind = self.watched.classify(src)
        if event.is_directory and kind != "deleted" and src_kind != "record":
            return  # (a folder named like a record is looked at: it is reported)
        if src_kind is not None:
            self._put(Change(src, src_kind))


def _text(path: str | bytes) -> str:
    return path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else path


def start_observer(
    watched: WatchedPaths,
    sink: queue.Queue[Change],
    poll: bool,
    on_change: Callable[[], None] | None = None,
) -> Any:
    """Start a watchdog observer on the clients folder, the root (config) and templates;
    ``on_change`` is called on the observer's thread after each change is queued."""
    if poll:
        from watchdog.observers.polling import PollingObserver

        observer: Any = PollingObserver(timeout=0.25)
    else:
        from watchdog.observers import Observer

        observer = Observer()
    handler = ChangeHandler(watched, sink, on_change)
    watched.clients.mkdir(parents=True, exist_ok=True)
    # each folder between the root (watched below) and the clients folder is watched
    # too (not recursively): the clients folder, or one of them, deleted and made
    # again is seen however deep the clients folder sits
    watches: dict[Path, Any] = {}
    for folder in watched.between:
        watches[folder] = observer.schedule(handler, str(folder), recursive=False)
    watches[watched.clients] = observer.schedule(handler, str(watched.clients), recursive=False)
    lock = threading.Lock()

    def clients_back(made: Path) -> None:
        # the old watches below ``made`` followed the deleted (or moved) folder: watch
        # the new ones, top first, then queue every record already in the clients
        # folder (written before its new watch was in place).  A folder not made yet
        # is left: its creation is seen by the watch above it and comes back here.
        with lock:
            for folder in (*watched.between, watched.clients):
                if folder != made and made not in folder.parents:
                    continue
                with contextlib.suppress(KeyError):
                    observer.unschedule(watches.pop(folder))
                try:
                    watches[folder] = observer.schedule(handler, str(folder), recursive=False)
                except OSError:
                    return  # not there (yet, or gone again)
            try:
                names = sorted(os.listdir(watched.clients))
            except OSError:
                return
        for name in names:
            kind = watched.classify(watched.clients / name)
            if kind is not None:
                handler._put(Change(watched.clients / name, kind))

    def clients_gone() -> None:
        # every record HEAD has is looked at (each is missing now: its deletion is
        # committed after the grace, all in one commit, unless the folder comes back)
        from sortext.errors import GitError
        from sortext.vcs.git import listed

        folder = watched.clients.relative_to(watched.root).as_posix()
        try:
            known = listed(watched.root, "ls-files", "--", folder)
        except (GitError, OSError):
            return
        for rel in known:
            path = watched.root / rel
            if watched.classify(path) == "record":
                handler._put(Change(path, "record"))

    handler.on_clients_back = clients_back
    handler.on_clients_gone = clients_gone
    observer.schedule(handler, str(watched.root), recursive=False)
    if watched.templates.is_dir():
        observer.schedule(handler, str(watched.templates), recursive=True)
    observer.daemon = True
    observer.start()
    return observer
