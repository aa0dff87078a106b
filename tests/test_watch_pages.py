"""Pages are derived output: never in the records branch, published on their own branch,
always equal to a fresh build of the records commit they name (issue 11, items 1-3)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.vcs.pages import PagesSettings, publish, published_for
from tests.conftest import git
from tests.watchkit import (
    Daemon,
    idle_mark,
    settled,
    wait_commits,
    wait_published,
    wait_settled,
)

TODAY = dt.date.today().isoformat()  # the watcher's commits fall inside "since last week"


def set_field(root: Path, rel: str, name: str, value: str) -> None:
    path = root / rel
    lines = path.read_text().splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(f"{name}: "):
            lines[i] = f"{name}: {value}\n"
            break
    else:
        raise AssertionError(f"{rel} has no {name}")
    path.write_text("".join(lines))


def tree_files(root: Path, commit: str) -> dict[str, bytes]:
    """Every file of ``commit`` (path -> bytes)."""
    names = git(root, "ls-tree", "-r", "-z", "--name-only", commit).split("\0")
    return {
        name: subprocess.run(
            ["git", "show", f"{commit}:{name}"], cwd=root, capture_output=True, check=True
        ).stdout
        for name in names
        if name
    }


def fresh_build(
    source: Path, commit: str, where: Path, cli: Callable[..., Result], today: str = TODAY
) -> dict[str, bytes]:
    """``sortext build --today`` on a clean clone checked out at ``commit``."""
    subprocess.run(["git", "clone", "-q", str(source), str(where)], check=True)
    subprocess.run(["git", "checkout", "-q", "--detach", commit], cwd=where, check=True)
    result = cli("build", "--repo", str(where), "--today", today)
    assert result.exit_code == 0, result.output
    out = {"NEXT.md": (where / "NEXT.md").read_bytes()}
    for path in sorted((where / "site").rglob("*")):
        if path.is_file():
            out[path.relative_to(where).as_posix()] = path.read_bytes()
    return out


def test_pages_of_each_watcher_commit_equal_a_fresh_build_of_it(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    daemon = Daemon(root, "--today", TODAY)
    published: list[tuple[str, str]] = []
    try:
        daemon.wait_ready()
        first = wait_published(root, daemon)  # start-up publishes HEAD
        published.append((first, git(root, "rev-parse", "sortext-pages").strip()))
        saves = [
            ("clients/jonas-weber.md", "stage", "paused"),  # lost -> paused
            ("clients/amara-okafor.md", "stage", "review"),
            ("clients/jonas-weber.md", "stage", "inquiry"),
            ("clients/amara-okafor.md", "stage", "paused"),
        ]
        for n, (rel, name, value) in enumerate(saves, start=2):
            set_field(root, rel, name, value)
            wait_commits(root, n, daemon)
            head = wait_published(root, daemon)
            published.append((head, git(root, "rev-parse", "sortext-pages").strip()))
        assert git(root, "status", "--porcelain") == ""  # pages ignored, records committed
        tracked = git(root, "ls-tree", "-r", "--name-only", "HEAD").split()
        assert not [p for p in tracked if p == "NEXT.md" or p.startswith("site/")]
    finally:
        daemon.stop()
    moved = published[1]
    for n, (records, pages) in enumerate(published):
        expected = fresh_build(root, records, tmp_path / f"fresh-{n}", cli)
        got = tree_files(root, pages)
        assert sorted(got) == sorted(expected), records
        for name, data in expected.items():
            assert got[name] == data, f"{name} of the pages for {records[:8]} differ"
        message = git(root, "log", "-1", "--format=%B", pages)
        assert message.startswith(f"pages for {records}")
    # the commit's own change is in its "since last week" section
    next_md = tree_files(root, moved[1])["NEXT.md"].decode()
    assert "Jonas Weber" in next_md.split("since last week", 1)[-1] or "jonas" in next_md.lower()
    # each pages commit's parent is the previous one
    for (_, older), (_, newer) in itertools.pairwise(published):
        assert git(root, "rev-parse", f"{newer}^").strip() == older


def test_publish_never_touches_the_users_index_work_tree_or_head(records_repo: Path) -> None:
    root = records_repo
    (root / "todo.txt").write_text("call the accountant\n")
    git(root, "add", "todo.txt")
    (root / "NEXT.md").write_text("# next\n")
    (root / "site").mkdir()
    (root / "site" / "index.html").write_text("<p>one</p>\n")
    head = git(root, "rev-parse", "HEAD").strip()
    index_before = hashlib.sha256((root / ".git" / "index").read_bytes()).hexdigest()
    status_before = git(root, "status", "--porcelain")
    settings_ = PagesSettings("sortext-pages", keep=2)
    commits = []
    for n in range(7):
        (root / "site" / "index.html").write_text(f"<p>{n}</p>\n")
        if n == 3:
            (root / "site" / "extra.html").write_text("x\n")
        if n == 5:
            (root / "site" / "extra.html").unlink()
        commits.append(publish(root, head, settings_))
    assert all(commits)
    assert git(root, "rev-parse", "HEAD").strip() == head
    assert hashlib.sha256((root / ".git" / "index").read_bytes()).hexdigest() == index_before
    assert git(root, "status", "--porcelain") == status_before
    # bounded: never more than 2 * keep commits, the newest content at the tip
    count = int(git(root, "rev-list", "--count", "sortext-pages"))
    assert count <= 4
    tip = "sortext-pages"
    assert git(root, "show", f"{tip}:site/index.html") == "<p>6</p>\n"
    assert "site/extra.html" not in git(root, "ls-tree", "-r", "--name-only", tip)
    assert published_for(root, "refs/heads/sortext-pages") == head
    # same pages, same records commit: nothing new
    assert publish(root, head, settings_) is None


def test_pages_false_turns_publishing_off(records_repo: Path) -> None:
    assert PagesSettings.from_config(False).ref is None
    assert PagesSettings.from_config({"branch": "site-pages", "keep": 3}).ref == (
        "refs/heads/site-pages"
    )
    assert publish(records_repo, "0" * 40, PagesSettings(None)) is None
    assert git(records_repo, "branch", "--list", "sortext-pages") == ""


@pytest.mark.parametrize("bad", [{"branch": "-x"}, {"keep": 0}, {"keep": "ten"}, "yes"])
def test_bad_pages_settings_are_clear_errors(bad: object) -> None:
    from sortext.errors import ConfigError

    with pytest.raises(ConfigError, match=r"^pages"):
        PagesSettings.from_config(bad)


def test_init_ignores_pages_and_editor_debris(tmp_path: Path, cli: Callable[..., Result]) -> None:
    root = tmp_path / "new"
    assert cli("init", str(root)).exit_code == 0
    for name in ("NEXT.md", "site/index.html", "clients/.a.md.swp", "clients/a.md~"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")
    for name in (
        "clients/#a.md#",
        "clients/.#a.md",
        "clients/4913",
        "sortext.yaml~",
        ".NEXT.md.sortext-tmp-123-0a1b2c3d",  # sortext's own atomic write in progress
        "clients/.a.md.sortext-tmp-9-deadbeef",
    ):
        (root / name).write_text("x\n")
    untracked = git(root, "status", "--porcelain", "--untracked-files=all")
    for name in ("NEXT.md", "site/", "swp", "~", "#", "4913", "sortext-tmp"):
        assert name not in untracked, untracked


_STEM = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=12).filter(
    lambda s: s not in (".", "..")
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    stem=_STEM,
    kind=st.sampled_from(["{}.swp", ".{}.swp", ".{}.swo", "{}~", "#{}#", ".#{}", "4913"]),
    folder=st.sampled_from(["", "clients/", "templates/"]),
)
def test_every_editor_debris_name_is_ignored(
    tmp_path_factory: pytest.TempPathFactory, stem: str, kind: str, folder: str
) -> None:
    """The class: the swap, backup and lock names vim, emacs and others write."""
    from importlib.resources import files

    root = _ignore_repo(tmp_path_factory, files("sortext") / "skeleton" / "gitignore")
    name = folder + kind.format(stem)
    proc = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", "--", name], cwd=root, capture_output=True
    )
    assert proc.returncode == 0, name


_IGNORE_REPOS: dict[str, Path] = {}


def _ignore_repo(factory: pytest.TempPathFactory, gitignore: object) -> Path:
    key = "skeleton"
    if key not in _IGNORE_REPOS:
        root = factory.mktemp("ignore")
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        (root / ".gitignore").write_text(Path(str(gitignore)).read_text())
        _IGNORE_REPOS[key] = root
    return _IGNORE_REPOS[key]


def test_install_migrates_tracked_pages_in_one_commit(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    ignore = root / ".gitignore"
    ignore.write_text(ignore.read_text().replace("/NEXT.md\n", "").replace("/site/\n", ""))
    (root / "NEXT.md").write_text("# next\n")
    (root / "site" / "clients").mkdir(parents=True)
    (root / "site" / "index.html").write_text("<p>old</p>\n")
    (root / "site" / "clients" / "a.html").write_text("<p>a</p>\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "old layout: pages tracked")
    daemon = Daemon(root)
    try:
        daemon.wait_ready()
        hints = [line for line in daemon.log.splitlines() if "still tracked" in line]
        assert len(hints) == 1 and "sortext install" in hints[0]
    finally:
        daemon.stop()
    (root / "todo.txt").write_text("call the accountant\n")
    git(root, "add", "todo.txt")
    before = int(git(root, "rev-list", "--count", "HEAD"))
    result = cli("install", "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert "stopped tracking NEXT.md and site/" in result.output
    assert int(git(root, "rev-list", "--count", "HEAD")) == before + 1
    message = git(root, "log", "-1", "--format=%B")
    assert message.startswith("stop tracking the generated pages") and "derived" in message
    changed = git(root, "show", "--name-status", "--format=", "HEAD").splitlines()
    assert sorted(changed) == sorted(
        ["M\t.gitignore", "D\tNEXT.md", "D\tsite/clients/a.html", "D\tsite/index.html"]
    )
    assert (root / "NEXT.md").exists() and (root / "site" / "index.html").exists()
    assert git(root, "diff", "--cached", "--name-only").split() == ["todo.txt"]
    assert git(root, "status", "--porcelain", "--", "NEXT.md", "site") == ""
    again = cli("install", "--repo", str(root))
    assert again.exit_code == 0 and "stopped tracking" not in again.output


def test_a_config_change_is_committed_alone_and_a_bad_one_keeps_the_last_valid(
    records_repo: Path,
) -> None:
    root = records_repo
    config = root / "sortext.yaml"
    daemon = Daemon(root)
    try:
        daemon.wait_ready()
        config.write_text(config.read_text() + "\npages: {keep: 20}\n")
        wait_commits(root, 2, daemon)
        assert git(root, "log", "-1", "--format=%s").strip() == "config: sortext.yaml changed"
        assert git(root, "show", "--name-only", "--format=", "HEAD").split() == ["sortext.yaml"]
        mark = idle_mark(root, daemon)
        good = config.read_text()
        config.write_text(good + "\nbackup: {remote: origin}\n")
        wait_settled(root, mark, daemon)
        assert re.search(
            r"sortext\.yaml:\d+:\d+: error: backup\.remote: "
            r".*keeping the last valid configuration",
            daemon.log,
        ), daemon.log
        assert int(git(root, "rev-list", "--count", "HEAD")) == 2
        config.write_text(good)  # back to the committed bytes: nothing to commit
        mark = settled(root)  # the bad config's batch has finished: nothing else runs
        wait_settled(root, mark, daemon)
        assert int(git(root, "rev-list", "--count", "HEAD")) == 2
        assert git(root, "status", "--porcelain") == ""
    finally:
        daemon.stop()


def test_deleting_dot_sortext_while_the_watcher_runs(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """.sortext/ is derived data the user may delete: the watcher rebuilds the whole
    index before rendering or publishing, keeps its single-instance lock, and
    `status` keeps working."""
    import shutil

    root = records_repo
    daemon = Daemon(root, "--today", TODAY)
    try:
        daemon.wait_ready()
        idle_mark(root, daemon)
        shutil.rmtree(root / ".sortext")
        assert cli("status", "--repo", str(root)).exit_code == 0  # still running
        second = Daemon(root)
        assert second.proc.wait(30) == 2  # the lock did not go with the folder
        set_field(root, "clients/amara-okafor.md", "stage", "review")
        wait_commits(root, 2, daemon)
        head = wait_published(root, daemon)
        idle_mark(root, daemon)
        status = cli("status", "--repo", str(root))
        assert status.exit_code == 0 and head[:10] in status.output
        assert "is gone: full rebuild" in (root / ".sortext" / "watch.log").read_text()
    finally:
        daemon.stop()
    expected = fresh_build(root, head, tmp_path / "fresh", cli)
    got = tree_files(root, "sortext-pages")
    assert got["NEXT.md"] == expected["NEXT.md"]  # every client, not just the saved one
    assert sorted(got) == sorted(expected)


def test_backup_pushes_the_pages_branch_forced(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    remote = tmp_path / "backup.git"
    git(tmp_path, "init", "--bare", "--quiet", "--initial-branch=main", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    head = git(root, "rev-parse", "HEAD").strip()
    (root / "NEXT.md").write_text("# one\n")
    settings_ = PagesSettings("sortext-pages", keep=1)
    publish(root, head, settings_)
    assert cli("backup", "--repo", str(root)).exit_code == 0
    for n in range(4):  # past 2 * keep: the branch's old history is squashed
        (root / "NEXT.md").write_text(f"# {n}\n")
        publish(root, head, settings_)
    result = cli("backup", "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert git(remote, "rev-parse", "sortext-pages") == git(root, "rev-parse", "sortext-pages")
    assert git(remote, "show", "sortext-pages:NEXT.md") == "# 3\n"


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(extra=st.integers(min_value=-3, max_value=3) | st.integers(min_value=4, max_value=4096))
def test_records_around_the_size_limit_are_read_and_judged(tmp_path: Path, extra: int) -> None:
    """The class: a stable file of any size is read (never "still changing" forever);
    over the limit it is an error naming the limit."""
    from sortext.check.load import parse_record
    from sortext.daemon.pipeline import UNSTABLE, read_stable
    from sortext.record.source import MAX_FILE_BYTES
    from sortext.repo import open_repository
    from sortext.schema.validate import RecordValidator

    path = tmp_path / "big.md"
    size = MAX_FILE_BYTES + extra
    head = b"---\nname: Big Log\nstage: inquiry\n---\n"
    path.write_bytes(head + b"x" * (size - len(head)))
    raw = read_stable(path)
    assert raw is not UNSTABLE and isinstance(raw, bytes)
    validator = RecordValidator(open_repository(Path(__file__).parent.parent).config)
    loaded = parse_record(raw, "clients/big.md", validator)
    too_large = any("larger than 5 MiB" in d.message for d in loaded.diagnostics)
    assert too_large == (size > MAX_FILE_BYTES)


def test_a_record_over_5_mib_is_reported_by_the_watcher(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    import json

    root = records_repo
    daemon = Daemon(root)
    try:
        daemon.wait_ready()
        path = root / "clients" / "amara-okafor.md"
        path.write_bytes(path.read_bytes() + b"pasted log line\n" * 400_000)
        wait_for_log = "larger than 5 MiB"
        from tests.watchkit import wait_for

        wait_for(lambda: wait_for_log in daemon.log, 20, lambda: daemon.log)
        line = next(x for x in daemon.log.splitlines() if wait_for_log in x)
        assert line.split(" ERROR ", 1)[1].startswith("clients/amara-okafor.md:")

        def listed_by_status() -> bool:
            status = json.loads(cli("status", "--repo", str(root), "--json").output)
            return "clients/amara-okafor.md" in status["errors"]

        wait_for(listed_by_status, 20, lambda: daemon.log)  # written when the batch ends
        listed = (root / "NEXT.md").read_text().split("## Records with errors")[1]
        assert "amara-okafor" in listed
        assert int(git(root, "rev-list", "--count", "HEAD")) == 1  # not committed
    finally:
        daemon.stop()


PAGE_NAMES = ["NEXT.md", "site/index.html", "site/clients/a.html", "site/clients/b.html"]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ops=st.lists(
        st.tuples(st.sampled_from(PAGE_NAMES), st.none() | st.binary(max_size=40)),
        min_size=1,
        max_size=8,
    )
)
def test_incremental_publish_equals_a_full_restage(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, bytes | None]]
) -> None:
    """The class: any sequence of pages written and removed, published with only the
    changed paths, gives the tree a full look at every page gives."""
    root = tmp_path_factory.mktemp("incr")
    git(root, "init", "-q", "-b", "main")
    git(
        root,
        "-c",
        "user.email=x@x.invalid",
        "-c",
        "user.name=X",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "r",
    )
    head = git(root, "rev-parse", "HEAD").strip()
    incremental = PagesSettings("pages-incr", keep=3)
    (root / "NEXT.md").write_bytes(b"start\n")
    publish(root, head, incremental)
    for name, data in ops:
        path = root / name
        if data is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        publish(root, head, incremental, "r", [name])
    publish(root, head, PagesSettings("pages-full", keep=3))  # another tip: full restage
    assert git(root, "rev-parse", "pages-incr^{tree}") == git(
        root, "rev-parse", "pages-full^{tree}"
    )


def test_disk_full_during_a_save_never_publishes_an_incomplete_index(
    records_repo: Path,
    tmp_path: Path,
    cli: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """ENOSPC injected at sortext's one writer (sortext/files/write.py), with the index
    lost meanwhile: the record is still committed (git has its own space), the pages
    are neither rendered nor published from a partial index, the storage error is one
    log line (no traceback) retried with backoff, and recovery rebuilds in full."""
    import logging

    import sortext.files.write as writer
    from sortext.daemon.events import Change
    from sortext.daemon.pipeline import Pipeline
    from sortext.daemon.renderer import PagesRenderer
    from sortext.errors import StorageError
    from sortext.repo import open_repository
    from sortext.vcs.commit import GitRepo

    root = records_repo
    repo_git = GitRepo.open(root)
    today = dt.date.fromisoformat(TODAY)
    pipeline = Pipeline(open_repository(root), repo_git, PagesRenderer(), lambda: today)
    try:
        pipeline.start()
        assert pipeline.published_for == git(root, "rev-parse", "HEAD").strip()
        real = writer.atomic_write

        def disk_full(
            path: Path,
            data: bytes,
            exclusive: bool = False,
            durable: bool = True,
            mode: int | None = None,
            shown: Path | None = None,
        ) -> None:
            raise StorageError(f"{shown or path}: cannot write: No space left on device")

        monkeypatch.setattr(writer, "atomic_write", disk_full)
        set_field(root, "clients/amara-okafor.md", "stage", "review")
        (root / ".sortext" / "index.sqlite").unlink()  # the index was lost as well
        with caplog.at_level(logging.INFO, logger="sortext.watch"):
            saved = pipeline.settle([Change(root / "clients/amara-okafor.md", "record")])
            assert saved.commit is not None and saved.published is None
            for _ in range(3):  # the service's retries
                assert pipeline.settle([]).published is None
        failures = [r for r in caplog.records if "storage error" in r.getMessage()]
        assert len(failures) == 1 and failures[0].exc_info is None
        assert "No space left on device" in failures[0].getMessage()
        assert pipeline.rerender_backoff > 2.0  # backing off
        assert pipeline.published_for != saved.commit
        monkeypatch.setattr(writer, "atomic_write", real)  # space is back
        recovered = pipeline.settle([])
        assert recovered.rebuilt and recovered.published is not None
        assert pipeline.published_for == saved.commit
    finally:
        repo_git.close()
    expected = fresh_build(root, saved.commit, tmp_path / "fresh", cli)
    got = tree_files(root, "sortext-pages")
    assert sorted(got) == sorted(expected)
    assert got["NEXT.md"] == expected["NEXT.md"]  # every client, from a complete index


def test_a_start_compares_every_page_so_the_first_save_restages_only_its_own(
    records_repo: Path,
    tmp_path: Path,
    cli: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pages already published for HEAD, then rewritten by hand for another day while no
    watcher ran: the start publishes what is on disk (the branch never keeps stale
    pages), and the first save hands publish only the pages it wrote, not a look at
    every page."""
    import sortext.vcs.pages as pages_module
    from sortext.daemon.events import Change
    from sortext.daemon.pipeline import Pipeline
    from sortext.daemon.renderer import PagesRenderer
    from sortext.repo import open_repository
    from sortext.vcs.commit import GitRepo

    root = records_repo
    today = dt.date.fromisoformat(TODAY)
    repo_git = GitRepo.open(root)
    try:
        first = Pipeline(open_repository(root), repo_git, PagesRenderer(), lambda: today)
        first.start()
        head = git(root, "rev-parse", "HEAD").strip()
        assert first.published_for == head
    finally:
        repo_git.close()
    later = (today + dt.timedelta(days=2)).isoformat()
    assert cli("build", "--repo", str(root), "--today", later).exit_code == 0
    assert cli("build", "--repo", str(root), "--today", TODAY).exit_code == 0  # back: same day
    (root / "NEXT.md").write_text("edited by hand\n")  # and a page the branch must not keep
    calls: list[object] = []
    real = pages_module.publish

    def spy(*args: object, **kwargs: object) -> str | None:
        calls.append(args[4] if len(args) > 4 else kwargs.get("changed"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pages_module, "publish", spy)
    repo_git = GitRepo.open(root)
    try:
        pipeline = Pipeline(open_repository(root), repo_git, PagesRenderer(), lambda: today)
        pipeline.start()
        assert calls == [None]  # the start looked at every page
        assert git(root, "show", "sortext-pages:NEXT.md") == (root / "NEXT.md").read_text()
        set_field(root, "clients/amara-okafor.md", "stage", "review")
        saved = pipeline.settle([Change(root / "clients/amara-okafor.md", "record")])
        assert saved.commit is not None and saved.published is not None
        assert len(calls) == 2 and calls[1] is not None
        assert "site/clients/amara-okafor.html" in calls[1]  # type: ignore[operator]
        assert len(calls[1]) < 10  # type: ignore[arg-type]
    finally:
        repo_git.close()
    expected = fresh_build(root, saved.commit, tmp_path / "fresh", cli)
    assert tree_files(root, "sortext-pages") == expected


def test_a_save_due_during_a_page_pass_commits_first_and_its_batch_publishes_both(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A batch whose ``hurry`` says another save is waiting commits and renders but
    leaves publishing to that save's batch (so its commit is not held behind a publish);
    that batch publishes pages equal to a fresh build of its commit (both saves in them),
    and nothing is published for the first commit alone."""
    from sortext.daemon.events import Change
    from sortext.daemon.pipeline import Pipeline
    from sortext.daemon.renderer import PagesRenderer
    from sortext.repo import open_repository
    from sortext.vcs.commit import GitRepo

    root = records_repo
    today = dt.date.fromisoformat(TODAY)
    repo_git = GitRepo.open(root)
    try:
        pipeline = Pipeline(open_repository(root), repo_git, PagesRenderer(), lambda: today)
        pipeline.start()
        before = git(root, "rev-parse", "sortext-pages").strip()
        set_field(root, "clients/amara-okafor.md", "stage", "review")
        asked: list[bool] = []

        def hurry() -> bool:
            asked.append(True)
            return True

        first = pipeline.settle([Change(root / "clients/amara-okafor.md", "record")], hurry=hurry)
        assert first.commit is not None and first.pages and asked
        assert first.published is None
        assert git(root, "rev-parse", "sortext-pages").strip() == before
        set_field(root, "clients/jonas-weber.md", "owner", "maya")
        second = pipeline.settle(
            [Change(root / "clients/jonas-weber.md", "record")], hurry=lambda: False
        )
        assert second.commit is not None and second.published is not None
        assert pipeline.published_for == second.commit
    finally:
        repo_git.close()
    expected = fresh_build(root, second.commit, tmp_path / "fresh", cli)
    assert tree_files(root, "sortext-pages") == expected
