"""What /proc says of processes, for the tests that follow a watcher's children
(Linux only, as those tests are)."""

from __future__ import annotations

import os
from pathlib import Path


def parent(pid: int) -> int | None:
    """The parent pid of ``pid``; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return int(stat[stat.rfind(b")") + 2 :].split()[1])


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, their children, ... 64 deep)."""
    found: list[int] = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        here: int | None = int(name)
        for _ in range(64):
            here = parent(here) if here is not None else None
            if here is None or here <= 1:
                break
            if here == pid:
                found.append(int(name))
                break
    return found


def comm(pid: int) -> str:
    """The command name of ``pid`` ("" once it is gone)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
