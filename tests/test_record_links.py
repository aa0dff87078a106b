"""Records whose bytes could change without their own ``lstat`` changing (edges7, item 1).

The change finder compares each entry of the clients folder by its own ``lstat``
(``sortext/store/scan.py``, and the index's stored stat).  A record that was a
symbolic link was read through the link: deleting, renaming or editing the file it
led to changed nothing the finder looks at, so an incremental query kept the old
answer while a cold build said "file not found" or read the new target.

The class: any record whose content is not its own entry's (a link to a file, to a
link, to a folder, to nowhere, out of the repository; a clients folder that is a
link).  What sortext does, following git (which stores a link as the path it holds,
never as the file it leads to): a record that is a symbolic link is an error and is
never read, wherever it leads; a clients folder (or a folder on its way) that is a
link is refused.  Both depend on the entries alone, so incremental and cold agree.
The property test generates sequences of create/edit/delete/retarget operations on
links and targets and compares an incremental index with a cold one after each.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.cli import main as cli_main
from sortext.record.source import LINK_PROBLEM
from sortext.repo import open_repository
from sortext.store import scan
from sortext.store.index import Index
from tests.conftest import PROJECT_ROOT, wait_for_clock

Cli = Callable[..., Result]
WINDOW_NS = 30_000_000  # the racy window, shortened so that files settle within a test


def _record(n: int, pad: int = 0) -> bytes:
    return f"---\nname: Client {n}\nstage: inquiry\n---\n\nNote {n}.{'x' * pad}\n".encode()


def _repo(base: Path) -> Path:
    root = base / "records"
    (root / "clients").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml", root / "sortext.yaml")
    return root


def _rows(root: Path, build: bool = False) -> dict[str, tuple[Any, ...]]:
    """What the index under ``root`` says of each file, after a refresh (a query's,
    or with ``build`` a build's: the stat pass's names, then those alone): its current
    problems always, and its record when the row is not a kept stale version (an
    incremental index keeps the last valid version of a file gone bad; a cold one
    never saw it)."""
    with Index.open(open_repository(root)) as index:
        if build:
            index.refresh(only=index.stat_changes())
        else:
            index.refresh()
        found = index.conn.execute(
            "SELECT f.path, f.stale, f.record_id, f.ok, r.diagnostics, r.doc "
            "FROM files f JOIN records r USING (path) ORDER BY f.path"
        ).fetchall()
    return {
        path: (diags,) if stale else (diags, rid, ok, doc)
        for path, stale, rid, ok, diags, doc in found
    }


def _cold(root: Path) -> dict[str, tuple[Any, ...]]:
    """The rows of an index built from nothing, the incremental one kept aside."""
    state = root / ".sortext"
    aside = root.parent / "state-aside"
    os.replace(state, aside)
    try:
        return _rows(root)
    finally:
        shutil.rmtree(state, ignore_errors=True)
        os.replace(aside, state)


def _stale_view(rows: dict[str, tuple[Any, ...]]) -> dict[str, Any]:
    return {path: row[0] for path, row in rows.items()}


def _agree(root: Path, build: bool = False) -> dict[str, tuple[Any, ...]]:
    incremental = _rows(root, build)
    cold = _cold(root)
    assert _stale_view(incremental) == _stale_view(cold)
    for path, row in incremental.items():
        if len(row) > 1:  # not a kept stale version
            assert row == cold[path], path
    return incremental


@pytest.fixture
def short_window(monkeypatch: pytest.MonkeyPatch) -> None:
    import sortext.store.index as index_module

    monkeypatch.setattr(scan, "RACY_WINDOW_NS", WINDOW_NS)
    monkeypatch.setattr(index_module, "RACY_WINDOW_NS", WINDOW_NS)


def _let_window_pass() -> None:
    """Every file written so far is past the (shortened) racy window."""
    wait_for_clock(time.time_ns() + WINDOW_NS + 5_000_000)


# -- the example --------------------------------------------------------------------


def test_a_link_whose_target_is_deleted_reads_the_same_incremental_and_cold(
    tmp_path: Path,
) -> None:
    """The reported case: bob.md -> ann.md, indexed, then ann.md deleted.  The
    incremental query dropped bob while a cold build said 'file not found'; now
    both say bob.md is a link (and never read it), before and after."""
    root = _repo(tmp_path)
    clients = root / "clients"
    (clients / "ann.md").write_bytes(_record(1))
    (clients / "bob.md").symlink_to("ann.md")
    rows = _agree(root)
    assert LINK_PROBLEM in rows["clients/bob.md"][0]
    assert rows["clients/bob.md"][1:3] == (None, 0)  # no record read through it
    (clients / "ann.md").unlink()
    rows = _agree(root)
    assert LINK_PROBLEM in rows["clients/bob.md"][0]
    assert "clients/ann.md" not in rows


@pytest.mark.parametrize(
    "target",
    ["ann.md", "chain.md", "missing.md", "folder.md", "self.md", "OUTSIDE", "sub"],
)
def test_every_kind_of_link_is_one_error_in_check(cli: Cli, tmp_path: Path, target: str) -> None:
    """A record that is a link to a record, to a link, to nothing, to a folder, to
    itself, out of the repository, or into a sub-folder: check names it with the one
    message, and nothing of what it leads to is shown."""
    root = _repo(tmp_path)
    clients = root / "clients"
    (clients / "ann.md").write_bytes(_record(1))
    (clients / "chain.md").symlink_to("ann.md")
    (clients / "folder.md").mkdir()
    (clients / "sub").mkdir()
    (clients / "sub" / "deep.md").write_bytes(_record(4).replace(b"Client 4", b"Deep Secret"))
    outside = tmp_path / "outside.md"
    outside.write_bytes(_record(3).replace(b"Client 3", b"Outside Secret"))
    lead = {"OUTSIDE": str(outside), "self.md": "bob.md", "sub": "sub/deep.md"}.get(target, target)
    (clients / "bob.md").symlink_to(lead)
    result = cli("check", "--repo", str(root))
    assert f"clients/bob.md:1:1: error: file: {LINK_PROBLEM}" in result.output
    assert "Secret" not in result.output
    assert result.exit_code == 1
    assert "internal error" not in result.output


def test_a_clients_folder_that_is_a_link_inside_the_repository_is_refused(
    cli: Cli, tmp_path: Path
) -> None:
    """``clients`` a link to ``data/people`` (inside the repository): git would commit
    the link and the records under data/people, while sortext named them
    clients/x.md; every command now refuses it, naming the link and the fix."""
    root = _repo(tmp_path)
    (root / "data").mkdir()
    os.replace(root / "clients", root / "data" / "people")
    (root / "data" / "people" / "ann.md").write_bytes(_record(1))
    (root / "clients").symlink_to("data/people")
    for args in (["list"], ["check"], ["set", "ann", "company=X"]):
        result = cli(*args, "--repo", str(root))
        assert result.exit_code == 2, result.output
        assert "clients: is a symbolic link" in result.output
        assert "set clients_dir" in result.output
    config = (root / "sortext.yaml").read_text()
    (root / "sortext.yaml").write_text(
        config.replace("clients_dir: clients", "clients_dir: data/people")
    )
    assert cli("list", "--repo", str(root)).exit_code == 0


def test_a_folder_on_the_way_to_the_clients_folder_that_is_a_link_is_refused(
    cli: Cli, tmp_path: Path
) -> None:
    root = _repo(tmp_path)
    (root / "store" / "people").mkdir(parents=True)
    (root / "data").symlink_to("store")
    config = (root / "sortext.yaml").read_text()
    (root / "sortext.yaml").write_text(
        config.replace("clients_dir: clients", "clients_dir: data/people")
    )
    result = cli("list", "--repo", str(root))
    assert result.exit_code == 2, result.output
    assert "data: is a symbolic link" in result.output


def test_the_watcher_reports_a_link_and_commits_nothing_for_it(
    records_repo: Path,
) -> None:
    """The watcher took a record turned into a link for its deletion (it commits no
    link's target bytes, and read it as gone): now it is the same error check
    reports, HEAD keeps the last committed version."""
    import datetime as dt

    from sortext.daemon.events import Change
    from sortext.daemon.pipeline import NoPages, Pipeline
    from sortext.vcs.commit import GitRepo
    from tests.conftest import git

    path = records_repo / "clients" / "elena-marsh.md"
    before = git(records_repo, "rev-parse", "HEAD")
    pipeline = Pipeline(
        open_repository(records_repo),
        GitRepo.open(records_repo),
        NoPages(),
        lambda: dt.date(2026, 11, 30),
    )
    pipeline.start()
    path.unlink()
    path.symlink_to("amara-okafor.md")
    result = pipeline.settle([Change(path, "record")])
    assert result.commit is None
    assert result.invalid == ["clients/elena-marsh.md"]
    assert LINK_PROBLEM in pipeline.errors["clients/elena-marsh.md"][0].message
    assert git(records_repo, "rev-parse", "HEAD") == before
    assert "elena-marsh.md" in git(records_repo, "ls-files", "clients")


# -- the property -------------------------------------------------------------------

TARGETS = ["a.md", "b.md"]
LINKS = ["l1.md", "l2.md"]
LEADS = [*TARGETS, *LINKS, "gone.md", "dir.md", "OUTSIDE", "sub/s.md"]

step_st = st.one_of(
    st.tuples(
        st.just("write"), st.sampled_from([*TARGETS, "OUTSIDE", "sub/s.md"]), st.integers(0, 9)
    ),
    st.tuples(st.just("same_size"), st.sampled_from([*TARGETS, "OUTSIDE"])),  # mtime put back
    st.tuples(st.just("delete"), st.sampled_from([*TARGETS, *LINKS, "OUTSIDE"])),
    st.tuples(st.just("rename"), st.sampled_from(TARGETS), st.sampled_from(TARGETS)),
    st.tuples(st.just("link"), st.sampled_from([*LINKS, *TARGETS]), st.sampled_from(LEADS)),
    st.tuples(st.just("pass_window")),
)


def _apply(step: tuple[Any, ...], root: Path, outside: Path) -> None:
    clients = root / "clients"

    def at(name: str) -> Path:
        return outside if name == "OUTSIDE" else clients / name

    kind = step[0]
    if kind == "write":
        path = at(step[1])
        if not path.is_symlink():
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(_record(step[2], step[2]))
    elif kind == "same_size":
        path = at(step[1])
        if path.is_file() and not path.is_symlink():
            before = path.stat()
            data = bytearray(path.read_bytes())
            data[-2] = ord("y") if data[-2] != ord("y") else ord("z")
            path.write_bytes(bytes(data))
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    elif kind == "delete":
        path = at(step[1])
        if path.is_symlink() or path.is_file():
            path.unlink()
    elif kind == "rename":
        source, dest = clients / step[1], clients / step[2]
        if source != dest and (source.is_symlink() or source.exists()):
            os.replace(source, dest)
    elif kind == "link":  # ln -sfn: a new link renamed over the name
        lead = str(outside) if step[2] == "OUTSIDE" else step[2]
        (clients / "dir.md").mkdir(exist_ok=True)
        temp = clients / ".new-link"
        temp.symlink_to(lead)
        os.replace(temp, clients / step[1])
    elif kind == "pass_window":
        _let_window_pass()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(step_st, st.booleans()), min_size=1, max_size=10))
def test_incremental_and_cold_agree_over_any_links_and_targets(
    short_window: None, steps: list[tuple[tuple[Any, ...], bool]]
) -> None:
    """After each step, an index brought current by a query's refresh or a build's
    (drawn per step) says what one built from nothing says."""
    with tempfile.TemporaryDirectory() as tmp:
        root = _repo(Path(tmp))
        outside = Path(tmp) / "outside.md"
        (root / "clients" / "a.md").write_bytes(_record(1))
        (root / "clients" / "l1.md").symlink_to("a.md")
        _agree(root)
        for step, build in steps:
            _apply(step, root, outside)
            rows = _agree(root, build)
            for name in LINKS:
                path = root / "clients" / name
                if path.is_symlink():  # a link: one problem, nothing read through it
                    assert LINK_PROBLEM in rows[f"clients/{name}"][0], step


def test_the_running_watcher_reports_a_record_turned_into_a_link(records_repo: Path) -> None:
    """The real watcher (watchdog observer, child process): a record replaced by a
    link (``ln -sf``: a link renamed over it) is logged as check reports it and never
    committed; a later save of the file it leads to commits that file alone, the
    link's record keeps its last committed version, and the index the watcher keeps
    says what check says."""
    from tests.conftest import git
    from tests.watchkit import Daemon, commit_count, wait_commits, wait_for, wait_settled

    clients = records_repo / "clients"
    before = git(records_repo, "show", "HEAD:clients/elena-marsh.md")
    daemon = Daemon(records_repo)
    try:
        daemon.wait_ready()
        temp = clients / ".new-link"
        temp.symlink_to("amara-okafor.md")
        os.replace(temp, clients / "elena-marsh.md")
        wait_for(
            lambda: f"clients/elena-marsh.md:1:1: error: file: {LINK_PROBLEM}" in daemon.log,
            20,
            lambda: daemon.log,
        )
        count = commit_count(records_repo)
        target = clients / "amara-okafor.md"
        target.write_text(target.read_text().replace("+44 20 7946 0312", "+44 20 7946 0999"))
        wait_commits(records_repo, count + 1, daemon)
        wait_settled(records_repo, 0, daemon)
        shown = git(records_repo, "show", "--name-only", "--format=", "HEAD").split()
        assert shown == ["clients/amara-okafor.md"]
        assert git(records_repo, "show", "HEAD:clients/elena-marsh.md") == before
        # the index the watcher keeps (queries trust it): the link's problem, over
        # the last valid version kept flagged stale, as for any file gone bad
        with Index.open(open_repository(records_repo)) as index:
            stale, diags = index.conn.execute(
                "SELECT f.stale, r.diagnostics FROM files f JOIN records r USING (path) "
                "WHERE path = 'clients/elena-marsh.md'"
            ).fetchone()
        assert stale == 1 and LINK_PROBLEM in diags
        checked = CliRunner().invoke(cli_main, ["check", "--repo", str(records_repo)])
        assert f"clients/elena-marsh.md:1:1: error: file: {LINK_PROBLEM}" in checked.output
    finally:
        assert daemon.stop() == 0, daemon.log


def test_a_staged_link_is_refused_by_the_pre_commit_check(cli: Cli, tmp_path: Path) -> None:
    """``git add`` of a record that is a link stages the link (mode 120000, the path it
    holds): ``check --staged`` (the pre-commit hook) reports it as check does, instead
    of parsing 'ann.md' as a record; the file it leads to is checked as itself."""
    from tests.conftest import git

    root = _repo(tmp_path)
    clients = root / "clients"
    (clients / "ann.md").write_bytes(_record(1))
    (clients / "bob.md").symlink_to("ann.md")
    git(root, "init", "-q")
    git(root, "add", "-A")
    result = cli("check", "--staged", "--repo", str(root))
    assert result.exit_code == 1
    assert f"clients/bob.md:1:1: error: file: {LINK_PROBLEM}" in result.output
    assert "clients/ann.md" not in [
        line.split(":")[0] for line in result.output.splitlines() if "error" in line
    ]
