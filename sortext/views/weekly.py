"""The pages' "since last week" section: the last 7 days' client changes, cheap enough
to run on every build and after every save the watcher commits.

``recent_changes(repo, today)`` compares each record as committed before the
window (``today`` - 7 days, 00:00) with the last commit up to the end of
``today``, using the classification of :mod:`sortext.vcs.changes`, and groups the
result the way a coach reads it, a few lines per group.  It depends only on
git history and ``today``.

Caches under ``.sortext/`` (derived data, git-ignored; a missing or corrupt
file only means recomputing):

* ``weekly.json``: the finished view, keyed by (HEAD commit, today, clients
  folder).  HEAD is read from ``.git`` directly, so a hit starts no git
  process at all.
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
import json
import re
import secrets
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sortext import __version__
from sortext.check.load import stem_of
from sortext.errors import GitError, StorageError
from sortext.files.state import StateDir
from sortext.repo import Repository
from sortext.vcs.changes import classify
from sortext.vcs.log import git_text, read_blobs, rev_before, run_git

WINDOW_DAYS = 7
#: Lines shown per group; the rest is counted ("and N more").
GROUP_LIMIT = 10
VIEW_CACHE = StateDir.rel(StateDir.WEEKLY_VIEW)
PAIR_CACHE = StateDir.rel(StateDir.WEEKLY_PAIRS)
STORE = StateDir.rel(StateDir.WEEKLY_STORE)
_CACHE_VERSION = 3  # 3: a new record is only its "New clients" line
_STORE_LAYOUT = 3
#: Files touched since the previous call above which the window is recomputed
#: (fewer git arguments, and a big rewrite costs about the same either way).
INCREMENTAL_LIMIT = 500
_ZERO = re.compile(r"^0+$")
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

    ``path``: the record file at the window's end (repository-relative, for
    links); None when the record was deleted."""

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


def recent_changes(repo: Repository, today: dt.date) -> WeeklyChanges | None:
    """The "since last week" section for ``today``; None when there is no git history.

    Git failing for another reason (a damaged repository) raises GitError."""
    since = today - dt.timedelta(days=WINDOW_DAYS)
    prefix = repo.relative(repo.clients_path).rstrip("/") + "/"
    try:
        head = head_commit(repo.root)
    except GitError:
        return None  # git is not installed: no history to show
    if head is None:
        return None
    version = f"{_CACHE_VERSION}/{__version__}"  # new wording in a release: recompute
    key = {"version": version, "head": head, "today": today.isoformat(), "prefix": prefix}
    cached = _load_view(repo.root, key)
    if cached is not None:
        return cached
    state_key = {"version": version, "today": today.isoformat(), "prefix": prefix}
    view = _update(repo.root, head, since, today, prefix, state_key)
    _save(repo.root / VIEW_CACHE, {**key, "view": view.to_json()})
    return view


def _update(
    root: Path, head: str, since: dt.date, today: dt.date, prefix: str, key: Mapping[str, str]
) -> WeeklyChanges:
    """The view for ``head``: applied to the stored window when that is exact, else
    recomputed (and stored).  A store SQLite cannot use only costs a recomputation."""
    try:
        store = _Store.open(root / STORE)
    except (sqlite3.Error, OSError):
        store = None
    if store is None:
        return _view_of(since, today, _compute(root, head, since, today, prefix, {}))
    try:
        with store.transaction():
            state = store.state(key, _manifest_token(root, key))
            if state is not None:
                view = _apply(root, head, since, today, prefix, state, store)
                if view is not None:
                    return view
            window = _compute(root, head, since, today, prefix, {})
            token = store.replace(key, window)
            _save(root / PAIR_CACHE, {**key, "pairs": {"store": STORE, "token": token}})
            return _view_of(since, today, window)
    except sqlite3.Error:
        return _view_of(since, today, _compute(root, head, since, today, prefix, {}))
    finally:
        store.close()


# --- HEAD without starting git ---------------------------------------------------------


def head_commit(root: Path) -> str | None:
    """HEAD's commit id, or None (not a git repository, or no commit yet).

    Read from ``.git`` files (loose ref, then packed-refs) so the cached path
    costs a few file reads; anything unusual asks ``git rev-parse``."""
    found = _read_head(root)
    if found is not None:
        return found
    out = git_text(root, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False).strip()
    return out if _SHA.match(out) else None


def _read_head(root: Path) -> str | None:
    try:
        gitdir = _git_dir(root)
        if gitdir is None:
            return None
        head = (gitdir / "HEAD").read_text(encoding="utf-8").strip()
        if _SHA.match(head):
            return head
        if not head.startswith("ref: refs/"):
            return None
        ref = head[5:].strip()
        common = gitdir
        if (gitdir / "commondir").is_file():
            common = gitdir / (gitdir / "commondir").read_text(encoding="utf-8").strip()
        for folder in (gitdir, common):
            ref_file = folder / ref
            if ref_file.is_file():
                value = ref_file.read_text(encoding="utf-8").strip()
                return value if _SHA.match(value) else None
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8").splitlines():
                sha, _, name = line.partition(" ")
                if name == ref and _SHA.match(sha):
                    return sha
    except (OSError, UnicodeDecodeError):
        pass
    return None


def _git_dir(root: Path) -> Path | None:
    """``root/.git`` (a folder, or a file pointing at one, as in worktrees)."""
    dotgit = root / ".git"
    if dotgit.is_dir():
        return dotgit
    if dotgit.is_file():
        text = dotgit.read_text(encoding="utf-8").strip()
        if text.startswith("gitdir: "):
            return root / text[len("gitdir: ") :]  # absolute stays absolute
    return None


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
    records: dict[str, tuple[_Pair, _Lines]]


def _compute(
    root: Path,
    head: str,
    since: dt.date,
    today: dt.date,
    prefix: str,
    memo: Mapping[str, _Lines],
) -> _Window:
    """The whole window from git; ``memo`` (pair key -> stored lines) saves parsing
    records whose two versions were seen before."""
    end = _window_end(root, head, today)
    if end is None:
        return _Window(None, None, 0, {})
    base = rev_before(root, f"{since.isoformat()}T00:00:00", end)
    pairs, deletions = _changed_records(root, base, end, prefix)
    return _Window(base, end, deletions, _lines_of(root, pairs, since, today, memo))


def _window_end(root: Path, head: str, today: dt.date) -> str | None:
    return rev_before(root, f"{(today + dt.timedelta(days=1)).isoformat()}T00:00:00", head)


def _pair_key(pair: _Pair) -> str:
    return "|".join(x or "" for x in pair)


def _lines_of(
    root: Path,
    pairs: Sequence[_Pair],
    since: dt.date,
    today: dt.date,
    memo: Mapping[str, _Lines],
) -> dict[str, tuple[_Pair, _Lines]]:
    """Path -> (pair, lines) of each pair: from ``memo``, else read and parsed
    (all blobs through one git process)."""
    out: dict[str, tuple[_Pair, _Lines]] = {}
    todo: list[tuple[str, _Pair]] = []
    for pair in pairs:
        key = _pair_key(pair)
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
        found.setdefault("id", stem_of(path))  # the parser's implied id
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


def _apply(
    root: Path,
    head: str,
    since: dt.date,
    today: dt.date,
    prefix: str,
    state: _State,
    store: _Store,
) -> WeeklyChanges | None:
    """The view after bringing the stored window (same ``today``) to ``head``, or
    None when there is nothing to build on (then the caller recomputes).

    Usually the diff from the stored end to the new one is applied: O(files
    touched).  That is exact when the window start is the same commit and the
    touched files cannot change git's rename pairing: renames pair a deleted
    file with an added one, so it needs no commit before the window
    (``ls-tree``: no renames), or every touched file present at the start and
    at both ends, or no file deleted in the window before or after.  Otherwise
    the window's pairs are listed again and only the pairs not stored are read."""
    end = _window_end(root, head, today)
    if state.end is None or end is None:
        return None
    base = rev_before(root, f"{since.isoformat()}T00:00:00", end)
    if (base, end) == (state.base, state.end):
        return store.view(since, today)
    if base == state.base:
        touched = _diff(root, state.end, end, [prefix])
        pairs = _touched_pairs(root, base, end, prefix, touched, state.deletions, store)
        if pairs is not None:
            memo = store.memo(list(touched))
            store.apply(
                end,
                base,
                state.deletions,
                list(touched),
                _lines_of(root, pairs, since, today, memo),
            )
            return store.view(since, today)
    pairs, deletions = _changed_records(root, base, end, prefix)
    stored = store.pair_keys()
    fresh = {pair[3] or pair[2] or "": pair for pair in pairs}
    changed = [pair for path, pair in fresh.items() if stored.get(path) != _pair_key(pair)]
    paths = [path for path in stored if path not in fresh]
    paths += [pair[3] or pair[2] or "" for pair in changed]
    memo = store.memo(paths)
    store.apply(end, base, deletions, paths, _lines_of(root, changed, since, today, memo))
    return store.view(since, today)


def _touched_pairs(
    root: Path,
    base: str | None,
    end: str,
    prefix: str,
    touched: Mapping[str, tuple[str | None, str | None]],
    deletions: int,
    store: _Store,
) -> list[_Pair] | None:
    """The window's pairs of the ``touched`` records, or None when applying them
    alone would not be exact (see :func:`_apply`) or they are too many.

    A record's blob at the window start comes from its stored pair, or is the
    one at the stored end when it has none: no git call (``base:path`` costs
    13 ms at 10,000 files); other files under the folder ask git."""
    if len(touched) > INCREMENTAL_LIMIT:
        return None
    at_base: dict[str, str | None] = {}
    if base is not None:
        records = [path for path in touched if _is_record(path, prefix)]
        stored = store.starts(records)
        at_base = {path: stored[path] if path in stored else touched[path][0] for path in records}
        others = _blob_ids(root, base, [path for path in touched if path not in at_base])
        if others is None:
            return None
        at_base.update(others)
    pairs: list[_Pair] = []
    for path, (was, now) in touched.items():
        start = at_base.get(path)
        kept = start and was and now  # present at the start and at both ends
        if base is not None and not kept and (deletions or (start and not now)):
            return None  # git's rename pairing could change
        if _is_record(path, prefix) and start != now:
            pairs.append((start, now, path if start else None, path if now else None))
    return pairs


_Pair = tuple[str | None, str | None, str | None, str | None]


def _is_record(path: str, prefix: str) -> bool:
    return path.startswith(prefix) and path.endswith(".md") and "/" not in path[len(prefix) :]


def _blob_ids(root: Path, rev: str, paths: Sequence[str]) -> dict[str, str | None] | None:
    """Path -> its blob id in ``rev`` (None: absent), through one ``cat-file
    --batch-check`` (a pathspec-limited diff-tree costs 15 ms at 10,000 files);
    None for a path this line protocol cannot carry."""
    if not paths:
        return {}
    if any("\n" in path for path in paths):
        return None
    out = run_git(
        root, "cat-file", "--batch-check", input="".join(f"{rev}:{p}\n" for p in paths).encode()
    )
    found: dict[str, str | None] = {}
    for path, line in zip(paths, out.decode("utf-8", "replace").splitlines(), strict=True):
        sha, _, kind = line.partition(" ")
        found[path] = sha if _SHA.match(sha) and kind.startswith("blob ") else None
    return found


def _diff(
    root: Path, old: str, new: str, paths: Sequence[str]
) -> dict[str, tuple[str | None, str | None]]:
    """Path -> (blob in ``old``, blob in ``new``; None: absent) of each file under
    ``paths`` that differs, renames not looked for."""
    out = git_text(
        root, "--literal-pathspecs", "diff-tree", "-r", "-z", "--no-renames", old, new, "--", *paths
    )
    tokens = out.split("\0")
    found: dict[str, tuple[str | None, str | None]] = {}
    for i in range(0, len(tokens) - 1, 2):
        meta = tokens[i]
        if not meta.startswith(":"):
            break
        _, _, old_sha, new_sha, _ = meta[1:].split(" ")
        found[tokens[i + 1]] = (
            None if _ZERO.match(old_sha) else old_sha,
            None if _ZERO.match(new_sha) else new_sha,
        )
    return found


def _old_data(old: Any, old_path: str | None) -> dict[str, Any] | None:
    """An old version that no longer parses counts as empty, not as absent."""
    if old_path is None:
        return None
    return dict(old.data) if old is not None else {}


def _changed_records(
    root: Path, base: str | None, end: str, prefix: str
) -> tuple[list[_Pair], int]:
    """(old blob, new blob, old path, new path) of each record that differs (None:
    absent), and how many files under ``prefix`` were deleted or renamed away."""
    if base is None:
        out = git_text(root, "ls-tree", "-r", "-z", end, "--", prefix)
        found: list[_Pair] = []
        for entry in out.split("\0"):
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob" and _is_record(path, prefix):
                found.append((None, parts[2], None, path))
        return found, 0
    out = git_text(root, "diff-tree", "-r", "-z", "-M", "--relative", base, end, "--", prefix)
    tokens = out.split("\0")
    pairs: list[_Pair] = []
    deletions = 0
    i = 0
    while i < len(tokens):
        if not tokens[i].startswith(":"):
            i += 1
            continue
        _, _, old_sha, new_sha, status = tokens[i][1:].split(" ")
        if status[0] in "RC":
            old_path, new_path = tokens[i + 1], tokens[i + 2]
            i += 3
        else:
            old_path = new_path = tokens[i + 1]
            i += 2
        if status[0] in "DR":
            deletions += 1
        before = old_path if not _ZERO.match(old_sha) and _is_record(old_path, prefix) else None
        after = new_path if not _ZERO.match(new_sha) and _is_record(new_path, prefix) else None
        if before or after:
            pairs.append((old_sha if before else None, new_sha if after else None, before, after))
    return pairs, deletions


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
    record_id = str(either["id"]) if isinstance(either.get("id"), str) else stem
    name = " ".join(str(either.get("name") or record_id).split())
    out: list[tuple[str, WeeklyLine]] = []

    def add(kind: str, text: str, was: Any = None, now: Any = None) -> None:
        out.append(
            (_GROUP_OF[kind], WeeklyLine(record_id, name, new_path, text, _text(was), _text(now)))
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


def _load_view(root: Path, key: Mapping[str, Any]) -> WeeklyChanges | None:
    try:
        data = json.loads((root / VIEW_CACHE).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or any(data.get(k) != v for k, v in key.items()):
            return None
        return WeeklyChanges.from_json(data["view"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _manifest_token(root: Path, key: Mapping[str, Any]) -> str | None:
    """The store generation ``weekly-pairs.json`` vouches for under ``key``, if any."""
    try:
        data = json.loads((root / PAIR_CACHE).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or any(data.get(k) != v for k, v in key.items()):
            return None
        token = data["pairs"]["token"]
        return token if isinstance(token, str) and data["pairs"].get("store") == STORE else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


@dataclass(frozen=True, slots=True)
class _State:
    base: str | None
    end: str | None
    deletions: int


_SCHEMA = """
CREATE TABLE IF NOT EXISTS weekly_state (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    key TEXT NOT NULL, token TEXT NOT NULL,
    base TEXT, end_commit TEXT, deletions INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS weekly_pairs (
    path TEXT PRIMARY KEY, pair TEXT NOT NULL, base_path TEXT, base_blob TEXT);
CREATE INDEX IF NOT EXISTS weekly_pairs_base ON weekly_pairs (base_path);
CREATE TABLE IF NOT EXISTS weekly_lines (
    grp TEXT NOT NULL, sort_name TEXT NOT NULL, record_id TEXT NOT NULL, text TEXT NOT NULL,
    path TEXT NOT NULL, seq INTEGER NOT NULL,
    name TEXT NOT NULL, link TEXT, old TEXT, new TEXT,
    PRIMARY KEY (grp, sort_name, record_id, text, path, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS weekly_lines_path ON weekly_lines (path);
CREATE TABLE IF NOT EXISTS weekly_counts (grp TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""


class _Store:
    """``weekly.sqlite``: one window's lines, kept in reading order by the primary
    key so a group's first lines are a short index walk."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @classmethod
    def open(cls, path: Path) -> _Store:
        path.parent.mkdir(exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] != _STORE_LAYOUT:
                conn.executescript(
                    "DROP TABLE IF EXISTS weekly_state; DROP TABLE IF EXISTS weekly_pairs;"
                    "DROP TABLE IF EXISTS weekly_lines; DROP TABLE IF EXISTS weekly_counts;"
                    f"{_SCHEMA} PRAGMA user_version = {_STORE_LAYOUT};"
                )
            conn.execute("PRAGMA synchronous = OFF")  # derived data: lost means recomputed
        except sqlite3.DatabaseError:
            conn.close()
            path.unlink(missing_ok=True)  # not a database (or damaged): start again
            conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
            conn.executescript(f"{_SCHEMA} PRAGMA user_version = {_STORE_LAYOUT};")
        return cls(conn)

    def close(self) -> None:
        self.conn.close()

    def state(self, key: Mapping[str, str], token: str | None) -> _State | None:
        """The stored window, if it is for ``key`` and the manifest's ``token``."""
        if token is None:
            return None
        row = self.conn.execute(
            "SELECT key, token, base, end_commit, deletions FROM weekly_state"
        ).fetchone()
        if row is None or row[0] != json.dumps(key, sort_keys=True) or row[1] != token:
            return None
        return _State(row[2], row[3], int(row[4]))

    def pair_keys(self) -> dict[str, str]:
        """Record path -> key of its stored pair."""
        return dict(self.conn.execute("SELECT path, pair FROM weekly_pairs"))

    def starts(self, paths: Sequence[str]) -> dict[str, str | None]:
        """Path -> its blob at the window start (None: absent), for the paths that
        are a side of a stored pair; a record in no pair is as it was at the end."""
        found: dict[str, str | None] = {}
        for path in paths:
            for base_path, blob in self.conn.execute(
                "SELECT base_path, base_blob FROM weekly_pairs WHERE path = ? OR base_path = ?",
                (path, path),
            ):
                if base_path == path or path not in found:
                    found[path] = blob if base_path == path else None
        return found

    def memo(self, paths: Sequence[str]) -> dict[str, _Lines]:
        """Pair key -> stored lines, for the pairs stored under ``paths``."""
        query = (
            "SELECT p.pair, l.grp, l.record_id, l.name, l.link, l.text, l.old, l.new"
            " FROM weekly_pairs p LEFT JOIN weekly_lines l ON l.path = p.path"
            " WHERE p.path = ? ORDER BY l.seq"
        )
        rows: list[Any] = []
        for path in paths:
            rows += self.conn.execute(query, (path,))
        out: dict[str, _Lines] = {}
        for pair, group, *fields in rows:
            lines = out.setdefault(pair, [])
            if group is not None:
                lines.append((group, WeeklyLine(*fields)))
        return out

    def replace(self, key: Mapping[str, str], window: _Window) -> str:
        """Store ``window`` for ``key``; the new generation's token."""
        token = secrets.token_hex(8)
        self.conn.execute("DELETE FROM weekly_state")
        self.conn.execute("DELETE FROM weekly_pairs")
        self.conn.execute("DELETE FROM weekly_lines")
        self.conn.execute("DELETE FROM weekly_counts")
        self.conn.execute(
            "INSERT INTO weekly_state VALUES (1, ?, ?, ?, ?, ?)",
            (json.dumps(key, sort_keys=True), token, window.base, window.end, window.deletions),
        )
        self._insert(window.records)
        return token

    def apply(
        self,
        end: str,
        base: str | None,
        deletions: int,
        paths: Sequence[str],
        records: Mapping[str, tuple[_Pair, _Lines]],
    ) -> None:
        """Replace the lines of ``paths`` by ``records``; the window is now (base, end)."""
        for path in paths:
            gone = self.conn.execute(
                "SELECT grp, COUNT(*) FROM weekly_lines WHERE path = ? GROUP BY grp", (path,)
            ).fetchall()
            self.conn.executemany(
                "UPDATE weekly_counts SET n = n - ? WHERE grp = ?", [(n, g) for g, n in gone]
            )
            self.conn.execute("DELETE FROM weekly_lines WHERE path = ?", (path,))
            self.conn.execute("DELETE FROM weekly_pairs WHERE path = ?", (path,))
        self.conn.execute(
            "UPDATE weekly_state SET end_commit = ?, base = ?, deletions = ?",
            (end, base, deletions),
        )
        self._insert(records)

    def _insert(self, records: Mapping[str, tuple[_Pair, _Lines]]) -> None:
        self.conn.executemany(
            "INSERT INTO weekly_pairs VALUES (?, ?, ?, ?)",
            [(path, _pair_key(pair), pair[2], pair[0]) for path, (pair, _) in records.items()],
        )
        rows = [
            (g, *_order(line, path, seq)[:3], path, seq, line.name, line.path, line.old, line.new)
            for path, (_, lines) in records.items()
            for seq, (g, line) in enumerate(lines)
        ]
        self.conn.executemany("INSERT INTO weekly_lines VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        counts: dict[str, int] = {}
        for row in rows:
            counts[row[0]] = counts.get(row[0], 0) + 1
        self.conn.executemany(
            "INSERT INTO weekly_counts VALUES (?, ?) ON CONFLICT (grp) DO UPDATE SET n = n + ?",
            [(g, n, n) for g, n in counts.items()],
        )

    def view(self, since: dt.date, today: dt.date) -> WeeklyChanges:
        counts = dict(self.conn.execute("SELECT grp, n FROM weekly_counts WHERE n > 0"))
        groups = []
        for key, title, _ in GROUPS:
            total = int(counts.get(key, 0))
            if total <= 0:
                continue
            rows = self.conn.execute(
                "SELECT record_id, name, link, text, old, new FROM weekly_lines WHERE grp = ?"
                " ORDER BY sort_name, record_id, text, path, seq LIMIT ?",
                (key, GROUP_LIMIT),
            ).fetchall()
            lines = tuple(WeeklyLine(*row) for row in rows)
            groups.append(WeeklyGroup(key, title, lines, max(0, total - len(lines))))
        return WeeklyChanges(since, today, tuple(groups))

    def transaction(self) -> _Transaction:
        """One writer at a time from reading the state to storing the result (the
        watcher and a manual build may both update)."""
        return _Transaction(self.conn)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on any error)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


def _save(path: Path, data: Mapping[str, Any]) -> None:
    from sortext.files.write import atomic_write

    try:
        path.parent.mkdir(exist_ok=True)
        atomic_write(path, json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
    except (OSError, StorageError):
        pass  # a cache we could not write is only a slower next call


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
