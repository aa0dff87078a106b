"""Cold ``sortext check`` over N generated records against Hugo building the same files.

Both run in this one process's session, one after the other, several times;
the medians and their ratio are printed (2 noisy cores: compare the ratio).
Also times ``sortext --help`` (lazy imports).

Usage: python bench/check_vs_hugo.py [N] [--runs R]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.gen_pages import generate_repo, set_aside
from bench.pages_bench import hugo_site, run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sortext-check-bench-"))
    try:
        repo = generate_repo(args.n, work / "records")
        site = work / "hugo"
        hugo_site(repo, site)
        hugo_bin = shutil.which("hugo")
        checks, hugos = [], []
        for _ in range(args.runs):
            checks.append(run([sys.executable, "-m", "sortext", "check", "-q"], repo)[0])
            if hugo_bin:
                set_aside(site / "public")
                hugos.append(run([hugo_bin, "--quiet"], site)[0])
        check = statistics.median(checks)
        print(f"{args.n} records; cold sortext check: median {check:.2f} s of {args.runs}")
        if hugos:
            hugo = statistics.median(hugos)
            print(f"hugo, same files: median {hugo:.2f} s; ratio sortext/hugo {check / hugo:.2f}x")
        helps = []
        for _ in range(10):
            start = time.perf_counter()
            subprocess.run([shutil.which("sortext") or "sortext", "--help"], capture_output=True)
            helps.append(time.perf_counter() - start)
        print(f"sortext --help: median {statistics.median(helps) * 1000:.0f} ms of 10")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
