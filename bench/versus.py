"""This checkout's sortext against another checkout's, interleaved, on copies of one repository.

    python -m bench.versus queries --base DIR --repo REPO [--runs 3] [--keep WORK]
    python -m bench.versus cold --base DIR --repo REPO [--runs 2] [--keep WORK]

``--base`` is a checkout of the code to compare with (``git worktree add --detach
DIR main``); ``--repo`` a records repository (``bench/gen_pages.py`` output; a git
repository for the time-in-stage queries, e.g. one ``bench/query_bench.py --keep``
made).  Each version works on its own copy (their index layouts may differ, and
each would rebuild the other's), started as ``python -m sortext`` with
``PYTHONPATH`` set to its checkout and compiled bytecode allowed.

``queries``: each query of ``bench/query_bench.py`` (and the ``--json`` forms)
with nothing changed, then ``list --at-risk``, ``next`` and ``search`` each
right after a record file was changed (no watcher: the query indexes the
change), versions alternated within each run; prints CPU seconds (user + sys
of the child, median) of each version, the ratio, and whether the two printed
the same bytes (stdout, stderr and exit status).

``cold``: ``sortext build`` on a copy without ``.sortext/`` and ``site/``, the
versions alternated (ABBA...); prints the CPU medians and the ratio, and
whether the pages and NEXT.md the two wrote are byte-identical (``diff -r``).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_pages import TODAY  # noqa: E402
from bench.query_bench import QUERIES  # noqa: E402

DAY = TODAY.isoformat()
ASKED = {
    **QUERIES,
    "list --json": ["list", "--json"],
    "list --at-risk --json": ["list", "--at-risk", "--json"],
}
AFTER_SAVE = (["list", "--at-risk"], ["next"], ["search", "session"])


def _env(code: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(code)
    return env


def _argv(args: list[str]) -> list[str]:
    return list(args) if args[0] == "search" else [*args, "--today", DAY]


def run(code: Path, args: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    """(CPU s of the child, its result) of ``python -m sortext *args`` with ``code``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "sortext", *args], cwd=cwd, env=_env(code), capture_output=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def _copy(repo: Path, to: Path) -> Path:
    shutil.rmtree(to, ignore_errors=True)
    shutil.copytree(repo, to, symlinks=True)
    for derived in (".sortext", "site"):
        shutil.rmtree(to / derived, ignore_errors=True)
    (to / "NEXT.md").unlink(missing_ok=True)
    return to


def queries(codes: dict[str, Path], repo: Path, work: Path, runs: int) -> None:
    repos = {v: _copy(repo, work / f"q-{v}") for v in codes}
    for v, code in codes.items():
        _, done = run(code, ["build", "--today", DAY], repos[v])
        assert done.returncode == 0, done.stderr
    printed: dict[tuple[str, str], tuple[int, bytes, bytes]] = {}
    for v, code in codes.items():  # warm-up: the replies each version remembers
        for name, args in ASKED.items():
            for _ in range(2):
                _, done = run(code, _argv(args), repos[v])
            printed[v, name] = (done.returncode, done.stdout, done.stderr)
    cpu: dict[tuple[str, str], list[float]] = {}
    for _ in range(runs):
        for name, args in ASKED.items():
            for v, code in codes.items():
                cpu.setdefault((v, name), []).append(run(code, _argv(args), repos[v])[0])
    a, b = codes
    for name in ASKED:
        ca, cb = (statistics.median(cpu[v, name]) for v in (a, b))
        same = printed[a, name] == printed[b, name]
        print(f"{name:24s} {a} {ca:.3f}  {b} {cb:.3f}  {b}/{a} {cb / ca:.2f}  same bytes {same}")
    for args in AFTER_SAVE:
        after: dict[str, list[float]] = {}
        outs: dict[str, list[bytes]] = {}
        for i in range(runs):
            for v, code in codes.items():
                path = repos[v] / "clients" / "client-00101.md"
                path.write_bytes(path.read_bytes() + f"\nA note from save {i}.\n".encode())
                c, done = run(code, _argv(args), repos[v])
                after.setdefault(v, []).append(c)
                outs.setdefault(v, []).append(done.stdout)
        ca, cb = (statistics.median(after[v]) for v in (a, b))
        name = " ".join(args)
        print(
            f"after a save, {name:13s} {a} {ca:.3f}  {b} {cb:.3f}  {b}/{a} {cb / ca:.2f}"
            f"  same bytes {outs[a] == outs[b]}"
        )


def cold(codes: dict[str, Path], repo: Path, work: Path, runs: int) -> None:
    cpu: dict[str, list[float]] = {}
    for i in range(runs):
        for v in list(codes) if i % 2 == 0 else list(codes)[::-1]:
            copy = _copy(repo, work / f"cold-{v}")
            c, done = run(codes[v], ["build", "--today", DAY], copy)
            assert done.returncode == 0, done.stderr
            cpu.setdefault(v, []).append(c)
    a, b = codes
    ca, cb = statistics.median(cpu[a]), statistics.median(cpu[b])
    print(f"cold build CPU s: {a} {ca:.2f} {cpu[a]}  {b} {cb:.2f} {cpu[b]}  {b}/{a} {cb / ca:.3f}")
    diff = subprocess.run(
        [
            "diff",
            "-rq",
            "-x",
            ".sortext",
            "-x",
            ".git",
            str(work / f"cold-{a}"),
            str(work / f"cold-{b}"),
        ],
        capture_output=True,
        text=True,
    )
    print("pages and NEXT.md byte-identical:", diff.returncode == 0, diff.stdout[:400])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["queries", "cold"])
    parser.add_argument("--base", type=Path, required=True, help="a checkout to compare with")
    parser.add_argument("--repo", type=Path, required=True, help="a records repository")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work here and keep the copies")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sortext-versus-"))
    codes = {"base": args.base.resolve(), "this": ROOT}
    try:
        (queries if args.mode == "queries" else cold)(codes, args.repo, work, args.runs)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
