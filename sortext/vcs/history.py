"""Field-level history of one client, read from git (any commits: daemon, CLI, by hand).

One ``git log --follow --raw`` lists the commits that touched the file
(renames followed) with the blob id of each version; versions are read
through one ``git cat-file --batch`` and consecutive ones compared with
:func:`sortext.record.fielddiff.diff_data`.

What a comparison found depends only on the two blobs (and the file names,
which give the implied id), and a blob never changes, so the results are kept
in ``.sortext/history.sqlite`` (derived data, keyed by blob ids, paths and
this code's fingerprint): a later call reads only the versions committed since
(``use_cache=False`` recomputes everything; the answer is the same).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from sortext.errors import GitError, RecordNotFound, SortextError, hinted
from sortext.files.state import StateDir, clear_odd_file
from sortext.record.fielddiff import Labels, body_summary, diff_rows, field_matches
from sortext.repo import Repository
from sortext.vcs.log import Commit, FileChange, file_log

if TYPE_CHECKING:
    import sqlite3

    from sortext.vcs.replay import Patch
    from sortext.vcs.versions import Version

EntryKind = Literal[
    "added", "removed", "changed", "notes", "created", "deleted", "renamed", "unparsable"
]


class HistoryEntry(NamedTuple):
    """One change to one field in one commit.  ``field`` is a fielddiff path,
    ``notes`` for the body, ``record`` for created/deleted/unparsable, ``path``
    for renames."""

    date: str
    commit: str
    author: str
    field: str
    old: Any
    new: Any
    kind: EntryKind

    def to_json(self) -> dict[str, Any]:
        return self._asdict()


#: Whether a history with nothing stored rebuilds versions from ``git log -p``
#: (False: every version is read whole, as before; the answer is the same).
REPLAY = True

#: (blob id, path): one version of a record as a comparison sees it.
VKey = tuple[str, str]
#: A change as stored: [path, old, new, kind].
Row = list[Any]


def client_history(
    repo: Repository,
    record_id: str,
    field: str | None = None,
    use_cache: bool = True,
    replay: bool | None = None,
) -> list[HistoryEntry]:
    """Every field change of one client, oldest first, following renames.

    Raises RecordNotFound when the file was never committed, GitError when git
    fails.  ``use_cache=False`` neither reads nor writes the derived store;
    ``replay=False`` reads every version whole instead of rebuilding versions
    from ``git log -p`` (:mod:`sortext.vcs.replay`; the answer is the same)."""
    import gc

    # The walk allocates ~500,000 objects for 2,000 commits, none of them in a cycle
    # (lists, tuples, dicts, slotted records): the cycle collector's passes over
    # them, every 700 allocations, found nothing and cost ~5-10 ms of a cold call.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _client_history(repo, record_id, field, use_cache, replay)
    finally:
        if collecting:
            gc.enable()


def _client_history(
    repo: Repository, record_id: str, field: str | None, use_cache: bool, replay: bool | None
) -> list[HistoryEntry]:
    path = repo.relative(repo.record_path(record_id))
    store = _Store.open(repo) if use_cache else None
    patches: dict[str, Patch] = {}
    if (REPLAY if replay is None else replay) and (store is None or not store.knows(path)):
        from sortext.vcs.replay import StreamError, patch_log

        try:
            listed, patches = patch_log(repo.root, path)
        except (StreamError, GitError):  # (a git that refuses an option: the plain log)
            listed = file_log(repo.root, path, raw=True)
    else:
        listed = file_log(repo.root, path, raw=True)
    commits = [c for c in listed if c.files]
    if not commits:
        if store is not None:
            store.close()
        raise hinted(
            RecordNotFound(
                f"no history for '{record_id}': {repo.shown(path)} was never committed "
                f"(check the id: the ids are the file names in {repo.clients_shown})"
            ),
            "list_ids",
        )
    commits.reverse()
    try:
        with _Facts(repo.root, store) as facts:
            if patches:
                facts.fetching = False  # nothing stored for this file: nothing to look up
                facts.replayed(commits, patches)
            found = _history(commits, facts, field)
            facts.learned_file(path)
            return found
    except _Unreadable:
        with _Facts(repo.root, None) as facts:  # what this clone holds, nothing stored
            return _history(commits, facts, field)


class _Unreadable(Exception):
    """A version the store knows is not readable here (a partial clone)."""


def _version(change: FileChange) -> VKey | None:
    return (change.blob, change.path) if change.status != "D" and change.blob else None


def _history(commits: Sequence[Commit], facts: _Facts, wanted: str | None) -> list[HistoryEntry]:
    versions = [_version(c.files[-1]) for c in commits]
    facts.states([v for v in versions if v is not None])
    # Which comparisons the walk needs: consecutive parsed versions (a version
    # that does not parse is skipped; a deletion starts afresh).
    needed: list[tuple[VKey | None, VKey]] = []
    previous: VKey | None = None
    for commit, version in zip(commits, versions, strict=True):
        if commit.files[-1].status == "D":
            previous = None
        elif version is not None and facts.state(version) == _PARSED:
            if previous is not None or wanted is not None:
                needed.append((previous, version))
            previous = version
    facts.compare(needed)
    entries: list[HistoryEntry] = []
    previous = None
    for commit, version in zip(commits, versions, strict=True):
        change = commit.files[-1]
        entries.extend(_entries(commit, change, previous, version, facts, wanted))
        if change.status == "D":
            previous = None
        elif version is not None and facts.state(version) == _PARSED:
            previous = version
    return entries


def _entries(
    commit: Commit,
    change: FileChange,
    before: VKey | None,
    after: VKey | None,
    facts: _Facts,
    wanted: str | None,
) -> list[HistoryEntry]:
    def entry(fld: str, old: Any, new: Any, kind: EntryKind) -> HistoryEntry:
        return HistoryEntry(commit.date, commit.sha, commit.author, fld, old, new, kind)

    out: list[HistoryEntry] = []
    if change.status == "D":
        out.append(entry("record", change.path, None, "deleted"))
        return _keep(out, wanted)
    if before is None:
        out.append(entry("record", None, change.path, "created"))
    if change.status == "R" and change.old_path:
        out.append(entry("path", change.old_path, change.path, "renamed"))
    state = facts.state(after) if after is not None else _MISSING
    if state == _UNPARSABLE:
        out.append(entry("record", None, None, "unparsable"))
        return _keep(out, wanted)
    if state != _PARSED:
        return _keep(out, wanted)
    assert after is not None
    implied_id = (stem_of(change.old_path), stem_of(change.path)) if change.old_path else None
    if before is not None or wanted is not None:
        changes, notes = facts.comparison(before, after)
        for path, old, new, kind in changes:
            if path == "id" and (old, new) == implied_id:
                continue  # the id follows the file name: the rename says it already
            out.append(entry(path, old, new, kind))
        if notes:
            out.append(entry("notes", None, notes.removeprefix("notes "), "notes"))
    return _keep(out, wanted)


def stem_of(path: str) -> str:
    """The record id a file name implies, as the record reader implies it (the stem
    made a slug: ``Ada Lovelace.md`` -> ``ada-lovelace-76740216``)."""
    from sortext.files.slug import implied_id

    return implied_id(path)


def _keep(entries: list[HistoryEntry], wanted: str | None) -> list[HistoryEntry]:
    if wanted is None:
        return entries
    return [e for e in entries if field_matches(e.field, wanted)]


# --- what comparisons found, computed once per pair of blobs ----------------------------

_PARSED, _UNPARSABLE, _MISSING = "1", "0", "-"
#: A state as stored (JSON text).
_STATES = {_PARSED: '"1"', _UNPARSABLE: '"0"'}
#: A stored state's text -> the state (``json.loads`` of it, without the call: a warm
#: history of 2,000 commits reads 2,000 of them).
_STATE_OF = {text: state for state, text in _STATES.items()}


def _state_key(v: VKey) -> str:
    return f"v\0{v[0]}\0{v[1]}"


def _file_key(path: str) -> str:
    return f"f\0{path}"


def _pair_key(before: VKey | None, after: VKey) -> str:
    first = f"{before[0]}\0{before[1]}" if before is not None else "\0"
    return f"d\0{first}\0{after[0]}\0{after[1]}"


class _Facts:
    """Parse states and comparisons of versions: from the store when it has them,
    else computed (blobs read in one batch, each version parsed once, oldest
    first so the parser reuses unchanged entries) and handed to the store."""

    def __init__(self, root: Path, store: _Store | None) -> None:
        self.root = root
        self.store = store
        self.known: dict[str, Any] = {}
        self.fresh: dict[str, str] = {}
        self.unchecked: list[tuple[str, Any, str]] = []
        self.fetching = True  # False: the store holds nothing for this file (cold)
        self.parsed: dict[VKey, Version | None] = {}
        self._states: dict[VKey, str] = {}  # state() by version (asked ~3 times each)
        self._pair_keys: dict[tuple[VKey | None, VKey], str] = {}  # (built once a pair)
        self._parser: Any = None

    def __enter__(self) -> _Facts:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.store is not None:
            if exc[0] is None and self._checked():
                self.store.put(self.fresh)
            self.store.close()

    def state(self, version: VKey) -> str:
        found = self._states.get(version)
        if found is None:
            found = str(self.known.get(_state_key(version), _MISSING))
            if found != _MISSING:  # (a version's state, once known, never changes)
                self._states[version] = found
        return found

    def comparison(self, before: VKey | None, after: VKey) -> tuple[list[Row], str]:
        key = self._pair_keys.get((before, after)) or _pair_key(before, after)
        changes, notes = self.known[key]
        return changes, notes

    def states(self, versions: Sequence[VKey]) -> None:
        """Learn whether each version parses (stored, else read and parsed)."""
        keys = [_state_key(v) for v in versions]
        self._fetch(keys)
        known = self.known
        self._parse([v for v, key in zip(versions, keys, strict=True) if key not in known])

    def compare(self, pairs: Sequence[tuple[VKey | None, VKey]]) -> None:
        """Learn the field changes and notes summary of each pair."""
        keys = [_pair_key(b, a) for b, a in pairs]
        self._pair_keys.update(zip(pairs, keys, strict=True))
        self._fetch(keys)
        known = self.known
        todo = [pair for pair, key in zip(pairs, keys, strict=True) if key not in known]
        self._parse([v for pair in todo for v in pair if v is not None])
        memo: Labels = {}  # (consecutive versions: a list that grew is labelled once)
        for before, after in todo:
            old = self.parsed[before] if before is not None else None
            new = self.parsed[after]
            if new is None or (before is not None and old is None):
                raise _Unreadable  # the store says it parsed; this clone cannot read it
            found = diff_rows(old.data if old is not None else None, new.data, memo)
            changes = [list(row) for row in found]
            same = old is None or old.body == new.body
            notes = "" if same or old is None else body_summary(old.body, new.body)
            self._learn(self._pair_keys[before, after], [changes, notes])

    def replayed(self, commits: Sequence[Commit], patches: dict[str, Patch]) -> None:
        """Take the versions :func:`sortext.vcs.replay.replay` rebuilds from the
        patches (the others are read whole when asked for)."""
        from sortext.vcs.log import BlobReader
        from sortext.vcs.replay import replay

        reader: BlobReader | None = None

        def read(blob: str) -> bytes | None:  # a version a patch starts from (rare)
            nonlocal reader
            if reader is None:
                reader = BlobReader(self.root)
            return reader.read(blob)

        try:
            rebuilt = replay(list(commits), patches, self.parser(), read)
        except (IndexError, ValueError):  # a stream this code misread: every version whole
            rebuilt = {}
        finally:
            if reader is not None:
                reader.close()
        for index, parsed in rebuilt.items():
            version = _version(commits[index].files[-1])
            if version is not None and version not in self.parsed:
                self.parsed[version] = parsed
                self._learn(_state_key(version), _PARSED if parsed is not None else _UNPARSABLE)

    def learned_file(self, path: str) -> None:
        """Note that the store holds this file's history (a later call reads the
        plain log and the stored comparisons instead of the patches)."""
        if self.store is not None:
            self.fresh[_file_key(path)] = "1"

    def parser(self) -> Any:
        if self._parser is None:
            from sortext.vcs.versions import VersionParser

            self._parser = VersionParser()
        return self._parser

    def _fetch(self, keys: list[str]) -> None:
        if self.store is not None and self.fetching:
            known = self.known
            for key, text in self.store.get([k for k in keys if k not in known]).items():
                state = _STATE_OF.get(text)  # half the rows: what json.loads makes of them
                if state is not None:
                    known[key] = state
                    continue
                try:
                    known[key] = json.loads(text)
                except ValueError:
                    continue  # a damaged row: computed again

    def _learn(self, key: str, value: Any) -> None:
        self.known[key] = value
        if self.store is None:
            return
        if isinstance(value, str) and value in _STATES:
            self.fresh[key] = _STATES[value]
            return
        self.unchecked.append((key, value, _encode(value)))

    def _checked(self) -> dict[str, str]:
        """The rows to store: what was learned, where its JSON reads back the same
        (checked in one read of them all; row by row only when that fails)."""
        rows, self.unchecked = self.unchecked, []
        if rows:
            if json.loads(f"[{','.join(t for _, _, t in rows)}]") == [v for _, v, _ in rows]:
                self.fresh.update((k, t) for k, _, t in rows)
            else:
                self.fresh.update((k, t) for k, v, t in rows if json.loads(t) == v)
        return self.fresh

    def _parse(self, versions: Iterable[VKey]) -> None:
        """Read and parse the versions not parsed yet (oldest first, as given)."""
        todo = list(dict.fromkeys(v for v in versions if v not in self.parsed))
        if not todo:
            return
        from sortext.vcs.log import read_blobs

        blobs = dict(zip(todo, read_blobs(self.root, [v[0] for v in todo]), strict=True))
        parser = self.parser()
        for version in todo:
            raw = blobs[version]
            if raw is None:
                self.parsed[version] = None  # not in this clone: not remembered
                continue
            parsed = parser.parse(raw, version[1])
            self.parsed[version] = parsed
            self._learn(_state_key(version), _PARSED if parsed is not None else _UNPARSABLE)


#: ``json.dumps(value, separators=(",", ":"))`` with the encoder built once.
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode


def _encode(value: Any) -> str:
    """``value`` as compact JSON text, as the json module writes it (and reads it back:
    stored only when it reads back equal, :meth:`_Facts._checked`).

    Not orjson, though its encoding is ~5x faster: it imports ``dataclasses`` (with
    ``inspect``, ``ast``, ``dis``), ``uuid`` and ``platform``, ~63M instructions, where
    the json module's encoder costs ~15M more than orjson's on the ~2,000 comparisons a
    cold history of 2,000 commits stores (``bench/history_bench.py``: cold 1,251M ->
    ~1,150M instructions with the named tuples of :mod:`sortext.vcs.log` and kin)."""
    return _ENCODE(value)


#: Bumped when what a comparison stores changes shape.
_STORE_VERSION = 1
#: The store is emptied when it grows past this (it only ever saves time).
_MAX_BYTES = 64 * 1024 * 1024


#: The modules a stored result depends on: reading a blob (decode, split, the YAML
#: reader, normalize) and comparing two (fielddiff).  Every sortext module that
#: parsing a version and comparing two imports is here (a test holds the list to it).
FINGERPRINTED = (
    "sortext.check.load",
    "sortext.files.inert",
    "sortext.files.slug",
    "sortext.lazyre",
    "sortext.record.diagnostics",
    "sortext.record.fielddiff",
    "sortext.record.model",
    "sortext.record.positions",
    "sortext.record.source",
    "sortext.record.split",
    "sortext.record.tombstone",
    "sortext.record.values",
    "sortext.record.yamlread",
    "sortext.schema.config",
    "sortext.schema.explain",
    "sortext.schema.refname",
    "sortext.schema.validate",
    "sortext.vcs.replay",
    "sortext.vcs.versions",
)


def _code_key() -> str:
    """The sortext version and the source of the modules whose results are stored:
    a store written by other code is emptied, never read."""
    from importlib.util import find_spec

    from sortext import __version__

    digest = hashlib.sha256(f"{_STORE_VERSION}:{__version__}".encode())
    for name in FINGERPRINTED:
        spec = find_spec(name)
        digest.update(Path(str(spec and spec.origin)).read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:24]


class _Store:
    """``.sortext/history.sqlite``: key -> JSON text.  Best effort: a store that
    cannot be opened, read or written is one the answer is computed without
    (a corrupt file is removed and started afresh)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @classmethod
    def open(cls, repo: Repository) -> _Store | None:
        import sqlite3

        try:
            path = StateDir(repo.root).history_cache
            path.parent.mkdir(exist_ok=True)
        except (OSError, SortextError):
            return None
        for attempt in range(2):
            try:
                return cls(_connect(path))
            except (sqlite3.Error, OSError, SortextError):  # (a folder in its place)
                if attempt == 0:
                    try:
                        path.unlink(missing_ok=True)
                    except OSError:
                        return None
        return None

    def get(self, keys: list[str]) -> dict[str, str]:
        import sqlite3

        from sortext.store.sqlbatch import select_in

        try:
            rows = select_in(self.conn, "SELECT key, value FROM facts WHERE key IN ({})", keys)
        except sqlite3.Error:
            return {}
        return {str(k): str(v) for k, v in rows}

    def knows(self, path: str) -> bool:
        """Whether an earlier call stored the history of ``path`` (a hint: what is
        missing is still computed)."""
        return bool(self.get([_file_key(path)]))

    def put(self, rows: dict[str, str]) -> None:
        import sqlite3

        try:
            size = self.conn.execute("PRAGMA page_count").fetchone()[0]
            page = self.conn.execute("PRAGMA page_size").fetchone()[0]
            with self.conn:
                if size * page > _MAX_BYTES:
                    self.conn.execute("DELETE FROM facts")
                self.conn.executemany(
                    "INSERT OR REPLACE INTO facts (key, value) VALUES (?, ?)", rows.items()
                )
        except sqlite3.Error:
            pass  # not saved: the next call computes these again

    def close(self) -> None:
        self.conn.close()


def _connect(path: Path) -> sqlite3.Connection:
    import sqlite3

    for suffix in ("", "-wal", "-shm", "-journal"):  # a FIFO would block the open
        clear_odd_file(Path(f"{path}{suffix}"))
    conn = sqlite3.connect(path, timeout=2.0)
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            " WITHOUT ROWID"
        )
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = conn.execute("SELECT value FROM meta WHERE key = 'code'").fetchone()
        code = _code_key()
        if row is None or row[0] != code:
            with conn:
                conn.execute("DELETE FROM facts")
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('code', ?)", (code,))
    except BaseException:
        conn.close()
        raise
    return conn


def check_field(repo: Repository, field: str) -> None:
    """Raise UnknownValue (a usage error, with a did-you-mean) when ``field``'s first
    part is no field a record can have (``stge``), so a typo is not answered with "no
    changes"; what lies below a known field (``invoices[INV-7].status``) is not
    checked, since history keeps fields a schema may have dropped since."""
    import re

    from sortext.errors import UnknownValue
    from sortext.schema.effective import effective_schema

    top = re.split(r"[.\[]", field, maxsplit=1)[0]
    known = ["notes", *effective_schema(repo.config).get("properties", {})]
    if top not in known:
        raise UnknownValue("field", "field", field, known)
