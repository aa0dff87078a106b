"""Save-to-commit latency of ``sortext watch`` at scale, and its memory and fds.

With N records (default 10,000) in a git repository, a real daemon runs; the
harness saves one record at a time and waits for the commit.  Latency is the
commit's moment (mtime of the branch ref that ``update-ref`` wrote) minus the
moment the save finished, minus the debounce window.  Then RSS and open file
descriptors of the daemon, and their growth over a long run of edits (a
second daemon with a 10 ms window so the run takes minutes, not an hour).

Run:  python -m bench.watch_speed [--records 10000] [--edits 50] [--long 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.crash_harness import TODAY, git, record_bytes, watch_argv

STAGES = ["inquiry", "discovery", "proposal"]


def make_repo(base: Path, records: int) -> Path:
    root = base / "records"
    (root / "clients").mkdir(parents=True)
    project = Path(__file__).resolve().parent.parent
    shutil.copy(project / "sortext.yaml", root / "sortext.yaml")
    shutil.copy(project / ".gitignore", root / ".gitignore")
    for i in range(records):
        (root / "clients" / f"client-{i:05d}.md").write_bytes(record_bytes(i, STAGES[i % 3], 0))
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    git(root, "config", "user.email", "bench@sortext.invalid")
    git(root, "config", "user.name", "Bench")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    return root


def start(
    root: Path, log: Path, debounce_ms: int, extra: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    offset = log.stat().st_size if log.exists() else 0
    handle = open(log, "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        watch_argv(root, debounce_ms, *extra),
        stdout=handle,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, SORTEXT_TODAY=TODAY, PYTHONUNBUFFERED="1"),
    )
    handle.close()
    deadline = time.monotonic() + 600
    while "ready:" not in log.read_text(errors="replace")[offset:]:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log.read_text(errors="replace")[offset:])
        time.sleep(0.05)
    return proc


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def edit_and_wait(
    root: Path, ref: Path, rng: random.Random, records: int, version: int, *more: Path
) -> int:
    """Save one record; return ns from the end of the save to the commit (and wait
    for each of ``more`` refs to move too: their latencies go to :data:`LAST`)."""
    refs = (ref, *more)
    before = [r.read_bytes() if r.exists() else b"" for r in refs]  # packed by gc --auto
    i = rng.randrange(records)
    path = root / "clients" / f"client-{i:05d}.md"
    path.write_bytes(record_bytes(i, rng.choice(STAGES), version))
    saved = time.time_ns()
    deadline = time.monotonic() + 60
    moved: dict[int, int] = {}
    while len(moved) < len(refs):
        for n, r in enumerate(refs):
            if n in moved:
                continue
            try:
                now = r.read_bytes()
            except FileNotFoundError:
                now = before[n]
            if now != before[n]:
                moved[n] = r.stat().st_mtime_ns - saved
        if time.monotonic() > deadline:
            raise RuntimeError(f"no commit for {path}")
        time.sleep(0.002)
    LAST[:] = [moved[n] for n in range(len(refs))]
    return moved[0]


#: The latencies (ns) of every ref the last :func:`edit_and_wait` waited for.
LAST: list[int] = []


def start_args(root: Path, log: Path, debounce_ms: int, pages: bool) -> subprocess.Popen[bytes]:
    return start(root, log, debounce_ms, () if pages else ("--no-pages",))


def latency_run(
    root: Path,
    log: Path,
    rng: random.Random,
    records: int,
    edits: int,
    debounce: int,
    pages: bool,
    first_version: int,
) -> dict[str, object]:
    """Start a daemon, one warm-up edit, then ``edits`` timed edits; stop it."""
    t0 = time.monotonic()
    proc = start_args(root, log, debounce, pages)
    out: dict[str, object] = {"start_seconds": round(time.monotonic() - t0, 2)}
    ref = root / ".git" / "refs" / "heads" / "main"
    more = (root / ".git" / "refs" / "heads" / "sortext-pages",) if pages else ()
    warm = edit_and_wait(root, ref, rng, records, first_version, *more) / 1e6 - debounce
    out["warm_up_edit_ms"] = round(warm, 1)
    work = []
    published = []
    for n in range(edits):
        work.append(
            edit_and_wait(root, ref, rng, records, first_version + 1 + n, *more) / 1e6 - debounce
        )
        if pages:
            published.append(LAST[1] / 1e6 - debounce)
        time.sleep(0.05)
    out["save_to_commit_ms_minus_debounce"] = _figures(work)
    if published:
        out["save_to_pages_published_ms_minus_debounce"] = _figures(published)
    out["rss_mb"] = round(rss_kb(proc.pid) / 1024, 1)
    out["open_fds"] = open_fds(proc.pid)
    proc.send_signal(signal.SIGTERM)
    proc.wait(120)
    return out


def _figures(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 1),
        "p95": round(sorted(values)[int(0.95 * (len(values) - 1))], 1),
        "max": round(max(values), 1),
    }


def long_run(base: Path, records: int, edits: int) -> dict[str, object]:
    """RSS and fds after 10% and 100% of ``edits`` (10 ms debounce, pages on)."""
    rng = random.Random(5)
    root = make_repo(base / "long", records)
    log = base / "long.log"
    proc = start_args(root, log, 10, True)
    ref = root / ".git" / "refs" / "heads" / "main"
    samples = []
    for n in range(edits):
        edit_and_wait(root, ref, rng, records, 20_000 + n)
        if n + 1 in (edits // 10, edits):
            samples.append((n + 1, rss_kb(proc.pid), open_fds(proc.pid)))
    proc.send_signal(signal.SIGTERM)
    proc.wait(120)
    out: dict[str, object] = {"records": records, "edits": edits}
    for n, rss, fds in samples:
        out[f"after_{n}"] = {"rss_mb": round(rss / 1024, 1), "open_fds": fds}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--debounce", type=int, default=300)
    parser.add_argument("--long", type=int, default=1000, help="edits in the leak run")
    parser.add_argument("--long-records", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(3)
    base = Path(tempfile.mkdtemp(prefix="sortext-speed-"))
    out: dict[str, object] = {"records": args.records, "edits": args.edits}
    try:
        root = make_repo(base, args.records)
        log = base / "watch.log"
        out["commit_only (--no-pages)"] = latency_run(
            root, log, rng, args.records, args.edits, args.debounce, False, 1
        )
        out["with_pages"] = latency_run(
            root, log, rng, args.records, args.edits, args.debounce, True, 1000
        )
        if args.long:
            out["long_run"] = long_run(base, args.long_records, args.long)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
