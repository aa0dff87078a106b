"""What the watcher's refresh after a save costs (``sortext.commands.watch.
refresh_in_child``, as ``sortext watch`` runs it on its page thread), by what was asked
since the previous refresh: nothing, one question (``next``), or the bench's five
``next``/``list`` questions; optionally beside an older tree of the code (``--before
DIR``: its refresh works out every question asked today, whatever was asked since),
the trees alternated save by save, with ``python -c pass`` as the anchor.

Each measurement: after a refresh, the questions of the case asked (a query each, not
measured), then one record's notes changed, the index refreshed for that file, a
commit, the watcher's mark renewed (as ``bench.query_bench.after_one_save``), then a
driver process calls ``refresh_in_child`` and reports the CPU seconds of that call alone: its own
(the check for pending questions) plus the child's (user + sys, ``getrusage``).  Also
the replay's CPU (``next`` asked again, nothing changed) with its mark written and
with it already written, against the anchor.  Medians of ``--runs``.

Usage: python -m bench.refresh_bench [--sizes 1000 10000] [--runs 5] [--before DIR]
       [--keep DIR]
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
    _git,
    child_run,
    prepare,
    print_by_size,
    sortext,
    undo_save,
    vouched,
)

FIVE = ("next", "list", "list --stage active", "list --tag founder", "list --at-risk")
CASES = {"nothing asked": (), "one asked (next)": ("next",), "five asked": FIVE}

# the driver: the refresh call alone, measured in the process that makes it
_DRIVER = (
    "import resource, sys\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "from pathlib import Path\n"
    "from sortext.commands.watch import refresh_in_child\n"
    "import subprocess, tempfile, sortext.views.recall\n"  # imported once by a watcher
    "def used():\n"
    "    s = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    c = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime\n"
    "before = used()\n"
    "refresh_in_child(Path(sys.argv[2]), lambda: False)\n"
    "print(used() - before)\n"
)


def _ask(repo: Path, names: tuple[str, ...]) -> None:
    for name in names:
        subprocess.run(
            sortext(*QUERIES[name], "--today", DAY), cwd=repo, capture_output=True, env=CHILD_ENV
        )


def _save(repo: Path, n: int) -> tuple[Path, bytes]:
    """One record saved, indexed, committed and vouched for; (its path, its old bytes)."""
    from sortext.files import watchmark
    from sortext.repo import open_repository
    from sortext.store.index import Index, identity_of

    path = repo / "clients" / f"client-{(101 + n * 37) % 1000:05d}.md"
    original = path.read_bytes()
    path.write_bytes(original + f"\nA note from save {n}.\n".encode())
    watchmark.clear(repo)
    with Index.open(open_repository(repo)) as index:
        index.refresh(only=[path.name])
    _git(repo, "commit", "-q", "-m", f"Save {n}", "--", f"clients/{path.name}")
    watchmark.mark(repo, repo / "clients", identity_of(repo))
    return path, original


def _refresh_cpu(repo: Path, code: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(code), str(repo)],
        cwd=repo,
        capture_output=True,
        env=CHILD_ENV,
        check=True,
        text=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def figures(size: int, base: Path, runs: int, before: Path | None) -> dict[str, float]:
    repo = prepare(size, base)
    trees = [("after", ROOT)] + ([("before", before)] if before is not None else [])
    got: dict[str, list[float]] = {}
    n = 0
    with vouched(repo):
        _ask(repo, FIVE + FIVE)
        for _ in range(runs):
            got.setdefault("anchor", []).append(child_run([sys.executable, "-c", "pass"], repo)[0])
            for tree, code in trees:
                for case, names in CASES.items():
                    if tree == "before" and case != "five asked":
                        continue  # the older refresh works out every question of the day
                    if tree == "after":  # a refresh first: what was asked before is done
                        path, original = _save(repo, n)
                        _refresh_cpu(repo, code)
                        undo_save(repo, path, original, n)
                        n += 1
                    _ask(repo, names)  # asked between two saves, as a user does
                    path, original = _save(repo, n)
                    try:
                        got.setdefault(f"{tree}: {case}", []).append(_refresh_cpu(repo, code))
                    finally:
                        undo_save(repo, path, original, n)
                    n += 1
            # the replay's own cost: with its mark to write, then with it written
            path, original = _save(repo, n)
            try:
                _refresh_cpu(repo, ROOT)  # (nothing pending: no child)
                _ask(repo, ("next",))  # worked out (the save), marks
                _refresh_cpu(repo, ROOT)  # refreshes next
                argv = sortext(*QUERIES["next"], "--today", DAY)
                got.setdefault("replay, mark written", []).append(child_run(argv, repo)[0])
                got.setdefault("replay, already marked", []).append(child_run(argv, repo)[0])
                if before is not None:  # the older code's replay (it marks nothing)
                    env = dict(CHILD_ENV, PYTHONPATH=str(before))
                    subprocess.run(argv, cwd=repo, capture_output=True, env=env)
                    got.setdefault("replay, before", []).append(child_run(argv, repo, env)[0])
            finally:
                undo_save(repo, path, original, n)
            n += 1
    return {k: statistics.median(v) for k, v in got.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, help="an older tree of the code")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    print_by_size(
        args.sizes,
        args.keep,
        "sortext-refresh-",
        lambda size, base: figures(size, base, args.runs, args.before),
        note="; CPU s, medians",
    )


if __name__ == "__main__":
    main()
