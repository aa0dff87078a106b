"""Costs of the git layer (sortext.vcs.git): GitPython against plain git processes.

Figures for the README's "Git layer" table, on a small repository (50 commits):

* importing GitPython in a fresh interpreter (paid once per process: the CLI
  commands that use it, and the watcher once);
* ``head_commit`` (GitPython's ref reading, no process), per call;
* one command through GitPython's ``repo.git`` against the same command as a
  plain process (``vcs.git.run``), per call: why the watcher's save -> commit
  plumbing and the ``cat-file --batch`` streams stay plain processes.

Run:  python -m bench.git_layer_bench [--calls 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _repo(base: Path) -> Path:
    root = base / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for n in range(50):
        (root / "f.txt").write_text(f"{n}\n")
        subprocess.run(["git", "-C", str(root), "add", "f.txt"], check=True)
        subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "-c",
                "user.name=b",
                "-c",
                "user.email=b@x.invalid",
                "commit",
                "-qm",
                f"c{n}",
            ],
            check=True,
        )
    subprocess.run(["git", "-C", str(root), "pack-refs", "--all"], check=True)
    return root


def _per_call_ms(fn: object, calls: int) -> float:
    assert callable(fn)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sortext-git-bench-") as tmp:
        root = _repo(Path(tmp))
        imports = []
        for _ in range(5):
            done = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import time; t = time.perf_counter(); import git; "
                    "print((time.perf_counter() - t) * 1000)",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            imports.append(float(done.stdout))
        from sortext.vcs import git

        handle = git.open_repo(root)
        out = {
            "import GitPython, fresh process (ms, median of 5)": round(
                statistics.median(imports), 1
            ),
            "head_commit via GitPython ref reading (ms/call)": _per_call_ms(
                lambda: git.head_commit(root), args.calls
            ),
            "rev-parse HEAD via repo.git (ms/call)": _per_call_ms(
                lambda: git.command(handle, "rev-parse", "HEAD"), args.calls
            ),
            "rev-parse HEAD via plain process, vcs.git.run (ms/call)": _per_call_ms(
                lambda: git.run(root, "rev-parse", "HEAD"), args.calls
            ),
        }
        handle.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
