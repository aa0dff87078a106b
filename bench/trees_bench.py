"""Two code trees side by side: one file changed then ``build``, a no-change build, and
the quick queries without a watcher, alternated round by round with ``python -c pass``.

Each tree (a folder holding a ``sortext`` package, e.g. ``git archive`` of the code
before) runs on its own copy of the repository (``REPO-0``, ``REPO-1``, ...: copies of
one ``bench.query_bench.prepare`` repository, so that one tree's index layout never
meets the other's), as ``PYTHONPATH``; the rounds alternate the trees, so both see the
same load.  Per round and tree: a record changed (a line added to its notes), ``build``,
``build`` again (nothing changed), the record put back, ``build``, then, once the
files are older than the racy window (2 s), ``next``, ``list``, ``show``, ``search``
asked once to be remembered and once measured (what a user asking again pays).
CPU seconds (user + sys of the child), medians.

Usage: python -m bench.trees_bench REPO RUNS TREE [TREE ...]
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

DAY = "2026-11-23"
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _cpu(argv: list[str], cwd: Path, tree: str | None) -> float:
    env = dict(ENV, PYTHONPATH=tree) if tree else ENV
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if done.returncode:
        sys.stderr.write(done.stderr.decode(errors="replace")[-2000:])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    base, runs, trees = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    repos = {tree: Path(f"{base}-{i}") for i, tree in enumerate(trees)}
    cmd = [sys.executable, "-m", "sortext"]
    queries = {
        "next": [*cmd, "next", "--today", DAY],
        "list": [*cmd, "list", "--today", DAY],
        "show": [*cmd, "show", "client-00001", "--today", DAY],
        "search": [*cmd, "search", "session"],
    }
    size = len(os.listdir(base / "clients"))
    samples: dict[tuple[str, str], list[float]] = {}
    for tree in trees:
        _cpu([*cmd, "build", "--today", DAY], repos[tree], tree)
    for i in range(runs):
        for tree in trees:
            repo = repos[tree]
            path = repo / "clients" / f"client-{(42 + i * 997) % size:05d}.md"
            original = path.read_bytes()
            path.write_bytes(original.replace(b"\n---\n", b"\n---\n\nOne more note.\n", 1))
            build = [*cmd, "build", "--today", DAY]
            samples.setdefault((tree, "one file changed, build"), []).append(
                _cpu(build, repo, tree)
            )
            samples.setdefault((tree, "nothing changed, build"), []).append(_cpu(build, repo, tree))
            samples.setdefault(("", "python -c pass"), []).append(
                _cpu([sys.executable, "-c", "pass"], repo, None)
            )
            path.write_bytes(original)
            _cpu(build, repo, tree)
            time.sleep(2.1)  # past the racy window: the replies may be kept
            for argv in queries.values():
                _cpu(argv, repo, tree)
            for name, argv in queries.items():
                samples.setdefault((tree, name), []).append(_cpu(argv, repo, tree))
    for (tree, name), values in samples.items():
        print(f"{tree or '-':40} {name:26} {statistics.median(values):.3f}")


if __name__ == "__main__":
    main()
