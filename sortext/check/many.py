"""Check many records at once: per-file validation plus cross-record rules.

A cold check of thousands of files is split across processes (fork), each
holding its own compiled validator; results come back as small tuples.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sortext.check.load import LoadResult, load_record, parse_record, stem_of
from sortext.record.copies import conflict_copy, misnamed
from sortext.record.diagnostics import Diagnostic, has_errors, sort_key
from sortext.repo import Repository
from sortext.schema.validate import RecordValidator

if TYPE_CHECKING:
    import concurrent.futures

PARALLEL_THRESHOLD = 400

_worker_validator: RecordValidator | None = None

#: The cyclic garbage collector's first threshold while :func:`bulk_gc` holds (Python's
#: default is 700 allocations; see there).
BULK_GC_THRESHOLD = 5_000


_bulk_lock = threading.Lock()
_bulk_depth = 0  # passes inside bulk_gc now (threads: the watcher's page thread)
_bulk_saved: tuple[int, int, int] | None = None  # the thresholds to put back; None: left


@contextlib.contextmanager
def bulk_gc() -> Iterator[None]:
    """Hold the cyclic garbage collector back while one pass parses many records.

    Everything alive when the pass begins (the imported modules, the compiled
    validator and templates) is frozen (``gc.freeze``): no collection walks it
    again, nor touches it in a forked worker (which would copy its memory pages),
    and the first generation is collected after :data:`BULK_GC_THRESHOLD` new
    objects instead of 700.  A record's work leaves no reference cycles (a cold
    build of 10,000 records collected ~470 objects in all, every one made by an
    import), so this only saves walking; garbage a user's template makes in cycles
    is still collected, at most ``BULK_GC_THRESHOLD`` objects later.  Both are
    undone when the last pass inside ends (the watcher's long-running process goes
    back to Python's defaults).  Nothing is done when the collector is off or
    something else froze objects already (theirs to undo)."""
    global _bulk_depth, _bulk_saved
    with _bulk_lock:
        if _bulk_depth == 0 and gc.isenabled() and not gc.get_freeze_count():
            _bulk_saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(BULK_GC_THRESHOLD, *_bulk_saved[1:])
        _bulk_depth += 1
    try:
        yield
    finally:
        with _bulk_lock:
            _bulk_depth -= 1
            if _bulk_depth == 0 and _bulk_saved is not None:
                gc.set_threshold(*_bulk_saved)
                gc.unfreeze()
                _bulk_saved = None


@dataclass(slots=True)
class FileOutcome:
    """What check keeps of one file: its id (when parsed) and its diagnostics."""

    path: str
    record_id: str | None
    diagnostics: list[Diagnostic]
    email: str | None = None
    # (index in ``invoices``, id) of each invoice with a text id, in the file's order.
    invoices: tuple[tuple[int, str], ...] = ()


@dataclass(slots=True)
class CheckReport:
    """Every file's outcome of a check, and the problems across files."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    cross: list[Diagnostic] = field(default_factory=list)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        every = [d for o in self.outcomes for d in o.diagnostics] + self.cross
        return sorted(every, key=sort_key)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    @property
    def files(self) -> int:
        return len(self.outcomes)


def _outcome(result: LoadResult) -> FileOutcome:
    record = result.record
    email = record.data.get("email") if record is not None else None
    invoices = record.data.get("invoices") if record is not None else None
    return FileOutcome(
        result.path,
        record.id if record else None,
        result.diagnostics,
        email.strip() if isinstance(email, str) and email.strip() else None,
        tuple(
            (i, item["id"])
            for i, item in enumerate(invoices)
            if isinstance(item, dict) and isinstance(item.get("id"), str)
        )
        if isinstance(invoices, list)
        else (),
    )


def import_worker_modules() -> None:
    """Import what a forked worker's record work imports on first use and its parent
    may not have imported yet: orjson (the index blob, the YAML reader's key check),
    ``sortext.record.split`` (a record's parse) and ``sortext.check.owned`` (a client
    page's owned-field warnings).  Imported after the fork, each was imported again in
    every worker (~0.5-1.5 ms of CPU a module and worker, found with an audit hook on
    ``import`` in the workers: tests/test_worker_imports.py); imported before it, the
    workers share them copy-on-write.  Cheap once imported (a ``sys.modules`` look)."""
    with contextlib.suppress(ImportError):  # a dependency; its users do without it too
        import orjson  # noqa: F401
    import sortext.check.owned
    import sortext.record.split  # noqa: F401


def fork_executor(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """``workers`` forked worker processes (``concurrent.futures``: a worker that dies,
    killed by the out-of-memory killer or by hand, breaks the pool, where
    ``multiprocessing.Pool`` replaced it and waited for ever for the work it held).
    Each worker ends itself once this process is gone (killed, SIGKILL included): an
    idle worker waits on a queue whose writing end the workers hold too, so it would
    never see the end of it.

    The workers are forked at the first task handed to the pool, not here; what they
    import on first use is imported here (:func:`import_worker_modules`), so a pool
    made before :func:`bulk_gc` freezes the collector's objects gets those frozen too."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import_worker_modules()
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_end_with_parent,
        initargs=(os.getpid(),),
    )


#: Seconds between a forked worker's looks at its parent.
ORPHAN_LOOK = 0.5


def _end_with_parent(parent: int) -> None:
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_LOOK)
        os._exit(1)

    threading.Thread(target=watch, name="sortext-orphan-watch", daemon=True).start()


def _check_chunk(items: Sequence[tuple[str, str]]) -> list[FileOutcome]:
    assert _worker_validator is not None
    return [_outcome(load_record(fs, shown, _worker_validator)) for fs, shown in items]


def check_files(items: Sequence[tuple[str, str]], validator: RecordValidator) -> list[FileOutcome]:
    """Validate ``(filesystem path, display path)`` pairs, in parallel when many."""
    with validator.one_pass():  # erased.yaml stat'ed once, not per record
        return _check_files(items, validator)


def _check_files(items: Sequence[tuple[str, str]], validator: RecordValidator) -> list[FileOutcome]:
    global _worker_validator
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_THRESHOLD or workers < 2:
        return [_outcome(load_record(fs, shown, validator)) for fs, shown in items]
    _worker_validator = validator
    validator.prepare()  # compile once, before fork, so workers inherit it
    size = max(64, len(items) // (workers * 4))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    from concurrent.futures.process import BrokenProcessPool

    parts: list[list[FileOutcome]] = []
    # concurrent.futures, not multiprocessing.Pool: a worker that dies (the
    # out-of-memory killer, a kill of the wrong pid) breaks the pool, where Pool
    # replaced it and waited for ever for the chunk it held; what the workers did
    # not give back is then checked here.  Made before bulk_gc: what it imports is
    # frozen with the rest (the workers fork at the first chunk).
    executor = fork_executor(workers)
    with bulk_gc():
        try:
            for part in executor.map(_check_chunk, chunks):
                parts.append(part)
        except BrokenProcessPool:
            for chunk in chunks[len(parts) :]:
                parts.append([_outcome(load_record(fs, shown, validator)) for fs, shown in chunk])
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
    return [o for part in parts for o in part]


def check_repository(repo: Repository, paths: Iterable[Path] | None = None) -> CheckReport:
    """Check the given files (default: every record) and cross-record rules."""
    validator = RecordValidator(repo.config)
    all_paths = repo.record_paths()
    chosen = all_paths if paths is None else [Path(p) for p in paths]
    copies = [p for p in chosen if conflict_copy(p.name) is not None or misnamed(p.name)]
    chosen = [p for p in chosen if conflict_copy(p.name) is None and not misnamed(p.name)]
    items = list(zip(map(str, chosen), relative_paths(repo, chosen), strict=True))
    report = CheckReport(check_files(items, validator))
    others = (
        dict(zip(map(stem_of, map(str, all_paths)), relative_paths(repo, all_paths), strict=True))
        if paths is not None
        else {}
    )
    report.cross = duplicate_ids(report.outcomes, others)
    from sortext.check.owned import owned_warnings

    if paths is None:
        report.cross += owned_warnings(repo)
        report.cross += duplicate_emails(report.outcomes, repo.root)
        report.cross += duplicate_invoice_ids(report.outcomes, repo.root)
        copies = [p for p, _ in repo.conflict_copies()] + [p for p, _ in repo.misnamed_records()]
    else:
        ids = {o.record_id for o in report.outcomes if o.record_id is not None}
        ids |= {stem_of(o.path) for o in report.outcomes}
        report.cross += owned_warnings(repo, ids)
    report.cross += [copy_warning(repo, p) for p in copies]
    return report


def relative_paths(repo: Repository, paths: Sequence[Path]) -> list[str]:
    """``[repo.relative(p) for p in paths]``, resolving each folder (and the root) once
    instead of twice per file: ~38 us a record, in the parent before any worker starts.
    The folder is resolved, not the file, exactly as :meth:`Repository.relative` does
    (tests/test_check_paths.py holds the two to each other)."""
    try:
        root: Path | None = repo.root.resolve()
    except (ValueError, OSError, RuntimeError):
        root = None
    folders: dict[Path, Path | None] = {}
    shown: list[str] = []
    for path in paths:
        p = Path(os.path.abspath(path))
        parent = p.parent
        if parent not in folders:
            try:
                folders[parent] = parent.resolve(strict=False)
            except (ValueError, OSError, RuntimeError):
                folders[parent] = None
        resolved = folders[parent]
        if resolved is None or root is None:
            shown.append(str(path))
            continue
        try:
            shown.append((resolved / p.name).relative_to(root).as_posix())
        except ValueError:
            shown.append(str(path))
    return shown


def copy_warning(repo: Repository, path: Path) -> Diagnostic:
    """ "conflict copy of tom-berg.md", with the command that merges it; for a
    Markdown file whose name no record has (``Jane.MD``): not read, and the name
    to give it."""
    import shlex

    shown = repo.relative(path)
    wanted = misnamed(path.name)
    if wanted is not None:
        return Diagnostic(
            shown,
            1,
            1,
            "file",
            f"not read: a client record's file name ends in '.md' (lower case), so this "
            f"file is no record; rename it to {wanted}",
            "warning",
        )
    copy = conflict_copy(path.name)
    assert copy is not None
    return Diagnostic(
        shown,
        1,
        1,
        "file",
        f"conflict copy of {copy.original} left by {copy.tool}, not a client; "
        f"merge it into the record with: sortext merge-copy {shlex.quote(shown)}",
        "warning",
    )


def _email_line(path: Path) -> tuple[int, str | None]:
    """The line (1-based) and text of the top-level ``email:`` key in a record file."""
    try:
        lines = path.read_text(encoding="utf-8-sig").split("\n")
    except (OSError, UnicodeDecodeError):
        return 1, None
    for number, line in enumerate(lines[1:], 2):
        if line.rstrip() in ("---", "..."):
            break
        if line.startswith("email:"):
            return number, line
    return 1, None


def duplicate_emails(outcomes: Sequence[FileOutcome], root: Path | None = None) -> list[Diagnostic]:
    """A warning on every record whose email (any case) another record also has.

    With ``root`` (the repository), the warning points at the ``email:`` line.
    """
    first: dict[str, str] = {}
    found = []
    for outcome in sorted(outcomes, key=lambda o: o.path):
        if outcome.email is None:
            continue
        key = outcome.email.casefold()
        if key in first:
            line, text = _email_line(root / outcome.path) if root is not None else (1, None)
            found.append(
                Diagnostic(
                    outcome.path,
                    line,
                    1,
                    "email",
                    f"{outcome.email} is also the email of {first[key]}: one client, "
                    "two records? merge them, or correct the email",
                    "warning",
                    text,
                )
            )
        else:
            first[key] = outcome.path
    return found


def duplicate_invoice_ids(
    outcomes: Sequence[FileOutcome], root: Path | None = None
) -> list[Diagnostic]:
    """A warning at each invoice whose id an invoice of another record already has.

    An invoice number names one bill for the practice's books, not for one client:
    two laptops that each ran ``sortext invoice`` before they synced can both give
    the next number (``INV-2026-059``) to different clients, and every file is valid
    on its own (a record's own invoices are held unique by the schema's rules).  The
    first record in path order keeps the number; each later one is warned at its
    invoice's ``id`` (with ``root``, the repository, at its line and column, else at
    1:1), naming the record that has it first.  ``outcomes``: every record's outcome.
    """
    first: dict[str, str] = {}
    found: list[Diagnostic] = []
    for outcome in sorted(outcomes, key=lambda o: o.path):
        later = []
        for index, ident in outcome.invoices:
            owner = first.setdefault(ident, outcome.path)
            if owner != outcome.path:
                later.append((index, ident, owner))
        places = (
            _invoice_id_places(root / outcome.path, [i for i, _, _ in later])
            if (later and root is not None)
            else {}
        )
        for index, ident, owner in later:
            line, col, text = places.get(index, (1, 1, None))
            found.append(
                Diagnostic(
                    outcome.path,
                    line,
                    col,
                    f"invoices[{index}].id",
                    f"invoice {ident} is also an invoice of {owner}: one number, two bills "
                    "(two computers numbering invoices before they synced?); give one of "
                    "them a new id",
                    "warning",
                    text,
                )
            )
    return found


def _invoice_id_places(path: Path, indexes: Sequence[int]) -> dict[int, tuple[int, int, str]]:
    """(line, column, line's text) of the id of each invoice ``indexes`` in the record
    at ``path``; an index that cannot be placed (the file changed, unreadable) is left
    out, and its warning points at 1:1."""
    from sortext.record.positions import build_position_map
    from sortext.record.split import Split, split

    try:
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError):
        return {}
    parts = split(text)
    if not isinstance(parts, Split):
        return {}
    positions = build_position_map(parts.yaml_text)
    lines = parts.yaml_text.split("\n")
    places: dict[int, tuple[int, int, str]] = {}
    for index in indexes:
        where = ("invoices", index, "id")
        if where not in positions.values:
            continue
        line, col = positions.values[where]
        text_line = lines[line - 1] if 0 < line <= len(lines) else ""
        places[index] = (line + parts.yaml_line - 1, col, text_line)
    return places


def check_blobs(repo: Repository, blobs: Sequence[tuple[str, bytes | Diagnostic]]) -> CheckReport:
    """Check records given as bytes (the staged versions, for the pre-commit hook); a
    Diagnostic in place of the bytes is what stops that file from being a record (a
    staged symbolic link: git would commit the link, not a record)."""
    validator = RecordValidator(repo.config)
    with validator.one_pass():
        outcomes = [
            _outcome(
                parse_record(raw, shown, validator)
                if isinstance(raw, bytes)
                else LoadResult(shown, None, [raw.placed(shown)])
            )
            for shown, raw in blobs
        ]
    report = CheckReport(outcomes)
    every = repo.record_paths()
    others = dict(zip(map(stem_of, map(str, every)), relative_paths(repo, every), strict=True))
    report.cross = duplicate_ids(report.outcomes, others)
    from sortext.check.owned import OwnedStores, owned_in_raw

    stores = OwnedStores(repo)
    for shown, raw in blobs if stores.patterns else []:
        if isinstance(raw, bytes):
            report.cross += owned_in_raw(repo, raw, shown, stores)
    return report


def duplicate_ids(outcomes: Sequence[FileOutcome], others: dict[str, str]) -> list[Diagnostic]:
    """Two files claiming one id.  ``others`` maps ids (stems) of unchecked files."""
    owners: dict[str, str] = {}
    for stem, shown in others.items():
        owners[stem] = shown
    checked = {o.path for o in outcomes}
    for stem, shown in list(owners.items()):
        if shown in checked:
            del owners[stem]
    found = []
    for outcome in sorted(outcomes, key=lambda o: o.path):
        rid = outcome.record_id
        if rid is None:
            continue
        if rid in owners and owners[rid] != outcome.path:
            line = next((d.line for d in outcome.diagnostics if d.field == "id"), 1)
            found.append(
                Diagnostic(
                    outcome.path,
                    line,
                    1,
                    "id",
                    f"duplicate id '{rid}': also used by {owners[rid]}",
                )
            )
        else:
            owners[rid] = outcome.path
    return found
