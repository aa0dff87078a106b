"""Break-tests of edges8 (the missing-record grace, the new day's publish, hard-linked
records, the leftovers' folders), with real parts: the real watchdog observer, real
git repositories in tmp dirs; every wait is on the settle counter or on git."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.daemon.state import read_json
from tests.conftest import git
from tests.test_break_watch7 import WAIT, GateRenderer, running, settle, watching, with_field
from tests.test_files import _dead_pid
from tests.test_watch_pages import TODAY
from tests.watchkit import wait_for

if TYPE_CHECKING:
    from sortext.daemon.renderer import PagesRenderer
    from sortext.daemon.service import WatchService

RECORD = "clients/amara-okafor.md"


def deletions(root: Path, rel: str = RECORD) -> list[str]:
    return git(root, "log", "--diff-filter=D", "--format=%s", "main", "--", rel).splitlines()


def head_names(root: Path) -> list[str]:
    return git(root, "ls-tree", "-r", "--name-only", "HEAD", "clients/").split()


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


def _linked_twin(root: Path, service: WatchService) -> Path:
    """RECORD hard-linked as clients/amara-twin.md, the new name committed and the
    watcher settled; the twin's path."""
    twin = root / "clients" / "amara-twin.md"
    os.link(root / RECORD, twin)
    wait_for(lambda: "clients/amara-twin.md" in head_names(root), WAIT)
    settle(service, root)
    return twin


def test_two_names_of_one_file_in_clients_are_committed_together(records_repo: Path) -> None:
    """A record hard-linked to another name in clients/: an edit through one name
    raises an event for that name only; the other name (same bytes now) is read and
    committed in the same commit, not at the next look for links (30 s later)."""
    root = records_repo
    with watching(root, debounce=0.05, rescan_every=3600.0) as service:
        _linked_twin(root, service)
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
    from types import SimpleNamespace

    from sortext.daemon.pipeline import MISSING_GRACE, NoPages, Pipeline
    from sortext.repo import open_repository
    from sortext.vcs.commit import GitRepo

    now = [1000.0]
    # the pipeline module's clock only (its ``time``), not the process's
    monkeypatch.setattr("sortext.daemon.pipeline.time", SimpleNamespace(monotonic=lambda: now[0]))
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


# -- a watcher whose day the test turns ------------------------------------------------


@dataclass
class Midnight:
    """A running watcher on ``root`` whose today is ``day[0]`` (TODAY at the start),
    which the test moves; ``renderer``: the GateRenderer given, if any."""

    root: Path
    service: WatchService
    day: list[dt.date]
    renderer: GateRenderer | None = None

    @property
    def gate(self) -> GateRenderer:
        assert self.renderer is not None, "this watcher has no gate"
        return self.renderer

    def held_midnight(self) -> None:
        """Arm the gate, move to the next day and wait until that day's page pass
        is held (the test releases it)."""
        self.gate.arm()
        self.day[0] += dt.timedelta(days=1)
        assert self.gate.holding.wait(WAIT)


@contextmanager
def turning(
    root: Path, renderer: PagesRenderer | None = None, **options: Any
) -> Iterator[Midnight]:
    """``running`` with a clock the test turns; ``options`` as ``running``'s."""
    day = [dt.date.fromisoformat(TODAY)]
    with running(root, renderer, lambda: day[0], **options) as (service, _stop):
        gate = renderer if isinstance(renderer, GateRenderer) else None
        yield Midnight(root, service, day, gate)


@pytest.fixture
def midnight(records_repo: Path) -> Iterator[Midnight]:
    """A watcher on records_repo with the service's own debounce, day turned by the test."""
    with turning(records_repo) as clock:
        yield clock


@pytest.fixture
def gated_midnight(records_repo: Path) -> Iterator[Midnight]:
    """A watcher on records_repo behind a GateRenderer (debounce 0.05 s), day turned by
    the test."""
    with turning(records_repo, GateRenderer(), debounce=0.05) as clock:
        yield clock


# -- a deletion during the grace, then something else -----------------------------------


def test_a_deletion_then_a_checkout_that_restores_it_commits_nothing(records_repo: Path) -> None:
    root = records_repo
    with running(root, debounce=0.02) as (service, _stop):
        before = git(root, "rev-parse", "HEAD").strip()
        mark = service.settled
        (root / RECORD).unlink()
        wait_pending(root, mark)
        git(root, "checkout", "--", RECORD)
        settle(service, root)
        assert git(root, "rev-parse", "HEAD").strip() == before
        assert deletions(root) == []


def test_a_deletion_then_the_users_own_git_rm_commit_is_one_deletion(records_repo: Path) -> None:
    root = records_repo
    with running(root, debounce=0.02) as (service, _stop):
        mark = service.settled
        (root / RECORD).unlink()
        wait_pending(root, mark)
        git(root, "rm", "-q", "--cached", RECORD)
        git(root, "commit", "-q", "-m", "remove amara by hand")
        settle(service, root)
        assert deletions(root) == ["remove amara by hand"], git(root, "log", "--oneline", "-4")
        assert not git(root, "status", "--porcelain", "--", "clients").strip()


def test_a_deletion_then_a_rename_onto_its_name_is_one_commit(records_repo: Path) -> None:
    root = records_repo
    other = root / "clients" / "jonas-weber.md"
    text = other.read_text(encoding="utf-8")
    with running(root, debounce=0.02) as (service, _stop):
        before = int(git(root, "rev-list", "--count", "HEAD"))
        mark = service.settled
        (root / RECORD).unlink()
        wait_pending(root, mark)
        os.replace(other, root / RECORD)
        settle(service, root)
        names = head_names(root)
        assert RECORD in names and "clients/jonas-weber.md" not in names
        assert git(root, "show", f"HEAD:{RECORD}") == text
        assert int(git(root, "rev-list", "--count", "HEAD")) == before + 1, git(
            root, "log", "--stat", "-3"
        )


def test_a_deletion_while_the_day_changes_is_committed_and_published(records_repo: Path) -> None:
    from tests.watchkit import pages_for

    root = records_repo
    with turning(root, debounce=0.02) as clock:
        service = clock.service
        mark = service.settled
        (root / RECORD).unlink()
        wait_pending(root, mark)
        clock.day[0] += dt.timedelta(days=1)
        wait_for(lambda: RECORD not in head_names(root), WAIT)
        settle(service, root)
        head = git(root, "rev-parse", "HEAD").strip()
        wait_for(lambda: pages_for(root) == head, WAIT)
        assert len(deletions(root)) == 1
        assert not (root / "site" / "clients" / "amara-okafor.html").exists()


# -- the new day's publish --------------------------------------------------------------

PAGES = "sortext-pages"


def _count(root: Path, ref: str) -> int:
    return int(git(root, "rev-list", "--count", ref).strip())


def _published(root: Path, service: Any) -> str:
    from tests.watchkit import pages_for

    settle(service, root)
    head = git(root, "rev-parse", "HEAD").strip()
    wait_for(lambda: pages_for(root) == head, WAIT, lambda: git(root, "log", "--oneline", PAGES))
    settle(service, root)
    return head


def _new_day(root: Path, service: Any, day: list[dt.date], to: dt.date, pages: int) -> None:
    day[0] = to
    wait_for(lambda: _count(root, PAGES) > pages, WAIT, lambda: git(root, "log", "-3", PAGES))
    settle(service, root)


def test_a_pages_branch_the_user_moved_back_gets_the_whole_new_day(
    midnight: Midnight, tmp_path: Path, cli: Any
) -> None:
    """The user resets the pages branch to an older pages commit; at midnight the
    watcher's incremental publish must not build on the pages it remembers."""
    from tests.test_watch_pages import fresh_build, set_field, tree_files

    root, service, day = midnight.root, midnight.service, midnight.day
    first_pages = git(root, "rev-parse", PAGES).strip()
    set_field(root, RECORD, "name", "Amara Renamed")
    head = _published(root, service)
    git(root, "branch", "-f", PAGES, first_pages)  # the user moves it back
    tomorrow = day[0] + dt.timedelta(days=1)
    _new_day(root, service, day, tomorrow, _count(root, PAGES))
    expected = fresh_build(root, head, tmp_path / "b", cli, tomorrow.isoformat())
    assert tree_files(root, PAGES) == expected


def test_a_day_set_back_publishes_that_days_pages(
    midnight: Midnight, tmp_path: Path, cli: Any
) -> None:
    from tests.test_watch_pages import fresh_build, tree_files

    root, service, day = midnight.root, midnight.service, midnight.day
    head = _published(root, service)
    yesterday = day[0] - dt.timedelta(days=1)
    _new_day(root, service, day, yesterday, _count(root, PAGES))
    assert f"a new day: {yesterday.isoformat()}" in git(root, "log", "-1", "--format=%B", PAGES)
    expected = fresh_build(root, head, tmp_path / "b", cli, yesterday.isoformat())
    assert tree_files(root, PAGES) == expected
    assert git(root, "rev-parse", "main").strip() == head


def test_a_new_day_with_pages_off_creates_no_pages_branch(records_repo: Path) -> None:
    root = records_repo
    config = root / "sortext.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "\npages: false\n", encoding="utf-8")
    git(root, "commit", "-q", "-am", "pages off")
    with turning(root) as clock:
        service, day = clock.service, clock.day
        settle(service, root)
        mark = service.settled
        head = git(root, "rev-parse", "HEAD").strip()
        day[0] += dt.timedelta(days=1)
        service.wait_settled(mark, WAIT)  # the new day's page pass
        assert git(root, "branch", "--list", PAGES).strip() == ""
        assert git(root, "rev-parse", "HEAD").strip() == head


def test_an_old_commit_checked_out_keeps_the_newest_pages_across_midnight(
    midnight: Midnight,
) -> None:
    from tests.test_watch_pages import set_field
    from tests.watchkit import pages_for

    root, service, day = midnight.root, midnight.service, midnight.day
    old = git(root, "rev-parse", "HEAD").strip()
    set_field(root, RECORD, "name", "Amara Newest")
    newest = _published(root, service)
    mark = service.settled
    git(root, "checkout", "-q", "--detach", old)
    service.wait_settled(mark, WAIT)
    settle(service, root)
    mark = service.settled
    day[0] += dt.timedelta(days=1)
    service.wait_settled(mark, WAIT)  # the new day's page pass, for the old commit
    settle(service, root)
    assert pages_for(root) == newest
    assert "Amara Newest" in git(root, "show", f"{PAGES}:site/clients/amara-okafor.html")


def test_two_midnights_during_one_page_pass_publish_the_last_day(
    gated_midnight: Midnight, tmp_path: Path, cli: Any
) -> None:
    from tests.test_watch_pages import fresh_build, tree_files
    from tests.watchkit import pages_for

    root, service, day = gated_midnight.root, gated_midnight.service, gated_midnight.day
    renderer = gated_midnight.gate
    head = _published(root, service)
    gated_midnight.held_midnight()  # the first midnight's rebuild, held
    day[0] += dt.timedelta(days=1)
    renderer.release.set()
    last = day[0].isoformat()
    wait_for(
        lambda: f"a new day: {last}" in git(root, "log", "-1", "--format=%B", PAGES),
        WAIT,
        lambda: git(root, "log", "-3", "--format=%B", PAGES),
    )
    settle(service, root)
    assert pages_for(root) == head
    assert tree_files(root, PAGES) == fresh_build(root, head, tmp_path / "b", cli, last)


def test_a_save_during_the_new_days_page_pass_is_published_for_the_new_day(
    gated_midnight: Midnight, tmp_path: Path, cli: Any
) -> None:
    from tests.test_watch_pages import fresh_build, set_field, tree_files

    root, service, day = gated_midnight.root, gated_midnight.service, gated_midnight.day
    renderer = gated_midnight.gate
    _published(root, service)
    gated_midnight.held_midnight()
    set_field(root, RECORD, "name", "Amara After Midnight")
    wait_for(lambda: "Amara After Midnight" in git(root, "show", f"HEAD:{RECORD}"), WAIT)
    renderer.release.set()
    head = _published(root, service)
    expected = fresh_build(root, head, tmp_path / "b", cli, day[0].isoformat())
    assert tree_files(root, PAGES) == expected


@settings(max_examples=200, deadline=None)
@given(
    stem=st.text(alphabet="abcxyz-_.", min_size=1, max_size=12),
    suffix=st.sampled_from(["", ".txt", ".xlsx", ".md", ".csv", ".html"]),
    number=st.integers(min_value=0, max_value=99_999_999),
)
def test_an_other_programs_dot_tmp_name_is_not_a_leftover(
    stem: str, suffix: str, number: int
) -> None:
    """Property: ``.<stem><suffix>.<number>.tmp`` counts as an old sortext write only
    with a suffix such a write had and a number that can be a pid."""
    from sortext.daemon.leftovers import PID_MAX_LIMIT, is_leftover

    name = f".{stem}{suffix}.{number}.tmp"
    if is_leftover(name):
        assert suffix in (".md", ".csv", ".html") or stem.endswith(
            (".md", ".csv", ".html", ".json", ".ics", ".css")
        )
        assert number <= PID_MAX_LIMIT


def test_sigterm_to_a_real_watcher_during_the_grace_commits_the_deletion(
    records_repo: Path,
) -> None:
    """The real ``sortext watch`` process, stopped with SIGTERM (a shutdown) while a
    deleted record waits for its grace: the deletion is committed before it exits."""
    import signal

    from tests.watchkit import Daemon, idle_mark

    root = records_repo
    daemon = Daemon(root, debounce_ms=20)
    try:
        daemon.wait_ready()
        mark = idle_mark(root, daemon)
        (root / RECORD).unlink()
        wait_pending(root, mark)
        assert daemon.stop(signal.SIGTERM) == 0, daemon.log
    finally:
        daemon.stop()
    assert RECORD not in head_names(root), daemon.log
    assert len(deletions(root)) == 1


def test_removing_the_second_name_gives_the_vouch_back_without_waiting_for_a_look(
    records_repo: Path,
) -> None:
    """A second name made in clients/ while the watcher runs is seen as a link by the
    batch that commits it (before, only at the next look for links, 30 s later, and
    the watcher vouched for an index whose other name could go stale meanwhile); the
    second name removed: its deletion is committed, the record keeps its one name,
    and the watcher vouches again after that batch."""
    from sortext.daemon.service import WatchService
    from sortext.files import watchmark

    root = records_repo
    with watching(root, debounce=0.05, rescan_every=3600.0) as service:
        twin = _linked_twin(root, service)
        # the batch that committed the new name saw its links (no vouch while linked)
        assert isinstance(service, WatchService)
        assert set(service._linked) == {root / RECORD, twin}
        twin.unlink()
        wait_for(lambda: "clients/amara-twin.md" not in head_names(root), WAIT)
        settle(service, root)
        assert RECORD in head_names(root)
        assert service._linked == {}
        wait_for(lambda: watchmark.vouched(root, root / "clients"), 10.0)


def test_a_backup_tools_links_never_put_other_records_into_a_saves_commit(
    records_repo: Path, tmp_path: Path
) -> None:
    """A backup tool hard-links every record into its snapshot folder; a record is
    edited through its snapshot name (no event), then another record is saved in
    clients/.  The save's commit holds the saved record only; the other edit, found
    by the look for links that save made, is read and committed on its own."""
    root = records_repo
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    other = "clients/kai-nakamura.md"
    with watching(root, debounce=0.05, rescan_every=3600.0) as service:
        for path in sorted((root / "clients").glob("*.md")):
            os.link(path, snapshot / path.name)
        through = snapshot / "kai-nakamura.md"
        _edit_in_place(through, with_field(through, "name", "Kai Through The Snapshot"))
        path = root / RECORD
        _edit_in_place(path, with_field(path, "name", "Amara Saved"))
        wait_for(lambda: "Kai Through The Snapshot" in git(root, "show", f"HEAD:{other}"), WAIT)
        wait_for(lambda: "Amara Saved" in git(root, "show", f"HEAD:{RECORD}"), WAIT)
        settle(service, root)
        saved = git(root, "log", "-1", "--format=%H", "--", RECORD).strip()
        assert git(root, "show", "--name-only", "--format=", saved).split() == [RECORD]


def _emptied(root: Path, service: WatchService) -> None:
    """Until HEAD names no record (the folder's deletions committed), then settled."""
    wait_for(lambda: head_names(root) == [], WAIT, lambda: git(root, "log", "--stat", "-2"))
    settle(service, root)


def _back_and_watched(root: Path, service: WatchService, names: list[str], name: str) -> None:
    """Until HEAD names ``names`` again (the folder back and committed); then a save of
    RECORD's ``name`` is committed (the folder is watched) and settled."""
    from tests.test_watch_pages import set_field

    wait_for(lambda: head_names(root) == names, WAIT, lambda: git(root, "status"))
    set_field(root, RECORD, "name", name)
    wait_for(lambda: name in git(root, "show", f"HEAD:{RECORD}"), WAIT)
    settle(service, root)


def test_the_clients_folder_deleted_and_restored_is_watched_again(records_repo: Path) -> None:
    """``rm -rf clients`` (every deletion committed), then ``git checkout HEAD~1 --
    clients``: the watcher watches the new folder (its watch had followed the deleted
    one, so nothing saved there was ever committed again until a restart), commits the
    restored records, and commits the next save."""
    import shutil

    root = records_repo
    with running(root, debounce=0.05) as (service, _stop):
        names = head_names(root)
        shutil.rmtree(root / "clients")
        _emptied(root, service)
        git(root, "checkout", "HEAD~1", "--", "clients")
        _back_and_watched(root, service, names, "Amara Watched Again")


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    debounce=st.sampled_from([0.0, 0.02, 0.1, 0.3]),
    gaps=st.lists(st.sampled_from([0.0, 0.01, 0.05, 0.2]), min_size=2, max_size=40),
)
def test_deletions_one_after_another_are_one_commit(debounce: float, gaps: list[float]) -> None:
    """Property: any debounce, records deleted one after another with gaps up to 0.2 s
    (all within one grace of each other): one commit deletes them all."""
    import tempfile

    from tests.conftest import sample_records

    with tempfile.TemporaryDirectory() as tmp:
        root = sample_records(Path(tmp) / "r")
        text = (root / RECORD).read_text(encoding="utf-8")
        many = [root / "clients" / f"bulk-{i:03d}.md" for i in range(len(gaps))]
        for path in many:
            path.write_text(text, encoding="utf-8")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "bulk")
        spread = 0.0
        with watching(root, debounce=debounce) as service:
            before = int(git(root, "rev-list", "--count", "HEAD"))
            for path, gap in zip(many, gaps, strict=True):
                path.unlink()
                time.sleep(gap)  # the user's pace, not a wait for the watcher
                spread += gap
            wait_for(lambda: not any("bulk-" in n for n in head_names(root)), WAIT)
            settle(service, root)
            made = int(git(root, "rev-list", "--count", "HEAD")) - before
            if spread < 0.8:  # every one found missing within the first one's grace
                assert made == 1, (debounce, gaps, git(root, "log", "--format=%s", "-5"))


_WRITER = """
import os, sys
from pathlib import Path
sys.path.insert(0, {project!r})
from sortext.files import write
target = Path({target!r})
real = os.replace

def held(src, dst):  # the writer is between its write and its rename: it waits here
    print(os.getpid(), flush=True)
    sys.stdin.readline()
    real(src, dst)

write.os.replace = held
write.atomic_write(target, b"an export written from another container")
print("written", flush=True)
"""


def _unshare() -> str | None:
    import shutil
    import subprocess

    found = shutil.which("unshare")
    if found is None:
        return None
    probe = subprocess.run([found, "-p", "-f", "true"], capture_output=True)
    return found if probe.returncode == 0 else None


def test_a_writer_in_another_pid_namespace_keeps_its_temp_file(
    records_repo: Path,
) -> None:
    """A sortext writing into the repository from another container (its own pid
    namespace: its pid means nothing here, or another process) is mid-write when a
    watcher starts: its temp file is not removed (it holds a lock on it while
    writing), and its rename then lands."""
    import subprocess
    import sys

    import pytest

    from sortext.daemon.leftovers import remove_leftovers, write_folders
    from sortext.files.write import pid_alive
    from sortext.repo import open_repository

    unshare = _unshare()
    if unshare is None:
        pytest.skip("no pid namespaces here (unshare -p)")
    root = records_repo
    repo = _export_repo(root)
    target = root / "exports" / "clients.csv"
    project = str(Path(__file__).resolve().parents[1])
    code = _WRITER.format(project=project, target=str(target))
    # ten short-lived processes first: the writer's pid in its namespace is then one
    # that no process of this namespace may have (a pid that is "not alive" here)
    shell = 'for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done; "$0" -c "$1"'
    writer = subprocess.Popen(
        [unshare, "-p", "-f", "sh", "-c", shell, sys.executable, code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdin is not None
        inner = int(writer.stdout.readline())
        if pid_alive(inner):  # a process here has that pid: the case does not arise
            pytest.skip(f"pid {inner} is taken in this namespace too")
        temps = list((root / "exports").glob(".clients.csv.sortext-tmp-*"))
        assert [t.name for t in temps] == [
            f".clients.csv.sortext-tmp-{inner}-{t.name[-8:]}" for t in temps
        ]
        remove_leftovers(write_folders(open_repository(root), root / ".git"))
        assert all(t.exists() for t in temps)
        writer.stdin.write("\n")
        writer.stdin.flush()
        assert writer.stdout.readline().strip() == "written"
    finally:
        writer.kill()
        writer.wait()
    assert target.read_bytes() == b"an export written from another container"
    del repo


def test_the_clients_folder_moved_away_and_back(records_repo: Path, tmp_path: Path) -> None:
    """``mv clients`` out of the repository: no event names a record (only the folder
    moved), so the records' deletions were never committed (and the watch followed the
    folder out).  Now they are committed as one change; moved back, the folder is
    watched again and the records are committed anew, and the next save too."""
    root = records_repo
    with running(root, debounce=0.05) as (service, _stop):
        names = head_names(root)
        before = int(git(root, "rev-list", "--count", "HEAD"))
        os.rename(root / "clients", tmp_path / "away")
        _emptied(root, service)
        assert int(git(root, "rev-list", "--count", "HEAD")) == before + 1
        os.rename(tmp_path / "away", root / "clients")
        _back_and_watched(root, service, names, "Amara Moved Back")


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(names=st.integers(min_value=2, max_value=4), through=st.integers(min_value=0, max_value=3))
def test_any_name_of_a_linked_record_commits_all_its_names(names: int, through: int) -> None:
    """Property: a file with 2-4 names in clients/, edited in place through any one of
    them: one commit holds the edit under every name."""
    import tempfile

    from tests.conftest import sample_records

    with tempfile.TemporaryDirectory() as tmp:
        root = sample_records(Path(tmp) / "r")
        paths = [root / RECORD] + [root / "clients" / f"amara-{i}.md" for i in range(1, names)]
        for path in paths[1:]:
            os.link(paths[0], path)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "linked names")
        with watching(root, debounce=0.05, rescan_every=3600.0) as service:
            before = int(git(root, "rev-list", "--count", "HEAD"))
            edited = paths[through % names]
            _edit_in_place(edited, with_field(edited, "name", "Amara Any Name"))
            rels = [f"clients/{p.name}" for p in paths]
            wait_for(
                lambda: all("Amara Any Name" in git(root, "show", f"HEAD:{r}") for r in rels),
                15.0,
                lambda: git(root, "log", "--stat", "-3"),
            )
            settle(service, root)
            assert int(git(root, "rev-list", "--count", "HEAD")) == before + 1


def test_the_clients_folder_deleted_moved_and_restored_with_the_polling_observer(
    records_repo: Path, tmp_path: Path
) -> None:
    """The same with ``--poll`` (the polling observer, for network folders)."""
    import shutil

    from tests.test_watch_pages import set_field

    root = records_repo
    with running(root, debounce=0.05, poll=True) as (service, _stop):
        names = head_names(root)
        shutil.rmtree(root / "clients")
        wait_for(lambda: head_names(root) == [], WAIT)
        git(root, "checkout", "HEAD~1", "--", "clients")
        wait_for(lambda: head_names(root) == names, WAIT, lambda: git(root, "status"))
        set_field(root, RECORD, "name", "Amara Polled")
        wait_for(lambda: "Amara Polled" in git(root, "show", f"HEAD:{RECORD}"), WAIT)
        os.rename(root / "clients", tmp_path / "away")
        wait_for(lambda: head_names(root) == [], WAIT)
        os.rename(tmp_path / "away", root / "clients")
        wait_for(lambda: head_names(root) == names, WAIT, lambda: git(root, "status"))
        settle(service, root)
