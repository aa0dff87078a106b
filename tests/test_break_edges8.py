"""Break-tests of edges8 (the missing-record grace, the new day's publish, hard-linked
records, the leftovers' folders), with real parts: the real watchdog observer, real
git repositories in tmp dirs; every wait is on the settle counter or on git."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sortext.daemon.state import read_json
from tests.conftest import git
from tests.test_break_watch7 import WAIT, settle, watching, with_field
from tests.test_watch_pages import TODAY
from tests.watchkit import wait_for

RECORD = "clients/amara-okafor.md"


def deletions(root: Path, rel: str = RECORD) -> list[str]:
    return git(root, "log", "--diff-filter=D", "--format=%s", "main", "--", rel).splitlines()


def head_names(root: Path) -> list[str]:
    return git(root, "ls-tree", "-r", "--name-only", "HEAD", "clients/").split()


@contextmanager
def running(root: Path, **options: Any) -> Iterator[Any]:
    """A WatchService on a thread (ready and settled) that the test stops itself:
    yields (service, stop) where ``stop()`` asks it to finish and joins it."""
    from sortext.daemon.renderer import PagesRenderer
    from sortext.daemon.service import WatchService
    from sortext.repo import open_repository

    day = dt.date.fromisoformat(TODAY)
    service = WatchService(
        open_repository(root), PagesRenderer(), options.pop("today", lambda: day), **options
    )
    ready = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            service.run(ready=ready.set)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()

    def stop() -> None:
        service.stop()
        runner.join(WAIT)
        assert not runner.is_alive(), "the watcher did not stop"

    try:
        assert ready.wait(WAIT), errors
        service.wait_settled(0, WAIT)
        yield service, stop
    finally:
        stop()
    assert not errors, errors


def wait_pending(root: Path, after: int) -> None:
    """Until a batch after ``after`` settled with a change still pending (a record
    found missing, held for its grace)."""

    def holding() -> bool:
        state = read_json(root / ".sortext" / "watch.json")
        count = state.get("settled")
        pending = state.get("pending")
        return isinstance(count, int) and count > after and isinstance(pending, int) and pending > 0

    wait_for(holding, WAIT, lambda: str(read_json(root / ".sortext" / "watch.json")))


# -- the missing record's grace ---------------------------------------------------------


def test_a_deletion_pending_its_grace_at_stop_is_committed_before_exit(
    records_repo: Path,
) -> None:
    """The loop settles pending changes before exit: a record found missing and held
    for its grace is one of them (its deletion is not left to the next start)."""
    root = records_repo
    with running(root, debounce=0.02) as (service, stop):
        mark = service.settled
        (root / RECORD).unlink()
        wait_pending(root, mark)
        stop()
        assert RECORD not in head_names(root), git(root, "log", "--stat", "-2")
        assert len(deletions(root)) == 1


# -- hard-linked records ---------------------------------------------------------------


def _edit_in_place(path: Path, text: str) -> None:
    with open(path, "r+", encoding="utf-8") as handle:
        handle.write(text)
        handle.truncate()


def test_two_names_of_one_file_in_clients_are_committed_together(records_repo: Path) -> None:
    """A record hard-linked to another name in clients/: an edit through one name
    raises an event for that name only; the other name (same bytes now) is read and
    committed in the same commit, not at the next look for links (30 s later)."""
    root = records_repo
    twin = root / "clients" / "amara-twin.md"
    with watching(root, debounce=0.05, rescan_every=3600.0) as service:
        os.link(root / RECORD, twin)
        wait_for(lambda: "clients/amara-twin.md" in head_names(root), WAIT)
        settle(service, root)
        before = int(git(root, "rev-list", "--count", "HEAD"))
        path = root / RECORD
        _edit_in_place(path, with_field(path, "name", "Amara Through One Name"))
        wait_for(
            lambda: "Amara Through One Name" in git(root, "show", "HEAD:clients/amara-twin.md"),
            15.0,
            lambda: git(root, "log", "--stat", "-3"),
        )
        settle(service, root)
        assert "Amara Through One Name" in git(root, "show", f"HEAD:{RECORD}")
        assert int(git(root, "rev-list", "--count", "HEAD")) == before + 1
        page = root / "site" / "clients" / "amara-twin.html"
        assert "Amara Through One Name" in page.read_text(encoding="utf-8")


# -- the leftovers' folders ------------------------------------------------------------


def _dead_pid() -> int:
    import subprocess

    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _export_repo(root: Path) -> Any:
    from sortext.repo import open_repository

    config = root / "sortext.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "\nexports:\n  exports/clients.csv: csv\n",
        encoding="utf-8",
    )
    (root / "exports").mkdir()
    return open_repository(root)


def test_a_users_file_named_like_an_old_temp_file_is_kept(records_repo: Path) -> None:
    """The old writers' ``.<name>.<pid>.tmp`` is recognised only where an old sortext
    wrote it: its own folders (site/, .sortext/) and beside the files it writes in the
    user's folders (NEXT.md in the root, an export in its folder).  A user's or another
    program's ``.invoice.20261130.tmp`` (a date, never a live pid) in the repository
    root, clients/ or a shared export folder is not sortext's to delete."""
    from sortext.daemon.leftovers import remove_leftovers, write_folders

    root = records_repo
    repo = _export_repo(root)
    dead = _dead_pid()
    theirs = [
        root / ".invoice.20261130.tmp",
        root / "clients" / ".amara-okafor.md.20261130.tmp",
        root / "exports" / ".report.xlsx.20261130.tmp",
    ]
    ours = [
        root / f".NEXT.md.{dead}.tmp",
        root / "exports" / f".clients.csv.{dead}.tmp",
        root / "site" / "clients" / f".amara-okafor.html.{dead}.tmp",
    ]
    for path in theirs + ours:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("someone's bytes")
    removed = remove_leftovers(write_folders(repo, root / ".git"))
    assert [p for p in theirs if not p.exists()] == []
    assert sorted(removed) == sorted(ours)


def test_an_inbox_linked_out_of_the_repository_is_not_cleaned(
    records_repo: Path, tmp_path: Path
) -> None:
    from sortext.daemon.leftovers import remove_leftovers, write_folders
    from sortext.repo import open_repository

    root = records_repo
    outside = tmp_path / "shared-inbox"
    outside.mkdir()
    theirs = outside / f".mail.eml.sortext-tmp-{_dead_pid()}-0badf00d"
    theirs.write_text("another checkout's write")
    (root / "inbox").symlink_to(outside, target_is_directory=True)
    remove_leftovers(write_folders(open_repository(root), root / ".git"))
    assert theirs.exists()


def test_500_records_deleted_at_once_are_one_commit(records_repo: Path) -> None:
    """``rm clients/*`` of 500 records: every deletion committed, none twice, in one
    commit (each path's grace starts at its own first look; their retries must come
    due together), within a few seconds."""
    root = records_repo
    text = (root / RECORD).read_text(encoding="utf-8")
    many = [root / "clients" / f"bulk-{i:03d}.md" for i in range(500)]
    for path in many:
        path.write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "500 records")
    with watching(root, debounce=0.05) as service:
        before = int(git(root, "rev-list", "--count", "HEAD"))
        started = time.monotonic()
        for path in many:
            path.unlink()
        wait_for(lambda: not any(n.startswith("clients/bulk-") for n in head_names(root)), WAIT)
        took = time.monotonic() - started
        settle(service, root)
        made = int(git(root, "rev-list", "--count", "HEAD")) - before
        gone = git(root, "log", "--diff-filter=D", "--name-only", "--format=", "main")
        assert sorted(gone.split()) == sorted(f"clients/{p.name}" for p in many)
        assert made == 1, (made, took, git(root, "log", "--format=%s", f"-{made}"))
        assert took < 10.0, took


def test_a_stream_of_deletions_does_not_hold_the_first_for_ever(
    records_repo: Path, monkeypatch: Any
) -> None:
    """The shared grace ends at the last missing record's grace, but never later than
    twice the grace from a record's own first look (a clock stepped by hand)."""
    from sortext.daemon import pipeline as pipeline_module
    from sortext.daemon.pipeline import MISSING_GRACE, NoPages, Pipeline
    from sortext.repo import open_repository
    from sortext.vcs.commit import GitRepo

    now = [1000.0]
    monkeypatch.setattr(pipeline_module.time, "monotonic", lambda: now[0])
    repo_git = GitRepo.open(records_repo)
    try:
        pipe = Pipeline(open_repository(records_repo), repo_git, NoPages(), lambda: dt.date.today())
        assert pipe._missing_wait("clients/a.md") == MISSING_GRACE
        waits: list[float] = []
        for i in range(1, 20):  # another record goes missing every half grace
            now[0] += MISSING_GRACE / 2
            pipe._missing_wait(f"clients/b{i}.md")
            waits.append(pipe._missing_wait("clients/a.md"))
        # it waits for each one found after it, but not past twice its own grace
        assert waits[:4] == [MISSING_GRACE, MISSING_GRACE, MISSING_GRACE / 2, 0.0]
    finally:
        repo_git.close()
