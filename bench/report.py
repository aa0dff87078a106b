"""The README's growth tables, from one command: every figure beside its anchor or floor.

    python -m bench.report [--sizes 1000 10000 30000] [--runs 3] [--cold-runs 1] [--keep DIR]
                           [--history] [--watch 10000] [--write-readme]

For each size N (realistic generated records, ``bench/gen_pages.py``):

* cold ``sortext check`` and cold ``sortext build`` against Hugo building the
  same files (``bench/pages_bench.py``'s site: a one-line list template and a
  ``<h1>name</h1>{{ .Content }}`` page per client), alternated ``--cold-runs``
  times, CPU seconds (user + sys of the process and the workers it waited
  for) and wall seconds, medians, and the ratios;
* one file changed, then ``sortext build`` (CPU and wall, median of 3) against
  a no-change build and ``python -c pass``, interleaved;
* the warm queries (``bench/query_bench.py``): with a watcher vouching for
  its index and without one, each against ``python -c pass``;
* ``.sortext/`` against ``clients/`` on disk.

``--history`` adds ``sortext history`` of a client with 2,000 commits, cold
(nothing stored) and warm (the comparisons an earlier call stored in
``.sortext/history.sqlite``), against its floor, ``git log --follow -p`` of
the same file (``bench/history_bench.py`` builds the repository), medians of at
least 9 alternated rounds.  ``--watch N``
adds the watcher's save latencies on the realistic N-record repository in git
(``bench/watch_speed.py --source``): save -> records commit and save -> pages
published on ``sortext-pages``, median and p95 of 20 saves, and the first save
after the start.  Hugo is used when installed (Debian: ``hugo``).

``--write-readme`` replaces the text between ``<!-- bench:report:start -->``
and ``<!-- bench:report:end -->`` in README.md with the tables.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_pages import TODAY, remove_derived, set_aside  # noqa: E402
from bench.pages_bench import hugo_site  # noqa: E402
from bench.query_bench import Figures, child_run, markdown, measure, prepare  # noqa: E402

START = "<!-- bench:report:start -->"
END = "<!-- bench:report:end -->"
DAY = TODAY.isoformat()


def _sortext(*args: str) -> list[str]:
    return [sys.executable, "-m", "sortext", *args]


@contextlib.contextmanager
def _without_git(repo: Path) -> Iterator[None]:
    """``repo`` without its ``.git`` folder for a while (moved aside, then back)."""
    dotgit, aside = repo / ".git", repo.parent / f"{repo.name}.git-aside"
    moved = dotgit.is_dir()
    if moved:
        os.replace(dotgit, aside)
    try:
        yield
    finally:
        if moved:
            os.replace(aside, dotgit)


def cold_figures(repo: Path, base: Path, runs: int) -> dict[str, float]:
    """Medians of cold check, cold build, Hugo (CPU and wall), alternated."""
    hugo = shutil.which("hugo")
    site = base / f"hugo-{repo.name}"
    if hugo:
        hugo_site(repo, site)
    samples: dict[str, list[tuple[float, float]]] = {}
    for _ in range(runs):
        remove_derived(repo)
        samples.setdefault("check", []).append(child_run(_sortext("check", "-q"), repo)[:2])
        remove_derived(repo)
        samples.setdefault("build", []).append(
            child_run(_sortext("build", "--today", DAY), repo)[:2]
        )
        if hugo:
            set_aside(site / "public")
            samples.setdefault("hugo", []).append(child_run([hugo, "--quiet"], site)[:2])
    out = {}
    for name, values in samples.items():
        out[f"{name}_cpu"] = statistics.median(c for c, _ in values)
        out[f"{name}_wall"] = statistics.median(w for _, w in values)
    set_aside(site)  # removed at the end: see set_aside
    return out


def add_note(text: bytes) -> bytes:
    """The bench's one-file edit: a note line added after the front matter (nothing the
    summary pages show changes)."""
    return text.replace(b"\n---\n", b"\n---\n\nOne more note.\n", 1)


def one_file_figures(
    repo: Path, size: int, runs: int = 3, edit: Callable[[bytes], bytes] = add_note
) -> dict[str, float]:
    """Medians of ``runs`` (at least 3), interleaved: a build after one file changed
    (``edit`` applied to its bytes), a build with nothing changed, and ``python -c
    pass`` (the anchor)."""
    child_run(_sortext("build", "--today", DAY), repo)
    ones, nones, anchors = [], [], []
    for i in range(max(3, runs)):
        path = repo / "clients" / f"client-{(42 + i * 997) % size:05d}.md"
        original = path.read_bytes()
        path.write_bytes(edit(original))
        ones.append(child_run(_sortext("build", "--today", DAY), repo)[:2])
        nones.append(child_run(_sortext("build", "--today", DAY), repo)[:2])
        anchors.append(child_run([sys.executable, "-c", "pass"], repo)[0])
        path.write_bytes(original)
    child_run(_sortext("build", "--today", DAY), repo)
    return {
        "one_cpu": statistics.median(c for c, _ in ones),
        "one_wall": statistics.median(w for _, w in ones),
        "none_cpu": statistics.median(c for c, _ in nones),
        "none_wall": statistics.median(w for _, w in nones),
        "anchor_cpu": statistics.median(anchors),
    }


def watch_figures(repo: Path, edits: int = 20) -> dict[str, Any]:
    """``bench/watch_speed.py`` on a copy of ``repo``'s records in git, pages on."""
    import json
    import subprocess

    argv = [sys.executable, "-m", "bench.watch_speed", "--source", str(repo)]
    argv += ["--edits", str(edits), "--long", "0", "--pages-only"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True)
    found: dict[str, Any] = json.loads(done.stdout)
    return found


#: The fewest rounds of the history figure (see :func:`history_figures`).
HISTORY_ROUNDS = 9


def history_figures(base: Path, runs: int) -> dict[str, float]:
    """``sortext history`` of a client with 2,000 commits, cold (no comparisons stored:
    ``.sortext/history.sqlite`` removed first) and warm (stored by the cold run),
    alternated with its floor ``git log --follow -p``; CPU and wall medians of at least
    :data:`HISTORY_ROUNDS` rounds (a round is ~0.5 s; with 3, one slow ``git log`` of
    ~0.1 s moved the ratio from 2.9x to 3.5x between two runs of the same code)."""
    from bench.history_bench import build_one_client

    repo = base / "one-client"
    if not repo.exists():
        build_one_client(repo)
    store = repo / ".sortext" / "history.sqlite"
    samples: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": [], "git": []}
    for _ in range(max(HISTORY_ROUNDS, runs)):
        store.unlink(missing_ok=True)
        samples["cold"].append(child_run(_sortext("history", "long-client-renamed"), repo)[:2])
        samples["warm"].append(child_run(_sortext("history", "long-client-renamed"), repo)[:2])
        samples["git"].append(
            child_run(
                ["git", "log", "--follow", "-p", "--", "clients/long-client-renamed.md"], repo
            )[:2]
        )
    out = {}
    for name, values in samples.items():
        out[f"{name}_cpu"] = statistics.median(c for c, _ in values)
        out[f"{name}_wall"] = statistics.median(w for _, w in values)
    return out


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def tables(
    sizes: list[int],
    cold: dict[int, dict[str, float]],
    ones: dict[int, dict[str, float]],
    queries: list[Figures],
    history: dict[str, float] | None,
    runs: int,
    cold_runs: int,
    watch: dict[str, Any] | None = None,
) -> str:
    head = " | ".join(f"{s:,}" for s in sizes)
    watch_flag = f" --watch {watch['records']}" if watch else ""
    out = [
        f"Generated by `python -m bench.report --sizes {' '.join(map(str, sizes))} --runs {runs}"
        f" --cold-runs {cold_runs}"
        f"{' --history' if history else ''}"
        f"{watch_flag}"
        " --write-readme` on "
        f"{dt.date.today().isoformat()} ({os.cpu_count()} cores, shared; load average "
        f"{os.getloadavg()[0]:.1f} at the end).  CPU seconds are user + sys of the process "
        "and the workers it waited for; ratios are taken between runs alternated in one "
        "script, so they hold better than the seconds on a shared machine.",
        "",
        f"| cold, CPU s (wall s) | {head} |",
        "|---|" + "---|" * len(sizes),
    ]
    has_hugo = all("hugo_cpu" in cold[s] for s in sizes)
    rows = [("check", "`sortext check`"), ("build", "`sortext build`")]
    if has_hugo:
        rows.append(("hugo", "Hugo, same files (the anchor)"))
    for key, label in rows:
        cells = [f"{cold[s][f'{key}_cpu']:.2f} ({cold[s][f'{key}_wall']:.2f})" for s in sizes]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    if has_hugo:
        for key, goal in (("check", "<= 0.5x"), ("build", "<= 1.0x")):
            cells = [
                f"{_ratio(cold[s][f'{key}_cpu'], cold[s]['hugo_cpu'])} CPU, "
                f"{_ratio(cold[s][f'{key}_wall'], cold[s]['hugo_wall'])} wall"
                for s in sizes
            ]
            out.append(f"| `{key}` / Hugo (goal {goal} CPU) | " + " | ".join(cells) + " |")
    out += [
        "",
        f"| one file changed, then `sortext build`, CPU s (wall s) | {head} |",
        "|---|" + "---|" * len(sizes),
        "| one file changed (goal <= 0.3 s at 10,000, flat) | "
        + " | ".join(f"{ones[s]['one_cpu']:.2f} ({ones[s]['one_wall']:.2f})" for s in sizes)
        + " |",
        "| nothing changed (the floor) | "
        + " | ".join(f"{ones[s]['none_cpu']:.2f} ({ones[s]['none_wall']:.2f})" for s in sizes)
        + " |",
        "| `python -c pass` (the anchor) | "
        + " | ".join(f"{ones[s].get('anchor_cpu', 0.0):.3f}" for s in sizes)
        + " |",
        "",
        markdown(queries),
    ]
    if watch:
        pages = watch["with_pages"]
        commit, published = (
            pages["save_to_commit_ms_minus_debounce"],
            pages["save_to_pages_published_ms_minus_debounce"],
        )
        first = pages["first_edit_ms"]
        out += [
            "",
            f"| `sortext watch`, one save, {watch['records']:,} realistic records in git, "
            f"{watch['edits']} saves, ms after the 300 ms debounce | median | p95 | "
            "first save after the start |",
            "|---|---|---|---|",
            f"| save -> records commit (goal: median <= 150, p95 <= 250) | {commit['median']:.0f} "
            f"| {commit['p95']:.0f} | {first['commit']:.0f} |",
            f"| save -> pages published on `sortext-pages` | {published['median']:.0f} "
            f"| {published['p95']:.0f} | {first['pages_published']:.0f} |",
            f"| watcher start (full build), s | {pages['start_seconds']:.1f} | | |",
        ]
    if history:
        out += [
            "",
            "| `history`, a client with 2,000 commits (one rename) | CPU s | wall s | CPU / git |",
            "|---|---|---|---|",
        ]
        for key, label in (
            ("cold", "`sortext history`, cold (nothing stored yet)"),
            ("warm", "`sortext history`, warm (comparisons stored by an earlier call)"),
            ("git", "`git log --follow -p` (the floor)"),
        ):
            out.append(
                f"| {label} | {history[f'{key}_cpu']:.2f} | {history[f'{key}_wall']:.2f} | "
                f"{_ratio(history[f'{key}_cpu'], history['git_cpu'])} |"
            )
        out.append("| goal | | | <= 3x |")
    return "\n".join(out)


def write_readme(text: str, readme: Path = ROOT / "README.md") -> None:
    current = readme.read_text(encoding="utf-8")
    if START not in current or END not in current:
        raise SystemExit(f"{readme}: no {START} ... {END} section to replace")
    before, rest = current.split(START, 1)
    _, after = rest.split(END, 1)
    # blank lines around the tables, so the markers never join a table or heading
    body = text.strip("\n")
    readme.write_text(f"{before}{START}\n\n{body}\n\n{END}{after}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 30_000])
    parser.add_argument("--runs", type=int, default=3, help="runs of each query")
    parser.add_argument(
        "--cold-runs", type=int, default=1, help="cold check/build/Hugo rounds (minutes each)"
    )
    parser.add_argument("--keep", type=Path, help="generate the repositories here and keep them")
    parser.add_argument("--history", action="store_true", help="add the history figure")
    parser.add_argument(
        "--watch", type=int, metavar="N", help="add the watcher's save latencies at N records"
    )
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="sortext-report-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        cold, ones = {}, {}
        for size in args.sizes:
            repo = prepare(size, base)
            # The query bench's repositories are git repositories (time in stage is
            # read from git).  The cold figures are taken without git, as Hugo builds
            # the same files (a cold build in git also scans the history once for time
            # in stage); the one-file figures in git, as a user's repository is.
            with _without_git(repo):
                cold[size] = cold_figures(repo, base, args.cold_runs)
            ones[size] = one_file_figures(repo, size, args.runs)
            print(f"{size}: cold {cold[size]}, one file {ones[size]}", file=sys.stderr)
        queries = [measure(size, base, args.runs) for size in args.sizes]
        history = history_figures(base, args.runs) if args.history else None
        watch = watch_figures(prepare(args.watch, base)) if args.watch else None
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    text = tables(args.sizes, cold, ones, queries, history, args.runs, args.cold_runs, watch)
    print(text)
    if args.write_readme:
        write_readme(text)


if __name__ == "__main__":
    main()
