"""Warm queries against Python's own start-up, at several practice sizes.

For each size N, a repository of N realistic generated clients
(``bench/gen_pages.py``) is made a git repository as a user's is (the records
committed weeks ago, then a few stage moves, each its own commit: time in stage
is read from git), built once (``sortext build``: the index and the stored
assessments), then each query is run in a fresh process, interleaved with the
anchor ``python -c pass`` (same interpreter, same site-packages), so every
round sees the same load.  Two situations:

* ``watcher``: a running watcher vouches for its index (this script holds the
  daemon lock and writes ``.sortext/watch.current`` exactly as ``sortext
  watch`` does once it has nothing pending), so a query does no stat pass;
* ``alone``: no watcher; each query looks at every file's stat once
  (``os.scandir`` of the clients folder).

Also, with the watcher: the first ``next`` and ``list --at-risk`` after a save
the watcher indexed (one record changed: what the query must redo), and the
printing floor of the two commands that print one line per client: ``python
-c`` writing the same bytes to the same place (/dev/null).

Figures are CPU seconds (user + sys of the child, from ``getrusage``;
steadier than wall time on a shared machine), medians of ``--runs``, and the
ratio to the anchor's median.  Children may write bytecode (as an installed
sortext has), whatever ``PYTHONDONTWRITEBYTECODE`` says.  Also reports the
state folder's size against the records' (``.sortext/`` holds the index; the
records are ``clients/*.md``).

Usage: python -m bench.query_bench [--sizes 1000 10000 30000] [--runs 5]
       [--keep DIR] [--markdown]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_pages import TODAY, generate_repo  # noqa: E402

DAY = TODAY.isoformat()
QUERIES: dict[str, list[str]] = {
    "next": ["next"],
    "list": ["list"],
    "list --stage active": ["list", "--stage", "active"],
    "list --tag founder": ["list", "--tag", "founder"],
    "list --at-risk": ["list", "--at-risk"],
    "show": ["show", "client-00001"],
    "search": ["search", "session"],
}


@dataclass
class Figures:
    size: int
    anchor: float = 0.0
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)  # mode -> query -> s
    wall: dict[str, dict[str, float]] = field(default_factory=dict)
    rss_kb: dict[str, int] = field(default_factory=dict)  # query -> peak, median of runs
    printing: dict[str, tuple[int, float]] = field(default_factory=dict)  # bytes, CPU s
    after_save: dict[str, float] = field(default_factory=dict)  # query -> CPU s
    # the watcher's CPU s after a save, its child process working out again the next and
    # list questions asked since its previous refresh (the first after the warm-up: five;
    # then the one query asked after each save)
    refresh_cpu: float = 0.0
    records_bytes: int = 0
    state_bytes: int = 0


# A user's installed sortext has compiled bytecode: children may write it (an
# environment that forbids it would make every run compile every module).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def child_run(
    argv: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, float, int]:
    """(CPU s, wall s, peak RSS KB) of one child process (``env``: default
    :data:`CHILD_ENV`)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env or CHILD_ENV
    )
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = 0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, usage.ru_maxrss


def child_rss(argv: list[str], cwd: Path) -> int:
    """Peak RSS (KB) of one run of ``argv``.  A spawned child's ``ru_maxrss`` starts at
    its parent's RSS (Linux keeps the high-water mark across exec), so the command is
    started by GNU time, a small process, and measured there."""
    timer = shutil.which("time", path="/usr/bin:/bin")
    if timer is None:
        return child_run(argv, cwd)[2]
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as out:
        subprocess.run(
            [timer, "-f", "%M", "-o", out.name, *argv],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=CHILD_ENV,
            check=False,
        )
        return int(out.read().strip().splitlines()[-1])


@contextlib.contextmanager
def vouched(repo: Path) -> Iterator[None]:
    """Within the block this process holds ``repo``'s watcher lock and vouches for its
    index (``.sortext/watch.current``), as a running ``sortext watch`` with nothing
    pending does: a query then does no stat pass."""
    from sortext.daemon.lock import acquire
    from sortext.files import watchmark
    from sortext.files.state import StateDir
    from sortext.store.index import identity_of

    lock = acquire(StateDir(repo).watch_lock)  # in .git/ for a git repository
    watchmark.mark(repo, repo / "clients", identity_of(repo))
    try:
        yield
    finally:
        watchmark.clear(repo)
        lock.release()


def print_by_size(
    sizes: list[int],
    keep: Path | None,
    prefix: str,
    figures: Callable[[int, Path], dict[str, float]],
    note: str = "",
    after: Callable[[dict[str, float]], str] | None = None,
) -> None:
    """For each size, ``figures(size, base)`` (seconds by name, with the "anchor":
    ``python -c pass``) printed under a heading, each with its ratio to the anchor;
    ``after(figures)``: a last line.  ``base`` is ``keep``, else a temporary folder
    (named ``prefix``...) removed at the end."""
    base = keep or Path(tempfile.mkdtemp(prefix=prefix))
    try:
        for size in sizes:
            fig = figures(size, base)
            anchor = fig["anchor"]
            print(f"## {size:,} clients (python -c pass {anchor:.3f} s{note})")
            for key, value in fig.items():
                print(f"{key}: {value:.3f} s ({value / anchor:.1f}x)")
            if after is not None:
                print(after(fig))
            sys.stdout.flush()
    finally:
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)


def sortext(*args: str) -> list[str]:
    return [sys.executable, "-m", "sortext", *args]


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# Ready-made copies of generate_repo's output (folders r1000, r10000, ...), if any:
# copying is faster than generating; the bytes are the same (same seed).
BENCHDATA = Path(os.environ.get("SORTEXT_BENCH_DATA", "/nonexistent"))
MOVES = 25  # stage moves committed after the import, so time in stage has history to read


def _git(repo: Path, *args: str, when: str | None = None) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com")
    env.update(GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com")
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def make_git_history(repo: Path, size: int) -> None:
    """A records repository as a user has one: a git repository with the records
    committed (the import, weeks ago) and then a few stage moves, each its own commit,
    so ``list``/``show`` read time in stage from git (``sortext/vcs/stagefacts.py``)."""
    _git(repo, "init", "-q", "-b", "main")
    # no `git gc --auto` detached in the background: bench.report moves .git aside for
    # the cold figures, and a late gc writing by absolute path made a second .git there
    _git(repo, "config", "gc.auto", "0")
    _git(repo, "config", "maintenance.auto", "false")
    (repo / ".gitignore").write_text(".sortext/\nsite/\nNEXT.md\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Import the practice", when="2026-09-01T10:00:00")
    step = max(1, size // MOVES)
    for n, i in enumerate(range(7, size, step)):
        path = repo / "clients" / f"client-{i:05d}.md"
        text = path.read_text(encoding="utf-8")
        for old, new in (("stage: active", "stage: review"), ("stage: inquiry", "stage: active")):
            if old in text:
                path.write_text(text.replace(old, new, 1), encoding="utf-8")
                _git(
                    repo,
                    "commit",
                    "-q",
                    "-am",
                    f"Move {path.stem}",
                    when=f"2026-10-{1 + n:02d}T10:00:00",
                )
                break


def prepare(size: int, base: Path) -> Path:
    """A git repository of ``size`` realistic clients, built once (``sortext build``)."""
    repo = base / f"records-{size}"
    if not (repo / ".git").is_dir() or len(os.listdir(repo / "clients")) != size:
        shutil.rmtree(repo, ignore_errors=True)
        ready = BENCHDATA / f"r{size}"
        if (ready / "clients").is_dir() and len(os.listdir(ready / "clients")) == size:
            shutil.copytree(ready, repo, symlinks=True)
        else:
            generate_repo(size, repo)
        make_git_history(repo, size)
    subprocess.run(
        sortext("build", "--today", DAY), cwd=repo, check=True, capture_output=True, env=CHILD_ENV
    )
    return repo


PRINTED = ("next", "list")  # one line per client: their printing floor is measured
WRITE_OUT = "import sys; sys.stdout.write(open(sys.argv[1], encoding='utf-8').read())"


def after_one_save(
    repo: Path, args: list[str], n: int, refresh: bool = True
) -> tuple[float, float]:
    """(CPU s of the first query after a save the watcher has indexed and committed,
    CPU s the watcher spent afterwards working out the questions asked today again):
    one record's notes changed, the index refreshed for that file, a commit, the
    watcher's mark renewed, then (``refresh``) the remembered questions worked out
    again, as ``sortext watch``'s page thread has it done after vouching (in a child
    process: ``sortext.commands.watch.refresh_in_child``; the page build is left
    out: the query must not need it)."""
    from sortext.commands.watch import refresh_in_child
    from sortext.files import watchmark
    from sortext.repo import open_repository
    from sortext.store.index import Index, identity_of

    path = repo / "clients" / f"client-{(101 + n * 37) % 1000:05d}.md"
    original = path.read_bytes()
    path.write_bytes(original + f"\nA note from save {n}.\n".encode())
    try:
        watchmark.clear(repo)
        with Index.open(open_repository(repo)) as index:
            index.refresh(only=[path.name])
        _git(repo, "commit", "-q", "-m", f"Save {n}", "--", f"clients/{path.name}")
        watchmark.mark(repo, repo / "clients", identity_of(repo))
        spent = 0.0
        if refresh:  # the watcher's child process, as sortext watch starts it
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            refresh_in_child(repo, lambda: False)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            spent = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return child_run(sortext(*args, "--today", DAY), repo)[0], spent
    finally:
        undo_save(repo, path, original, n)


def undo_save(repo: Path, path: Path, original: bytes, n: int) -> None:
    """Put back ``path``'s ``original`` bytes as a watcher would have taken the save:
    the index refreshed for that file, a commit ("Undo save N"), the watcher's mark
    renewed."""
    from sortext.files import watchmark
    from sortext.repo import open_repository
    from sortext.store.index import Index, identity_of

    path.write_bytes(original)
    watchmark.clear(repo)
    with Index.open(open_repository(repo)) as index:
        index.refresh(only=[path.name])
    _git(repo, "commit", "-q", "-m", f"Undo save {n}", "--", f"clients/{path.name}")
    watchmark.mark(repo, repo / "clients", identity_of(repo))


def measure(size: int, base: Path, runs: int) -> Figures:
    from sortext.daemon.lock import acquire
    from sortext.files import watchmark
    from sortext.files.state import StateDir
    from sortext.store.index import identity_of

    repo = prepare(size, base)
    fig = Figures(size)
    anchors: list[float] = []
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    rss_runs: dict[str, list[int]] = {}
    for mode in ("watcher", "alone"):
        lock = None
        if mode == "watcher":
            lock = acquire(StateDir(repo).watch_lock)  # in .git/ for a git repository
            watchmark.mark(repo, repo / "clients", identity_of(repo))
        try:
            for name, args in [*QUERIES.items(), *QUERIES.items()]:  # warm-up, twice
                done = subprocess.run(
                    sortext(*args, "--today", DAY) if name != "search" else sortext(*args),
                    cwd=repo,
                    capture_output=True,
                    env=CHILD_ENV,
                )
                if mode == "watcher" and name in PRINTED:
                    (base / f"printed-{size}-{name}.txt").write_bytes(done.stdout)
            for _ in range(runs):
                anchors.append(child_run([sys.executable, "-c", "pass"], repo)[0])
                if mode == "watcher":
                    for name in PRINTED:  # the floor of printing what the query prints
                        out = base / f"printed-{size}-{name}.txt"
                        cpu = child_run([sys.executable, "-c", WRITE_OUT, str(out)], repo)[0]
                        samples.setdefault(("print", name), []).append((cpu, 0.0))
                for name, args in QUERIES.items():
                    argv = sortext(*args) if name in ("search",) else sortext(*args, "--today", DAY)
                    cpu, wall, _ = child_run(argv, repo)
                    samples.setdefault((mode, name), []).append((cpu, wall))
                    if mode == "watcher":
                        rss_runs.setdefault(name, []).append(child_rss(argv, repo))
            if mode == "watcher":
                for name in ("next", "list --at-risk"):
                    samples[("saved", name)] = [
                        after_one_save(repo, QUERIES[name], n) for n in range(runs)
                    ]
        finally:
            if lock is not None:
                watchmark.clear(repo)
                lock.release()
    for name in PRINTED:
        out = base / f"printed-{size}-{name}.txt"
        fig.printing[name] = (
            out.stat().st_size,
            statistics.median(c for c, _ in samples.pop(("print", name))),
        )
    refreshes: list[float] = []
    for name in ("next", "list --at-risk"):
        saved = samples.pop(("saved", name))
        fig.after_save[name] = statistics.median(c for c, _ in saved)
        refreshes.extend(r for _, r in saved)
    fig.refresh_cpu = statistics.median(refreshes)
    fig.rss_kb = {name: int(statistics.median(values)) for name, values in rss_runs.items()}
    fig.anchor = statistics.median(anchors)
    for (mode, name), values in samples.items():
        fig.cpu.setdefault(mode, {})[name] = statistics.median(c for c, _ in values)
        fig.wall.setdefault(mode, {})[name] = statistics.median(w for _, w in values)
    fig.records_bytes = folder_bytes(repo / "clients")
    fig.state_bytes = folder_bytes(StateDir(repo).path) - folder_bytes(
        StateDir(repo).template_cache
    )
    return fig


def markdown(figures: list[Figures]) -> str:
    sizes = [f.size for f in figures]
    head = " | ".join(f"{s:,}" for s in sizes)
    lines = [
        f"| query, nothing changed (CPU s; x start-up) | {head} |",
        "|---|" + "---|" * len(sizes),
        "| `python -c pass` (the anchor) | "
        + " | ".join(f"{f.anchor:.3f}" for f in figures)
        + " |",
    ]
    for mode, label in (("watcher", "watcher running"), ("alone", "no watcher")):
        for name in QUERIES:
            cells = [
                f"{f.cpu[mode][name]:.3f} ({f.cpu[mode][name] / f.anchor:.1f}x)" for f in figures
            ]
            lines.append(f"| `{name}`, {label} | " + " | ".join(cells) + " |")
    for name in ("next", "list --at-risk"):
        cells = [
            f"{f.after_save[name]:.3f} ({f.after_save[name] / f.anchor:.1f}x)" for f in figures
        ]
        lines.append(f"| `{name}`, first after a save (watcher) | " + " | ".join(cells) + " |")
    lines.append(
        "| the watcher after that save: its child process working out again the "
        "`next`/`list` questions asked since its previous refresh (here the one query "
        "asked after each save; `bench.refresh_bench` for none and five; CPU s) | "
        + " | ".join(f"{f.refresh_cpu:.3f}" for f in figures)
        + " |"
    )
    for name in PRINTED:
        cells = [
            f"{f.printing[name][1]:.3f} ({f.printing[name][0] / 1e3:,.0f} KB)" for f in figures
        ]
        lines.append(
            f"| `python -c` writing what `{name}` prints (printing floor) | "
            + " | ".join(cells)
            + " |"
        )
    lines.append(
        "| peak RSS of `list --at-risk` (watcher; median of runs) | "
        + " | ".join(f"{f.rss_kb['list --at-risk'] / 1024:.0f} MB" for f in figures)
        + " |"
    )
    lines.append(
        "| peak RSS of `next` (watcher; median of runs) | "
        + " | ".join(f"{f.rss_kb['next'] / 1024:.0f} MB" for f in figures)
        + " |"
    )
    lines.append(
        "| `.sortext/` (index) / `clients/` bytes | "
        + " | ".join(
            f"{f.state_bytes / 1e6:.0f} / {f.records_bytes / 1e6:.0f} MB = "
            f"{f.state_bytes / f.records_bytes:.2f}x"
            for f in figures
        )
        + " |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="generate the repositories here and keep them")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="sortext-query-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        figures = [measure(size, base, args.runs) for size in args.sizes]
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    print(markdown(figures))


if __name__ == "__main__":
    main()
