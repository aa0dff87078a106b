"""The pages' "since last week" section: the last 7 days' client changes, cheap enough
to run on every build and after every save the watcher commits.

``recent_changes(repo, today)`` compares each record as committed before the
window (``today`` - 7 days, 00:00) with the last commit up to the end of
``today``, using the classification of :mod:`sortext.vcs.changes`, and groups the
result the way a coach reads it, a few lines per group.  It depends only on
git history and ``today``.

Three modules, one job each: this one holds the view types, each record's
lines and the assembling; :mod:`sortext.vcs.window` asks git for the window
(its commits, the changed record pairs, the diff between two ends);
:mod:`sortext.store.weekly` keeps the window in SQLite and the JSON sidecars.

Caches under ``.sortext/`` (derived data, git-ignored; a missing or corrupt
file only means recomputing):

* ``weekly.json``: the finished view, keyed by (HEAD commit, today, clients
  folder).  HEAD is read from the ref files by GitPython, so a hit starts no
  git process at all.
* ``weekly.sqlite``: the lines of each changed record, with the (window
  start, window end) commits they were computed for, for one (today, clients
  folder).  A new commit is applied as the diff from the previous end commit:
  only the k records it touched are re-read, re-parsed and rewritten, and the
  groups are read back in order through an index (first lines, counts).  So a
  watcher save costs O(k), even in a bulk week (a new user's first week, when
  all 10,000 clients were created in one commit).  When the window start
  moved or the change could alter git's rename pairing, the window's pairs
  are listed again and only pairs not stored are read.  A new day (lines
  depend on ``today``) recomputes everything, once.
* ``weekly-pairs.json``: the key and a token of the ``weekly.sqlite``
  generation it vouches for; without it (deleted, damaged, other key) the
  database is not trusted and the window is recomputed from scratch.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sortext import __version__
from sortext.check.load import stem_of
from sortext.errors import GitError, StorageError
from sortext.files.slug import is_slug, safe_stem
from sortext.files.state import StateDir
from sortext.repo import Repository
from sortext.store.weekly import (
    LineRow,
    Pair,
    StoredState,
    WindowStore,
    load_json,
    manifest_token,
    pair_key,
    save_json,
)
from sortext.vcs.midnight import WINDOW_DAYS, window_bounds

# sortext.vcs (window, changes, log) is imported where a window is read: a build whose
# "since last week" is cached (same HEAD, same day) needs none of it (sortext.vcs.git
# only for its history mark, read from git's files in the usual layouts).

#: Lines shown per group; the rest is counted ("and N more").
GROUP_LIMIT = 10
VIEW_CACHE = StateDir.rel(StateDir.WEEKLY_VIEW)
PAIR_CACHE = StateDir.rel(StateDir.WEEKLY_PAIRS)
STORE = StateDir.rel(StateDir.WEEKLY_STORE)
# 3: a new record is only its "New clients" line; 4: ids and paths name the client's page
_CACHE_VERSION = 4
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")

#: Groups in reading order: key, heading, the change kinds of sortext.vcs.changes it holds.
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("new", "New clients", ("new_client",)),
    ("stage", "Stage moves", ("stage_moved",)),
    (
        "next",
        "Next actions done or moved",
        ("next_action_done", "next_action_added", "next_action_moved"),
    ),
    ("sessions", "Sessions logged", ("session_logged",)),
    ("measurements", "Measurements", ("measurement_added",)),
    ("paid", "Invoices paid", ("invoice_paid",)),
    ("overdue", "Invoices gone overdue", ("invoice_overdue",)),
    ("deleted", "Deleted records", ("deleted",)),
    ("renamed", "Renamed records", ("renamed",)),
    ("unreadable", "Records that no longer parse", ("unreadable",)),
)
_GROUP_OF = {kind: key for key, _, kinds in GROUPS for kind in kinds}


@dataclass(frozen=True, slots=True)
class WeeklyLine:
    """One change to one client, shown as ``text [old ->] new`` (``new`` None: text only).

    ``record_id``: the id the record's page is named by (a written id that is no
    slug falls back to the file stem, as the record reader does).  ``path``: the
    record file at the window's end (repository-relative); None when the record was
    deleted or does not parse there: then it has no page to link to."""

    record_id: str
    name: str
    path: str | None
    text: str
    old: str | None = None
    new: str | None = None


@dataclass(frozen=True, slots=True)
class WeeklyGroup:
    """The first ``GROUP_LIMIT`` lines of one kind of change, and how many were left out."""

    key: str
    title: str
    lines: tuple[WeeklyLine, ...]
    more: int = 0

    @property
    def total(self) -> int:
        return len(self.lines) + self.more


@dataclass(frozen=True, slots=True)
class WeeklyChanges:
    """Changes from ``since`` (00:00) to the end of ``today``; empty groups left out."""

    since: dt.date
    today: dt.date
    groups: tuple[WeeklyGroup, ...] = ()

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "today": self.today.isoformat(),
            "groups": [
                {
                    "key": g.key,
                    "title": g.title,
                    "more": g.more,
                    "lines": [asdict(line) for line in g.lines],
                }
                for g in self.groups
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WeeklyChanges:
        return cls(
            dt.date.fromisoformat(data["since"]),
            dt.date.fromisoformat(data["today"]),
            tuple(
                WeeklyGroup(
                    str(g["key"]),
                    str(g["title"]),
                    tuple(WeeklyLine(**line) for line in g["lines"]),
                    int(g["more"]),
                )
                for g in data["groups"]
            ),
        )


def recent_changes(
    repo: Repository, today: dt.date, head: str | None = None
) -> WeeklyChanges | None:
    """The "since last week" section for ``today``; None when there is no git history.
    ``head``: HEAD's commit id when the caller has read it (else read here).

    Git failing for another reason (a damaged repository) raises GitError."""
    since = today - dt.timedelta(days=WINDOW_DAYS)
    prefix = repo.relative(repo.clients_path).rstrip("/") + "/"
    if head is not None:  # a build's head ends with its history mark ("~<digest>"),
        head = head.partition("~")[0]  # keyed below: the commit id alone is HEAD's
    try:
        if head is None or not _SHA.match(head):
            head = head_commit(repo.root)
    except GitError:
        return None  # git is not installed: no history to show
    if head is None:
        return None
    version = f"{_CACHE_VERSION}/{__version__}"  # new wording in a release: recompute
    # the window's bounds are midnights in the practice's time zone (sortext.yaml's
    # timezone:, else TZ): the same day in another time zone is another window
    where = repo.config.timezone
    zone = "/".join(str(b) for b in window_bounds(today, where))
    # the same HEAD with replace refs or grafts added, or deepened, is another past
    from sortext.vcs.git import shallow_mark

    history = shallow_mark(repo.root)
    day = today.isoformat()
    state_key = {
        "version": version,
        "today": day,
        "zone": zone,
        "history": history,
        "prefix": prefix,
    }
    key = {**state_key, "head": head}
    cached = _load_view(repo.root, key)
    if cached is not None:
        return cached
    view = _update(repo.root, _Span(head, since, today, prefix, where), state_key)
    save_json(repo.root / VIEW_CACHE, {**key, "view": view.to_json()})
    return view


@dataclass(frozen=True, slots=True)
class _Span:
    """What a view is of: the records under ``prefix`` (the clients folder, relative,
    ending in "/") changed from ``since`` to ``today`` as of the commit ``head``, the
    days' midnights in the time zone ``zone`` (None: the computer's)."""

    head: str
    since: dt.date
    today: dt.date
    prefix: str
    zone: str | None = None


def _update(root: Path, span: _Span, key: Mapping[str, str]) -> WeeklyChanges:
    """The view of ``span``: applied to the stored window when that is exact, else
    recomputed (and stored).  A store SQLite cannot use only costs a recomputation."""
    try:
        store = WindowStore.open(root / STORE)
    except (sqlite3.Error, OSError, StorageError):  # (StorageError: a folder in its place)
        store = None
    if store is None:
        return _view_of(span.since, span.today, _compute(root, span, {}))
    try:
        with store.transaction():
            state = store.state(key, manifest_token(root / PAIR_CACHE, key, STORE))
            if state is not None:
                view = _apply(root, span, state, store)
                if view is not None:
                    return view
            found = _compute(root, span, {})
            token = store.replace(
                key, found.base, found.end, found.deletions, _stored(found.records)
            )
            save_json(root / PAIR_CACHE, {**key, "pairs": {"store": STORE, "token": token}})
            return _view_of(span.since, span.today, found)
    except sqlite3.Error:
        return _view_of(span.since, span.today, _compute(root, span, {}))
    finally:
        store.close()


# --- HEAD without starting git ---------------------------------------------------------


def head_commit(root: Path) -> str | None:
    """HEAD's commit id, or None (not a git repository, or no commit yet).

    Read by GitPython from the ref files (loose ref, packed-refs, worktrees) through
    :func:`sortext.vcs.git.head_commit`, so the cached path starts no git process."""
    from sortext.vcs import git

    found = git.head_commit(root)
    return found if found is not None and _SHA.match(found) else None


# --- computing -------------------------------------------------------------------------


#: One record's (group key, line) pairs, in the order record_lines gives them.
_Lines = list[tuple[str, WeeklyLine]]


@dataclass(frozen=True, slots=True)
class _Window:
    """Each changed record's lines between ``base`` (None: no commit before the
    window) and ``end`` (None: no commit up to today), keyed by the record's path
    (new path; old path when deleted), and how many files under the clients
    folder were deleted (the possible sources of git's rename pairing)."""

    base: str | None
    end: str | None
    deletions: int
    records: dict[str, tuple[Pair, _Lines]]


def _compute(root: Path, span: _Span, memo: Mapping[str, _Lines]) -> _Window:
    """The whole window of ``span`` from git; ``memo`` (pair key -> stored lines) saves
    parsing records whose two versions were seen before."""
    from sortext.vcs import window

    end = window.window_end(root, span.head, span.today, span.zone)
    if end is None:
        return _Window(None, None, 0, {})
    base = window.window_start(root, span.since, end, span.zone)
    pairs, deletions = window.changed_records(root, base, end, span.prefix)
    return _Window(base, end, deletions, _lines_of(root, pairs, span.since, span.today, memo))


def _lines_of(
    root: Path,
    pairs: Sequence[Pair],
    since: dt.date,
    today: dt.date,
    memo: Mapping[str, _Lines],
) -> dict[str, tuple[Pair, _Lines]]:
    """Path -> (pair, lines) of each pair: from ``memo``, else read and parsed
    (all blobs through one git process)."""
    out: dict[str, tuple[Pair, _Lines]] = {}
    todo: list[tuple[str, Pair]] = []
    for pair in pairs:
        key = pair_key(pair)
        known = memo.get(key)
        if known is not None:
            out[pair[3] or pair[2] or ""] = (pair, known)
        else:
            todo.append((key, pair))
    if todo:
        from sortext.vcs.versions import VersionParser

        parse = VersionParser().parse  # re-reads only entries not seen in another version
        wanted = [sha for _, p in todo for sha in (p[0], p[1]) if sha]
        blobs = dict(zip(wanted, read_blobs(root, wanted), strict=True))
        for _, pair in todo:
            old_sha, new_sha, old_path, new_path = pair
            if old_path is None and new_sha and new_path:  # new: only its name and stage
                data = _new_record_data(blobs[new_sha], new_path)
                out[new_path] = (pair, record_lines(None, new_path, None, data, since, today))
                continue
            old = parse(blobs[old_sha], old_path) if old_sha and old_path else None
            new = parse(blobs[new_sha], new_path) if new_sha and new_path else None
            out[new_path or old_path or ""] = (
                pair,
                record_lines(
                    old_path,
                    new_path,
                    _old_data(old, old_path),
                    new.data if new else None,
                    since,
                    today,
                ),
            )
    return out


_NEW_FIELDS = ("id", "name", "stage")


def _new_record_data(raw: bytes | None, path: str) -> dict[str, Any] | None:
    """The fields a new client's line shows, read from their lines when they are
    plain (a bulk import of 10,000 records is not parsed); else the parser's data
    (None: it does not parse)."""
    from sortext.vcs.versions import parse_version, plain_top_fields

    if raw is None:
        return None
    found = plain_top_fields(raw, _NEW_FIELDS)
    if found is not None and "name" in found and "stage" in found:
        found.setdefault("id", safe_stem(stem_of(path)))  # the parser's implied id
        return dict(found)
    version = parse_version(raw, path)
    return version.data if version is not None else None


def _order(line: WeeklyLine, path: str, seq: int) -> tuple[str, str, str, str, int]:
    """Reading order within a group: name, id, text; ties by record path and position."""
    return (line.name.casefold(), line.record_id, line.text, path, seq)


def _view_of(since: dt.date, today: dt.date, window: _Window) -> WeeklyChanges:
    lines: dict[str, list[tuple[tuple[str, str, str, str, int], WeeklyLine]]] = {}
    for path, (_, entries) in window.records.items():
        for seq, (group, line) in enumerate(entries):
            lines.setdefault(group, []).append((_order(line, path, seq), line))
    groups = []
    for key, title, _ in GROUPS:
        found = [line for _, line in sorted(lines.get(key, []), key=lambda x: x[0])]
        if found:
            groups.append(
                WeeklyGroup(
                    key, title, tuple(found[:GROUP_LIMIT]), max(0, len(found) - GROUP_LIMIT)
                )
            )
    return WeeklyChanges(since, today, tuple(groups))


def _apply(root: Path, span: _Span, state: StoredState, store: WindowStore) -> WeeklyChanges | None:
    """The view of ``span`` after bringing the stored window (same ``today``) to ``head``, or
    None when there is nothing to build on (then the caller recomputes).

    Usually the diff from the stored end to the new one is applied: O(files
    touched).  That is exact when the window start is the same commit and the
    touched files cannot change git's rename pairing: renames pair a deleted
    file with an added one, so it needs no commit before the window
    (``ls-tree``: no renames), or every touched file present at the start and
    at both ends, or no file deleted in the window before or after.  Otherwise
    the window's pairs are listed again and only the pairs not stored are read."""
    from sortext.vcs import window

    head, since, today, prefix, zone = span.head, span.since, span.today, span.prefix, span.zone
    end = window.window_end(root, head, today, zone)
    if state.end is None or end is None:
        return None
    base = window.window_start(root, since, end, zone)
    if (base, end) == (state.base, state.end):
        return _store_view(store, since, today)
    if base == state.base:
        touched = window.files_changed(root, state.end, end, [prefix])
        pairs = window.touched_pairs(root, base, end, prefix, touched, state.deletions, store)
        if pairs is not None:
            memo = _memo(store, list(touched))
            lines = _lines_of(root, pairs, since, today, memo)
            store.apply(end, base, state.deletions, list(touched), _stored(lines))
            return _store_view(store, since, today)
    pairs, deletions = window.changed_records(root, base, end, prefix)
    stored = store.pair_keys()
    fresh = {pair[3] or pair[2] or "": pair for pair in pairs}
    changed = [pair for path, pair in fresh.items() if stored.get(path) != pair_key(pair)]
    paths = [path for path in stored if path not in fresh]
    paths += [pair[3] or pair[2] or "" for pair in changed]
    memo = _memo(store, paths)
    lines = _lines_of(root, changed, since, today, memo)
    store.apply(end, base, deletions, paths, _stored(lines))
    return _store_view(store, since, today)


def _old_data(old: Any, old_path: str | None) -> dict[str, Any] | None:
    """An old version that no longer parses counts as empty, not as absent."""
    if old_path is None:
        return None
    return dict(old.data) if old is not None else {}


# --- one record's lines ----------------------------------------------------------------


def record_lines(
    old_path: str | None,
    new_path: str | None,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    since: dt.date,
    today: dt.date,
) -> list[tuple[str, WeeklyLine]]:
    """(group key, line) for each noteworthy change between two versions (pure).

    A record absent at the window start (``old_path`` None) gives only its "new
    client" line, unlike :func:`sortext.vcs.changes.classify` (``sortext changes``
    lists everything)."""
    either = new if new is not None else old or {}
    stem = stem_of(new_path or old_path or "")
    written = either.get("id")
    record_id = written if is_slug(written) else safe_stem(stem)
    name = " ".join(str(either.get("name") or record_id).split())
    page_of = new_path if new is not None else None  # a record that parses has a page
    out: list[tuple[str, WeeklyLine]] = []

    def add(kind: str, text: str, was: Any = None, now: Any = None) -> None:
        out.append(
            (_GROUP_OF[kind], WeeklyLine(record_id, name, page_of, text, _text(was), _text(now)))
        )

    if old_path and new_path and old_path != new_path:
        add("renamed", "renamed", old_path, new_path)
    if new_path and new is None:
        add("unreadable", "front matter does not parse (run sortext check)")
        return out
    if old_path is None and new is not None:
        # A new record's past (imported sessions, invoices...) did not happen this
        # week: it is one "New clients" line.
        add("new_client", f"new client in {new.get('stage')}")
        return out
    from sortext.vcs.changes import classify

    found = classify(old, new, since, today)
    kinds = {kind for kind, *_ in found}
    for kind, summary, was, now in found:
        if kind == "new_client":
            add(kind, f"new client in {now}")
        elif kind == "stage_moved":
            add(kind, "stage", was, now)
        elif kind == "next_action_done":
            if "next_action_added" in kinds:
                add(kind, "done:", _what(was), _next_text(_new_action(found)))
            else:
                add(kind, f"done: {_what(was)}; no next action now")
        elif kind == "next_action_added":
            if not kinds & {"new_client", "next_action_done"}:
                add(kind, "next action set:", None, _next_text(now))
        elif kind == "next_action_moved":
            add(kind, *_moved(was, now))
        elif kind == "session_logged":
            add(kind, summary)
        elif kind == "measurement_added":
            add(kind, *_measurement(now, new or {}))
        elif kind in ("invoice_paid", "invoice_overdue"):
            add(kind, *_invoice(summary, was, now, new or {}))
        elif kind == "deleted":
            add(kind, f"deleted (was {was})" if was else "deleted")
    return out


def _text(value: Any) -> str | None:
    return None if value is None else " ".join(str(value).split())


def _what(action: Any) -> str:
    return str(action.get("what", "")) if isinstance(action, Mapping) else ""


def _new_action(found: Sequence[tuple[str, str, Any, Any]]) -> Any:
    return next(now for kind, _, _, now in found if kind == "next_action_added")


def _next_text(action: Any) -> str:
    due = action.get("due") if isinstance(action, Mapping) else None
    return f"{_what(action)} (due {due})" if due else _what(action)


def _moved(was: Any, now: Any) -> tuple[str, str, str]:
    what = _what(now)
    if was.get("due") == now.get("due"):
        return (
            f"{what}: owner",
            str(was.get("owner") or "nobody"),
            str(now.get("owner") or "nobody"),
        )
    if was.get("owner") == now.get("owner"):
        return f"{what}: due", str(was.get("due")), str(now.get("due"))
    return (
        f"{what}: due, owner",
        f"{was.get('due')}, {was.get('owner') or 'nobody'}",
        f"{now.get('due')}, {now.get('owner') or 'nobody'}",
    )


def _measurement(item: Any, data: Mapping[str, Any]) -> tuple[str, str | None, str]:
    """Goal title and date, the goal's previous value -> the new one."""
    goal = item.get("goal")
    titles = {
        g.get("id"): g.get("title") for g in data.get("goals") or [] if isinstance(g, Mapping)
    }
    earlier = [
        m
        for m in data.get("measurements") or []
        if isinstance(m, Mapping)
        and m.get("goal") == goal
        and str(m.get("date")) < str(item.get("date"))
    ]
    previous = max(earlier, key=lambda m: str(m.get("date")))["value"] if earlier else None
    label = titles.get(goal) or goal
    return f"{label} ({item.get('date')}):", _text(previous), str(item.get("value"))


def _invoice(summary: str, was: Any, now: Any, data: Mapping[str, Any]) -> tuple[str, Any, Any]:
    """Invoice id and amount, status before -> after (or "still unpaid" past due)."""
    label = summary.split(" ", 1)[0]
    invoice = next(
        (
            i
            for i in data.get("invoices") or []
            if isinstance(i, Mapping) and str(i.get("id")) == label
        ),
        {},
    )
    amount = invoice.get("amount")
    currency = invoice.get("currency") or (data.get("billing") or {}).get("currency")
    text = label if amount is None else f"{label} ({amount}{' ' + currency if currency else ''})"
    if was is None and now == "sent":
        return f"{text} due {invoice.get('due')}:", None, "still unpaid"
    return f"{text}:", was, now


# --- caches ----------------------------------------------------------------------------


def read_blobs(root: Path, specs: Sequence[str]) -> list[bytes | None]:
    """:func:`sortext.vcs.log.read_blobs`, imported on first use."""
    from sortext.vcs.log import read_blobs as read

    return read(root, specs)


def _load_view(root: Path, key: Mapping[str, Any]) -> WeeklyChanges | None:
    data = load_json(root / VIEW_CACHE, key)
    try:
        return WeeklyChanges.from_json(data["view"]) if data is not None else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _rows(lines: _Lines) -> list[LineRow]:
    return [(g, x.record_id, x.name, x.path, x.text, x.old, x.new) for g, x in lines]


def _lines(rows: Sequence[LineRow]) -> _Lines:
    return [(row[0], WeeklyLine(*row[1:])) for row in rows]


def _stored(records: Mapping[str, tuple[Pair, _Lines]]) -> dict[str, tuple[Pair, list[LineRow]]]:
    return {path: (pair, _rows(lines)) for path, (pair, lines) in records.items()}


def _store_view(store: WindowStore, since: dt.date, today: dt.date) -> WeeklyChanges:
    titles = {key: title for key, title, _ in GROUPS}
    groups = [
        WeeklyGroup(key, titles[key], tuple(WeeklyLine(*row) for row in rows), total - len(rows))
        for key, rows, total in store.groups([key for key, _, _ in GROUPS], GROUP_LIMIT)
    ]
    return WeeklyChanges(since, today, tuple(groups))


def _memo(store: WindowStore, paths: Sequence[str]) -> dict[str, _Lines]:
    return {key: _lines(rows) for key, rows in store.memo(paths).items()}


__all__ = [
    "GROUPS",
    "GROUP_LIMIT",
    "WINDOW_DAYS",
    "WeeklyChanges",
    "WeeklyGroup",
    "WeeklyLine",
    "head_commit",
    "recent_changes",
    "record_lines",
]
