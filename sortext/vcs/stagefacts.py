"""Time in the current stage and "last touched" per client, derived from git.

Nobody types ``stage_since`` by hand: one pass over ``git log -p -U0`` of the
clients folder (newest first, renames followed) finds, per file, the newest
commit that touched it and the newest commit that wrote its ``stage:`` line.
The result is cached in ``.sortext/stage-facts.json`` (derived state) keyed by
HEAD, and later calls read only the commits added since.  ``staleness`` is
the pure rule that flags a client sitting in a stage too long.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sortext.check.load import stem_of
from sortext.files.state import StateDir
from sortext.record.copies import is_record_name
from sortext.repo import Repository
from sortext.vcs import git
from sortext.vcs.log import has_commits

_CACHE_VERSION = 1
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
    out = git.text(
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
    )
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
    out = _Scan(dict(newer.touched), dict(newer.stages), dict(newer.alias))
    for old, new in older.alias.items():
        out.alias.setdefault(old, _follow(newer.alias, new))
    for path, day in older.touched.items():
        out.touched.setdefault(_follow(newer.alias, path), day)
    for path, stage in older.stages.items():
        out.stages.setdefault(_follow(newer.alias, path), stage)
    return out


def _load_cache(repo: Repository) -> tuple[str, _Scan] | None:
    try:
        data = json.loads(StateDir(repo.root).stage_facts.read_text(encoding="utf-8"))
        if data.get("version") != _CACHE_VERSION:
            return None
        stages = {p: (s[0], s[1]) for p, s in data["stages"].items()}
        return str(data["head"]), _Scan(dict(data["touched"]), stages, dict(data["alias"]))
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def _save_cache(repo: Repository, head: str, scan: _Scan) -> None:
    from sortext.errors import StorageError
    from sortext.files.write import replace_if_unchanged

    path = StateDir(repo.root).stage_facts
    data = {
        "version": _CACHE_VERSION,
        "head": head,
        "touched": scan.touched,
        "stages": {p: list(s) for p, s in scan.stages.items()},
        "alias": scan.alias,
    }
    try:
        path.parent.mkdir(exist_ok=True)
        before = path.read_bytes() if path.exists() else None
        replace_if_unchanged(path, json.dumps(data, sort_keys=True).encode(), before)
    except (OSError, StorageError):
        pass  # a cache we could not write is only a slower next call


def _is_ancestor(repo: Repository, commit: str) -> bool:
    return git.run_full(repo.root, "merge-base", "--is-ancestor", commit, "HEAD").returncode == 0


def stage_facts(repo: Repository, use_cache: bool = True) -> dict[str, StageFacts]:
    """Per client id (records at HEAD): committed stage, stage since, last touched."""
    root = repo.root
    if not has_commits(root):
        return {}
    prefix = repo.relative(repo.clients_path).rstrip("/") + "/"
    head = git.text(root, "rev-parse", "HEAD").strip()
    cached = _load_cache(repo) if use_cache else None
    if cached is not None and cached[0] == head:
        scan = cached[1]
    elif cached is not None and _is_ancestor(repo, cached[0]):
        scan = _merge(_scan(repo, prefix, cached[0]), cached[1])
    else:
        scan = _scan(repo, prefix, None)
    if use_cache and (cached is None or cached[0] != head):
        _save_cache(repo, head, scan)
    names = git.text(root, "ls-tree", "-r", "--name-only", "-z", "HEAD", "--", prefix)
    facts: dict[str, StageFacts] = {}
    for name in names.split("\0"):
        rest = name[len(prefix) :]
        if "/" in rest or not is_record_name(rest):
            continue
        stage, since = scan.stages.get(name, (None, None))
        touched = scan.touched.get(name)
        facts[stem_of(name)] = StageFacts(
            stage,
            dt.date.fromisoformat(since) if since else None,
            dt.date.fromisoformat(touched) if touched else None,
        )
    return facts


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
