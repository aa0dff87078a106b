"""A cold build whose parsing worker is killed ends instead of waiting for ever.

A build of 400 records or more parses in forked workers (a ``multiprocessing`` pool)
beside the parent.  A worker killed while it parses (the kernel's out-of-memory
killer on a small machine, a ``kill`` of the wrong pid) is replaced by the pool, but
the span it held is lost: ``AsyncResult.get()`` waited for it for ever, with the
index's write lock held (every query waited, then said busy; the watcher starting
on a new index never started).  Now a lost span is parsed in the build's own
process and the build completes with every record.

Real processes: ``sortext build`` in a child process on a generated repository of
450 records; its first span's worker kills itself with SIGKILL (the out-of-memory
killer cannot be summoned here on purpose); the test waits for the build's exit.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.gen_pages import generate_repo
from sortext.files.state import StateDir


def _killing(module: str, function: str, which: str, argv: str) -> str:
    """A ``python -c`` script that runs sortext with ``module.function`` replaced by one
    that SIGKILLs the worker process it runs in (as the out-of-memory killer would) when
    ``which`` (an expression over the function's one argument ``arg``) is true, then
    calls the real one; ``argv``: the command line after ``sortext``, as Python list
    items (``sys.argv[1]`` is the repository)."""
    alias = module.rsplit(".", 1)[1]
    return f"""
import os, runpy, signal, sys
import {module} as {alias}

PARENT = os.getpid()
real = {alias}.{function}

def {function}(arg):
    if os.getpid() != PARENT and ({which}):
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return real(arg)

{function}.__qualname__ = "{function}"
{function}.__module__ = "{module}"
{alias}.{function} = {function}
sys.argv = ["sortext", {argv}]
runpy.run_module("sortext", run_name="__main__")
"""


BUILD = _killing(
    "sortext.store.index", "_parse_span", "arg[0] == 0", '"build", "--repo", sys.argv[1]'
)


def test_a_build_whose_worker_is_killed_completes(tmp_path: Path) -> None:
    root = generate_repo(450, tmp_path / "repo")
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(root)],
        capture_output=True,
        text=True,
        timeout=120,  # the event: the build's exit (it waited for ever before)
    )
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(StateDir(root).index)
    try:
        (count,) = conn.execute("SELECT count(*) FROM records").fetchone()
    finally:
        conn.close()
    assert count == 450


class _LosingResult:
    def __init__(self, pool: _LosingPool, span: tuple[int, int]) -> None:
        self.pool, self.span = pool, span

    def ready(self) -> bool:
        return self.pool.finishes()

    def get(self) -> list[Any]:
        from sortext.store.index import WorkerLost

        if self.pool.dead:
            raise WorkerLost("a worker died")
        self.pool.got.append(self.span)
        return [self.span]


class _LosingPool:
    """A pool whose worker dies at its ``dies_at``-th look (every span not back is lost,
    and no span is taken after)."""

    def __init__(self, dies_at: int, finishing: list[bool]) -> None:
        self.dies_at, self.finishing, self.dead = dies_at, finishing, False
        self.got: list[tuple[int, int]] = []

    def finishes(self) -> bool:
        self.dies_at -= 1
        if self.dies_at <= 0:
            self.dead = True
        return self.finishing.pop(0) if self.finishing else True

    def apply_async(self, func: Any, args: tuple[tuple[int, int]]) -> _LosingResult:
        from sortext.store.index import WorkerLost

        if self.dead:
            raise WorkerLost("a worker died")
        return _LosingResult(self, args[0])


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=30),
    st.integers(min_value=1, max_value=3),
    st.integers(min_value=0, max_value=40),
    st.lists(st.booleans(), max_size=60),
)
def test_every_span_once_in_order_whenever_a_worker_is_lost(
    count: int, workers: int, dies_at: int, finishing: list[bool]
) -> None:
    from sortext.store.index import _shared_spans

    todo = [(i, i + 1) for i in range(count)]
    pool = _LosingPool(dies_at, finishing)
    here: list[tuple[int, int]] = []

    def parse_here(span: tuple[int, int]) -> list[Any]:
        here.append(span)
        return [span]

    got: list[Any] = [batch[0] for batch in _shared_spans(pool, parse_here, todo, workers)]
    assert got == todo
    assert sorted(here + pool.got) == todo  # each parsed once: here or by a worker


CHECK = _killing("sortext.check.many", "_check_chunk", "True", '"check", "--repo", sys.argv[1]')


def test_a_check_whose_workers_are_killed_completes(tmp_path: Path) -> None:
    """The same for ``sortext check`` (``pool.map`` waited for ever)."""
    root = generate_repo(450, tmp_path / "repo")
    plain = subprocess.run(
        [sys.executable, "-m", "sortext", "check", "--repo", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(root)],
        capture_output=True,
        text=True,
        timeout=120,  # the event: the check's exit (it waited for ever before)
    )
    assert (done.returncode, done.stdout) == (plain.returncode, plain.stdout), done.stderr


PAGES = _killing(
    "sortext.pages.build",
    "_worker_span",
    "arg[0] == 0",
    '"build", "--repo", sys.argv[1], "--today", "2026-12-01"',
)


def test_a_build_whose_page_worker_is_killed_writes_every_page(tmp_path: Path) -> None:
    """The same for the pages' workers (``pool.imap`` waited for ever): a new day's
    build renders every page again, in workers."""
    root = generate_repo(450, tmp_path / "repo")
    first = subprocess.run(
        [sys.executable, "-m", "sortext", "build", "--repo", str(root), "--today", "2026-11-23"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr
    done = subprocess.run(
        [sys.executable, "-c", PAGES, str(root)],
        capture_output=True,
        text=True,
        timeout=120,  # the event: the build's exit (it waited for ever before)
    )
    assert done.returncode == 0, done.stderr
    assert len(list((root / "site" / "clients").glob("*.html"))) == 450


SLOW = """
import os, runpy, sys, time
import sortext.store.index as index

real = index._parse_span

def _parse_span(span):
    print("worker", os.getpid(), flush=True)
    time.sleep(0.5)
    return real(span)

_parse_span.__qualname__ = "_parse_span"
_parse_span.__module__ = "sortext.store.index"
index._parse_span = _parse_span
sys.argv = ["sortext", "build", "--repo", sys.argv[1]]
runpy.run_module("sortext", run_name="__main__")
"""


def test_the_workers_of_a_killed_build_end(tmp_path: Path) -> None:
    """A build killed with SIGKILL leaves no worker behind (an idle one waited on its
    queue for ever: the workers hold its writing end too)."""
    import os
    import signal
    import time

    root = generate_repo(450, tmp_path / "repo")
    build = subprocess.Popen(
        [sys.executable, "-c", SLOW, str(root)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert build.stdout is not None
        line = build.stdout.readline()  # the event: a worker has a span
        assert line.startswith("worker "), line
        worker = int(line.split()[1])
    finally:
        build.kill()
        build.wait()
    deadline = time.monotonic() + 60
    while Path(f"/proc/{worker}").exists():
        try:
            stat = Path(f"/proc/{worker}/stat").read_bytes()
        except OSError:
            break  # gone
        if stat[stat.rfind(b")") + 2 :].split()[0] == b"Z":
            break  # ended (not yet reaped by whoever adopted it)
        if time.monotonic() > deadline:
            os.kill(worker, signal.SIGKILL)
            raise AssertionError("a worker outlived its killed build")
        time.sleep(0.05)
