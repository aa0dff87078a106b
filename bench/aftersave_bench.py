"""The first ``next`` and ``list --at-risk`` after a save, with a watcher vouching:
before (the query works the answer out) and after (the watcher has worked the
questions asked today out again, ``sortext.commands.watch.refresh_replies``), the
two alternated round by round with ``python -c pass`` as the anchor; plus the
watcher's own CPU for that refresh, and ``list --at-risk`` / ``next`` with nothing
changed.  CPU seconds (user + sys of the child), medians.

Usage: python -m bench.aftersave_bench [--sizes 1000 10000] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.query_bench import (  # noqa: E402
    CHILD_ENV,
    DAY,
    QUERIES,
    after_one_save,
    child_run,
    prepare,
    sortext,
)


def figures(size: int, base: Path, runs: int) -> dict[str, float]:
    from sortext.daemon.lock import acquire
    from sortext.files import watchmark
    from sortext.files.state import StateDir
    from sortext.store.index import identity_of

    repo = prepare(size, base)
    lock = acquire(StateDir(repo).watch_lock)
    watchmark.mark(repo, repo / "clients", identity_of(repo))
    got: dict[str, list[float]] = {}
    try:
        for _ in range(2):  # the questions a user asks, recorded with their lines
            for args in QUERIES.values():
                subprocess.run(
                    sortext(*args, "--today", DAY), cwd=repo, capture_output=True, env=CHILD_ENV
                )
        n = 0
        for _ in range(runs):
            got.setdefault("anchor", []).append(child_run([sys.executable, "-c", "pass"], repo)[0])
            for name in ("next", "list --at-risk"):  # asked again, nothing changed
                argv = sortext(*QUERIES[name], "--today", DAY)
                subprocess.run(argv, cwd=repo, capture_output=True, env=CHILD_ENV)
            for name in ("next", "list --at-risk"):
                argv = sortext(*QUERIES[name], "--today", DAY)
                got.setdefault(f"{name} unchanged", []).append(child_run(argv, repo)[0])
            for name in ("next", "list --at-risk"):
                for refresh in (False, True):
                    cpu, spent = after_one_save(repo, QUERIES[name], n, refresh)
                    n += 1
                    got.setdefault(
                        f"{name} after save, {'after' if refresh else 'before'}", []
                    ).append(cpu)
                    if refresh:
                        got.setdefault("watcher refresh", []).append(spent)
    finally:
        watchmark.clear(repo)
        lock.release()
    return {k: statistics.median(v) for k, v in got.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="sortext-aftersave-"))
    try:
        for size in args.sizes:
            fig = figures(size, base, args.runs)
            anchor = fig["anchor"]
            print(f"## {size:,} clients (python -c pass {anchor:.3f} s)")
            for key, value in fig.items():
                print(f"{key}: {value:.3f} s ({value / anchor:.1f}x)")
            ratio = fig["list --at-risk unchanged"] / fig["next unchanged"]
            print(f"list --at-risk / next, nothing changed: {ratio:.2f}x")
            sys.stdout.flush()
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
