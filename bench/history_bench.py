"""Benchmark history and changes on large generated repositories.

Builds two repositories with ``git fast-import`` (seconds, not minutes):

* one client with 2,000 commits (stage moves, sessions, notes, one rename),
  then ``sortext history`` cold and warm against ``git log --follow -p``
  (CPU, alternated; goal <= 3x);
* 10,000 clients (``--clients``) and 5,000 commits over a year, then
  ``sortext changes --since 30d`` (goal <= 3 s) and ``stage_facts`` with no
  cache, at the cached HEAD and after one new commit (CPU).

Run:  python bench/history_bench.py [--keep DIR] [--clients 10000] [--runs 5]
The CLI figures run the real CLI (a subprocess, so Python start-up and
imports are included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
END = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
STAGES = ["inquiry", "discovery", "proposal", "contracted", "active", "review"]
AUTHORS = ["Maya Lind <maya@example.invalid>", "Sam Ortiz <sam@example.invalid>"]


def record(
    name: str, stage: str, due: str, sessions: list[str], notes: list[str], step: int = 0
) -> bytes:
    lines = [
        "---",
        f"name: {name}",
        f"stage: {stage}",
        "owner: me",
        f"next_action: {{what: Follow up with {name} ({step}), owner: me, due: {due}}}",
        "billing: {plan: Coaching, rate: 150, currency: EUR}",
    ]
    if sessions:
        lines.append("sessions:")
        lines.extend(f"  - {{date: {d}, kind: coaching, status: held}}" for d in sessions)
    lines += ["---", "", f"# {name}", "", *notes, ""]
    return "\n".join(lines).encode()


class Stream:
    """Writes a fast-import stream into a git process."""

    def __init__(self, repo: Path) -> None:
        subprocess.run(["git", "init", "-q", "--initial-branch=main", str(repo)], check=True)
        self.config = (ROOT / "sortext" / "skeleton" / "sortext.yaml").read_bytes()
        self.proc = subprocess.Popen(
            ["git", "fast-import", "--quiet"], cwd=repo, stdin=subprocess.PIPE
        )
        self.mark = 0

    def write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)

    def commit(self, when: dt.datetime, message: str, files: dict[str, bytes | None]) -> None:
        self.mark += 1
        ts = int(when.timestamp())
        who = AUTHORS[self.mark % 2]
        msg = message.encode()
        head = (
            f"commit refs/heads/main\nmark :{self.mark}\nauthor {who} {ts} +0000\n"
            f"committer {who} {ts} +0000\ndata {len(msg)}\n"
        ).encode()
        self.write(head + msg + b"\n")
        if self.mark > 1:
            self.write(f"from :{self.mark - 1}\n".encode())
        else:
            files = {"sortext.yaml": self.config, **files}
        for path, content in files.items():
            if content is None:
                self.write(f"D {path}\n".encode())
            else:
                header = f"M 100644 inline {path}\ndata {len(content)}\n".encode()
                self.write(header + content + b"\n")
        self.write(b"\n")

    def close(self, repo: Path) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        if self.proc.wait() != 0:
            raise SystemExit("git fast-import failed")
        subprocess.run(["git", "reset", "-q", "--hard"], cwd=repo, check=True)


def build_one_client(repo: Path, commits: int = 2000) -> None:
    stream = Stream(repo)
    start = END - dt.timedelta(days=700)
    sessions: list[str] = []
    notes: list[str] = []
    path = "clients/long-client.md"
    for i in range(commits):
        when = start + dt.timedelta(hours=8 * i)
        day = when.date()
        if i % 10 == 5:
            sessions.append(day.isoformat())
        if i % 7 == 3:
            notes.append(f"Note {i}: talked about week {i // 7}.")
        due = (day + dt.timedelta(days=7)).isoformat()
        content = record("Long Client", STAGES[(i // 50) % len(STAGES)], due, sessions, notes, i)
        files: dict[str, bytes | None] = {path: content}
        if i == commits // 2:
            files = {path: None, "clients/long-client-renamed.md": content}
            path = "clients/long-client-renamed.md"
        stream.commit(when, f"commit {i}", files)
    stream.close(repo)


def build_many_clients(repo: Path, clients: int = 10_000, commits: int = 5000) -> None:
    rng = random.Random(7)
    stream = Stream(repo)
    start = END - dt.timedelta(days=365)
    state: dict[str, tuple[str, list[str]]] = {}
    first: dict[str, bytes | None] = {}
    for n in range(clients):
        cid = f"client-{n:05d}"
        state[cid] = (rng.choice(STAGES), [])
        first[f"clients/{cid}.md"] = record(cid, state[cid][0], "2026-01-10", [], ["Intake."])
    stream.commit(start, "import clients", first)
    step = (END - start) / commits
    for i in range(1, commits):
        when = start + step * i
        cid = f"client-{rng.randrange(clients):05d}"
        stage, sessions = state[cid]
        if rng.random() < 0.3:
            stage = rng.choice(STAGES)
        else:
            day = when.date().isoformat()
            sessions = sessions if day in sessions else [*sessions, day]
        state[cid] = (stage, sessions)
        due = (when.date() + dt.timedelta(days=7)).isoformat()
        content = record(cid, stage, due, sessions, ["Intake."])
        stream.commit(when, f"{cid}: update", {f"clients/{cid}.md": content})
    stream.close(repo)


def best_of(args: list[str], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t0)
    return best


def _cpu() -> float:
    """CPU seconds of this process and the children it waited for (git)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def history_figures(repo: Path, runs: int = 5, before: Path | None = None) -> str:
    """``sortext history`` cold (``.sortext/history.sqlite`` removed) and warm, each
    alternated with ``git log --follow -p``: CPU medians and the ratios.  ``before``:
    a folder holding another ``sortext`` package (an older commit, ``git archive``),
    run in the same rounds, so a change is measured against its code before."""
    from bench.query_bench import child_run

    args = ["history", "long-client-renamed"]
    clis = {"": [sys.executable, "-m", "sortext", *args]}
    if before is not None:
        start = f"import sys, runpy; sys.path.insert(0, {str(before)!r}); "
        start += "runpy.run_module('sortext', run_name='__main__')"
        clis["before: "] = [sys.executable, "-c", start, *args]
    floor = ["git", "log", "--follow", "-p", "--", "clients/long-client-renamed.md"]
    store = repo / ".sortext" / "history.sqlite"
    found: dict[str, list[float]] = {}
    for _ in range(runs):
        for name, cli in clis.items():
            store.unlink(missing_ok=True)
            found.setdefault(f"{name}cold", []).append(child_run(cli, repo)[0])
            found.setdefault(f"{name}warm", []).append(child_run(cli, repo)[0])
        found.setdefault("git", []).append(child_run(floor, repo)[0])
    m = {k: statistics.median(v) for k, v in found.items()}
    g = m["git"]
    lines = [f"sortext history (2,000 commits, one rename), CPU s, median of {runs}:"]
    for name in clis:
        c, w = m[f"{name}cold"], m[f"{name}warm"]
        lines.append(f"  {name}cold {c:.3f} ({c / g:.2f}x)  warm {w:.3f} ({w / g:.2f}x)")
    lines.append(f"  git log --follow -p {g:.3f} (the floor; goal <= 3x)")
    return "\n".join(lines)


def stage_facts_figures(repo: Path, clients: int) -> str:
    """stage_facts in-process, CPU of this process and its git children: no cache
    (the full pass), at the cached HEAD (median of 20), after one new commit."""
    sys.path.insert(0, str(ROOT))
    from sortext.files.state import StateDir
    from sortext.repo import open_repository
    from sortext.vcs.stagefacts import stage_facts

    StateDir(repo).stage_facts.unlink(missing_ok=True)
    StateDir(repo).stage_scan.unlink(missing_ok=True)
    opened = open_repository(repo)
    t0 = _cpu()
    stage_facts(opened)
    cold = _cpu() - t0
    hits = []
    for _ in range(20):
        t0 = _cpu()
        stage_facts(opened)
        hits.append(_cpu() - t0)
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=Bench",
            "-c",
            "user.email=b@x.invalid",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "bench: one more commit",
        ],
        cwd=repo,
        check=True,
    )
    t0 = _cpu()
    stage_facts(opened)
    newer = _cpu() - t0
    return (
        f"stage_facts ({clients:,} clients), CPU s: no cache (full pass) {cold:.2f}, "
        f"at the cached HEAD {statistics.median(hits):.4f}, after one new commit {newer:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build the repositories here and keep them")
    parser.add_argument("--clients", type=int, default=10_000, help="clients of the big repository")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--before", type=Path, help="a folder with another sortext package to compare with"
    )
    parser.add_argument(
        "--history-only", action="store_true", help="only the history figure (one client)"
    )
    args = parser.parse_args()
    where = args.keep or Path(tempfile.mkdtemp(prefix="sortext-bench-"))
    where.mkdir(parents=True, exist_ok=True)
    cli = [sys.executable, "-m", "sortext"]
    try:
        one, many = where / "one-client", where / f"many-clients-{args.clients}"
        for repo, build in (
            (one, build_one_client),
            (many, lambda r: build_many_clients(r, clients=args.clients)),
        ):
            if not repo.exists() and (repo == one or not args.history_only):
                t0 = time.perf_counter()
                build(repo)
                print(f"built {repo.name} in {time.perf_counter() - t0:.1f} s")
        print(history_figures(one, args.runs, args.before))
        if args.history_only:
            return
        t = best_of([*cli, "history", "long-client-renamed", "--json", "--repo", str(one)])
        print(f"sortext history --json (same client, warm): {t:.2f} s wall")
        t = best_of(
            [
                *cli,
                "changes",
                "--since",
                "30d",
                "--today",
                END.date().isoformat(),
                "--repo",
                str(many),
            ]
        )
        print(
            f"sortext changes --since 30d ({args.clients:,} clients, 5,000 commits): "
            f"{t:.2f} s wall  (goal <= 3 s)"
        )
        print(stage_facts_figures(many, args.clients))
        t = best_of([*cli, "--help"])
        print(f"sortext --help (start-up reference):         {t:.2f} s")
    finally:
        if args.keep is None:
            shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
