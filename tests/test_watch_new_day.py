"""The day changes while the watcher runs: the pages branch gets the new day's pages.

NEXT.md on the pages branch is what the user reads on the git host ("what happens
next": overdue, due this week); a watcher left running overnight republished it only
at its next restart or save, so the branch kept yesterday's "today".  Now, when the
injected clock crosses midnight, the watcher rebuilds the pages and publishes them as
one commit on the pages branch ("pages for <HEAD>", noting the new day), equal to
``sortext build --today <new day>`` of HEAD; the records branch gets nothing.  Real
watchdog observer and git repository; each step waits on the settle counter.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import git, sample_records
from tests.test_break_watch7 import WAIT, settle, watching
from tests.test_watch_pages import TODAY, fresh_build, set_field, tree_files
from tests.watchkit import pages_for, wait_for

PAGES = "sortext-pages"


def _count(root: Path, ref: str) -> int:
    return int(git(root, "rev-list", "--count", ref).strip())


def _day_turns(
    root: Path, service: object, day: list[dt.date], to: dt.date, pages_before: int
) -> None:
    """Move the injected clock to ``to``; wait for the pages commit and the settle."""
    day[0] = to
    wait_for(
        lambda: _count(root, PAGES) > pages_before,
        WAIT,
        lambda: git(root, "log", "--oneline", "-3", PAGES),
    )
    settle(service, root)


def _check_day(
    root: Path, tmp: Path, cli: Callable[..., Result], head: str, main_count: int, on: dt.date
) -> None:
    assert git(root, "rev-parse", "main").strip() == head  # nothing on the records branch
    assert _count(root, "main") == main_count
    assert pages_for(root) == head
    message = git(root, "log", "-1", "--format=%B", PAGES)
    assert f"a new day: {on.isoformat()}" in message, message
    expected = fresh_build(root, head, tmp / f"build-{on}", cli, on.isoformat())
    assert tree_files(root, PAGES) == expected
    assert (root / "NEXT.md").read_bytes() == expected["NEXT.md"]


def test_midnight_publishes_the_new_days_pages_once(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    day = [dt.date.fromisoformat(TODAY)]
    with watching(root, today=lambda: day[0]) as service:
        set_field(root, "clients/amara-okafor.md", "stage", "review")
        wait_for(lambda: pages_for(root) == git(root, "rev-parse", "HEAD").strip(), WAIT)
        settle(service, root)
        head = git(root, "rev-parse", "HEAD").strip()
        main_count, pages_count = _count(root, "main"), _count(root, PAGES)
        tomorrow = day[0] + dt.timedelta(days=1)
        _day_turns(root, service, day, tomorrow, pages_count)
        assert _count(root, PAGES) == pages_count + 1  # one commit for the new day
        _check_day(root, tmp_path, cli, head, main_count, tomorrow)
        # a save the next day publishes as usual, built for that day
        set_field(root, "clients/jonas-weber.md", "name", "Jonas Next Day")
        wait_for(lambda: pages_for(root) == git(root, "rev-parse", "HEAD").strip(), WAIT)
        settle(service, root)
        head = git(root, "rev-parse", "HEAD").strip()
        expected = fresh_build(root, head, tmp_path / "next-save", cli, tomorrow.isoformat())
        assert tree_files(root, PAGES) == expected


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=3))
def test_each_new_day_publishes_that_days_pages(
    cli: Callable[..., Result], steps: list[int]
) -> None:
    """Property: any run of day changes (the next day, a weekend, a month or a year
    end) gives, after each, one pages commit equal to a fresh build for that day."""
    with tempfile.TemporaryDirectory() as base:
        tmp = Path(base)
        root = sample_records(tmp / "r")
        day = [dt.date(2026, 12, 30)]
        with watching(root, today=lambda: day[0]) as service:
            wait_for(lambda: pages_for(root) == git(root, "rev-parse", "HEAD").strip(), WAIT)
            settle(service, root)
            head = git(root, "rev-parse", "HEAD").strip()
            main_count = _count(root, "main")
            for step in steps:
                pages_count = _count(root, PAGES)
                on = day[0] + dt.timedelta(days=step)
                _day_turns(root, service, day, on, pages_count)
                assert _count(root, PAGES) == pages_count + 1
                _check_day(root, tmp, cli, head, main_count, on)
