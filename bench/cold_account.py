"""Where a cold build's CPU goes, measured in the build itself (issue 15, item 3).

    python -m bench.cold_account REPO [--runs 3] [--today 2026-11-23] [--skip-pair]

``bench/cold_stages.py`` times the per-record compute in a loop of its own;
this script accounts for a real cold ``sortext build`` (``.sortext/``,
``site/`` and ``NEXT.md`` removed first, as ``bench/report.py`` does; REPO is
changed only in those derived files):

1. **Stages, in one process** (``os.cpu_count`` set to 1 so nothing forks):
   CPU seconds (user + sys of the thread, ``time.thread_time``) spent inside
   each stage, with its count of calls, and the process's user and sys time.
   Stages nest: a page's render and write happen inside the parse of its
   record (the build renders while the record is in memory).
2. **Workers**: cold ``build`` and cold ``check`` CPU (the process and the
   workers it waited for) with 1 worker and with the default count,
   alternated ``--runs`` times, medians.
3. **Two at once** (left out with ``--skip-pair``): the same one-process cold
   ``check`` run alone, then two of them at the same time on two copies, to
   tell how much CPU a second busy core costs each process on this machine
   (any parallel program, Hugo included, pays it).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_pages import remove_derived  # noqa: E402
from bench.query_bench import CHILD_ENV  # noqa: E402
from bench.repo_args import repo_command  # noqa: E402

# (module, attribute, modules that imported it by name) -> stage label
STAGES = [
    ("sortext.store.index", "_parse_file", (), "one record in all (read .. page written)"),
    ("sortext.check.load", "parse_record", ("sortext.store.index",), "parse and validate"),
    ("sortext.pages.build", "_FreshRecords.work", (), "assess + page (in the parse)"),
    ("sortext.pages.plain", "ClientPages.render", (), "client page render (plain or Jinja)"),
    ("jinja2.environment", "Template.render", (), "Jinja render (pages)"),
    ("sortext.pages.build", "_write_page", (), "client page file written"),
    ("sortext.files.write", "write_if_changed", ("sortext.pages.build",), "write_if_changed"),
    ("sortext.rules.findings", "assess", (), "rules"),
    ("sortext.views.dashboard", "client_view", (), "page view model"),
    ("sortext.store.board", "to_rows", (), "board rows"),
    ("sortext.store.daybook", "to_rows", (), "day-book rows"),
    ("sortext.store.index", "_data_json", (), "index record JSON"),
    ("sortext.store.index", "_pack_doc", (), "index JSON blob (zlib)"),
    ("sortext.store.index", "searchable", (), "search text"),
    ("sortext.store.index", "Index._store", (), "SQLite: records + notes"),
    ("sortext.pages.build", "_FreshRecords.store", (), "SQLite: board + page keys"),
    ("sortext.pages.build", "_summary_pages", (), "NEXT.md, dashboard, owners"),
    ("sortext.schema.config", "_validate_config", (), "sortext.yaml validated"),
    ("sortext.schema.validate", "RecordValidator._compiled", (), "record validator compiled"),
    ("sortext.schema.validate", "_quick_check", (), "record quick check generated"),
]


def _child(out: str) -> None:
    """Run ``sortext build`` (argv after ``--``) in this process with the stages timed."""
    import atexit
    import importlib
    import time

    os.cpu_count = lambda: 1  # no fork: every stage runs here
    spent: dict[str, list[float]] = {}

    def wrap(module: str, attr: str, also: tuple[str, ...], label: str) -> None:
        owner: object = importlib.import_module(module)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)

        def timed(*args: object, **kwargs: object) -> object:
            start = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                entry = spent.setdefault(label, [0.0, 0])
                entry[0] += time.thread_time() - start
                entry[1] += 1

        setattr(owner, name, timed)
        for other in also:
            setattr(importlib.import_module(other), name, timed)

    for module, attr, also, label in STAGES:
        wrap(module, attr, also, label)

    @atexit.register
    def _report() -> None:
        times = os.times()
        found = {"user": times.user, "sys": times.system, "stages": spent}
        Path(out).write_text(json.dumps(found))

    from sortext.cli import main

    main(prog_name="sortext")


def stages(repo: Path, today: str) -> dict[str, object]:
    remove_derived(repo)
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        argv = [sys.executable, "-m", "bench.cold_account", "--child", out.name]
        argv += ["--", "build", "--today", today, "--repo", str(repo)]
        subprocess.run(argv, cwd=ROOT, env=CHILD_ENV, check=True, stdout=subprocess.DEVNULL)
        found: dict[str, object] = json.loads(Path(out.name).read_text())
    return found


def _workers_env(count: int | None) -> dict[str, str]:
    env = dict(CHILD_ENV)
    if count is not None:
        env["SORTEXT_BENCH_WORKERS"] = str(count)
    return env


_SHIM = (
    "import os,sys;n=os.environ.get('SORTEXT_BENCH_WORKERS');"
    "n and setattr(os,'cpu_count',lambda:int(n));"
    "from sortext.cli import main;main(prog_name='sortext')"
)


def _run(repo: Path, args: list[str], workers: int | None) -> float:
    """CPU seconds of one cold run of ``sortext ARGS`` (1 worker or the default): user +
    sys of the child and the workers it waited for (``wait4``'s usage of that child)."""
    remove_derived(repo)
    proc = subprocess.Popen(
        [sys.executable, "-c", _SHIM, *args],
        cwd=repo,
        env=_workers_env(workers),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return usage.ru_utime + usage.ru_stime


def workers(repo: Path, today: str, runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        for name, args in (("build", ["build", "--today", today]), ("check", ["check", "-q"])):
            for count, label in ((1, "1 worker"), (None, "default")):
                samples.setdefault(f"{name}, {label}", []).append(_run(repo, args, count))
    return {k: statistics.median(v) for k, v in samples.items()}


def _append_run(into: list[float], repo: Path) -> None:
    into.append(_run(repo, ["check", "-q"], 1))


def pair(repo: Path, runs: int) -> dict[str, float]:
    """One-process cold check alone vs two at once (on a copy), CPU medians."""
    import threading

    alone: list[float] = []
    together: list[float] = []
    with tempfile.TemporaryDirectory(prefix="cold-account-") as base:
        twin = Path(base) / "twin"
        twin.mkdir()
        for name in ("clients", "sortext.yaml", "templates"):
            source = repo / name
            if source.is_dir():
                shutil.copytree(source, twin / name)
            elif source.exists():
                shutil.copy2(source, twin / name)
        for _ in range(runs):
            alone.append(_run(repo, ["check", "-q"], 1))
            got: list[float] = []
            other = threading.Thread(target=_append_run, args=(got, twin))
            remove_derived(repo)
            other.start()
            got.append(_run(repo, ["check", "-q"], 1))
            other.join()
            together.append(statistics.mean(got))
    return {"alone": statistics.median(alone), "two at once": statistics.median(together)}


def _build_child(words: list[str]) -> None:
    """``OUT -- sortext's arguments``: the timed build (:func:`_child`)."""
    sys.argv = ["sortext", *words[2:]]
    _child(words[0])


def main(argv: list[str] | None = None) -> None:
    command = repo_command(__doc__, argv, _build_child)
    if command is None:
        return
    parser, args = command
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-pair", action="store_true")
    opts = parser.parse_args(args)
    repo = opts.repo.resolve()
    count = len([p for p in (repo / "clients").glob("*.md")])

    found = stages(repo, opts.today)
    user, system = float(found["user"]), float(found["sys"])  # type: ignore[arg-type]
    print(f"cold build, one process, {count:,} records: {user + system:.2f} CPU s ")
    print(f"(user {user:.2f}, sys {system:.2f}; {1000 * (user + system) / count:.2f} ms a record)")
    print(f"{'stage':44s} {'CPU s':>7s} {'ms/rec':>7s} {'calls':>6s}")
    table = found["stages"]
    assert isinstance(table, dict)
    for _, _, _, label in STAGES:
        cpu, calls = table.get(label, (0.0, 0))
        print(f"{label:44s} {cpu:7.3f} {1000 * cpu / count:7.3f} {calls:6d}")

    print()
    for name, cpu in workers(repo, opts.today, opts.runs).items():
        print(f"cold {name:22s} {cpu:6.2f} CPU s (median of {opts.runs})")
    if not opts.skip_pair:
        print()
        for name, cpu in pair(repo, opts.runs).items():
            print(f"cold check, one process, {name:12s} {cpu:6.2f} CPU s")
    remove_derived(repo)


if __name__ == "__main__":
    main()
