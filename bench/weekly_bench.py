"""Benchmark the pages' "since last week" section (sortext.views.weekly.recent_changes).

Uses the 10,000-client, 5,000-commit repository of ``bench/history_bench.py``
(about 100 commits in the last 7 days) and times, in-process (the build calls
the function in-process too; best of 3 unless said otherwise):

* uncached: no ``.sortext/weekly*.json``;
* cached: same HEAD and today (no git process is started);
* after one new commit touching one client (what the watcher does per save);
* a new day (today + 1: the window slides, the per-record cache is dropped);
* ``changes_since(repo, today - 7d, today)`` for comparison;
* then a bulk week: one commit rewriting all 10,000 records (an import or a
  search-and-replace), uncached, then after one more single-client commit.

``--bulk`` times a new user's first week instead: 10,000 imported clients
(sessions, measurements, invoices: about 10 lines each) created in one commit
two days before ``today`` (so every one is a "new client"), then
uncached, cached, each of 10 single-client commits after it (the watcher's
case, one save each), and a new day.

``--realistic`` (with ``--bulk``) makes those clients ~10 KB records from
``bench/gen_pages.py`` (up to 40 sessions, 12 invoices, notes), the size of a
real import, instead of ~25-line ones.

Run:  python bench/weekly_bench.py [--keep DIR] [--bulk [--realistic]] [--clients N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.history_bench import END, Stream, build_many_clients  # noqa: E402
from sortext.repo import open_repository  # noqa: E402
from sortext.vcs.changes import changes_since  # noqa: E402
from sortext.views.weekly import PAIR_CACHE, VIEW_CACHE, recent_changes  # noqa: E402

TODAY = END.date()


def drop_caches(repo: Path) -> None:
    for name in (VIEW_CACHE, PAIR_CACHE):
        (repo / name).unlink(missing_ok=True)


def timed(fn: Callable[[], object], before: Callable[[], object] = lambda: None) -> float:
    before()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def best(fn: Callable[[], object], before: Callable[[], object] = lambda: None) -> float:
    return min(timed(fn, before) for _ in range(3))


def commit(repo: Path, when: str, message: str) -> None:
    env_args = ["-c", "user.name=Bench", "-c", "user.email=b@x.invalid"]
    stamp = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(
        ["git", *env_args, "commit", "-q", "-m", message],
        cwd=repo,
        check=True,
        env={**os.environ, **stamp},
    )


def touch_one(repo: Path, n: int, when: str) -> None:
    """Move one client's stage and commit, as the watcher does after a save."""
    path = repo / "clients" / f"client-{n:05d}.md"
    text = path.read_text(encoding="utf-8")
    stage = "active" if "\nstage: review\n" in text else "review"
    path.write_text(
        re.sub(r"^stage: .*$", f"stage: {stage}", text, count=1, flags=re.M), encoding="utf-8"
    )
    commit(repo, when, f"client-{n:05d}: to {stage}")


def imported_record(n: int) -> bytes:
    """A client as an import brings it: a few past sessions, measurements, invoices
    (each one a line of a new client's week)."""
    name = f"client-{n:05d}"
    month = 1 + n % 9
    lines = [
        "---",
        f"name: {name}",
        "stage: active",
        "owner: me",
        f"next_action: {{what: Follow up with {name}, owner: me, due: 2026-11-30}}",
        "billing: {plan: Coaching, rate: 150, currency: EUR}",
        "goals:",
        "  - {id: focus, title: Protect focus time, baseline: 2, target: 10}",
        "measurements:",
        *(f"  - {{goal: focus, date: 2026-0{m}-15, value: {m}}}" for m in (month, month + 1)),
        "sessions:",
        *(
            f"  - {{date: 2026-0{m}-0{d}, kind: coaching, status: held}}"
            for m in (month, month + 1)
            for d in (3, 7)
        ),
        "invoices:",
        f"  - {{id: INV-{n}-1, amount: 300, status: paid, due: 2026-0{month}-20}}",
        f"  - {{id: INV-{n}-2, amount: 300, status: sent, due: 2026-12-20}}",
        "---",
        "",
        f"# {name}",
        "",
        "Imported.",
        "",
    ]
    return "\n".join(lines).encode()


def build_bulk_week(repo: Path, clients: int, realistic: bool = False) -> None:
    """A first week: every client created in one commit inside the window.

    ``realistic``: records as ``bench/gen_pages.py`` writes them (1-10 KB of
    notes, up to 40 sessions, 12 invoices), the size a real import brings."""
    stream = Stream(repo)
    if realistic:
        import random

        from bench.gen_pages import client_text

        rng = random.Random(20261123)
        files: dict[str, bytes | None] = {
            f"clients/client-{n:05d}.md": client_text(n, rng).encode() for n in range(clients)
        }
    else:
        files = {f"clients/client-{n:05d}.md": imported_record(n) for n in range(clients)}
    stream.commit(END - dt.timedelta(days=2), "import clients", files)
    stream.close(repo)


def bulk_main(where: Path, clients: int, realistic: bool = False) -> None:
    repo = where / "bulk-week"
    if repo.exists():
        shutil.rmtree(repo)
    build_bulk_week(repo, clients, realistic)
    opened = open_repository(repo)

    def run() -> object:
        return recent_changes(opened, TODAY)

    kind = "realistic (gen_pages) " if realistic else ""
    print(f"bulk week ({clients:,} new {kind}clients in one commit)")
    print(f"uncached:                  {best(run, lambda: drop_caches(repo)) * 1000:7.1f} ms")
    print(f"cached (same HEAD, today): {best(run) * 1000:7.2f} ms")
    samples = []
    for i in range(10):
        touch_one(repo, 100 + i, f"{TODAY.isoformat()}T11:{i:02d}:00+00:00")
        samples.append(timed(run))
    shown = " ".join(f"{s * 1000:.1f}" for s in samples)
    print(
        f"after one new commit:      {min(samples) * 1000:7.1f} ms best, "
        f"{max(samples) * 1000:.1f} worst (10 commits: {shown})"
    )
    tomorrow = TODAY + dt.timedelta(days=1)
    t = timed(lambda: recent_changes(opened, tomorrow))
    print(f"a new day (today + 1):     {t * 1000:7.1f} ms")
    touch_one(repo, 300, f"{tomorrow.isoformat()}T09:00:00+00:00")
    t = timed(lambda: recent_changes(opened, tomorrow))
    print(f"new day, one more commit:  {t * 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    parser.add_argument("--bulk", action="store_true", help="time a bulk first week only")
    parser.add_argument("--clients", type=int, default=10_000, help="clients in --bulk")
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="with --bulk: ~10 KB records from bench/gen_pages.py (a real import's size)",
    )
    args = parser.parse_args()
    where = args.keep or Path(tempfile.mkdtemp(prefix="sortext-weekly-bench-"))
    where.mkdir(parents=True, exist_ok=True)
    if args.bulk:
        try:
            bulk_main(where, args.clients, args.realistic)
        finally:
            if args.keep is None:
                shutil.rmtree(where, ignore_errors=True)
        return
    repo = where / "many-clients-weekly"
    try:
        if repo.exists():
            shutil.rmtree(repo)
        build_many_clients(repo)
        opened = open_repository(repo)
        view = recent_changes(opened, TODAY)
        assert view is not None
        print(
            f"window {view.since} – {view.today}: {view.total} changes in {len(view.groups)} groups"
        )

        def run() -> object:
            return recent_changes(opened, TODAY)

        print(f"uncached:                 {best(run, lambda: drop_caches(repo)) * 1000:7.1f} ms")
        print(f"cached (same HEAD, today): {best(run) * 1000:7.2f} ms")
        week_ago = TODAY - dt.timedelta(days=7)
        t = best(lambda: changes_since(opened, week_ago, TODAY))
        print(f"changes_since 7d (compare): {t * 1000:7.1f} ms")
        samples = []
        for i in range(3):
            touch_one(repo, 100 + i, f"{TODAY.isoformat()}T11:0{i}:00+00:00")
            samples.append(timed(run))
        print(f"after one new commit:      {min(samples) * 1000:7.1f} ms (best of 3 commits)")
        tomorrow = TODAY + dt.timedelta(days=1)
        t = timed(lambda: recent_changes(opened, tomorrow))
        print(f"a new day (today + 1):     {t * 1000:7.1f} ms")

        for path in sorted((repo / "clients").glob("*.md")):
            text = path.read_text(encoding="utf-8")
            path.write_text(
                text.replace("plan: Coaching", "plan: Coaching 2027", 1), encoding="utf-8"
            )
        commit(repo, f"{TODAY.isoformat()}T11:30:00+00:00", "bulk: rename the plan")
        print(
            f"bulk week (10,000 records changed), uncached: "
            f"{timed(run, lambda: drop_caches(repo)) * 1000:7.1f} ms"
        )
        touch_one(repo, 200, f"{TODAY.isoformat()}T11:40:00+00:00")
        print(f"bulk week, after one more commit:            {timed(run) * 1000:7.1f} ms")
        print(f"bulk week, cached:                           {best(run) * 1000:7.2f} ms")
    finally:
        if args.keep is None:
            shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
