"""The derived SQLite index under ``.sortext/``: parsed records, diagnostics, notes search.

Everything here can be rebuilt from ``clients/*.md``: deleting the file loses
nothing, a schema/config/version change (the schema fingerprint) empties it,
and a corrupt file is detected with ``PRAGMA quick_check`` and recreated.

A refresh looks at file stats only.  A file whose size and mtime match what
was indexed, and whose ctime was already in the past when it was indexed, is
trusted without reading it; one whose ctime is too close to the moment it was
indexed (a write in the same tick could leave the stat unchanged) is re-hashed,
and parsed only if its bytes changed.

When a file that once was valid becomes invalid, the last valid data is kept
and flagged *stale*, with the current diagnostics: the pages keep showing
what was last known while the error is reported.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sortext.errors import StorageError
from sortext.files.state import StateDir, clear_odd_file
from sortext.record.copies import is_record_name
from sortext.record.diagnostics import Diagnostic
from sortext.repo import Repository
from sortext.store import answers, board, clock, daybook, pagekeys, scan
from sortext.store.damage import unusable
from sortext.store.snippet import make_snippet
from sortext.store.sqlbatch import select_in
from sortext.store.writer import WriterWait

if TYPE_CHECKING:  # imported when a file is parsed: a warm query never needs it
    import concurrent.futures

    from sortext.check.load import LoadResult, Preparsed, Record
    from sortext.schema.validate import RecordValidator

LAYOUT_VERSION = "15"  # 8: search covers every text field (issue 16); 9: notes contentless;
# 10: the day book's agenda items carry their day and order (pages read a day's first rows)
# 11: a record's data and notes in one compressed blob, 2 KiB pages, records.withheld
# 12: blobs with a preset dictionary (PACK_DICT); only the findings and goals a query reads
# 13: auto_vacuum=INCREMENTAL: pages freed by forgotten replies and rewritten rows go back
# 14: the lists' counts kept as values (board_counts): an older sortext writing the board
# without keeping them must not leave counts a newer one reads
# 15: a blob's JSON written by the standard library starts with a space (read_data_json)
PARALLEL_THRESHOLD = 400
# A new index file's first refresh of at least this many records is stored in SQLite's
# rollback-journal mode (see Index._bulk_journal); fewer gain less than the switches cost.
BULK_JOURNAL_MIN = 400
# The notes index's in-memory buffer during that first bulk refresh, in bytes (FTS5's
# 'hashsize'; its default is 1 MiB).  FTS5 writes its buffer out as a new segment each
# time it fills, and merges every 4 segments of a level into one of the next: with 8 MiB
# the 10,000 bench records' search text is written out and merged far fewer times
# (SQLite's share of the parent 2.03 -> 1.84 CPU s, and the file 1.4 MB smaller); the
# postings, counts and sizes the searches and their ranking read are the same.  Set back
# to the default before the transaction commits (see _fts_bulk).
FTS_BULK_HASHSIZE = 8 << 20
FTS_DEFAULT_HASHSIZE = 1 << 20
# A file modified less than this before it was indexed may change again
# without its stat changing (coarse mtime clocks); re-hash it next time.
RACY_WINDOW_NS = 2_000_000_000
# What ``sortext next`` and ``sortext list`` need, kept apart from the full data.
SUMMARY_KEYS = ("id", "name", "stage", "owner", "next_action", "tags", "company")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    indexed_ns INTEGER NOT NULL,
    hash TEXT NOT NULL,
    record_id TEXT,
    ok INTEGER NOT NULL,
    stale INTEGER NOT NULL,
    has_errors INTEGER NOT NULL,
    has_diagnostics INTEGER NOT NULL,
    summary TEXT
) WITHOUT ROWID;  -- kept in path order, without a second copy of each path in an index
CREATE INDEX IF NOT EXISTS files_record_id ON files (record_id);
-- the files with errors (the dashboard lists them) without a look at every row
CREATE INDEX IF NOT EXISTS files_errors ON files (path) WHERE has_errors = 1;
CREATE TABLE IF NOT EXISTS records (
    path TEXT PRIMARY KEY,
    doc BLOB,  -- the front matter as JSON, a NUL, the notes: UTF-8, zlib-compressed
    body_line INTEGER,
    diagnostics TEXT NOT NULL,
    note INTEGER,  -- rowid of its row in notes (FTS5 finds a row fast only by rowid)
    name TEXT,  -- the name as indexed in notes (a contentless row is deleted with its values)
    withheld INTEGER NOT NULL  -- 1 when consent.data_use is false (kept off the pages)
);
CREATE INDEX IF NOT EXISTS records_note ON records (note);
-- Contentless: the words are indexed, the text is not kept a second time (the notes
-- are in records.doc); snippets are cut from records.doc by sortext.store.snippet.
CREATE VIRTUAL TABLE IF NOT EXISTS notes USING fts5(name, body, content='');
"""
# Tables dropped when the fingerprint changes (the other store modules add their own).
TABLES = ("files", "records", "notes")
# The store modules that keep tables in the same database: each gives SCHEMA and TABLES.
_PARTS = (board, pagekeys, answers, daybook, clock)
EXTRA_SCHEMA = "".join(part.SCHEMA for part in _PARTS)
EXTRA_TABLES = tuple(table for part in _PARTS for table in part.TABLES)


@dataclass(slots=True)
class RefreshStats:
    """What one refresh did; ``parsed`` counts files actually parsed."""

    scanned: int = 0
    parsed: int = 0
    rehashed: int = 0
    removed: int = 0
    rebuilt: bool = False
    changed: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Entry:
    """One record file as indexed: its (last valid) record and its current diagnostics."""

    path: str
    record: Record | None
    diagnostics: list[Diagnostic]
    ok: bool
    stale: bool
    hash: str


@dataclass(slots=True)
class FileRow:
    """A file's bookkeeping and summary (no full data): enough to decide what to redo."""

    path: str
    record_id: str
    hash: str
    ok: bool
    stale: bool
    has_diagnostics: bool

    @property
    def usable(self) -> bool:
        return self.ok or self.stale


@dataclass(slots=True)
class SearchHit:
    """One record the notes search found, with a snippet of the matching text."""

    id: str
    name: str
    path: str
    snippet: str


@dataclass(slots=True)
class _Parsed:
    """A worker's answer for one file: stat, hash and the parse, as JSON text."""

    path: str
    size: int
    mtime_ns: int
    hash: str
    record_id: str | None
    ok: bool
    summary: str | None
    data: bytes | None  # the record's JSON and notes, compressed together (see _pack_doc)
    body: str | None  # plain: what notes indexes when search_text is None
    body_line: int | None
    diagnostics: str
    name: str
    has_errors: bool
    has_diagnostics: bool
    extra: Any = None  # what a RecordHook's work() returned for this record
    search_text: str | None = None  # notes and every text field (see searchable)
    erased: bool = False  # an erased client brought back: kept out of the index and pages
    withheld: bool = False  # consent.data_use is false


class RecordHook(Protocol):
    """More work on each freshly parsed record, done by the process that parsed it.

    A cold build assesses each record and renders its page while the record is
    in memory, instead of storing it and reading it back.  ``work`` runs in the
    parsing process (a forked worker, or this one) and returns a picklable
    value; ``store`` receives those values in this process, inside the
    refresh's transaction.  Records that may become *stale* (a known file that
    no longer validates) are not handed over: what the index keeps for them is
    only known once stored.
    """

    def work(
        self, path: str, digest: str, record: Record, diagnostics: list[Diagnostic]
    ) -> Any: ...

    def store(self, conn: sqlite3.Connection, done: list[Any]) -> None: ...


_worker_validator: RecordValidator | None = None
_worker_items: Sequence[tuple[str, str]] = ()
_worker_hook: tuple[RecordHook, frozenset[str]] | None = None
_worker_ready: Preparsed | None = None


# zlib level: 4 keeps a record's JSON and notes in 8% less than level 1 for 0.04 ms more
# per record (level 6: 10% less for 0.1 ms more; measured at 1,000 generated records).
PACK_LEVEL = 4


# A preset dictionary for the blobs: the field names and the enumerated values of the
# built-in record schema (``sortext/schema/record.schema.json``) as they appear in a
# record's JSON.  Each blob is compressed alone, so every record would otherwise pay
# for the first occurrence of each name: 6% less with it (measured on 1,000 generated
# records, no slower).  A blob compressed with one dictionary cannot be read with
# another (zlib checks the dictionary's checksum): changing it needs a new
# LAYOUT_VERSION (tests/test_index_size.py pins the pair).
_ENUMS = (
    "achieved any cancelled day draft dropped email held hour month no-show none open overdue "
    "paid phone post project quarter rescheduled scheduled sent session sms void week year"
)
_FIELDS = (
    "amount baseline billing blockers by commitments company consent contact contract "
    "currency data_use date dates description due email email_thread ended files "
    "first_contact focus given_on goal goals id invoices issued kind last_review links "
    "marketing measure measurements minutes name next_action next_review note notes owner "
    "package paid_on payment_method per phone plan rate renewal retain_until review score "
    "sessions since stage started status tags target terms_days time title uid value "
    "waiting_on what"
)
PACK_DICT = (
    "".join(f'"{word}",' for word in _ENUMS.split())
    + "".join(f'"{word}":' for word in _FIELDS.split())
).encode("ascii")


def _pack(text: str) -> bytes:
    """What the index keeps of a long text: UTF-8, zlib-compressed (with PACK_DICT)."""
    packer = zlib.compressobj(PACK_LEVEL, zdict=PACK_DICT)
    return packer.compress(text.encode("utf-8")) + packer.flush()


def _unpack(blob: bytes | None) -> str:
    if blob is None:
        return ""
    unpacker = zlib.decompressobj(zdict=PACK_DICT)
    return (unpacker.decompress(blob) + unpacker.flush()).decode("utf-8")


def _pack_doc(data_json: str | bytes, body: str) -> bytes:
    """A record's front matter (JSON, text or UTF-8: it never holds a raw NUL) and notes
    in one blob: compressed together they take less than apart, and one row holds one
    blob."""
    if isinstance(data_json, str):
        return _pack(data_json + "\0" + body)
    packer = zlib.compressobj(PACK_LEVEL, zdict=PACK_DICT)
    return packer.compress(data_json + b"\0" + body.encode("utf-8")) + packer.flush()


#: Whether :func:`_data_json` may use orjson (``SORTEXT_STDLIB_JSON=1`` in the
#: environment selects the standard library's encoder, to measure or rule it out).
FAST_JSON = os.environ.get("SORTEXT_STDLIB_JSON", "") in ("", "0")


def _data_json(data: Mapping[str, Any]) -> bytes:
    """A parsed record's data as compact JSON, UTF-8: what the index blob keeps.

    orjson (~10x faster than ``json.dumps`` on a realistic record: 5 against 50 us)
    when it is installed and :data:`FAST_JSON`; the standard library otherwise, and for
    anything orjson refuses (a key that is not text, an integer past 64 bits).  Both
    decode with ``json.loads`` to equal values of the same types
    (tests/test_index_json.py): orjson writes non-ASCII characters as they are where
    ``json.dumps`` escapes them.  It also writes NaN and the infinities as ``null``
    (read back None): a parsed record can still hold them (the value check reports
    at most 20 values, so only those are dropped), so output holding ``null`` is
    written again by the standard library (no realistic record holds a null).
    """
    if FAST_JSON:
        try:
            import orjson
        except ImportError:
            pass
        else:
            try:
                out = orjson.dumps(data)
            except TypeError:  # orjson.JSONEncodeError
                pass
            else:
                if b"null" not in out:  # a None, or a NaN or infinity written as null
                    return out
    return b" " + json.dumps(data, separators=(",", ":")).encode("ascii")


def read_data_json(text: str) -> Any:
    """The value :func:`_data_json` wrote as ``text`` (a dict for a record's data).

    What orjson wrote (it starts with ``{``) is read by orjson: 14 against 34 us for a
    realistic record's 5 KB, read again for every record a build's pages or an
    all-record reader take.  What the standard library wrote starts with a space (JSON
    allows it) and is read by ``json.loads``, the only reader that gives back what it
    may hold: an integer past 64 bits (orjson reads it as a float, silently), NaN, the
    infinities, a lone surrogate (orjson refuses the last three).  Raises ValueError
    for text that is not JSON."""
    if FAST_JSON and text[:1] == "{":
        try:
            import orjson
        except ImportError:
            pass
        else:
            try:
                return orjson.loads(text)
            except orjson.JSONDecodeError:  # not orjson's after all: json.loads says why
                pass
    return json.loads(text)


def _unpack_doc(doc: bytes) -> tuple[str, str]:
    """(front matter JSON, notes) of a blob made by :func:`_pack_doc`."""
    data_json, _, body = _unpack(doc).partition("\0")
    return data_json, body


def _indexed(doc: bytes | None) -> str:
    """The text the notes index holds for a stored record (see :func:`searchable`):
    rebuilt from what ``records`` keeps, to delete its row or cut its snippet."""
    if doc is None:
        return searchable("", None)
    data_json, body = _unpack_doc(doc)
    return searchable(body, read_data_json(data_json))


def _diag_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps(
        [
            [d.path, d.line, d.column, d.field, d.message, d.severity, d.source_line]
            for d in diagnostics
        ]
    )


def _diag_from_json(text: str) -> list[Diagnostic]:
    return [Diagnostic(*row) for row in json.loads(text)]


def _no_record(
    display: str,
    size: int,
    mtime: int,
    digest: str,
    diagnostics: str,
    has_errors: bool,
    has_diagnostics: bool,
) -> _Parsed:
    """A file's answer when nothing of it is indexed: unreadable, unparseable or erased."""
    return _Parsed(
        display,
        size,
        mtime,
        digest,
        None,
        False,
        None,
        None,
        None,
        None,
        diagnostics,
        "",
        has_errors,
        has_diagnostics,
    )


def _parse_file(
    fs_path: str,
    display: str,
    validator: RecordValidator,
    hook: tuple[RecordHook, frozenset[str]] | None = None,
    ready: Preparsed | None = None,
) -> _Parsed:
    from sortext.record.source import read_bytes

    try:
        st = os.lstat(fs_path)  # a link's own identity: it is never read through
        size, mtime = st.st_size, st.st_mtime_ns
    except OSError:
        size, mtime = -1, 0
    raw = read_bytes(fs_path)
    if not isinstance(raw, bytes):
        diag = Diagnostic(display, raw.line, raw.column, raw.field, raw.message)
        return _no_record(display, size, mtime, "", _diag_json([diag]), True, True)
    known = ready.get(display) if ready else None
    if known is not None and known[0] == raw:  # the caller parsed these very bytes
        result = known[1]
    else:
        result = parse_record(raw, display, validator)
    digest = hashlib.sha256(raw).hexdigest()
    rec = result.record
    errors = not result.ok
    diags = bool(result.diagnostics)
    if rec is None:
        return _no_record(
            display, size, mtime, digest, _diag_json(result.diagnostics), errors, diags
        )
    if validator.is_erased(rec.id, rec.data):
        # sortext check and the watcher's log report it; no page, summary or search entry
        none = _no_record(display, size, mtime, digest, "[]", True, True)
        return _erased(none)
    summary = {k: rec.data[k] for k in SUMMARY_KEYS if k in rec.data}
    parsed = _Parsed(
        display,
        size,
        mtime,
        digest,
        rec.id,
        result.ok,
        _SUMMARY_JSON.encode(summary),
        _pack_doc(_data_json(rec.data), rec.body),
        None,  # the notes travel once, inside search_text
        rec.body_line,
        _diag_json(result.diagnostics),
        rec.name,
        errors,
        diags,
        search_text=searchable(rec.body, rec.data),
        withheld=_withheld(rec.data),
    )
    if hook is not None and (result.ok or display not in hook[1]):
        parsed.extra = hook[0].work(display, digest, rec, result.diagnostics)
    return parsed


# ``json.dumps(value, separators=(",", ":"))`` makes an encoder at each call (only the
# default arguments reuse one): one kept for the summary every parsed record stores.
_SUMMARY_JSON = json.JSONEncoder(separators=(",", ":"))


def _withheld(data: Mapping[str, Any]) -> bool:
    """True when the record's ``consent.data_use`` is false (its page is withheld)."""
    consent = data.get("consent")
    return isinstance(consent, dict) and consent.get("data_use") is False


def _erased(parsed: _Parsed) -> _Parsed:
    parsed.erased = True
    return parsed


def _parse_span(span: tuple[int, int]) -> list[_Parsed]:
    assert _worker_validator is not None
    return [
        _parse_file(fs, shown, _worker_validator, _worker_hook, _worker_ready)
        for fs, shown in _worker_items[slice(*span)]
    ]


def parse_files(
    items: Sequence[tuple[str, str]],
    validator: RecordValidator,
    hook: tuple[RecordHook, frozenset[str]] | None = None,
    ready: Preparsed | None = None,
) -> Iterator[list[_Parsed]]:
    """Parse ``(filesystem path, display path)`` pairs, in order, a batch at a time.

    Many files are parsed in forked workers; batches arrive while the others are
    still being parsed, so the caller stores them as they come and never holds
    every parsed record at once (a cold build of 10,000 stays small).
    ``ready`` (see :data:`~sortext.check.load.Preparsed`) are files already parsed.
    """
    global _worker_validator, _worker_items, _worker_hook, _worker_ready
    processes = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_THRESHOLD:
        yield [_parse_file(fs, shown, validator, hook, ready) for fs, shown in items]
        return
    from sortext.check.many import bulk_gc

    def here(span: tuple[int, int]) -> list[_Parsed]:
        return [_parse_file(fs, shown, validator, hook, ready) for fs, shown in items[slice(*span)]]

    if processes < 2:  # in this process, a batch at a time too: never every record at once
        with bulk_gc():
            for span in spans(len(items), 1):
                yield here(span)
        return
    import sortext.check.load  # noqa: F401  (the parser: imported once, before the fork)

    _worker_validator, _worker_items, _worker_hook, _worker_ready = validator, items, hook, ready
    validator.prepare()  # compile before fork so every worker inherits it
    try:
        # the pool first: what it imports for the workers is frozen with the rest
        with _ForkPool(processes - 1) as pool, bulk_gc():
            yield from _shared_spans(pool, here, spans(len(items), processes), processes - 1)
    finally:
        _worker_validator, _worker_items, _worker_hook, _worker_ready = None, (), None, None


class WorkerLost(Exception):
    """A forked worker died (killed) before giving back a span it was handed."""


class _Async(Protocol):
    def ready(self) -> bool: ...

    def get(self) -> list[_Parsed]: ...


class _Pool(Protocol):
    def apply_async(
        self, func: Callable[[tuple[int, int]], list[_Parsed]], args: tuple[tuple[int, int]]
    ) -> _Async: ...


class _Handed:
    """One span handed to a :class:`_ForkPool` worker (the :class:`_Async` shape)."""

    def __init__(self, future: concurrent.futures.Future[list[_Parsed]]) -> None:
        self.future = future

    def ready(self) -> bool:
        return self.future.done()

    def get(self) -> list[_Parsed]:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self.future.result()
        except BrokenProcessPool as exc:
            raise WorkerLost(str(exc)) from exc


class _ForkPool:
    """Forked workers (``concurrent.futures``' process pool: a worker that dies, killed
    by the out-of-memory killer or by hand, breaks the pool and every span it had is
    reported lost, :class:`WorkerLost`; ``multiprocessing.Pool`` replaced the worker
    and its span's result never came: the build waited for ever, holding the index).
    Shut down on exit: spans not started are cancelled, the workers end."""

    def __init__(self, workers: int) -> None:
        from sortext.check.many import fork_executor

        self.executor = fork_executor(workers)

    def apply_async(
        self, func: Callable[[tuple[int, int]], list[_Parsed]], args: tuple[tuple[int, int]]
    ) -> _Async:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return _Handed(self.executor.submit(func, *args))
        except BrokenProcessPool as exc:
            raise WorkerLost(str(exc)) from exc

    def __enter__(self) -> _ForkPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def _shared_spans(
    pool: _Pool,
    here: Callable[[tuple[int, int]], list[_Parsed]],
    todo: Sequence[tuple[int, int]],
    workers: int,
) -> Iterator[list[_Parsed]]:
    """The parses of ``todo``'s spans, in order: ``workers`` forked workers each kept
    :data:`AHEAD` spans ahead, and this process parsing the next span itself whenever
    the oldest one sent out is not back yet (it would only wait: the workers and this
    process are as many as the cores, where a third process made them share two cores,
    and what this process parses is never pickled).  Spans parsed here ahead of one a
    worker still has wait in order: at most :data:`AHEAD` x ``workers`` + 2 of them.
    Once a worker is lost (:class:`WorkerLost`) every span not yet back, and every
    later one, is parsed here."""
    pending: collections.deque[tuple[tuple[int, int], _Async | list[_Parsed]]]
    pending = collections.deque()
    sent = 0  # spans handed to a worker or parsed here
    out = 0  # of those sent to workers, not yet back
    lost = False
    while sent < len(todo) or pending:
        while not lost and sent < len(todo) and out < AHEAD * workers:
            try:
                pending.append((todo[sent], pool.apply_async(_parse_span, (todo[sent],))))
            except WorkerLost:
                lost = True
                break
            sent, out = sent + 1, out + 1
        if not pending:  # the pool was lost with nothing out: the rest is parsed here
            pending.append((todo[sent], here(todo[sent])))
            sent += 1
        span, head = pending[0]
        if isinstance(head, list):
            pending.popleft()
            yield head
        elif lost or head.ready() or sent == len(todo) or len(pending) > AHEAD * workers + 2:
            pending.popleft()
            out -= 1
            try:
                parsed = head.get()
            except WorkerLost:
                lost = True
                parsed = here(span)
            yield parsed
        else:
            pending.append((todo[sent], here(todo[sent])))
            sent += 1


#: Spans each forked worker is kept ahead by (one being parsed, one waiting to be).
AHEAD = 2


def spans(count: int, workers: int, smallest: int = 32) -> list[tuple[int, int]]:
    """``[start, stop)`` slices of ``count`` items: small enough to balance the workers
    and stream results, large enough that each costs little to hand over."""
    size = max(smallest, min(256, count // (workers * 8) or 1))
    return [(i, min(i + size, count)) for i in range(0, count, size)]


@contextlib.contextmanager
def _fts_bulk(conn: sqlite3.Connection, bulk: bool) -> Iterator[None]:
    """Inside a transaction: the notes index's buffer at :data:`FTS_BULK_HASHSIZE`
    while the block runs, when ``bulk`` (a new index file's first bulk refresh);
    otherwise nothing.

    Afterwards, still inside the transaction, the buffer is set back to FTS5's
    default and the setting's row is taken out of ``notes_config``, so the table is
    the one a refresh without it leaves (an incremental refresh keeps the default
    buffer: what a new index holds is only written out and merged fewer times).  A
    failed refresh rolls the setting back with everything else."""
    if not bulk:
        yield
        return
    conn.execute("INSERT INTO notes (notes, rank) VALUES ('hashsize', ?)", (FTS_BULK_HASHSIZE,))
    try:
        yield
    finally:
        with contextlib.suppress(sqlite3.Error):  # a failing refresh: rolled back anyway
            conn.execute(
                "INSERT INTO notes (notes, rank) VALUES ('hashsize', ?)", (FTS_DEFAULT_HASHSIZE,)
            )
            # a shadow table written directly: refused only under SQLITE_DBCONFIG_DEFENSIVE,
            # and then the row holding the default is left (the same behaviour)
            conn.execute("DELETE FROM notes_config WHERE k = 'hashsize'")


def _has_header(path: Path) -> bool:
    """Cheap test that ``path`` is an SQLite file at all (empty counts: SQLite fills it)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    return head in (b"", b"SQLite format 3\x00")


def _is_database(path: Path) -> bool:
    """True when ``path`` opens as SQLite and passes ``PRAGMA quick_check``."""
    try:
        conn = sqlite3.connect(path)
        try:
            row = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if not unusable(exc):
            raise  # busy, read-only...: nothing says the file is damaged
        return False
    return bool(row) and row[0] == "ok"


def _kept_rows(conn: sqlite3.Connection, tables: tuple[str, ...]) -> dict[str, list[Any]]:
    """The (key, value) rows of ``tables`` that a rebuild keeps, in their order; a table
    missing, or of another shape, gives none (a rebuild must not fail on derived data)."""
    kept: dict[str, list[Any]] = {}
    for table in tables:
        try:
            rows = conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
        except sqlite3.Error:
            continue
        kept[table] = [row for row in rows if len(row) == 2]
    return kept


def _shrink(conn: sqlite3.Connection) -> None:
    """Give back the pages of the dropped tables (cheap: the tables are empty now), so
    an index rebuilt after a layout change is no bigger than a new one.  Skipped
    when another connection is reading (the space is then reused by the rebuild)."""
    with contextlib.suppress(sqlite3.OperationalError):
        conn.execute("VACUUM")


#: Free pages kept for reuse before they are given back: 1/:data:`GIVE_BACK_SHARE` of
#: the file, at least 256 pages (512 KiB).  Replies are forgotten and rows rewritten all
#: the time; without this the file keeps its largest size (~20% more than the data at
#: 1,000 records).
GIVE_BACK_FREE = 256
#: 1/64 of the file: ~4.6 MB at 30,000 records.  With 1/16 up to ~18 MB stayed free
#: there (a remembered ``next`` answer forgotten by a save is ~10 MB at 30,000),
#: which took ``.sortext/`` past the records' size (1.02x); giving back 10 MB costs
#: ~25-50 ms of CPU, once per batch freed (``docs/performance.md``).
GIVE_BACK_SHARE = 64


def _give_back(conn: sqlite3.Connection, bulk: bool = False) -> None:
    """Return the index's free pages to the file system (``PRAGMA incremental_vacuum``)
    when more than :data:`GIVE_BACK_FREE` pages and 1/:data:`GIVE_BACK_SHARE` of the
    file are free (any share after a new file's bulk refresh, ``bulk``: the pages
    FTS5's last merges of the notes left free, which no later write of that refresh
    reused, up to ~3% of the file at 30,000 records).  Does nothing to a file without
    ``auto_vacuum=INCREMENTAL`` (older layouts) and when another connection holds the
    write lock (the next close tries again)."""
    with contextlib.suppress(sqlite3.Error):
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        share = free * GIVE_BACK_SHARE > conn.execute("PRAGMA page_count").fetchone()[0]
        if free > GIVE_BACK_FREE and (bulk or share):
            # each step of the statement frees one page, and execute() steps a statement
            # without result columns once: executescript() runs it to its end
            conn.executescript("PRAGMA incremental_vacuum;")


#: meta: a random identity given to an index file when it is made or emptied (a new
#: fingerprint): a running watcher's word names it (:mod:`sortext.files.watchmark`), so
#: a file deleted, emptied or copied in while the watcher runs is not taken for its.
IDENTITY_KEY = "index_id"


def _new_identity() -> str:
    return os.urandom(8).hex()


def _identity(conn: sqlite3.Connection) -> str | None:
    """The index's identity, given now to a file made by an older sortext (None when it
    cannot be read or written: nothing is then vouched for).

    Giving it does not wait for another writer (busy timeout 0 for that one write): a
    query opening an older index while the watcher or a build writes it answers at
    once, from what it can read, and the next open gives the identity."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (IDENTITY_KEY,)).fetchone()
        if row is None:
            waited = conn.execute("PRAGMA busy_timeout").fetchone()[0]
            conn.execute("PRAGMA busy_timeout=0")
            try:
                with conn:
                    conn.execute(
                        "INSERT OR IGNORE INTO meta VALUES (?, ?)",
                        (IDENTITY_KEY, _new_identity()),
                    )
            finally:
                conn.execute(f"PRAGMA busy_timeout={int(waited)}")
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (IDENTITY_KEY,)).fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row is not None else None


def identity_of(root: Path) -> str | None:
    """The identity of ``<root>/.sortext/index.sqlite`` as it is now (see
    :data:`IDENTITY_KEY`), read without changing anything; None without a readable
    index or identity."""
    path = StateDir(root).index
    try:
        if not path.is_file():
            return None
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=2.0)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (IDENTITY_KEY,)).fetchone()
        finally:
            conn.close()
    except (sqlite3.Error, OSError, ValueError):
        return None
    return str(row[0]) if row is not None else None


def _erasures(root: Path) -> str:
    """``""`` without ``erased.yaml``, else ``":e"`` and a digest of its bytes."""
    from sortext.files.plain import read_regular
    from sortext.record.tombstone import FILE_NAME

    try:
        data = read_regular(root / FILE_NAME)[0]
    except FileNotFoundError:
        return ""
    except OSError:
        data = b"\0unreadable"  # reported by every check; nobody erased meanwhile
    return ":e" + hashlib.sha256(data).hexdigest()[:16]


class Index:
    """The index of one records repository.  Open with :meth:`Index.open`."""

    def __init__(self, repo: Repository, conn: sqlite3.Connection, rebuilt: bool) -> None:
        self.repo = repo
        self.conn = conn
        self._rebuilt = rebuilt
        self._validator: RecordValidator | None = None
        # a file this open created (nothing was there), not yet refreshed; and one
        # in rollback-journal mode for its first bulk refresh (see _bulk_journal)
        self._new_file = False
        self._journal_pending = False
        # this file's random identity (meta IDENTITY_KEY): what a watcher's word names
        self.identity: str | None = None
        # the pass of the last stat_changes() and the names it gave: a refresh of
        # exactly those names brings the index current with that pass (its stamp is kept)
        self._pending: tuple[scan.Pass, list[str]] | None = None

    # -- opening -----------------------------------------------------------------

    @classmethod
    def open(cls, repo: Repository, verify: bool = False) -> Index:
        """Open (creating, repairing or emptying as needed) ``<repo>/.sortext/index.sqlite``.

        Every open checks the file header; ``verify`` also runs ``PRAGMA
        quick_check`` (it reads the whole file: ~1 s at 10,000 records, so the
        quick queries skip it and rely on SQLite reporting damage when it
        reads a bad page, which :meth:`refresh` answers by rebuilding).
        """
        from sortext.schema.effective import schema_fingerprint

        folder = StateDir(repo.root).path
        path = StateDir(repo.root).index
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise StorageError(f"{folder}: cannot create the index folder: {exc.strerror}") from exc
        # erased.yaml decides which records are kept out (an erased client is not
        # indexed at all): a new erasure over a file that did not change empties the
        # index as a schema change does.
        fingerprint = f"{LAYOUT_VERSION}:{schema_fingerprint(repo.config)}{_erasures(repo.root)}"
        rebuilt = False
        for suffix in ("", "-wal", "-shm", "-journal"):  # a FIFO would block the open
            clear_odd_file(Path(f"{path}{suffix}"))
        if path.exists() and not (_has_header(path) and (not verify or _is_database(path))):
            cls._delete(path)
            rebuilt = True
        try:
            fresh = not path.exists()
            # another process writing the file (a first build fills it in one long
            # transaction that readers wait for): waited for while it makes progress
            conn, current = WriterWait(path).run(lambda: cls._connect_reading(path))
        except sqlite3.DatabaseError as exc:
            if not unusable(exc):  # busy, locked, read-only, full: reported, not deleted
                raise
            cls._delete(path)
            fresh = True
            conn = cls._connect(path)
            current = None
            rebuilt = True
        if current != fingerprint:
            rebuilt = rebuilt or current is not None
            # the questions command lines asked are still the user's (a watcher works
            # them out again under the new configuration); their replies are dropped
            questions = _kept_rows(conn, answers.KEPT_ACROSS_REBUILD)
            with conn:
                kinds = dict(conn.execute("SELECT name, type FROM sqlite_master"))
                for table in (*TABLES, *EXTRA_TABLES, "assessments"):
                    # a name may be a view in one layout and a table in another
                    kind = "VIEW" if kinds.get(table) == "view" else "TABLE"
                    conn.execute(f"DROP {kind} IF EXISTS {table}")
                conn.executescript(_SCHEMA + EXTRA_SCHEMA)
                conn.execute("DELETE FROM meta")  # what was said of the dropped tables
                conn.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (fingerprint,)
                )
                conn.execute(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)", (IDENTITY_KEY, _new_identity())
                )
                for table, rows in questions.items():
                    conn.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", rows)
            if rebuilt:
                _shrink(conn)
        index = cls(repo, conn, rebuilt)
        index._new_file = fresh
        index.identity = _identity(conn)
        return index

    @classmethod
    def _connect_reading(cls, path: Path) -> tuple[sqlite3.Connection, str | None]:
        """A connection to ``path`` and the fingerprint it holds (the connection is
        closed when either fails)."""
        conn = cls._connect(path)
        try:
            return conn, cls._fingerprint(conn)
        except BaseException:
            conn.close()
            raise

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            # Each transaction takes the write lock when it begins (Python begins one
            # before the first INSERT/UPDATE/DELETE): a deferred one that read first
            # (a build reading rows while it renders) was refused at once with
            # "database is locked" when a query had committed meanwhile, the busy
            # timeout not applying to a snapshot's upgrade.  Readers are not blocked (WAL).
            conn.isolation_level = "IMMEDIATE"
            # A new file's pages: 2 KiB packs a record's ~3 KB blob with less left
            # unused than 4 KiB (the whole index ~4% smaller); no effect on an existing one.
            conn.execute("PRAGMA page_size=2048")
            # Free pages can go back to the file system (see _give_back); a new file
            # only, or one rebuilt by VACUUM (a layout change does that).  Set only when
            # not set: setting it takes the write lock even when nothing changes, and a
            # query opening the index while another process writes it (a long build, the
            # watcher) waited for that writer, then failed "database is locked".
            if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:  # 2: INCREMENTAL
                with contextlib.suppress(sqlite3.OperationalError):  # busy: its writer sets it
                    conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA + EXTRA_SCHEMA)
        except sqlite3.OperationalError as exc:
            conn.close()
            if "fts5" in str(exc):
                raise StorageError(
                    "this Python's SQLite lacks FTS5; install a Python built with FTS5"
                ) from exc
            raise
        return conn

    @staticmethod
    def _fingerprint(conn: sqlite3.Connection) -> str | None:
        row = conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        return str(row[0]) if row else None

    @staticmethod
    def _delete(path: Path) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.unlink(f"{path}{suffix}")
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise StorageError(f"{path}: cannot remove the broken index: {exc}") from exc

    def _bulk_journal(self) -> None:
        """Fill a new index file in SQLite's rollback-journal mode (then
        :meth:`_settle_journal` makes it WAL again).

        A page the file did not hold before its transaction began needs no journal
        entry, so a cold build's one transaction writes each page once into the file,
        where WAL wrote it to the log, read it back and wrote it again at the
        checkpoint (~0.35 of the parent's ~2.5 CPU s of SQLite at 10,000 records).  A
        crash leaves the journal SQLite rolls back, as ever.  While the transaction
        lasts, readers wait for it (in WAL they read the empty index as it was) and
        the commit waits for readers; the file is new, so the only readers are
        commands started meanwhile, which found no records in it and wait to write
        anyway.  Left in WAL when another connection holds the file (the switch needs
        it alone)."""
        self._new_file = False
        try:
            mode = self.conn.execute("PRAGMA journal_mode=DELETE").fetchone()
        except sqlite3.OperationalError:
            return  # busy: filled in WAL, as before
        self._journal_pending = True
        if mode is None or str(mode[0]).lower() != "delete":
            self._settle_journal()

    def _settle_journal(self) -> None:
        """Make the index file WAL again after :meth:`_bulk_journal` (readers never wait
        for a writer).  If another connection holds the file at that moment (SQLite's
        busy wait runs out), it stays in rollback mode: the next connection anyone
        opens makes it WAL (:meth:`_connect`)."""
        if not self._journal_pending:
            return
        self._journal_pending = False
        with contextlib.suppress(sqlite3.Error):  # busy: made WAL by the next connection
            self.conn.execute("PRAGMA journal_mode=WAL").fetchall()

    def close(self) -> None:
        self._settle_journal()
        _give_back(self.conn)
        self.conn.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def validator(self) -> RecordValidator:
        if self._validator is None:
            from sortext.schema.validate import RecordValidator

            self._validator = RecordValidator(self.repo.config)
        return self._validator

    # -- refreshing --------------------------------------------------------------

    def refresh(
        self,
        hook: RecordHook | None = None,
        only: Sequence[str] | None = None,
        ready: Preparsed | None = None,
    ) -> RefreshStats:
        """Bring the index up to date with the clients folder; parse only what changed.

        ``hook`` does more work on each freshly parsed record (see RecordHook).
        ``only`` (record file names in the clients folder, e.g. ``amara.md``) looks
        at those files alone, for a caller that knows what changed (the watcher);
        without it every file's stat is compared.  ``ready`` (display path -> the
        bytes a caller read and their LoadResult) spares parsing a file that still
        holds those bytes (the watcher has validated the save).  A damaged database (SQLite says
        so while reading) is deleted and rebuilt, with a full look.
        """
        try:
            try:
                if hook is not None:  # its work is not to be done twice
                    return self._refresh(hook, only, ready)
                # another process writing (a build, the watcher): its write lock waited
                # for while it makes progress, the refresh (rolled back) tried again
                path = StateDir(self.repo.root).index
                return WriterWait(path).run(lambda: self._refresh(hook, only, ready))
            except sqlite3.DatabaseError as exc:
                if not unusable(exc):  # another writer, a full disk: the file is fine
                    raise
                self._journal_pending = False  # the file is deleted
                self.conn.close()
                path = StateDir(self.repo.root).index
                self._delete(path)
                fresh = Index.open(self.repo)
                self.conn = fresh.conn
                self._new_file = fresh._new_file
                self.identity = fresh.identity
                stats = self._refresh(hook)
                stats.rebuilt = True
                return stats
        finally:
            self._new_file = False
            self._settle_journal()

    def refresh_for_query(self) -> RefreshStats:
        """:meth:`refresh`, skipped when a running watcher vouches that the index holds
        every save (:mod:`sortext.files.watchmark`): a query with nothing changed
        then costs the same at 1,000 and 30,000 records instead of a stat per file."""
        from sortext.files import watchmark

        root, clients = self.repo.root, self.repo.clients_path
        if not self._rebuilt and watchmark.vouched(root, clients, self.identity or ""):
            return RefreshStats()
        return self.refresh()

    def _refresh(
        self,
        hook: RecordHook | None = None,
        only: Sequence[str] | None = None,
        ready: Preparsed | None = None,
    ) -> RefreshStats:
        stats = RefreshStats(rebuilt=self._rebuilt)
        clients = self.repo.relative(self.repo.clients_path).rstrip("/")
        query = "SELECT path, size, mtime_ns, indexed_ns, hash FROM files"
        rows: list[tuple[Any, ...]] = []
        done: scan.Pass | None = None  # the pass this refresh completes (its stamp is kept)
        pending, self._pending = self._pending, None
        if only is None:
            if not self._rebuilt:
                done = scan.look(self.conn, self.repo.clients_path, clients)
            if done is not None and done.candidates is not None:
                # only what changed since the stamp: compared as every file is below
                names = [n for n in done.candidates if _is_record_name(n)]
                rows = select_in(
                    self.conn, query + " WHERE path IN ({})", [f"{clients}/{n}" for n in names]
                )
                found = [entry for entry in map(self._stat_one, names) if entry is not None]
                stats.scanned = len(done.names) - len(found)  # looked at, all of them
            else:
                rows = self.conn.execute(query).fetchall()
                done = scan.listing(self.repo.clients_path, clients)
                found = _scan(self.repo.clients_path)
                if done is not None:
                    done.saw(st.st_ctime_ns for _, _, st in found if st is not None)
        else:
            if pending is not None and sorted(only) == pending[1]:
                done = pending[0]
            names = sorted({n for n in only if _is_record_name(n)})
            rows = select_in(
                self.conn, query + " WHERE path IN ({})", [f"{clients}/{n}" for n in names]
            )
            found = [entry for entry in map(self._stat_one, names) if entry is not None]
        known = {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}
        seen: set[str] = set()
        to_parse: list[tuple[str, str]] = []
        to_touch: list[tuple[int, int, int, str]] = []
        for fs_path, name, st in found:
            display = f"{clients}/{name}"
            seen.add(display)
            stats.scanned += 1
            old = known.get(display)
            if st is None:
                to_parse.append((fs_path, display))
                continue
            if old is not None and old[0] == st.st_size and old[1] == st.st_mtime_ns:
                if _settled(st, old[2]):
                    continue
                stats.rehashed += 1
                if old[3] and _hash_file(Path(fs_path)) == old[3]:
                    to_touch.append((st.st_size, st.st_mtime_ns, time.time_ns(), display))
                    continue
            to_parse.append((fs_path, display))
        self._rebuilt = False
        gone = sorted(set(known) - seen)
        # A new stamp: after a pass without one, after storing or removing records (the
        # stamp names the generation), when the folder's names or inodes moved, or when
        # many candidates proved unchanged (touched files) that later stamps would not
        # name (not those changed in the clock tick the files' clock was last seen at:
        # every stamp names them, see Pass.settled); a few such stay candidates, so that
        # an answer the quick queries keep under this stamp stays valid
        # (sortext.views.recall keys it by the stamp and the candidates' stat).
        restamp = done is not None and (
            done.candidates is None
            or done.moved
            or sum(map(_is_record_name, done.settled())) > scan.RESTAMP_AFTER
            or bool(to_parse or gone)
        )
        if not to_parse and not gone and not to_touch:
            if restamp and done is not None:
                with self.conn:
                    scan.store(self.conn, done)
            return stats
        to_parse.sort(key=lambda item: item[1])
        bulk = self._new_file and len(to_parse) >= BULK_JOURNAL_MIN
        if bulk:
            self._bulk_journal()
        stats.removed = len(gone)
        changed = list(gone)
        with self.conn:
            if to_parse or gone:
                answers.forget_all(self.conn)
                # whoever stored them (a query, a build, the watcher): see generation()
                self.conn.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('generation', "
                    "COALESCE((SELECT CAST(value AS INTEGER) FROM meta "
                    "WHERE key = 'generation' AND typeof(value) = 'text' "
                    "AND value GLOB '[0-9]*' AND value NOT GLOB '*[^0-9]*' "
                    f"AND length(value) <= {scan.GENERATION_DIGITS}), 0) + 1)"
                )
                # what the index holds now, under the write lock (the INSERT above took
                # it): another process (a second build, a query, the watcher) may have
                # stored some of these files since ``rows`` was read, and a file stored
                # as new over its row would leave that row's notes in the search
                known = self._known_now(known, [display for _, display in to_parse])
            self.conn.executemany(
                "UPDATE files SET size = ?, mtime_ns = ?, indexed_ns = ? WHERE path = ?", to_touch
            )
            self._drop_notes(gone)
            for table in ("files", "records"):
                self.conn.executemany(f"DELETE FROM {table} WHERE path = ?", [(p,) for p in gone])
            if to_parse:
                handed = (hook, frozenset(known)) if hook is not None else None
                with self.validator.one_pass(), _fts_bulk(self.conn, bulk):
                    for batch in parse_files(to_parse, self.validator, handed, ready):
                        self._store(batch, known)
                        if hook is not None:
                            hook.store(self.conn, [p.extra for p in batch if p.extra is not None])
                        stats.parsed += len(batch)
                        changed.extend(p.path for p in batch)
            if restamp and done is not None:
                scan.store(self.conn, done)
        if bulk:
            _give_back(self.conn, bulk=True)
        stats.changed = sorted(changed)
        return stats

    def _known_now(
        self, known: Mapping[str, tuple[Any, ...]], paths: Sequence[str]
    ) -> dict[str, tuple[Any, ...]]:
        """``known`` (path -> size, mtime_ns, indexed_ns, hash as read before the write
        transaction) with the rows of ``paths`` read again inside it."""
        rows = select_in(
            self.conn,
            "SELECT path, size, mtime_ns, indexed_ns, hash FROM files WHERE path IN ({})",
            paths,
        )
        now = {path: row for path, row in known.items()}
        for path in paths:
            now.pop(path, None)
        now.update((row[0], (row[1], row[2], row[3], row[4])) for row in rows)
        return now

    def stat_changes(self, stamp: bool = True) -> list[str]:
        """The names of the record files one stat pass finds new, changed, gone, or too
        recently indexed to trust their stat (what :meth:`refresh` would look at), sorted;
        nothing is stored.  ``refresh(only=...)`` with them does what ``refresh()`` does,
        and keeps this pass as the index's stamp.

        With ``stamp`` (the default) and a usable stamp (:mod:`sortext.store.scan`),
        only the files the pass names as candidates are compared with their stored
        stat; without one, every file is (the slow path; the same answer)."""
        clients = self.repo.relative(self.repo.clients_path).rstrip("/")
        prefix = clients + "/"
        done = scan.look(self.conn, self.repo.clients_path, clients) if stamp else None
        if done is not None and done.candidates is not None:
            named = self._compare(prefix, done.candidates)
            self._pending = (done, named)
            return named
        self._pending = None
        listed = scan.listing(self.repo.clients_path, clients)
        known = {
            path: (size, mtime, indexed)
            for path, size, mtime, indexed in self.conn.execute(
                "SELECT path, size, mtime_ns, indexed_ns FROM files"
            )
        }
        out: list[str] = []
        ctimes: list[int] = []
        try:
            entries = os.scandir(self.repo.clients_path)
        except FileNotFoundError:
            entries = None
        if entries is not None:
            with entries:
                for entry in entries:
                    old = known.pop(prefix + entry.name, None)
                    if old is None:  # not indexed: a new record file, or not a record
                        if _is_record_name(entry.name):
                            out.append(entry.name)
                        continue
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        out.append(entry.name)
                        continue
                    ctimes.append(st.st_ctime_ns)
                    if old[0] != st.st_size or old[1] != st.st_mtime_ns or not _settled(st, old[2]):
                        out.append(entry.name)
        out += [path[len(prefix) :] for path in known]  # indexed, and gone
        out.sort()
        if listed is not None:
            listed.saw(ctimes)
            self._pending = (listed, out)
        return out

    def _compare(self, prefix: str, candidates: Sequence[str]) -> list[str]:
        """Of ``candidates`` (names in the clients folder), those :meth:`stat_changes`
        reports: not indexed record files, indexed and gone, or whose stat differs from
        the stored one or is too recent to trust; sorted.  Only a record name can be
        either (the index holds no other, and a name not in UTF-8 cannot be asked)."""
        names = [name for name in candidates if _is_record_name(name)]
        rows = select_in(
            self.conn,
            "SELECT path, size, mtime_ns, indexed_ns FROM files WHERE path IN ({})",
            [prefix + name for name in names],
        )
        known = {path: (size, mtime, indexed) for path, size, mtime, indexed in rows}
        out: list[str] = []
        folder = self.repo.clients_path
        for name in names:
            old = known.get(prefix + name)
            try:
                st = os.lstat(os.path.join(folder, name))
            except FileNotFoundError:
                if old is not None:  # indexed, and gone
                    out.append(name)
                continue
            except OSError:
                out.append(name)
                continue
            if old is None:  # not indexed: a new record file
                out.append(name)
                continue
            if old[0] != st.st_size or old[1] != st.st_mtime_ns or not _settled(st, old[2]):
                out.append(name)
        return sorted(out)

    def _stat_one(self, name: str) -> tuple[str, str, os.stat_result | None] | None:
        """``(path, name, stat)`` of one record file, as ``_scan`` gives; None if absent."""
        fs_path = os.path.join(self.repo.clients_path, name)
        try:
            return fs_path, name, os.lstat(fs_path)
        except FileNotFoundError:
            return None
        except OSError:
            return fs_path, name, None

    def _drop_notes(self, paths: Iterable[str]) -> None:
        """Take the notes of ``paths`` out of the search (a contentless FTS5 row is
        deleted by giving back the values it was indexed with)."""
        rows = select_in(
            self.conn,
            "SELECT note, name, doc FROM records WHERE note IS NOT NULL AND path IN ({})",
            sorted(set(paths)),
        )
        self.conn.executemany(
            "INSERT INTO notes (notes, rowid, name, body) VALUES ('delete', ?, ?, ?)",
            [(note, name or "", _indexed(doc)) for note, name, doc in rows],
        )

    def _store(self, parsed: Sequence[_Parsed], known: Mapping[str, Any]) -> None:
        now = time.time_ns()
        files, records = [], []
        for p in parsed:
            if p.erased:
                self._drop_notes([p.path])
                for table in ("files", "records"):
                    self.conn.execute(f"DELETE FROM {table} WHERE path = ?", (p.path,))
                continue
            previous = None
            if not p.ok and p.path in known:
                previous = self.conn.execute(
                    "SELECT f.ok, f.record_id, f.summary, r.doc, r.body_line, r.note, "
                    "r.name, r.withheld FROM files f JOIN records r USING (path) WHERE path = ?",
                    (p.path,),
                ).fetchone()
            if previous is not None and previous[0] and previous[3] is not None:
                # Keep the last valid version (and its notes in search), flagged stale with
                # today's diagnostics; "ok" keeps meaning "the stored data was valid".
                _, rid, summary, doc, body_line, note, name, withheld = previous
                files.append(_file_row(p, now, rid, True, True, summary))
                records.append((p.path, doc, body_line, p.diagnostics, note, name, withheld))
                continue
            if p.path in known:
                self._drop_notes([p.path])
            files.append(_file_row(p, now, p.record_id, p.ok, False, p.summary))
            note = None
            if p.data is not None:
                note = self.conn.execute(
                    "INSERT INTO notes (name, body) VALUES (?, ?)",
                    (p.name, p.search_text or p.body or ""),
                ).lastrowid
            records.append(
                (p.path, p.data, p.body_line, p.diagnostics, note, p.name, int(p.withheld))
            )
        self.conn.executemany(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", files
        )
        self.conn.executemany(
            "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?)", records
        )

    # -- reading -----------------------------------------------------------------

    _ENTRY_SELECT = (
        "SELECT f.path, f.record_id, f.ok, f.stale, r.doc, r.body_line, "
        "r.diagnostics, f.hash FROM files f JOIN records r USING (path)"
    )

    def entries(self) -> list[Entry]:
        """Every indexed file, sorted by path, with its full record data."""
        rows = self.conn.execute(f"{self._ENTRY_SELECT} ORDER BY f.path")
        return [_entry(row) for row in rows]

    def entry_for(self, record_id: str) -> Entry | None:
        """The file holding ``record_id`` (the first by path if two claim it)."""
        row = self.conn.execute(
            f"{self._ENTRY_SELECT} WHERE f.record_id = ? ORDER BY f.path LIMIT 1",
            (record_id,),
        ).fetchone()
        return _entry(row) if row else None

    def unreadable_file_for(self, record_id: str) -> str | None:
        """The path of a file that would hold ``record_id`` (its name implies the id) but
        has no valid version to show: ``clients/ada.md`` whose front matter never parsed.
        None when there is none."""
        from sortext.files.slug import implied_id

        rows = self.conn.execute(
            "SELECT path FROM files WHERE record_id IS NULL ORDER BY path"
        ).fetchall()
        return next((path for (path,) in rows if implied_id(path) == record_id), None)

    def records(self) -> list[Record]:
        """Records usable by the rules: valid ones, and the last valid version of stale ones."""
        return [e.record for e in self.entries() if e.record is not None and (e.ok or e.stale)]

    def summaries(self, paths: Iterable[str] | None = None) -> list[Record]:
        """Like :meth:`records` but with only ``SUMMARY_KEYS`` in ``data`` (fast); of the
        files at ``paths`` only, if given (by path either way)."""
        query = (
            "SELECT path, record_id, summary FROM files "
            "WHERE summary IS NOT NULL AND (ok = 1 OR stale = 1)"
        )
        if paths is None:
            rows = self.conn.execute(f"{query} ORDER BY path").fetchall()
        else:
            rows = sorted(select_in(self.conn, query + " AND path IN ({})", sorted(set(paths))))
        from sortext.check.load import Record

        return [Record(path, rid, json.loads(summary), "", 1) for path, rid, summary in rows]

    def rows(self, record_ids: Iterable[str] | None = None) -> list[FileRow]:
        """Every file that has record data (of those ``record_ids``, if given), by path,
        without the data (cheap: for builds)."""
        query = (
            "SELECT path, record_id, hash, ok, stale, has_diagnostics "
            "FROM files WHERE summary IS NOT NULL"
        )
        if record_ids is None:
            found = self.conn.execute(f"{query} ORDER BY path").fetchall()
        else:
            found = sorted(
                select_in(self.conn, query + " AND record_id IN ({})", sorted(set(record_ids)))
            )
        return [
            FileRow(path, rid, digest, bool(ok), bool(stale), bool(has_diags))
            for path, rid, digest, ok, stale, has_diags in found
        ]

    def record_ids(self, paths: Iterable[str]) -> set[str]:
        """The record ids the files at ``paths`` hold now (for what a change may move)."""
        query = "SELECT record_id FROM files WHERE record_id IS NOT NULL AND path IN ({})"
        return {rid for (rid,) in select_in(self.conn, query, sorted(set(paths)))}

    def record_paths(self) -> RecordPaths:
        """record id -> its file, looked up on demand (a page links a few dozen)."""
        return RecordPaths(self.conn)

    def entry_at(self, path: str) -> Entry:
        return read_entry(self.conn, path)

    @property
    def path(self) -> Path:
        """The database file (a forked worker opens its own connection to it)."""
        return StateDir(self.repo.root).index

    def withheld(self) -> tuple[set[str], set[str]]:
        """(paths, record ids) of the stored records whose ``consent.data_use`` is false
        (their last valid version, for a file that now has errors), from the flag stored
        with each record (``records.withheld``)."""
        rows = self.conn.execute(
            "SELECT f.path, f.record_id FROM files f JOIN records r ON r.path = f.path"
            " WHERE r.withheld = 1"
        ).fetchall()
        return {path for path, _ in rows}, {rid for _, rid in rows if rid is not None}

    def entries_with_errors(self) -> list[Entry]:
        rows = self.conn.execute(f"{self._ENTRY_SELECT} WHERE f.has_errors = 1 ORDER BY f.path")
        return [e for e in map(_entry, rows) if any(d.is_error for d in e.diagnostics)]

    def error_files(self) -> int:
        """How many files have errors now (stale ones included)."""
        row = self.conn.execute("SELECT count(*) FROM files WHERE stale = 1 OR ok = 0").fetchone()
        return int(row[0])

    def diagnostics(self) -> list[Diagnostic]:
        """The current diagnostics of every file (stale ones included)."""
        from sortext.record.diagnostics import sort_key

        every = []
        rows = self.conn.execute(
            "SELECT r.diagnostics FROM files f JOIN records r USING (path) "
            "WHERE f.has_diagnostics = 1"
        )
        for (diags,) in rows:
            every.extend(_diag_from_json(diags))
        return sorted(every, key=sort_key)

    def search(self, words: Sequence[str], limit: int = 50) -> list[SearchHit]:
        """Clients whose name, notes or any text field contain every word (each word
        matching the start of a word: ``lead`` finds "leadership"), best match first."""
        # Control characters (NUL especially) end an FTS5 string early: drop them.
        cleaned = ("".join(c for c in word if c >= " ").strip() for word in words)
        terms = [w for w in cleaned if w]
        if not terms or not all(_utf8(term) for term in terms):
            # A word that is not UTF-8 text (a byte of a command line in another
            # encoding, read as a lone surrogate) is in no record: nothing matches.
            return []
        query = " ".join('"' + t.replace('"', '""') + '"*' for t in terms)
        found = self.conn.execute(
            "SELECT rowid, rank FROM notes WHERE notes MATCH ? ORDER BY rank, rowid LIMIT ?",
            (query, limit),
        ).fetchall()
        hits = []
        for note, rank in found:
            row = self.conn.execute(
                "SELECT f.record_id, r.name, r.path, r.doc FROM records r "
                "JOIN files f USING (path) WHERE r.note = ?",
                (note,),
            ).fetchone()
            if row is not None:
                text = make_snippet(_indexed(row[3]), terms)
                hits.append((rank, row[2], SearchHit(row[0] or "", row[1] or "", row[2], text)))
        hits.sort(key=lambda hit: (hit[0], hit[1]))
        return [hit for _, _, hit in hits]

    # -- meta values (page keys live in store/pagekeys, answers in store/answers) --

    def meta(self, key: str) -> str | None:
        """A value kept beside the index (e.g. the key of the last finished build)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def generation(self) -> int:
        """A counter raised by every refresh that stores or removes records, whichever
        command ran it: a build planning from one stat pass compares it with the value
        its last finished build left, since a query that stored an edited record makes
        the stat pass see nothing while the record's page is still the old one."""
        return scan.generation_of(self.meta("generation"))

    def set_meta(self, key: str, value: str) -> None:
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def searchable(body: str, data: Mapping[str, Any] | None) -> str:
    """The text search indexes for a record: its notes, then every text value of its
    fields (company, email, tags, blockers, goals, session focus and commitments,
    custom fields...), one per line, each with its runs of white space made one space
    (values that are only white space left out)."""
    found: list[str] = []
    if data is not None:
        _texts([value for key, value in data.items() if key not in ("name", "stage")], found.append)
    return body + ("\n\n" + "\n".join(found) if found else "")


def _texts(values: Iterable[Any], add: Callable[[str], object]) -> None:
    """Each text in ``values``, in order, depth first into mappings and lists.

    One call a mapping or list rather than one a value, plain types tested first (a
    cold build runs this for ~200 values a record: 60 -> 45 us; tests/test_index_json.py
    holds it to the plain recursive walk)."""
    for item in values:
        kind = type(item)
        if kind is str:
            words = item.split()  # the same white space as strip(): empty when only that
            if words:
                add(" ".join(words))
        elif kind is dict:
            _texts(item.values(), add)
        elif kind is list:
            _texts(item, add)
        elif isinstance(item, str):
            words = item.split()
            if words:
                add(" ".join(words))
        elif isinstance(item, dict):
            _texts(item.values(), add)
        elif isinstance(item, list):
            _texts(item, add)


class RecordPaths(Mapping[str, str]):
    """record id -> the file holding it (the last by path, as a dict built from the
    rows in path order would say), each looked up when first asked for."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._seen: dict[str, str] = {}

    def __getitem__(self, record_id: str) -> str:
        if record_id not in self._seen:
            row = self.conn.execute(
                "SELECT path FROM files WHERE record_id = ? AND summary IS NOT NULL "
                "ORDER BY path DESC LIMIT 1",
                (record_id,),
            ).fetchone()
            if row is None:
                raise KeyError(record_id)
            self._seen[record_id] = str(row[0])
        return self._seen[record_id]

    def __iter__(self) -> Iterator[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT record_id FROM files WHERE summary IS NOT NULL ORDER BY record_id"
        )
        return (str(rid) for (rid,) in rows)

    def __len__(self) -> int:
        return int(
            self.conn.execute(
                "SELECT count(DISTINCT record_id) FROM files WHERE summary IS NOT NULL"
            ).fetchone()[0]
        )


def _is_record_name(name: str) -> bool:
    """A ``*.md`` name the index can hold: not hidden, no folder, not a sync
    tool's conflict copy (:func:`sortext.record.copies.is_record_name`), valid
    UTF-8.

    A file name that is not UTF-8 (undecodable bytes arrive as lone surrogates)
    cannot be stored in SQLite or printed; ``check`` reports it, the index
    leaves it out.
    """
    return "/" not in name and is_record_name(name) and (name.isascii() or _utf8(name))


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _settled(st: os.stat_result, indexed_ns: int) -> bool:
    """Whether a file whose size and mtime are the ones indexed at ``indexed_ns``
    (nanoseconds since the epoch) can be trusted unchanged without reading it: its
    ctime is older than the indexing by the racy window.  The kernel sets the ctime
    to the current time on every write, truncate, rename, ``chmod`` and ``utime`` and
    nothing sets it back (as git's index checks it), so a file whose ctime is that old
    has not been touched since a moment before it was read, and an edit made since,
    even in the same mtime tick as the indexing, moved its ctime.  The mtime is not
    looked at for this: it can say anything (``touch -d`` a day ahead, ``cp -p``, a
    sync tool keeping a clock that runs ahead), and a future mtime made the file be
    hashed again on every refresh until the clock passed it.  (The file system's own
    clock running ahead of this machine's gives future ctimes: such files are hashed
    again until this clock passes them.)  A file failing this is re-hashed, not
    re-parsed, when its bytes are the same."""
    return st.st_ctime_ns < indexed_ns - RACY_WINDOW_NS


def _scan(folder: Path) -> list[tuple[str, str, os.stat_result | None]]:
    """``(path, name, stat)`` of every record file, in directory order (the caller sorts
    what it parses: sorting 10,000 entries here would cost a warm query for nothing).
    The stat is the entry's own (``lstat``), as everywhere a record's identity is
    taken: a record that is a symbolic link is an error judged by the link alone
    (:data:`sortext.record.source.LINK_PROBLEM`), so what it leads to never matters."""
    try:
        found = [e for e in os.scandir(folder) if _is_record_name(e.name)]
    except FileNotFoundError:
        return []
    out = []
    for e in found:
        try:
            st: os.stat_result | None = e.stat(follow_symlinks=False)
        except OSError:
            st = None
        out.append((e.path, e.name, st))
    return out


_ENTRY_SELECT = Index._ENTRY_SELECT


def read_entry(conn: sqlite3.Connection, path: str) -> Entry:
    """The indexed file at ``path``, through any connection to the index."""
    row = conn.execute(f"{_ENTRY_SELECT} WHERE f.path = ?", (path,)).fetchone()
    if row is None:
        raise KeyError(path)
    return _entry(row)


def parse_record(raw: bytes, display: str, validator: RecordValidator) -> LoadResult:
    """:func:`sortext.check.load.parse_record`, imported when a file is parsed (a build
    or query that parses nothing never loads the parser, ~10 ms)."""
    from sortext.check.load import parse_record as parse

    return parse(raw, display, validator)


def _entry(row: tuple[Any, ...]) -> Entry:
    path, rid, ok, stale, doc, body_line, diags, digest = row
    record = None
    if doc is not None:
        from sortext.check.load import Record

        data_json, body = _unpack_doc(doc)
        record = Record(path, rid, read_data_json(data_json), body, body_line or 1)
    diagnostics = _diag_from_json(diags)
    valid = bool(ok) and not stale and not any(d.is_error for d in diagnostics)
    return Entry(path, record, diagnostics, valid, bool(stale), digest)


def _file_row(
    p: _Parsed, now: int, record_id: str | None, ok: bool, stale: bool, summary: str | None
) -> tuple[object, ...]:
    """A ``files`` row for a parsed file: its stat, hash and problems as parsed, and the
    record (id, validity, summary) the index keeps for it, which for a stale file is
    the last valid version's."""
    return (
        p.path,
        p.size,
        p.mtime_ns,
        now,
        p.hash,
        record_id,
        int(ok),
        int(stale),
        int(p.has_errors),
        int(p.has_diagnostics),
        summary,
    )


def _hash_file(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
