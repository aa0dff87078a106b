"""A bulk parse's spans shared between forked workers and the build's own process
(issue 15 item 3: the process that stores the results parses whenever the oldest span
sent out is not back yet, instead of waiting beside as many workers as cores).

``sortext.store.index._shared_spans`` must yield every span's parse exactly once, in
order, whichever spans the workers finish first and however long they take, and keep
no more than a bounded number of spans parsed ahead; a cold build must write the same
pages, NEXT.md and index rows whether one process, one worker and this process, or two
workers and this process parse.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.store import index as index_module
from tests.test_bulk_gc import _rows, _tree

TODAY = dt.date(2026, 11, 23)


class _Result:
    """An AsyncResult whose readiness the test decides (as a worker finishing would)."""

    def __init__(self, pool: _Pool, span: tuple[int, int]) -> None:
        self.pool, self.span, self.done = pool, span, False

    def ready(self) -> bool:
        if not self.done and self.pool.finishes():
            self.done = True
        return self.done

    def get(self) -> list[Any]:
        self.done = True  # blocking: the worker finishes it
        self.pool.gotten.append(self.span)
        return [("worker", self.span)]


class _Pool:
    def __init__(self, finishing: list[bool]) -> None:
        self.finishing = finishing
        self.sent: list[tuple[int, int]] = []
        self.gotten: list[tuple[int, int]] = []

    def finishes(self) -> bool:
        return self.finishing.pop(0) if self.finishing else True

    def apply_async(self, func: Any, args: tuple[tuple[int, int]]) -> _Result:
        assert func is index_module._parse_span
        self.sent.append(args[0])
        return _Result(self, args[0])


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=1, max_value=3),
    st.lists(st.booleans(), max_size=80),
)
def test_every_span_once_in_order_and_a_bounded_lead(
    count: int, workers: int, finishing: list[bool]
) -> None:
    todo = [(i, i + 1) for i in range(count)]
    pool = _Pool(finishing)
    parsed_here: list[tuple[int, int]] = []
    lead: list[int] = []

    def here(span: tuple[int, int]) -> list[Any]:
        parsed_here.append(span)
        return [("here", span)]

    got = []
    shared = index_module._shared_spans(pool, here, todo, workers)
    for batch in shared:
        entry: Any = batch[0]  # the fakes' ("here" or "worker", span)
        got.append(entry[1])
        lead.append(len(parsed_here) + len(pool.sent) - len(got))
    assert got == todo  # each span once, in order
    assert sorted(parsed_here + pool.sent) == todo  # parsed here or by a worker, not both
    assert max(lead) <= index_module.AHEAD * workers + 3  # never every span at once


@pytest.mark.parametrize("processes", [2, 3])
def test_a_cold_build_is_the_same_however_the_spans_are_shared(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, processes: int
) -> None:
    """Pages, NEXT.md and every index row byte for byte: one process against workers
    and the build's process sharing the spans (1 or 2 workers)."""
    import sortext.pages.build as build_module
    from bench.gen_pages import generate_repo
    from sortext.pages.build import build
    from sortext.repo import open_repository

    monkeypatch.setattr(index_module, "PARALLEL_THRESHOLD", 2)
    monkeypatch.setattr(build_module, "PARALLEL_PAGES", 2)
    shared, alone = tmp_path / "shared", tmp_path / "alone"
    for root in (shared, alone):
        generate_repo(200, root, seed=11)  # spans of 32: more than the workers hold
    monkeypatch.setattr(os, "cpu_count", lambda: processes)
    shared_result = build(open_repository(shared), TODAY)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    alone_result = build(open_repository(alone), TODAY)
    assert _tree(shared) == _tree(alone)
    assert _rows(shared) == _rows(alone)
    assert shared_result == alone_result
