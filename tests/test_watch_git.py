"""The watcher beside the user's own git use, and its life cycle (start, stop, crash).

A real ``sortext watch`` process on a real repository; the user's side is
played with the real git command line.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from sortext.daemon.state import read_json
from tests.conftest import SAMPLE_TODAY, git
from tests.watchkit import (
    Daemon,
    commit_count,
    idle_mark,
    last_message,
    settled,
    wait_commits,
    wait_for,
    wait_settled,
)

RECORD = "clients/amara-okafor.md"


@pytest.fixture
def daemon(records_repo: Path) -> Iterator[Daemon]:
    d = Daemon(records_repo)
    d.wait_ready()
    yield d
    d.stop()


def set_stage(root: Path, stage: str, rel: str = RECORD) -> None:
    path = root / rel
    text = path.read_text()
    current = next(line for line in text.splitlines() if line.startswith("stage: "))
    path.write_text(text.replace(current, f"stage: {stage}", 1))


def test_invalid_yaml_is_reported_not_committed_then_fixed(
    records_repo: Path, daemon: Daemon, cli: Callable[..., Result]
) -> None:
    path = records_repo / RECORD
    good = path.read_bytes()
    broken = good.replace(b"stage: active", b"stage: [active", 1)
    mark = settled(records_repo)  # the start-up batch wrote it before "ready:"
    path.write_bytes(broken)
    wait_settled(records_repo, mark, daemon)  # that batch is over: it made no commit
    line = next(x for x in daemon.log.splitlines() if "not committed" in x)
    assert re.search(rf"ERROR {RECORD}:\d+:\d+: error: invalid YAML", line), line
    assert commit_count(records_repo) == 1
    assert path.read_bytes() == broken  # untouched on disk
    status = cli("status", "--repo", str(records_repo), "--json")
    assert status.exit_code == 0
    errors = json.loads(status.output)["errors"]
    assert list(errors) == [RECORD] and errors[RECORD][0].startswith(f"{RECORD}:7:")
    wait_for(lambda: "## Records with errors" in (records_repo / "NEXT.md").read_text(), 10)
    listed = (records_repo / "NEXT.md").read_text().split("## Records with errors")[1]
    assert "amara-okafor" in listed.lower() or "Amara Okafor" in listed
    from sortext.repo import open_repository
    from sortext.store.index import Index

    with Index.open(open_repository(records_repo)) as index:
        entry = next(e for e in index.entries() if e.path == RECORD)
    assert entry.stale and not entry.ok  # last valid version kept, marked stale
    assert entry.record is not None and entry.record.data["stage"] == "active"
    path.write_bytes(good.replace(b"stage: active", b"stage: review", 1))
    wait_commits(records_repo, 2, daemon)
    assert last_message(records_repo) == "amara-okafor: stage active -> review"
    wait_for(
        lambda: (
            json.loads(cli("status", "--repo", str(records_repo), "--json").output)["errors"] == {}
        ),
        5,
    )


def test_no_commit_during_a_merge_then_commit_after(records_repo: Path, daemon: Daemon) -> None:
    root = records_repo
    (root / "plan.txt").write_text("base\n")
    git(root, "add", "plan.txt")
    git(root, "commit", "-qm", "plan")
    git(root, "checkout", "-qb", "other")
    (root / "plan.txt").write_text("theirs\n")
    git(root, "commit", "-qam", "theirs")
    git(root, "checkout", "-q", "main")
    (root / "plan.txt").write_text("ours\n")
    git(root, "commit", "-qam", "ours")
    merge = subprocess.run(["git", "merge", "other"], cwd=root, capture_output=True)
    assert merge.returncode != 0 and (root / ".git" / "MERGE_HEAD").exists()
    before = commit_count(root)
    mark = settled(root)
    set_stage(root, "review")
    wait_for(lambda: "merge is in progress" in daemon.log, 10, lambda: daemon.log)
    # three more retries of the held save: still no commit, and the reason logged once
    wait_for(lambda: settled(root) >= mark + 4, 20, lambda: daemon.log)
    assert commit_count(root) == before
    assert daemon.log.count("merge is in progress") == 1, daemon.log
    (root / "plan.txt").write_text("resolved\n")
    git(root, "add", "plan.txt")
    git(root, "commit", "-qm", "merge other")
    wait_for(
        lambda: last_message(root) == "amara-okafor: stage active -> review", 15, lambda: daemon.log
    )
    assert git(root, "log", "-1", "--format=%P", "HEAD~1").count(" ") == 1  # merge kept


def test_held_index_lock_waits_and_is_never_deleted(records_repo: Path, daemon: Daemon) -> None:
    lock = records_repo / ".git" / "index.lock"
    lock.write_bytes(b"")
    set_stage(records_repo, "review")
    wait_for(lambda: "not committed yet" in daemon.log, 30, lambda: daemon.log)
    assert commit_count(records_repo) == 1
    assert lock.exists()
    lock.unlink()
    wait_commits(records_repo, 2, daemon, timeout=20)
    assert last_message(records_repo) == "amara-okafor: stage active -> review"


def test_users_staged_work_is_not_swept_in(records_repo: Path, daemon: Daemon) -> None:
    (records_repo / "todo.txt").write_text("call the accountant\n")
    git(records_repo, "add", "todo.txt")
    set_stage(records_repo, "review")
    wait_commits(records_repo, 2, daemon)
    committed = git(records_repo, "show", "--name-only", "--format=", "HEAD").split()
    assert "todo.txt" not in committed
    assert git(records_repo, "diff", "--cached", "--name-only").split() == ["todo.txt"]


def test_checkout_of_many_files_rebuilds_and_commits_nothing(
    records_repo: Path, daemon: Daemon, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    git(root, "checkout", "-qb", "bulk")
    for rel in git(root, "ls-files", "clients").split()[:8]:
        set_stage(root, "paused", rel)
    git(root, "commit", "-qam", "bulk change by hand")
    mark = idle_mark(root, daemon)  # the daemon saw files equal to HEAD: nothing to commit
    tips = git(root, "rev-parse", "main", "bulk")
    for n, branch in enumerate(("main", "bulk")):
        rebuilds = daemon.log.count("full rebuild")
        git(root, "checkout", "-q", branch)
        mark = wait_settled(root, mark, daemon)
        assert daemon.log.count("full rebuild") > rebuilds  # at least one per checkout
        assert git(root, "rev-parse", "main", "bulk") == tips  # no commit on either branch
        assert git(root, "status", "--porcelain") == ""
        # the working-tree pages are exactly a fresh build of what was checked out
        clone = tmp_path / f"fresh-{n}"
        subprocess.run(["git", "clone", "-q", "-b", branch, str(root), str(clone)], check=True)
        assert cli("build", "--repo", str(clone), "--today", SAMPLE_TODAY).exit_code == 0
        assert (root / "NEXT.md").read_bytes() == (clone / "NEXT.md").read_bytes()
        assert (root / "site" / "index.html").read_bytes() == (
            clone / "site" / "index.html"
        ).read_bytes()
    assert "paused" in (root / "NEXT.md").read_text()


def test_catch_up_on_start_commits_valid_changes_with_a_note(records_repo: Path) -> None:
    root = records_repo
    set_stage(root, "review")
    set_stage(root, "discovery", "clients/bruno-castellanos.md")
    (root / "clients" / "chiara-bellini.md").write_text("---\nname: [broken\n---\n")
    daemon = Daemon(root)
    try:
        daemon.wait_ready()
        assert commit_count(root) == 2
        message = last_message(root)
        assert message.startswith("catch-up: 2 record changes saved while sortext watch")
        assert "amara-okafor: stage active -> review" in message
        assert "bruno-castellanos: stage inquiry -> discovery" in message
        assert "clients/chiara-bellini.md:2:" in daemon.log
        assert git(root, "status", "--porcelain").strip() == "M clients/chiara-bellini.md"
    finally:
        daemon.stop()


def test_configured_author(records_repo: Path) -> None:
    config = records_repo / "sortext.yaml"
    config.write_text(config.read_text() + '\ngit: {author: "Maya Assistant <maya@example.com>"}\n')
    git(records_repo, "commit", "-qam", "author")
    daemon = Daemon(records_repo)
    try:
        daemon.wait_ready()
        set_stage(records_repo, "review")
        wait_commits(records_repo, 3, daemon)
        author = git(records_repo, "log", "-1", "--format=%an <%ae>").strip()
        assert author == "Maya Assistant <maya@example.com>"
    finally:
        daemon.stop()


def test_config_change_triggers_full_rebuild(records_repo: Path, daemon: Daemon) -> None:
    config = records_repo / "sortext.yaml"
    config.write_text(config.read_text().replace("due_soon_days: 7", "due_soon_days: 10"))
    wait_for(lambda: "configuration or templates changed" in daemon.log, 10, lambda: daemon.log)
    wait_for(lambda: "Due within 10 days" in (records_repo / "NEXT.md").read_text(), 10)


def test_sigterm_and_sigint_stop_cleanly(records_repo: Path, cli: Callable[..., Result]) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        daemon = Daemon(records_repo)
        daemon.wait_ready()
        status = cli("status", "--repo", str(records_repo))
        assert status.exit_code == 0
        assert f"running (pid {daemon.proc.pid})" in status.output
        assert daemon.stop(sig) == 0, daemon.log
        assert "stopped" in daemon.log
        assert not (records_repo / ".git" / "sortext-watch.pid").exists()
        assert cli("status", "--repo", str(records_repo)).exit_code == 1


def test_one_daemon_per_repository_and_stale_lock_takeover(records_repo: Path) -> None:
    first = Daemon(records_repo)
    first.wait_ready()
    second = Daemon(records_repo)
    assert second.proc.wait(30) == 2
    assert f"already running for this repository (pid {first.proc.pid})" in second.log
    first.stop(signal.SIGKILL)
    assert (records_repo / ".git" / "sortext-watch.pid").exists()  # left behind
    third = Daemon(records_repo)
    try:
        third.wait_ready()
        assert f"(pid {first.proc.pid})" in third.log and "took over" in third.log
    finally:
        assert third.stop() == 0


def test_kill_during_a_save_loses_nothing(records_repo: Path) -> None:
    daemon = Daemon(records_repo, debounce_ms=50)
    daemon.wait_ready()
    set_stage(records_repo, "review")
    time.sleep(0.05)
    daemon.stop(signal.SIGKILL)
    restarted = Daemon(records_repo)
    try:
        restarted.wait_ready()
        assert git(records_repo, "show", f"HEAD:{RECORD}").count("stage: review") == 1
        assert git(records_repo, "status", "--porcelain") == ""
    finally:
        restarted.stop()


def test_backup_push_success_and_failure(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    remote = tmp_path / "backup.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(records_repo, "remote", "add", "origin", str(remote))
    config = records_repo / "sortext.yaml"
    config.write_text(config.read_text() + "\nbackup: {remotes: [origin], branch: main}\n")
    git(records_repo, "commit", "-qam", "backup")
    daemon = Daemon(records_repo)
    try:
        daemon.wait_ready()
        set_stage(records_repo, "review")
        wait_commits(records_repo, 3, daemon)
        head = git(records_repo, "rev-parse", "HEAD").strip()
        wait_for(
            lambda: (
                subprocess.run(
                    ["git", "rev-parse", "main"], cwd=remote, capture_output=True, text=True
                ).stdout.strip()
                == head
            ),
            15,
            lambda: daemon.log,
        )
        wait_for(lambda: "last_success" in read_json(records_repo / ".sortext" / "push.json"), 10)
        pages = git(records_repo, "rev-parse", "sortext-pages").strip()
        wait_for(  # the pages branch goes with it
            lambda: (
                subprocess.run(
                    ["git", "rev-parse", "sortext-pages"],
                    cwd=remote,
                    capture_output=True,
                    text=True,
                ).stdout.strip()
                == pages
            ),
            15,
            lambda: daemon.log,
        )
        assert cli("status", "--repo", str(records_repo)).exit_code == 0
        git(records_repo, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
        set_stage(records_repo, "paused")
        wait_commits(records_repo, 4, daemon)  # a failing push never blocks commits
        wait_for(
            lambda: "last_error" in read_json(records_repo / ".sortext" / "push.json"),
            15,
            lambda: daemon.log,
        )
        assert "backup push to origin failed" in daemon.log
        error = read_json(records_repo / ".sortext" / "push.json")["last_error"]
        assert "gone.git" in error and "does not appear to be a git repository" in error, error
        assert "and the repository exists" not in error  # the line naming the cause is kept
        status = cli("status", "--repo", str(records_repo))
        assert status.exit_code == 3, status.output
        assert "last push error" in status.output
    finally:
        daemon.stop()


def test_status_when_never_started(records_repo: Path, cli: Callable[..., Result]) -> None:
    result = cli("status", "--repo", str(records_repo))
    assert result.exit_code == 1
    assert result.output.startswith("sortext watch is not running")
    assert not os.path.exists(records_repo / ".sortext" / "watch.json")


def test_start_with_a_parallel_index_build_then_stop(records_repo: Path) -> None:
    """Above 400 records the index parses in a forked pool; the pool's workers
    must not inherit the daemon's SIGTERM handler (they would never exit)."""
    from bench.crash_harness import record_bytes

    for i in range(450):
        (records_repo / "clients" / f"bulk-{i:04d}.md").write_bytes(record_bytes(i, "inquiry", 0))
    git(records_repo, "add", "-A")
    git(records_repo, "commit", "-qm", "bulk")
    daemon = Daemon(records_repo)
    daemon.wait_ready(timeout=90)
    assert daemon.log.count("received SIGTERM") == 0
    assert daemon.stop() == 0, daemon.log
    assert daemon.log.count("received SIGTERM") == 1


def test_pages_are_never_committed_to_the_records_branch(records_repo: Path) -> None:
    """Even in a repository whose .gitignore does not list them (an older layout)."""
    ignore = records_repo / ".gitignore"
    ignore.write_text(ignore.read_text().replace("/NEXT.md\n", "").replace("/site/\n", ""))
    git(records_repo, "commit", "-qam", "an older .gitignore")
    daemon = Daemon(records_repo)
    try:
        daemon.wait_ready()
        set_stage(records_repo, "review")
        wait_commits(records_repo, 3, daemon)
        committed = git(records_repo, "show", "--name-only", "--format=", "HEAD").split()
        assert committed == [RECORD]
        assert (records_repo / "site" / "index.html").exists()
        assert (records_repo / "NEXT.md").exists()
        assert "NEXT.md" in git(records_repo, "ls-tree", "-r", "--name-only", "sortext-pages")
    finally:
        daemon.stop()


def test_polling_observer(records_repo: Path) -> None:
    daemon = Daemon(records_repo, "--poll")
    try:
        daemon.wait_ready()
        set_stage(records_repo, "review")
        wait_commits(records_repo, 2, daemon)
        assert last_message(records_repo) == "amara-okafor: stage active -> review"
    finally:
        assert daemon.stop() == 0
