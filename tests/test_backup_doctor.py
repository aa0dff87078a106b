"""Backup with verification, doctor's checks and install, on real git repos."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from sortext.doctor import check_locks
from sortext.repo import open_repository
from tests.conftest import git


@pytest.fixture
def with_remote(records_repo: Path, tmp_path: Path) -> Path:
    remote = tmp_path / "backup.git"
    git(tmp_path, "init", "--bare", "--quiet", "--initial-branch=main", str(remote))
    git(records_repo, "remote", "add", "origin", str(remote))
    return records_repo


def test_backup_pushes_verifies_and_records_time(
    with_remote: Path, cli: Callable[..., Result]
) -> None:
    result = cli("backup", "--repo", str(with_remote))
    assert result.exit_code == 0, result.output
    count = len(list((with_remote / "clients").glob("*.md")))
    assert f"origin: verified {count} records" in result.output
    state = json.loads((with_remote / ".sortext/backup.json").read_text())
    head = git(with_remote, "rev-parse", "HEAD").strip()
    assert state["remotes"]["origin"]["commit"] == head
    assert "last_verified" in state
    doctor = cli("doctor", "--json", "--repo", str(with_remote))
    backup = next(f for f in json.loads(doctor.output) if f["check"] == "backup")
    assert backup["status"] == "ok" and "0 days ago" in backup["message"]


def test_backup_fails_when_the_remote_differs(
    with_remote: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    assert cli("backup", "--repo", str(with_remote)).exit_code == 0
    (with_remote / "sortext.yaml").write_text(
        (with_remote / "sortext.yaml").read_text() + "\nbackup: {remotes: [origin, missing]}\n"
    )
    git(with_remote, "commit", "--quiet", "-am", "second remote")
    result = cli("backup", "--repo", str(with_remote))
    assert result.exit_code == 1
    assert "origin: verified" in result.output and "missing: FAILED" in result.output


def test_doctor_on_a_bare_clone_then_after_install(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    before = cli("doctor", "--repo", str(records_repo))
    assert before.exit_code == 1
    assert "fail  hooks" in before.output and "fail  merge driver" in before.output
    assert "warn  backup" in before.output and "warn  daemon" in before.output
    hooks = records_repo / ".githooks"
    hooks.mkdir()
    (hooks / "pre-commit").write_text("#!/bin/sh\nexit 0\n")
    (hooks / "pre-commit").chmod(0o755)
    assert cli("install", "--repo", str(records_repo)).exit_code == 0
    assert "clients/*.md merge=sortext" in (records_repo / ".gitattributes").read_text()
    (records_repo / ".sortext").mkdir(exist_ok=True)
    pid_file = records_repo / ".git/sortext-watch.pid"  # the lock lives beside git's own
    holder = (  # what sortext watch does: write its pid and hold an OS lock on the file
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.write(fd, f'{os.getpid()}\\n'.encode())\n"
        "print('locked', flush=True)\n"
        "time.sleep(30)\n"
    )
    sleeper = subprocess.Popen(
        [sys.executable, "-c", holder, str(pid_file)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert sleeper.stdout is not None and sleeper.stdout.readline() == "locked\n"
        with sqlite3.connect(records_repo / ".sortext/index.sqlite") as db:
            db.execute("create table t (x)")
        after = cli("doctor", "--repo", str(records_repo))
    finally:
        sleeper.kill()
        sleeper.wait()
    assert after.exit_code == 0, after.output
    for line in (
        "ok    hooks",
        "ok    merge driver",
        "ok    daemon",
        "ok    index",
        "ok    locks",
        "ok    durability",
    ):
        assert line in after.output
    gone = cli("doctor", "--repo", str(records_repo))
    assert f"stale .git/sortext-watch.pid: process {sleeper.pid} is gone" in gone.output


def test_stale_index_lock_is_reported(records_repo: Path) -> None:
    lock = records_repo / ".git" / "index.lock"
    lock.write_text("")
    old = time.time() - 3600
    os.utime(lock, (old, old))
    finding = check_locks(open_repository(records_repo))
    assert finding.status == "fail" and ".git/index.lock" in finding.message
    os.utime(lock, None)
    assert check_locks(open_repository(records_repo)).status == "ok"


def test_init_writes_merge_driver_and_gitattributes(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    target = tmp_path / "fresh"
    assert cli("init", str(target)).exit_code == 0
    assert (target / ".gitattributes").read_text() == "clients/*.md merge=sortext\n"
    assert "merge-driver %O %A %B %P" in git(target, "config", "merge.sortext.driver")


def test_backup_without_origin_names_the_remotes_there_and_the_setting(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A new user adds a remote under another name than origin: the failure names
    the remote looked for, the ones the repository has, and how to use one of them
    (never git's bare 'does not appear to be a git repository')."""
    remote = tmp_path / "mine.git"
    git(tmp_path, "init", "--bare", "--quiet", "--initial-branch=main", str(remote))
    git(records_repo, "remote", "add", "backup", str(remote))
    result = cli("backup", "--repo", str(records_repo))
    assert result.exit_code == 1
    assert "no git remote named 'origin'" in result.output, result.output
    assert "backup: {remotes: [backup]}" in result.output, result.output
    assert "does not appear to be a git repository" not in result.output


def test_backup_says_which_record_changes_it_did_not_back_up(
    with_remote: Path, cli: Callable[..., Result]
) -> None:
    """Backup pushes commits; a record saved but not committed (no watcher ran) is
    not in it, and the user is told so by name (the remote still verifies)."""
    new = with_remote / "clients" / "zed-new.md"
    new.write_text("---\nname: Zed New\nstage: completed\n---\n", encoding="utf-8")
    result = cli("backup", "--repo", str(with_remote))
    assert result.exit_code == 0, result.output
    assert "origin: verified" in result.output
    assert "1 record change not committed" in result.output, result.output
    assert "clients/zed-new.md" in result.output
    git(with_remote, "add", "clients/zed-new.md")
    git(with_remote, "commit", "--quiet", "--no-verify", "-m", "zed")
    again = cli("backup", "--repo", str(with_remote))
    assert again.exit_code == 0 and "not committed" not in again.output, again.output
