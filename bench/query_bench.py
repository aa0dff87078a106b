"""Warm queries against Python's own start-up, at several practice sizes.

For each size N, a repository of N realistic generated clients
(``bench/gen_pages.py``) is built once (``sortext build``: the index and the
stored assessments), then each query is run in a fresh process, interleaved
with the anchor ``python -c pass`` (same interpreter, same site-packages), so
every round sees the same load.  Two situations:

* ``watcher``: a running watcher vouches for its index (this script holds the
  daemon lock and writes ``.sortext/watch.current`` exactly as ``sortext
  watch`` does once it has nothing pending), so a query does no stat pass;
* ``alone``: no watcher; each query compares every file's stat with the index.

Figures are CPU seconds (user + sys of the child, from ``getrusage``;
steadier than wall time on a shared machine), medians of ``--runs``, and the
ratio to the anchor's median.  Also reports the state folder's size against
the records' (``.sortext/`` holds the index; the records are ``clients/*.md``).

Usage: python -m bench.query_bench [--sizes 1000 10000 30000] [--runs 5]
       [--keep DIR] [--markdown]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_pages import TODAY, generate_repo  # noqa: E402

DAY = TODAY.isoformat()
QUERIES: dict[str, list[str]] = {
    "next": ["next"],
    "list": ["list"],
    "list --stage active": ["list", "--stage", "active"],
    "list --tag founder": ["list", "--tag", "founder"],
    "list --at-risk": ["list", "--at-risk"],
    "show": ["show", "client-00001"],
    "search": ["search", "session"],
}


@dataclass
class Figures:
    size: int
    anchor: float = 0.0
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)  # mode -> query -> s
    wall: dict[str, dict[str, float]] = field(default_factory=dict)
    rss_kb: dict[str, int] = field(default_factory=dict)  # query -> peak (watcher mode)
    records_bytes: int = 0
    state_bytes: int = 0


def child_run(argv: list[str], cwd: Path) -> tuple[float, float, int]:
    """(CPU s, wall s, peak RSS KB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = 0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, usage.ru_maxrss


def sortext(*args: str) -> list[str]:
    return [sys.executable, "-m", "sortext", *args]


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def prepare(size: int, base: Path) -> Path:
    repo = base / f"records-{size}"
    if not (repo / "clients").is_dir() or len(os.listdir(repo / "clients")) != size:
        shutil.rmtree(repo, ignore_errors=True)
        generate_repo(size, repo)
    subprocess.run(sortext("build", "--today", DAY), cwd=repo, check=True, capture_output=True)
    return repo


def measure(size: int, base: Path, runs: int) -> Figures:
    from sortext.daemon.lock import acquire
    from sortext.files import watchmark
    from sortext.files.state import StateDir

    repo = prepare(size, base)
    fig = Figures(size)
    anchors: list[float] = []
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for mode in ("watcher", "alone"):
        lock = None
        if mode == "watcher":
            lock = acquire(StateDir(repo).watch_pid)
            watchmark.mark(repo, repo / "clients")
        try:
            for name, args in QUERIES.items():  # warm-up: the remembered answers
                subprocess.run(
                    sortext(*args, "--today", DAY) if name != "search" else sortext(*args),
                    cwd=repo,
                    capture_output=True,
                )
            for _ in range(runs):
                anchors.append(child_run([sys.executable, "-c", "pass"], repo)[0])
                for name, args in QUERIES.items():
                    argv = sortext(*args) if name in ("search",) else sortext(*args, "--today", DAY)
                    cpu, wall, rss = child_run(argv, repo)
                    samples.setdefault((mode, name), []).append((cpu, wall))
                    if mode == "watcher":
                        fig.rss_kb[name] = max(fig.rss_kb.get(name, 0), rss)
        finally:
            if lock is not None:
                watchmark.clear(repo)
                lock.release()
    fig.anchor = statistics.median(anchors)
    for (mode, name), values in samples.items():
        fig.cpu.setdefault(mode, {})[name] = statistics.median(c for c, _ in values)
        fig.wall.setdefault(mode, {})[name] = statistics.median(w for _, w in values)
    fig.records_bytes = folder_bytes(repo / "clients")
    fig.state_bytes = folder_bytes(StateDir(repo).path) - folder_bytes(
        StateDir(repo).template_cache
    )
    return fig


def markdown(figures: list[Figures]) -> str:
    sizes = [f.size for f in figures]
    head = " | ".join(f"{s:,}" for s in sizes)
    lines = [
        f"| query, nothing changed (CPU s; x start-up) | {head} |",
        "|---|" + "---|" * len(sizes),
        "| `python -c pass` (the anchor) | "
        + " | ".join(f"{f.anchor:.3f}" for f in figures)
        + " |",
    ]
    for mode, label in (("watcher", "watcher running"), ("alone", "no watcher")):
        for name in QUERIES:
            cells = [
                f"{f.cpu[mode][name]:.3f} ({f.cpu[mode][name] / f.anchor:.1f}x)" for f in figures
            ]
            lines.append(f"| `{name}`, {label} | " + " | ".join(cells) + " |")
    lines.append(
        "| peak RSS of `list --at-risk` (watcher) | "
        + " | ".join(f"{f.rss_kb['list --at-risk'] / 1024:.0f} MB" for f in figures)
        + " |"
    )
    lines.append(
        "| peak RSS of `next` (watcher) | "
        + " | ".join(f"{f.rss_kb['next'] / 1024:.0f} MB" for f in figures)
        + " |"
    )
    lines.append(
        "| `.sortext/` (index) / `clients/` bytes | "
        + " | ".join(
            f"{f.state_bytes / 1e6:.0f} / {f.records_bytes / 1e6:.0f} MB = "
            f"{f.state_bytes / f.records_bytes:.2f}x"
            for f in figures
        )
        + " |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="generate the repositories here and keep them")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="sortext-query-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        figures = [measure(size, base, args.runs) for size in args.sizes]
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    print(markdown(figures))


if __name__ == "__main__":
    main()
