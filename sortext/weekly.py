"""The pages' "since last week" section: the last 7 days' client changes, cheap enough
to run on every build and after every save the watcher commits.

``recent_changes(repo, today)`` compares each record as committed before the
window (``today`` - 7 days, 00:00) with the last commit up to the end of
``today``, using the classification of :mod:`sortext.changes`, and groups the
result the way a coach reads it, a few lines per group.  It depends only on
git history and ``today``.

Two caches under ``.sortext/`` (derived data, git-ignored; a missing or
corrupt file only means recomputing):

* ``weekly.json``: the finished view, keyed by (HEAD commit, today, clients
  folder).  HEAD is read from ``.git`` directly, so a hit starts no git
  process at all.
* ``weekly-pairs.json``: the lines of each changed record, keyed by the blob
  ids of its two versions (and ``today``).  After a new commit, only records
  whose blobs are new are read and parsed: the watcher's commit-per-save pays
  for one record, not for the whole week.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sortext import __version__
from sortext.changes import classify
from sortext.errors import GitError, StorageError
from sortext.gitlog import git_text, read_blobs, rev_before
from sortext.records import stem_of
from sortext.repo import Repository

WINDOW_DAYS = 7
#: Lines shown per group; the rest is counted ("and N more").
GROUP_LIMIT = 10
VIEW_CACHE = ".sortext/weekly.json"
PAIR_CACHE = ".sortext/weekly-pairs.json"
_CACHE_VERSION = 1
_ZERO = re.compile(r"^0+$")
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")

#: Groups in reading order: key, heading, the change kinds of sortext.changes it holds.
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
    memo_key = {"version": version, "today": today.isoformat(), "prefix": prefix}
    memo = _load_pairs(repo.root, memo_key)
    view, used = _compute(repo.root, head, since, today, prefix, memo)
    _save(repo.root / PAIR_CACHE, {**memo_key, "pairs": used})
    _save(repo.root / VIEW_CACHE, {**key, "view": view.to_json()})
    return view


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


def _compute(
    root: Path,
    head: str,
    since: dt.date,
    today: dt.date,
    prefix: str,
    memo: Mapping[str, Any],
) -> tuple[WeeklyChanges, dict[str, Any]]:
    """The view, and the per-record lines it used (to cache by blob ids)."""
    end = rev_before(root, f"{(today + dt.timedelta(days=1)).isoformat()}T00:00:00", head)
    if end is None:
        return WeeklyChanges(since, today), {}
    base = rev_before(root, f"{since.isoformat()}T00:00:00", end)
    pairs = _changed_records(root, base, end, prefix)
    used: dict[str, Any] = {}
    todo: list[tuple[str, _Pair]] = []
    for pair in pairs:
        key = "|".join(x or "" for x in pair)
        if isinstance(memo.get(key), list):
            used[key] = memo[key]
        else:
            todo.append((key, pair))
    if todo:
        from sortext.versions import VersionParser

        parse = VersionParser().parse  # re-reads only entries not seen in another version
        wanted = [sha for _, p in todo for sha in (p[0], p[1]) if sha]
        blobs = dict(zip(wanted, read_blobs(root, wanted), strict=True))
        for key, (old_sha, new_sha, old_path, new_path) in todo:
            old = parse(blobs[old_sha], old_path) if old_sha and old_path else None
            new = parse(blobs[new_sha], new_path) if new_sha and new_path else None
            used[key] = [
                [group, asdict(line)]
                for group, line in record_lines(
                    old_path,
                    new_path,
                    _old_data(old, old_path),
                    new.data if new else None,
                    since,
                    today,
                )
            ]
    lines: dict[str, list[WeeklyLine]] = {}
    for entries in used.values():
        for group, line in entries:
            lines.setdefault(group, []).append(WeeklyLine(**line))
    groups = []
    for key, title, _ in GROUPS:
        found = sorted(lines.get(key, []), key=lambda x: (x.name.casefold(), x.record_id, x.text))
        if found:
            groups.append(
                WeeklyGroup(
                    key, title, tuple(found[:GROUP_LIMIT]), max(0, len(found) - GROUP_LIMIT)
                )
            )
    return WeeklyChanges(since, today, tuple(groups)), used


def _old_data(old: Any, old_path: str | None) -> dict[str, Any] | None:
    """An old version that no longer parses counts as empty, not as absent."""
    if old_path is None:
        return None
    return dict(old.data) if old is not None else {}


_Pair = tuple[str | None, str | None, str | None, str | None]


def _changed_records(root: Path, base: str | None, end: str, prefix: str) -> list[_Pair]:
    """(old blob, new blob, old path, new path) of each record that differs; None: absent."""

    def is_record(path: str) -> bool:
        return path.startswith(prefix) and path.endswith(".md") and "/" not in path[len(prefix) :]

    if base is None:
        out = git_text(root, "ls-tree", "-r", "-z", end, "--", prefix)
        found: list[_Pair] = []
        for entry in out.split("\0"):
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob" and is_record(path):
                found.append((None, parts[2], None, path))
        return found
    out = git_text(root, "diff-tree", "-r", "-z", "-M", "--relative", base, end, "--", prefix)
    tokens = out.split("\0")
    pairs: list[_Pair] = []
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
        before = old_path if not _ZERO.match(old_sha) and is_record(old_path) else None
        after = new_path if not _ZERO.match(new_sha) and is_record(new_path) else None
        if before or after:
            pairs.append((old_sha if before else None, new_sha if after else None, before, after))
    return pairs


# --- one record's lines ----------------------------------------------------------------


def record_lines(
    old_path: str | None,
    new_path: str | None,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    since: dt.date,
    today: dt.date,
) -> list[tuple[str, WeeklyLine]]:
    """(group key, line) for each noteworthy change between two versions (pure)."""
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


def _load_pairs(root: Path, key: Mapping[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads((root / PAIR_CACHE).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or any(data.get(k) != v for k, v in key.items()):
            return {}
        pairs = data["pairs"]
        return _valid_pairs(pairs) if isinstance(pairs, dict) else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _valid_pairs(pairs: dict[str, Any]) -> dict[str, Any]:
    """Entries whose lines can be rebuilt; anything else is recomputed."""
    fields = set(WeeklyLine.__dataclass_fields__)
    return {
        key: entries
        for key, entries in pairs.items()
        if isinstance(entries, list)
        and all(
            isinstance(e, list)
            and len(e) == 2
            and e[0] in _GROUP_KEYS
            and isinstance(e[1], dict)
            and set(e[1]) == fields
            for e in entries
        )
    }


_GROUP_KEYS = {key for key, _, _ in GROUPS}


def _save(path: Path, data: Mapping[str, Any]) -> None:
    from sortext.safewrite import atomic_write

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
