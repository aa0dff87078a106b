"""The watcher's pages run on their own thread: a save's commit does not wait for the
pages of the save before it (issue 15, item 4: "one save, one parse, a bounded page
pass"), the commits stay in order, each batch is counted once its pages are done, and
the pages published are those of the newest commit (a fresh build of it)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from click.testing import Result

from sortext.check.load import Preparsed
from sortext.daemon.renderer import PagesRenderer
from sortext.repo import Repository
from tests.conftest import git
from tests.test_watch_pages import TODAY, fresh_build, set_field, tree_files
from tests.watchkit import wait_for

WAIT = 60.0


class HeldRenderer(PagesRenderer):
    """The real renderer, whose first update (one save's pages) waits for ``release``."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.holding = threading.Event()
        self.updates: list[list[str]] = []

    def update(
        self,
        repo: Repository,
        records: Sequence[Path],
        today: dt.date,
        ready: Preparsed | None = None,
    ) -> list[Path]:
        self.updates.append(sorted(p.name for p in records))
        if len(self.updates) == 1:
            self.holding.set()
            assert self.release.wait(WAIT), "the test never released the first page pass"
        return super().update(repo, records, today, ready)


def _commits(root: Path) -> list[str]:
    return git(root, "log", "--format=%s", "main").splitlines()


def test_a_save_commits_while_the_previous_saves_pages_are_rendered(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    from sortext.daemon.service import WatchService
    from sortext.repo import open_repository

    root = records_repo
    today = dt.date.fromisoformat(TODAY)
    renderer = HeldRenderer()
    service = WatchService(open_repository(root), renderer, lambda: today, debounce=0.05)
    ready = threading.Event()
    runner = threading.Thread(target=service.run, kwargs={"ready": ready.set}, daemon=True)
    runner.start()
    try:
        assert ready.wait(WAIT)
        start = service.wait_settled(0, WAIT)
        set_field(root, "clients/amara-okafor.md", "stage", "review")
        assert renderer.holding.wait(WAIT)  # committed; its pages are held
        assert _commits(root)[0] == "amara-okafor: stage active -> review"
        assert service.settled == start  # not counted before its pages are done
        set_field(root, "clients/jonas-weber.md", "owner", "maya")
        # the second save is committed while the first save's pages are still held
        wait_for(lambda: len(_commits(root)) == 3, WAIT, lambda: "\n".join(_commits(root)))
        assert not renderer.release.is_set() and service.settled == start
        newest, before = _commits(root)[:2]
        assert newest.startswith("jonas-weber: ") and "owner" in newest, newest
        assert before == "amara-okafor: stage active -> review"
        with service._settle_cond:  # both batches wait for their pages
            assert service._rendering == 2
        renderer.release.set()
        done = service.wait_settled(start + 1, WAIT)
        assert done == start + 2  # each batch counted once, after its pages
        assert renderer.updates == [["amara-okafor.md"], ["jonas-weber.md"]]
        head = git(root, "rev-parse", "HEAD").strip()
        wait_for(
            lambda: (
                git(root, "log", "-1", "--format=%s", "sortext-pages").strip()
                == f"pages for {head}"
            ),
            WAIT,
            lambda: git(root, "log", "--oneline", "sortext-pages"),
        )
    finally:
        renderer.release.set()
        service.stop()
        runner.join(WAIT)
    assert not runner.is_alive()
    # the pages published are exactly a fresh build of the newest commit
    expected = fresh_build(root, head, tmp_path / "fresh", cli)
    assert tree_files(root, "sortext-pages") == expected


def test_a_renames_two_halves_are_taken_in_one_batch(records_repo: Path) -> None:
    """The observer queues a rename as its destination (with where it came from), then
    its source, a moment apart: when the destination's quiet window ends first, the
    source still waiting is taken with it (one commit: renamed, not deleted apart),
    whichever half is due first; other paths keep their own windows."""
    from sortext.daemon.debounce import Debouncer
    from sortext.daemon.events import Change
    from sortext.daemon.service import WatchService
    from sortext.repo import open_repository

    clients = records_repo / "clients"
    src, dest, other = clients / "kai.md", clients / "kai-studio.md", clients / "amara.md"
    now = [0.0]
    for first, second in ((dest, src), (src, dest)):
        now[0] = 0.0
        debouncer: Debouncer[Path] = Debouncer(0.3, clock=lambda: now[0])
        service = WatchService(open_repository(records_repo), PagesRenderer(), dt.date.today)
        service._take(Change(dest, "record", src), debouncer)
        service._take(Change(other, "record"), debouncer)
        service._take(Change(src, "record"), debouncer)
        debouncer.touch(first, 0.3)
        debouncer.touch(second, 0.31)
        debouncer.touch(other, 0.31)
        now[0] = 0.305
        due = debouncer.due()
        assert due == [first]
        assert service._other_halves(due, debouncer) == [second]
        assert second not in debouncer and other in debouncer
