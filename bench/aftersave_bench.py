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
import statistics
import subprocess
import sys
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
    print_by_size,
    sortext,
    vouched,
)


def figures(size: int, base: Path, runs: int) -> dict[str, float]:
    repo = prepare(size, base)
    got: dict[str, list[float]] = {}
    with vouched(repo):
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
    return {k: statistics.median(v) for k, v in got.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    print_by_size(
        args.sizes,
        args.keep,
        "sortext-aftersave-",
        lambda size, base: figures(size, base, args.runs),
        after=lambda fig: (
            "list --at-risk / next, nothing changed: "
            f"{fig['list --at-risk unchanged'] / fig['next unchanged']:.2f}x"
        ),
    )


if __name__ == "__main__":
    main()
