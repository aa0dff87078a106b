"""The garbage collector held back during a bulk pass (issue 15 item 3) is put back as
it was, still collects cycles, and changes no output.

``sortext.check.many.bulk_gc`` freezes what is alive and raises the first
threshold while a cold build, check or page pass parses many records (forked
workers inherit both); these tests hold it to Python's defaults afterwards, in
nested and threaded use, and a cold build's pages, NEXT.md and index rows to
those of a build without it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from sortext.check.many import BULK_GC_THRESHOLD, bulk_gc

TODAY = "2026-11-23"


@pytest.fixture(autouse=True)
def _collector_as_python_leaves_it() -> Iterator[None]:
    before = gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()
    yield
    gc.enable()
    gc.unfreeze()
    gc.set_threshold(*before[0])


def test_held_then_put_back() -> None:
    before = gc.get_threshold()
    with bulk_gc():
        assert gc.get_threshold() == (BULK_GC_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 1000  # the imported modules, at least
        with bulk_gc():  # nested: the outer pass keeps holding it
            assert gc.get_threshold()[0] == BULK_GC_THRESHOLD
        assert gc.get_threshold()[0] == BULK_GC_THRESHOLD
        assert gc.get_freeze_count() > 1000
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_put_back_when_the_pass_raises() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), bulk_gc():
        raise RuntimeError("a failed pass")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_left_alone_when_off_or_frozen_by_someone_else() -> None:
    before = gc.get_threshold()
    gc.disable()
    with bulk_gc():
        assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    assert not gc.isenabled()
    gc.enable()
    gc.freeze()
    frozen = gc.get_freeze_count()
    with bulk_gc():
        assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen  # not unfrozen: not ours


def _one_pass(entered: threading.Event, leave: threading.Event) -> None:
    with bulk_gc():
        entered.set()
        leave.wait(10)


def test_threads_leave_the_defaults() -> None:
    """Two passes in two threads, ending in either order (the watcher's page thread
    beside a command's pass): the thresholds and the freeze end as they began."""
    before = gc.get_threshold()
    for first_ends_first in (True, False):
        entered = [threading.Event(), threading.Event()]
        leave = [threading.Event(), threading.Event()]

        threads = [threading.Thread(target=_one_pass, args=(entered[i], leave[i])) for i in (0, 1)]
        for thread, ready in zip(threads, entered, strict=True):
            thread.start()
            assert ready.wait(10)
        order = (0, 1) if first_ends_first else (1, 0)
        leave[order[0]].set()
        threads[order[0]].join(10)
        assert gc.get_threshold()[0] == BULK_GC_THRESHOLD  # the other pass still runs
        leave[order[1]].set()
        threads[order[1]].join(10)
        assert gc.get_threshold() == before and gc.get_freeze_count() == 0


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_cycles_made_during_the_pass_are_still_collected() -> None:
    """Garbage in cycles (a user's template can make some) is collected after at most
    BULK_GC_THRESHOLD allocations, without anyone calling gc.collect()."""
    with bulk_gc():
        refs = []
        for _ in range(100):
            node = _Node()
            refs.append(weakref.ref(node))
            del node
        assert any(r() is not None for r in refs)
        kept: list[list[int]] = [[] for _ in range(3 * BULK_GC_THRESHOLD)]  # kept alive
        assert all(r() is None for r in refs)
        del kept


def _tree(root: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted((root / "site").rglob("*")):
        if path.is_file():
            out[str(path.relative_to(root))] = path.read_bytes()
    out["NEXT.md"] = (root / "NEXT.md").read_bytes()
    return out


def _rows(root: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the index's tables but the bookkeeping ones that hold clock times."""
    conn = sqlite3.connect(root / ".sortext" / "index.sqlite")
    try:
        names = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
                "'%VIRTUAL%' AND name NOT LIKE 'notes_%' AND name NOT IN ('meta', 'files')"
            )
        ]
        out = {n: sorted(conn.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}
        out["files"] = sorted(
            conn.execute("SELECT path, size, hash, record_id, ok, summary FROM files")
        )
        return out
    finally:
        conn.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_cold_build_is_the_same_with_and_without_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, workers: int
) -> None:
    """Pages, NEXT.md and the index's rows byte for byte, parsed in forked workers or
    in this process, and the collector as it was after each build."""
    import sortext.check.many as many_module
    import sortext.pages.build as build_module
    import sortext.store.index as index_module
    from bench.gen_pages import generate_repo
    from sortext.pages.build import build
    from sortext.repo import open_repository

    monkeypatch.setattr(index_module, "PARALLEL_THRESHOLD", 2)
    monkeypatch.setattr(build_module, "PARALLEL_PAGES", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: workers)
    held, plain = tmp_path / "held", tmp_path / "plain"
    for root in (held, plain):
        generate_repo(70, root, seed=5)  # more than one batch (spans of 32)
    day = dt.date.fromisoformat(TODAY)
    entered = []
    real = many_module.bulk_gc

    @contextlib.contextmanager
    def counted() -> Iterator[None]:
        with real():
            entered.append(gc.get_threshold()[0])
            yield

    monkeypatch.setattr(many_module, "bulk_gc", counted)
    before = gc.get_threshold()
    build(open_repository(held), day)
    assert entered and set(entered) == {BULK_GC_THRESHOLD}  # the pass was held
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    monkeypatch.setattr(many_module, "bulk_gc", contextlib.nullcontext)
    build(open_repository(plain), day)
    assert _tree(held) == _tree(plain)
    assert _rows(held) == _rows(plain)
