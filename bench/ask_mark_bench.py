"""What the 'asked' mark costs a warm query, for one or more sortext source trees.

A replayed command line notes that it was asked (``reply_asked``: the watcher's next
refresh works out the questions asked last), writing the index only when it must.
This measures, with a running watcher's vouch held (as ``bench/query_bench.py``),
each tree on its own copy of a ``--size`` practice, the trees alternated run by run
so that each round sees the same load:

* ``next`` asked again and again (the same command line: no mark after the first);
* ``next`` and ``list --at-risk`` in turn (each ask follows the other question).

Figures are medians of ``--runs`` (CPU s of the child: user + sys, and wall s).

Usage: python -m bench.ask_mark_bench --tree BEFORE --tree AFTER [--size 1000]
       [--runs 15] [--keep DIR]
(a tree is a folder holding a ``sortext`` package, e.g. ``git archive REV sortext``
unpacked; it is put first on the children's PYTHONPATH)
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
from pathlib import Path

from bench.query_bench import CHILD_ENV, DAY, child_run, prepare, sortext, vouched

PATTERNS: dict[str, list[list[str]]] = {
    "next, again": [["next"], ["next"]],
    "next / list --at-risk in turn": [["next"], ["list", "--at-risk"]],
}


def measure(trees: list[Path], size: int, runs: int, base: Path) -> dict[str, dict[str, float]]:
    """{tree: {"pattern: query cpu"/"... wall": median seconds of one query}}."""
    repos: dict[Path, Path] = {}
    envs: dict[Path, dict[str, str]] = {}
    for n, tree in enumerate(trees):
        envs[tree] = dict(CHILD_ENV, PYTHONPATH=str(tree.resolve()))
        repos[tree] = prepare(size, base / f"tree{n}")
    samples: dict[tuple[Path, str], list[tuple[float, float]]] = {}
    with contextlib.ExitStack() as held:
        for repo in repos.values():
            held.enter_context(vouched(repo))
        for pattern, argvs in PATTERNS.items():
            for tree in trees:  # warm-up: each line recorded and its reply kept
                for args in argvs * 2:
                    child_run(sortext(*args, "--today", DAY), repos[tree], envs[tree])
            for _ in range(runs):
                for tree in trees:
                    for args in argvs:
                        cpu, wall, _ = child_run(
                            sortext(*args, "--today", DAY), repos[tree], envs[tree]
                        )
                        name = f"{pattern}: {' '.join(args)}"
                        samples.setdefault((tree, name), []).append((cpu, wall))
    out: dict[str, dict[str, float]] = {}
    for (tree, name), got in samples.items():
        row = out.setdefault(str(tree), {})
        row[name + " cpu"] = statistics.median(c for c, _ in got)
        row[name + " wall"] = statistics.median(w for _, w in got)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, action="append", required=True)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        base = args.keep or Path(temp)
        figures = measure(args.tree, args.size, args.runs, base)
    for tree, row in figures.items():
        print(tree)
        for name, value in row.items():
            print(f"  {name:52} {value * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
