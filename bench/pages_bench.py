"""Benchmarks for the pages (issue 3), at N generated records; one run each, ratios in one run.

    python bench/pages_bench.py [N] [--keep DIR]

Prints: cold `sortext build` vs Hugo on the same files (one-line list
template), wall and CPU time (user + sys of the process and the workers it
waited for: steadier than wall time on a shared machine) and peak memory of
each; warm `sortext next` (nothing changed); `sortext build` after one file
changed.  Peak memory is the largest single process (ru_maxrss of the
waited-for children); sortext forks parse workers, so the figure for the
tree is also given (sum of VmRSS sampled every 100 ms, shared pages counted
once per process, so an over-estimate).
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
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from bench.gen_pages import generate_repo, remove_derived, set_aside  # noqa: E402

TODAY = "2026-11-23"
HUGO_CONFIG = """baseURL = "http://example.invalid/"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
"""
HUGO_LIST = '{{ range .Pages }}<a href="{{ .RelPermalink }}">{{ .Params.name }}</a>{{ end }}\n'
HUGO_SINGLE = "<h1>{{ .Params.name }}</h1>{{ .Content }}\n"


def _tree_rss_kb(root_pid: int) -> int:
    """Sum of VmRSS over root_pid and its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        pid, ppid = int(entry), int(fields.get("PPid", "0").strip())
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) if "VmRSS" in fields else 0
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


LAST_CPU = [0.0]  # CPU seconds of the last run()


def run(cmd: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall seconds, peak RSS of the largest process (KB; -1 when an earlier child of this
    script was larger: ru_maxrss is a maximum over all of them), peak tree RSS (KB); the
    CPU seconds (user + sys, the process and its waited-for workers) go to LAST_CPU."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = usage.ru_maxrss
    cpu_before = usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {err.decode()}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = usage.ru_utime + usage.ru_stime - cpu_before
    largest = usage.ru_maxrss
    return wall, largest if largest > before else -1, peak[0]


def hugo_site(repo: Path, site: Path) -> None:
    """A fresh Hugo site at ``site`` holding ``repo``'s client files, with the
    comparison's templates (a one-line list page, ``<h1>name</h1>`` + notes)."""
    if site.exists():
        shutil.rmtree(site)
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "hugo.toml").write_text(HUGO_CONFIG)
    (site / "layouts" / "_default" / "list.html").write_text(HUGO_LIST)
    (site / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE)
    shutil.copytree(repo / "clients", site / "content" / "clients")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it")
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="cold builds and Hugo builds, alternated; medians are compared",
    )
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sortext-pages-bench-"))
    repo = work / "records"
    if repo.exists():
        shutil.rmtree(repo)
    generate_repo(args.n, repo)
    sortext = [sys.executable, "-m", "sortext"]
    print(f"{args.n} records in {repo}")

    hugo_bin = shutil.which("hugo")
    site = work / "hugo"
    if hugo_bin:
        hugo_site(repo, site)
    else:
        print("hugo not installed: no comparison")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    colds, cold_cpus, hugos, hugo_cpus = [], [], [], []
    for n in range(args.runs):
        if n:  # a cold build again: no index, no pages
            remove_derived(repo)
        cold, cold_rss, cold_tree = run([*sortext, "build", "--today", TODAY], repo)
        colds.append(cold)
        cold_cpus.append(LAST_CPU[0])
        largest = f"{cold_rss / 1024:.0f} MB (largest process), " if cold_rss > 0 else ""
        print(
            f"cold sortext build: {cold:.2f} s wall, {LAST_CPU[0]:.2f} s CPU, peak RSS "
            f"{largest}{cold_tree / 1024:.0f} MB (process tree)"
        )
        if hugo_bin:
            set_aside(site / "public")
            hugo, hugo_rss, _ = run([hugo_bin, "--quiet"], site)
            hugos.append(hugo)
            hugo_cpus.append(LAST_CPU[0])
            rss = f", peak RSS {hugo_rss / 1024:.0f} MB" if hugo_rss > 0 else ""
            print(f"hugo (same files):  {hugo:.2f} s wall, {LAST_CPU[0]:.2f} s CPU{rss}")
    if hugos:
        med = statistics.median
        print(
            f"ratio sortext/hugo (medians of {args.runs}): "
            f"{med(colds) / med(hugos):.2f}x wall, {med(cold_cpus) / med(hugo_cpus):.2f}x CPU"
        )

    warm = [run([*sortext, "next", "--today", TODAY], repo)[0] for _ in range(5)]
    print(
        f"warm sortext next (nothing changed): median {statistics.median(warm):.2f} s "
        f"of 5 (min {min(warm):.2f})"
    )

    ones = []
    for i in range(5):
        path = repo / "clients" / f"client-{(42 + i * 1000) % args.n:05d}.md"
        path.write_text(path.read_text().replace("\n---\n", "\n---\n\nOne more note.\n", 1))
        ones.append(run([*sortext, "build", "--today", TODAY], repo)[0])
    print(
        f"one file changed, sortext build: median {statistics.median(ones):.2f} s of 5 "
        f"(min {min(ones):.2f})"
    )
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
