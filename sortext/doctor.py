"""Is this clone safe?  Backup age, hooks, merge driver, daemon, index, locks, fsync.

Each check is a small function returning a :class:`Finding`; nothing here
changes anything (``sortext install`` and ``sortext backup`` fix most).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sortext.files.state import StateDir
from sortext.files.write import pid_alive
from sortext.repo import Repository
from sortext.vcs import git

Status = Literal["ok", "warn", "fail"]
INDEX_FILE = StateDir.rel(StateDir.INDEX)  # as shown in messages
STALE_LOCK_MINUTES = 10


@dataclass(frozen=True, slots=True)
class Finding:
    """One doctor check's outcome: its name, status and what it found."""

    check: str
    status: Status
    message: str


def _config(repo: Repository, key: str) -> str:
    return git.get_config(repo.root, key)


def check_backup(repo: Repository, now: dt.datetime) -> Finding:
    from sortext.vcs.backup import last_verified

    section = repo.config.raw.get("backup") or {}
    max_days = int(section.get("max_age_days", 7))
    when = last_verified(repo)
    if when is None:
        return Finding("backup", "warn", "no verified backup yet: run 'sortext backup'")
    age = now - when
    days = age.days
    from sortext.rules.wording import count

    text = f"last verified backup {count(days, 'day')} ago ({when.isoformat(timespec='minutes')})"
    if days > max_days:
        return Finding(
            "backup", "warn", f"{text}, older than {count(max_days, 'day')}: run 'sortext backup'"
        )
    return Finding("backup", "ok", text)


def check_hooks(repo: Repository) -> Finding:
    hooks = _config(repo, "core.hooksPath")
    hook = repo.root / (hooks or ".git/hooks") / "pre-commit"
    if hooks != ".githooks":
        return Finding("hooks", "fail", "core.hooksPath is not .githooks: run 'sortext install'")
    if not hook.is_file() or not os.access(hook, os.X_OK):
        return Finding("hooks", "fail", f"{hooks}/pre-commit is missing or not executable")
    python = _config(repo, "sortext.python")
    if not python:
        return Finding(
            "hooks",
            "warn",
            "no Python recorded for the hook and merge driver (they need sortext on PATH): "
            "run 'sortext install'",
        )
    if not os.access(python, os.X_OK):
        return Finding(
            "hooks",
            "fail",
            f"the Python recorded for the hook and merge driver is gone ({python}): "
            "run 'sortext install' with the Python sortext is installed in",
        )
    return Finding(
        "hooks", "ok", f"pre-commit check installed (core.hooksPath=.githooks, {python})"
    )


def check_merge_driver(repo: Repository) -> Finding:
    from sortext.files.inert import clean
    from sortext.vcs.scaffold import gitattributes_line

    line = gitattributes_line(repo.relative(repo.clients_path))
    driver = _config(repo, "merge.sortext.driver")
    attributes = repo.root / ".gitattributes"
    listed = attributes.is_file() and line in attributes.read_text().splitlines()
    if not driver or not listed:
        missing = "merge.sortext.driver" if not driver else f"'{clean(line)}'"
        return Finding("merge driver", "fail", f"{missing} missing: run 'sortext install'")
    return Finding("merge driver", "ok", "field-aware merge driver configured")


def check_daemon(repo: Repository) -> Finding:
    """The watcher holds an OS lock on its pid file while it runs (see sortext.daemon):
    a pid file nobody locks was left by a daemon that died."""
    import fcntl

    from sortext.daemon.lock import lock_path

    path = lock_path(repo.root)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return Finding("daemon", "warn", "sortext watch is not running (no daemon lock file)")
    try:
        text = os.read(fd, 64).decode("ascii", "replace").strip()
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            alive = pid_alive(int(text)) if text.isdigit() else True
            if alive:
                return Finding("daemon", "ok", f"sortext watch running (pid {text or '?'})")
        where = os.path.relpath(path, repo.root)
        return Finding("daemon", "warn", f"stale {where}: process {text or '?'} is gone")
    finally:
        os.close(fd)


def check_index(repo: Repository) -> Finding:
    path = StateDir(repo.root).index
    if not path.exists():
        return Finding("index", "ok", "no index yet (built on demand)")
    import sqlite3

    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            row = db.execute("PRAGMA quick_check").fetchone()
    except sqlite3.Error as exc:
        return Finding(
            "index", "fail", f"{INDEX_FILE} unreadable ({exc}): delete it, it is rebuilt"
        )
    if not row or row[0] != "ok":
        return Finding("index", "fail", f"{INDEX_FILE} is damaged: delete it, it is rebuilt")
    return Finding("index", "ok", "index passes quick_check")


def _git_running_in(root: Path) -> bool:
    """Is a git process working in ``root`` right now (Linux /proc; else assume yes)?"""
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    here = str(root.resolve())
    for entry in proc.glob("[0-9]*/comm"):
        try:
            if entry.read_text().strip() != "git":
                continue
            cwd = os.readlink(entry.parent / "cwd")
        except OSError:
            continue
        if cwd == here or cwd.startswith(here + os.sep):
            return True
    return False


def check_locks(repo: Repository, now_ts: float | None = None) -> Finding:
    git_dir = git.git_dir(repo.root)
    now_ts = time.time() if now_ts is None else now_ts
    old = []
    for lock in [git_dir / "index.lock", git_dir / "HEAD.lock", *git_dir.glob("refs/**/*.lock")]:
        try:
            age = now_ts - lock.stat().st_mtime
        except OSError:
            continue
        if age > STALE_LOCK_MINUTES * 60:
            old.append(lock)
    if old and not _git_running_in(repo.root):
        names = ", ".join(str(p.relative_to(git_dir.parent)) for p in old)
        return Finding(
            "locks", "fail", f"stale lock {names} (no git running): delete it, then retry"
        )
    return Finding("locks", "ok", "no stale git locks")


def check_durability(repo: Repository) -> Finding:
    fsync = _config(repo, "core.fsync")
    if not any(word in fsync.split(",") for word in ("committed", "all")):
        return Finding("durability", "warn", "core.fsync not set: run 'sortext install'")
    return Finding("durability", "ok", f"core.fsync={fsync}")


def diagnose(repo: Repository, now: dt.datetime | None = None) -> list[Finding]:
    """Every check, in a fixed order."""
    from sortext.vcs.midnight import utc_now

    moment = now or utc_now()
    checks: list[Callable[[], Finding]] = [
        lambda: check_backup(repo, moment),
        lambda: check_hooks(repo),
        lambda: check_merge_driver(repo),
        lambda: check_daemon(repo),
        lambda: check_index(repo),
        lambda: check_locks(repo),
        lambda: check_durability(repo),
    ]
    return [check() for check in checks]
