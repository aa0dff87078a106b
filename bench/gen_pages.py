"""Generate a records repository of N clients from the shipped samples (for the page benchmarks).

Each generated client is a sample with a new id and name and its dates moved
by a few weeks, so the rules see a realistic mix of overdue, due and later
actions.  Files get an old mtime, as records on a real disk have.
Usage: python bench/gen_pages.py N DIR
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATE = re.compile(r"\b(20\d\d-\d\d-\d\d)\b")
OLD_MTIME_NS = 1_700_000_000 * 10**9


def _shift(text: str, days: int) -> str:
    def move(match: re.Match[str]) -> str:
        try:
            day = dt.date.fromisoformat(match.group(1))
        except ValueError:
            return match.group(1)
        return (day + dt.timedelta(days=days)).isoformat()

    return DATE.sub(move, text)


def generate_repo(n: int, directory: Path) -> Path:
    """Write ``directory`` with sortext.yaml, templates/ and ``n`` clients; return it."""
    samples = sorted((ROOT / "clients").glob("*.md"))
    texts = [p.read_text(encoding="utf-8") for p in samples]
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "sortext.yaml", directory / "sortext.yaml")
    shutil.copytree(ROOT / "templates", directory / "templates", dirs_exist_ok=True)
    clients = directory / "clients"
    clients.mkdir(exist_ok=True)
    for i in range(n):
        text = texts[i % len(texts)]
        name = re.search(r"^name: (.+)$", text, re.M)
        assert name is not None
        new_name = f"{name.group(1).strip()} {i:05d}"
        body = text.replace(name.group(0), f"name: {new_name}", 1)
        body = _shift(body, (i * 7) % 43 - 21)
        path = clients / f"client-{i:05d}.md"
        path.write_text(body, encoding="utf-8")
        os.utime(path, ns=(OLD_MTIME_NS, OLD_MTIME_NS))
    return directory


if __name__ == "__main__":
    generate_repo(int(sys.argv[1]), Path(sys.argv[2]))
