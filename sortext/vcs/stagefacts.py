"""Time in the current stage and "last touched" per client, derived from git.

Nobody types ``stage_since`` by hand: one pass over ``git log -p -U0`` of the
clients folder (newest first, renames followed) finds, per file, the newest
commit that touched it and the newest commit that wrote its ``stage:`` line.
Two derived files in ``.sortext/`` (keyed by the clients folder and a commit,
so a stale one is never read): ``stage-scan.json``, what the pass found for
every path ever seen, from which a later call reads only the commits added
since; and ``stage-facts.json``, the answer for the records at one HEAD, which
a call at that HEAD returns without starting git.  The watcher refreshes both
after each commit it makes; ``build``, ``install`` and ``init`` do too, so the
one long pass (a tree comparison per commit: seconds on a long history of a
large practice) is not paid by a query.  ``staleness`` is the pure rule that
flags a client sitting in a stage too long.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sortext.files.state import StateDir
from sortext.record.copies import is_record_name
from sortext.repo import Repository
from sortext.vcs import git

_CACHE_VERSION = 2
#: Seconds the pass over the whole history may take: one tree comparison per
#: commit, minutes for years of a 30,000-client practice on a busy machine (git's
#: usual 60 s would fail it every time, and nothing would ever be cached).
SCAN_TIMEOUT = 1800.0
_STAGE_LINE = re.compile(r"^\+stage:\s*['\"]?([^'\"#\s]+)")


@dataclass(frozen=True, slots=True)
class StageFacts:
    """Derived from git: the committed stage, since when, and the last commit touching it."""

    stage: str | None
    stage_since: dt.date | None
    last_touched: dt.date | None


@dataclass(slots=True)
class _Scan:
    """What a log pass found, by path at HEAD (newest commit wins)."""

    touched: dict[str, str] = field(default_factory=dict)
    stages: dict[str, tuple[str, str]] = field(default_factory=dict)
    alias: dict[str, str] = field(default_factory=dict)


def _follow(alias: Mapping[str, str], path: str) -> str:
    """The newest name of ``path`` given old -> new renames."""
    seen = 0
    while path in alias and seen < 100:
        path = alias[path]
        seen += 1
    return path


def _scan(repo: Repository, prefix: str, since_commit: str | None) -> _Scan:
    """One ``git log -p -U0 -M`` pass over ``since_commit..HEAD`` (or all history)."""
    revs = [f"{since_commit}..HEAD"] if since_commit else ["HEAD"]
    out = git.run(
        repo.root,
        "log",
        "--format=\x01%aI",
        "-p",
        "-U0",
        "-M",
        "--no-color",
        "--no-ext-diff",
        *revs,
        "--",
        prefix,
        timeout=SCAN_TIMEOUT,
    ).decode("utf-8", "replace")
    scan = _Scan()
    day = ""
    old = ""
    path: str | None = None
    for line in out.split("\n"):
        if line.startswith("\x01"):
            day = line[1:11]
        elif line.startswith("rename from "):
            old = line[len("rename from ") :]
        elif line.startswith("rename to "):
            new = _follow(scan.alias, line[len("rename to ") :])
            scan.alias.setdefault(old, new)
            scan.touched.setdefault(new, day)  # a pure rename prints no "+++" line
        elif line.startswith("diff --git "):
            path = None
        elif line.startswith("+++ "):
            path = _follow(scan.alias, line[6:]) if line.startswith("+++ b/") else None
            if path is not None:
                scan.touched.setdefault(path, day)
        elif line.startswith("+stage:") and path is not None:
            m = _STAGE_LINE.match(line)
            if m:
                scan.stages.setdefault(path, (m.group(1), day))
    return scan


def _merge(newer: _Scan, older: _Scan) -> _Scan:
    """Facts from newer commits override older ones; older paths follow newer renames."""
    if not newer.alias:  # no renames since (the usual case): plain overrides, copied in C
        return _Scan(
            {**older.touched, **newer.touched},
            {**older.stages, **newer.stages},
            dict(older.alias),
        )
    out = _Scan(dict(newer.touched), dict(newer.stages), dict(newer.alias))
    for old, new in older.alias.items():
        out.alias.setdefault(old, _follow(newer.alias, new))
    for path, day in older.touched.items():
        out.touched.setdefault(_follow(newer.alias, path), day)
    for path, stage in older.stages.items():
        out.stages.setdefault(_follow(newer.alias, path), stage)
    return out


def _prefix(repo: Repository) -> str:
    """The clients folder as git names its files (``clients/``): part of every key."""
    return repo.relative(repo.clients_path).rstrip("/") + "/"


def _load_scan(repo: Repository) -> tuple[str, _Scan] | None:
    try:
        data = json.loads(StateDir(repo.root).stage_scan.read_bytes())
        if data.get("version") != _CACHE_VERSION or data.get("prefix") != _prefix(repo):
            return None
        stages = {p: (s[0], s[1]) for p, s in data["stages"].items()}
        return str(data["head"]), _Scan(dict(data["touched"]), stages, dict(data["alias"]))
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def _load_facts(repo: Repository) -> tuple[str, list[list[Any]]] | None:
    """(head, groups) as saved: each group is ``[stage, since, touched, "id/id/..."]``
    (ids joined with ``/``, which no record id holds), or None."""
    try:
        data = json.loads(StateDir(repo.root).stage_facts.read_bytes())
        if not isinstance(data, dict) or data.get("version") != _CACHE_VERSION:
            return None
        if data.get("prefix") != _prefix(repo):
            return None
        head, groups = data["head"], data["groups"]
        if isinstance(head, str) and isinstance(groups, list):
            return head, groups
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _save(path: Path, data: dict[str, Any]) -> None:
    """Write a cache file atomically, without fsync (derived: a lost one is recomputed;
    each is keyed by its commit, so the last of two writers racing is as good)."""
    from sortext.errors import StorageError
    from sortext.files.write import atomic_write

    try:
        path.parent.mkdir(exist_ok=True)
        atomic_write(path, json.dumps(data, separators=(",", ":")).encode(), durable=False)
    except (OSError, StorageError):
        pass  # a cache we could not write is only a slower next call


def _save_scan(repo: Repository, head: str, scan: _Scan) -> None:
    data = {
        "version": _CACHE_VERSION,
        "prefix": _prefix(repo),
        "head": head,
        "touched": scan.touched,
        "stages": {p: list(s) for p, s in scan.stages.items()},
        "alias": scan.alias,
    }
    _save(StateDir(repo.root).stage_scan, data)


def _is_ancestor(repo: Repository, commit: str) -> bool:
    return git.run_full(repo.root, "merge-base", "--is-ancestor", commit, "HEAD").returncode == 0


def _groups(rows: Mapping[str, tuple[str | None, str | None, str | None]]) -> list[list[Any]]:
    """Record id -> (stage, since, touched) as saved: one group per distinct fact."""
    ids: dict[tuple[str | None, str | None, str | None], list[str]] = {}
    for record_id, fact in rows.items():
        ids.setdefault(fact, []).append(record_id)
    return [[*fact, "/".join(members)] for fact, members in ids.items()]


def _as_facts(groups: list[list[Any]]) -> dict[str, StageFacts]:
    """Saved groups as the public map (id -> StageFacts): a few thousand objects
    and one C-level dict update per group, not one per client."""
    days: dict[str | None, dt.date | None] = {None: None}
    facts: dict[str, StageFacts] = {}
    for stage, since, touched, members in groups:
        if since not in days:
            days[since] = dt.date.fromisoformat(since)
        if touched not in days:
            days[touched] = dt.date.fromisoformat(touched)
        facts.update(
            dict.fromkeys(members.split("/"), StageFacts(stage, days[since], days[touched]))
        )
    return facts


def stage_facts_at(repo: Repository, head: str) -> dict[str, StageFacts] | None:
    """The facts as of commit ``head`` when the cache holds exactly those, else None.

    Starts no git process and reads one file: for a reader that already knows
    HEAD (a watcher's index, :func:`sortext.vcs.git.head_from_files`).  None
    means "not known for this commit": call :func:`stage_facts`."""
    saved = _load_facts(repo)
    if saved is None or saved[0] != head:
        return None
    try:
        return _as_facts(saved[1])
    except (TypeError, ValueError, AttributeError):
        return None  # a damaged row: rebuilt by the next stage_facts


def stage_facts(repo: Repository, use_cache: bool = True) -> dict[str, StageFacts]:
    """Per client id (records at HEAD): committed stage, stage since, last touched.

    With the cache at HEAD (``.sortext/stage-facts.json``, written by the last
    call, the watcher after each commit, ``build`` and ``install``) this reads
    HEAD from the ref files and one JSON file: no git process, no tree listing.
    Otherwise it reads the commits added since the cached scan
    (``.sortext/stage-scan.json``), or the whole history of the clients folder
    when there is no usable cache (a minute-scale pass on a long history: one
    tree comparison per commit), and saves both files.  Raises GitError when
    git fails; {} before the first commit."""
    root = repo.root
    head = git.head_from_files(root) if use_cache else None
    if head is not None:
        hit = stage_facts_at(repo, head)
        if hit is not None:
            return hit
    else:
        head = git.text(root, "rev-parse", "--verify", "-q", "HEAD", check=False).strip()
    if not head:
        return {}
    prefix = _prefix(repo)
    cached = _load_scan(repo) if use_cache else None
    base: str | None = None
    if cached is not None and cached[0] == head:
        scan, base = cached[1], head
    elif cached is not None and _is_ancestor(repo, cached[0]):
        scan, base = _merge(_scan(repo, prefix, cached[0]), cached[1]), cached[0]
    else:
        scan = _scan(repo, prefix, None)
    if use_cache and base != head:
        _save_scan(repo, head, scan)
    names = _names_at_head(repo, prefix, base, head) if use_cache else None
    if names is None:
        names = _listed_names(repo, prefix)
    rows: dict[str, tuple[str | None, str | None, str | None]] = {}
    cut = len(prefix)
    for name in names:
        stage, since = scan.stages.get(name, (None, None))
        rows[name[cut:-3]] = (stage, since or None, scan.touched.get(name) or None)
    groups = _groups(rows)
    if use_cache:
        data = {"version": _CACHE_VERSION, "prefix": prefix, "head": head, "groups": groups}
        _save(StateDir(root).stage_facts, data)
    return _as_facts(groups)


def warm_stage_facts(repo: Repository) -> None:
    """Bring the cache up to HEAD now (the watcher after its commits, ``install``,
    ``init``), so no later command waits for it; never raises."""
    from sortext.errors import SortextError

    with contextlib.suppress(SortextError, OSError):
        stage_facts(repo)


def _is_record_path(name: str, prefix: str) -> bool:
    rest = name[len(prefix) :]
    return name.startswith(prefix) and "/" not in rest and is_record_name(rest)


def _listed_names(repo: Repository, prefix: str) -> list[str]:
    """Record paths in the clients folder at HEAD (``git ls-tree``)."""
    names = git.text(repo.root, "ls-tree", "-r", "--name-only", "-z", "HEAD", "--", prefix)
    return [n for n in names.split("\0") if n and _is_record_path(n, prefix)]


def _names_at_head(repo: Repository, prefix: str, base: str | None, head: str) -> list[str] | None:
    """Record paths at ``head`` from those saved for ``base`` and the tree
    difference ``base..head`` (one comparison, not a listing); None when the
    saved facts are not for ``base``."""
    saved = _load_facts(repo)
    if base is None or saved is None or saved[0] != base:
        return None
    names = dict.fromkeys(
        f"{prefix}{record_id}.md" for group in saved[1] for record_id in group[3].split("/")
    )
    if base != head:
        out = git.text(
            repo.root, "diff", "--name-status", "--no-renames", "-z", base, head, "--", prefix
        )
        tokens = out.split("\0")
        for status, name in zip(tokens[::2], tokens[1::2], strict=False):
            if status == "D":
                names.pop(name, None)
            elif status and _is_record_path(name, prefix):
                names[name] = None
    return list(names)


@dataclass(frozen=True, slots=True)
class Staleness:
    """A client has sat in ``stage`` for ``days``, longer than ``limit``."""

    stage: str
    days: int
    limit: int


def staleness(
    stage: str | None,
    stage_since: dt.date | None,
    today: dt.date,
    stale_days: Mapping[str, Any],
) -> Staleness | None:
    """The stale rule (pure): days in stage beyond ``stale_days[stage]``, else None."""
    if not stage or stage_since is None or stage not in stale_days:
        return None
    limit = int(stale_days[stage])
    days = (today - stage_since).days
    return Staleness(stage, days, limit) if days > limit else None
