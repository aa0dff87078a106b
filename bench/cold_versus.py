"""Cold ``sortext build`` of several code trees (or worker counts) alternated with Hugo.

    python -m bench.cold_versus REPO ROUNDS LABEL=CODE[:WORKERS] [LABEL=CODE[:WORKERS] ...]

``REPO`` is a records repository (``bench/gen_pages.py`` output: its ``.sortext/``,
``site/`` and ``NEXT.md`` are removed before each run); ``CODE`` a checkout of sortext
(``git worktree add --detach DIR main``, or ``.``), started as ``python -m sortext``
with ``PYTHONPATH`` set to it and compiled bytecode allowed; ``WORKERS`` sets
``os.cpu_count`` for that run (1: one process, no fork).  Each round runs Hugo on the
same files (``bench/pages_bench.py``'s site) and each variant, the order reversed every
other round; prints each run, then per variant the medians of CPU seconds (user + sys
of the child and the workers it waited for; user apart, since sys carries the
kernel's inode allocation for the deleted ``site/``, noisy on a shared disk) and wall
seconds, and their ratios to Hugo's, and the per-round ratios of each variant to the
first one (CPU and user CPU).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_pages import TODAY, remove_derived, set_aside  # noqa: E402
from bench.pages_bench import hugo_site  # noqa: E402

SHIM = (
    "import os;n=os.environ.get('SORTEXT_BENCH_WORKERS');"
    "n and setattr(os,'cpu_count',lambda:int(n));"
    "from sortext.cli import main;main(prog_name='sortext')"
)


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """CPU s (user + sys), user CPU s and wall s of ``argv`` and what it waited for."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{argv} failed in {cwd}")
    return usage.ru_utime + usage.ru_stime, usage.ru_utime, time.perf_counter() - start


def main(argv: list[str]) -> None:
    if len(argv) < 3:
        raise SystemExit(__doc__)
    repo, rounds = Path(argv[0]).resolve(), int(argv[1])
    variants = []
    for spec in argv[2:]:
        label, _, rest = spec.partition("=")
        code, _, workers = rest.partition(":")
        variants.append((label, str(Path(code).resolve()), workers))
    hugo = shutil.which("hugo")
    work = Path(tempfile.mkdtemp(prefix="cold-versus-"))
    site = work / "hugo"
    if hugo:
        hugo_site(repo, site)
    runs: dict[str, list[tuple[float, float, float]]] = {}
    try:
        for r in range(rounds):
            order = [("hugo", "", "")] if hugo else []
            order += variants
            for label, code, workers in order if r % 2 == 0 else order[::-1]:
                if label == "hugo":
                    set_aside(site / "public")
                    cpu, user, wall = _run([str(hugo), "--quiet"], site, dict(os.environ))
                else:
                    remove_derived(repo)
                    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
                    env["PYTHONPATH"] = code
                    if workers:
                        env["SORTEXT_BENCH_WORKERS"] = workers
                    argv_ = [sys.executable, "-c", SHIM, "build", "--today", TODAY.isoformat()]
                    cpu, user, wall = _run(argv_, repo, env)
                runs.setdefault(label, []).append((cpu, user, wall))
                print(
                    f"round {r} {label}: CPU {cpu:.2f} s (user {user:.2f}), wall {wall:.2f} s",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        remove_derived(repo)
    anchor = runs.get("hugo")
    for label, values in runs.items():
        cpu = statistics.median(c for c, _, _ in values)
        user = statistics.median(u for _, u, _ in values)
        wall = statistics.median(w for _, _, w in values)
        line = f"{label:10s} CPU {cpu:.2f} s (user {user:.2f}), wall {wall:.2f} s"
        if anchor:
            line += (
                f"; / Hugo: CPU {cpu / statistics.median(c for c, _, _ in anchor):.2f}x,"
                f" wall {wall / statistics.median(w for _, _, w in anchor):.2f}x"
            )
        print(line)
    first = variants[0][0]
    for label, _, _ in variants[1:]:
        pairs = list(zip(runs[first], runs[label], strict=True))
        cpus = [b[0] / a[0] for a, b in pairs]
        users = [b[1] / a[1] for a, b in pairs]
        walls = [b[2] / a[2] for a, b in pairs]
        print(
            f"{label}/{first} per round: CPU {[round(x, 2) for x in cpus]} (median"
            f" {statistics.median(cpus):.3f}), user {[round(x, 2) for x in users]} (median"
            f" {statistics.median(users):.3f}), wall {[round(x, 2) for x in walls]} (median"
            f" {statistics.median(walls):.3f})"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
