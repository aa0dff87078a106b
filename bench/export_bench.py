"""Exports against Python's own start-up and a no-change build (issue 15, item 2).

On a built repository (``sortext build`` run once: exports read the index), each
of ``export json``, ``export csv`` and ``export ics`` (``--out`` a file removed
before each run, so every run renders and writes), ``export json`` to standard
output (/dev/null), and the watcher's configured exports (sortext.yaml's
``exports:``, three files: csv, json, ics) both rendered (the files removed) and
unchanged (the stored key matches: one query), is run in a fresh process,
interleaved with the anchors ``python -c pass`` and a no-change ``sortext
build``, so every round sees the same load.  Figures are CPU seconds (user +
sys of the child and what it waited for), medians of ``--runs``; peak RSS (KB)
of one run each, through GNU time.

``--before DIR`` also runs each export with DIR (an export of an older sortext,
``git archive``) first on ``PYTHONPATH``, alternated with the current code, on its
own copy of the repository (``REPO.before``, removed at the end): the index keeps
the code's stamp, so one index shared by both would be redone at every switch.

Usage: python -m bench.export_bench REPO [REPO...] [--runs 3] [--before DIR]
       [--today 2026-11-23]
(REPO: a copy of bench/gen_pages.py output that may be written to; an
``exports:`` section is added to its sortext.yaml when it has none.)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_pages import TODAY  # noqa: E402
from bench.query_bench import CHILD_ENV, child_rss, child_run  # noqa: E402

EXPORTS = (
    "\nexports:\n  exports/clients.csv: csv\n  exports/clients.json: json\n"
    "  exports/calendar.ics: ics\n"
)
CONFIGURED = (
    "import datetime as dt, sys\n"
    "from sortext.io.export import write_configured_exports\n"
    "from pathlib import Path\n"
    "from sortext.repo import open_repository\n"
    "write_configured_exports(open_repository(Path(sys.argv[1])), "
    "dt.date.fromisoformat(sys.argv[2]), index_fresh=True)\n"
)


def commands(repo: Path, day: str) -> dict[str, list[str]]:
    py = sys.executable
    sx = [py, "-m", "sortext"]
    out = str(repo / "export-bench.out")
    ex = [*sx, "export", "--today", day, "--repo", str(repo)]
    return {
        "python -c pass (anchor)": [py, "-c", "pass"],
        "build, nothing changed (anchor)": [*sx, "build", "--repo", str(repo), "--today", day],
        "export json --out": [*ex, "json", "--out", out],
        "export json > /dev/null": [*ex, "json"],
        "export csv --out": [*ex, "csv", "--out", out],
        "export ics --out": [*ex, "ics", "--out", out],
        "configured exports, rendered": [py, "-c", CONFIGURED, str(repo), day],
        "configured exports, unchanged": [py, "-c", CONFIGURED, str(repo), day],
    }


def _prepare(name: str, repo: Path, env: dict[str, str], day: str) -> None:
    """Before a run of ``name``: no output file; for the configured exports, none of
    their files (rendered), or the files and keys of this same code (unchanged: the
    key holds the code's stamp, so the other code's keys would not match)."""
    (repo / "export-bench.out").unlink(missing_ok=True)
    if name == "configured exports, rendered":
        for path in (repo / "exports").glob("*"):
            path.unlink()
    if name == "configured exports, unchanged":
        child_run([sys.executable, "-c", CONFIGURED, str(repo), day], repo, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=Path)
    parser.add_argument("--today", default=TODAY.isoformat())
    args = parser.parse_args()
    envs = {"now": {**CHILD_ENV, "PYTHONPATH": str(ROOT)}}
    if args.before:
        envs = {"before": {**CHILD_ENV, "PYTHONPATH": str(args.before.resolve())}, **envs}
    for repo in args.repos:
        config = repo / "sortext.yaml"
        if "\nexports:" not in config.read_text(encoding="utf-8"):
            with config.open("a", encoding="utf-8") as fh:
                fh.write(EXPORTS)
        repos = {"now": repo}
        if args.before:
            repos = {"before": repo.with_name(repo.name + ".before"), **repos}
            shutil.rmtree(repos["before"], ignore_errors=True)
            shutil.copytree(repo, repos["before"], symlinks=True)
        try:
            _one_repo(repo, repos, envs, args.runs, args.today)
        finally:
            if "before" in repos:
                shutil.rmtree(repos["before"], ignore_errors=True)


def _one_repo(
    repo: Path, repos: dict[str, Path], envs: dict[str, dict[str, str]], runs: int, day: str
) -> None:
    cmds = {label: commands(where, day) for label, where in repos.items()}
    for label, env in envs.items():  # the index built, the exports' keys stored
        child_run(cmds[label]["build, nothing changed (anchor)"], repos[label], env)
        child_run(cmds[label]["configured exports, rendered"], repos[label], env)
    cpu: dict[tuple[str, str], list[float]] = {}
    for _ in range(runs):
        for name in cmds["now"]:
            for label, env in envs.items():
                if "anchor" in name and label != "now":
                    continue
                _prepare(name, repos[label], env, day)
                run = child_run(cmds[label][name], repos[label], env)[0]
                cpu.setdefault((name, label), []).append(run)
    anchor = statistics.median(cpu[("python -c pass (anchor)", "now")])
    build = statistics.median(cpu[("build, nothing changed (anchor)", "now")])
    n = len(list((repo / "clients").glob("*.md")))
    print(f"\n{repo} ({n:,} records), CPU s, median of {runs}")
    print("| command | code | CPU s | x start-up | x no-change build | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for (name, label), values in cpu.items():
        med = statistics.median(values)
        _prepare(name, repos[label], envs[label], day)
        CHILD_ENV["PYTHONPATH"] = envs[label]["PYTHONPATH"]  # what child_rss passes
        rss = child_rss(cmds[label][name], repos[label]) / 1024
        print(
            f"| {name} | {label} | {med:.3f} | {med / anchor:.1f}x | "
            f"{med / build:.2f}x | {rss:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
