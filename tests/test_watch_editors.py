"""Real editors saving into a watched repository: every save becomes one commit.

Each test starts a real ``sortext watch`` process (real watchdog observer) on a
real git repository, saves with a real editor (vim, nano through tmux, emacs,
sed) or an exact emulation of one that Debian does not ship (JetBrains,
VS Code, write-temp-then-rename), and checks the commit: its message names
the changed field, it holds the bytes on disk, and no debris was committed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, git
from tests.watchkit import (
    Daemon,
    clean_status,
    commit_count,
    idle_mark,
    last_message,
    wait_commits,
)

RECORD = "clients/amara-okafor.md"


def _wait_for_screen(session: str, timeout: float = 10.0) -> None:
    """Wait until the editor has drawn its first screen (the pane is no longer blank),
    so the first keys reach the editor and not the terminal before it starts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pane = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
        ).stdout
        if pane.strip():
            return
        time.sleep(0.02)
    raise AssertionError(f"tmux session {session}: the editor drew nothing in {timeout}s")


@contextlib.contextmanager
def tmux_editor(name: str, command: str) -> Iterator[Callable[..., None]]:
    """Run ``command`` (an interactive editor) in a detached 120x40 tmux session and
    give a function that types keys into it, one ``send-keys`` each; the session is
    killed on the way out."""
    session = f"sortext-{name}-{os.getpid()}"
    start = ["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command]
    subprocess.run(start, check=True)

    def send(*keys: str) -> None:
        for key in keys:
            subprocess.run(["tmux", "send-keys", "-t", session, key], check=True)
            time.sleep(0.05)

    try:
        _wait_for_screen(session)
        yield send
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)


@pytest.fixture
def records_repo(records_repo: Path) -> Iterator[Path]:
    """The sample repository moved out of /tmp: vim and emacs skip their backup
    dance for files under /tmp ('backupskip', 'temporary-file-directory'), and
    the point here is to see the dance users see."""
    base = PROJECT_ROOT / "test-artifacts"
    if str(base.resolve()).startswith(("/tmp/", "/var/tmp/", tempfile.gettempdir())):
        base = Path.home() / ".cache" / "sortext-tests"  # a clone under /tmp (CI)
    outside = base / f"watch-{os.getpid()}-{time.monotonic_ns()}"
    outside.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(records_repo, outside, symlinks=True)
    yield outside
    shutil.rmtree(outside, ignore_errors=True)


@pytest.fixture
def daemon(records_repo: Path) -> Iterator[Daemon]:
    d = Daemon(records_repo)
    d.wait_ready()
    yield d
    assert d.stop() == 0, d.log


def assert_committed_as_on_disk(root: Path, rel: str = RECORD) -> None:
    """HEAD holds exactly the bytes on disk, and git sees nothing left to commit."""
    on_disk = (root / rel).read_bytes()
    in_head = subprocess.run(
        ["git", "show", f"HEAD:{rel}"], cwd=root, capture_output=True, check=True
    ).stdout
    assert in_head == on_disk
    assert git(root, "status", "--porcelain") == ""  # records and pages all committed
    tracked = git(root, "ls-files", "clients").split()
    assert all(name.endswith(".md") and "/." not in name for name in tracked), tracked


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux drives vim")
def test_vim_default_settings_rename_save(records_repo: Path, daemon: Daemon) -> None:
    path = records_repo / RECORD
    inode = path.stat().st_ino
    with tmux_editor("vim", f"vim -u DEFAULTS -i NONE {path}") as send:
        send(":%s/^stage: active/stage: review/", "Enter", ":wq", "Enter")
        wait_commits(records_repo, 2, daemon)
    assert last_message(records_repo) == "amara-okafor: stage active -> review"
    assert path.stat().st_ino != inode  # vim renamed a new file over the old one
    assert_committed_as_on_disk(records_repo)


def test_vim_backupcopy_yes_in_place_save(records_repo: Path, daemon: Daemon) -> None:
    path = records_repo / RECORD
    inode = path.stat().st_ino
    subprocess.run(
        [
            "vim",
            "-u",
            "DEFAULTS",
            "-i",
            "NONE",
            "-es",
            "-c",
            "set backupcopy=yes",
            "-c",
            "%s/^  due: 2026-11-19/  due: 2026-11-27/",
            "-c",
            "wq",
            str(path),
        ],
        check=True,
        timeout=30,
    )
    wait_commits(records_repo, 2, daemon)
    assert last_message(records_repo) == "amara-okafor: next_action.due 2026-11-19 -> 2026-11-27"
    assert path.stat().st_ino == inode  # written in place
    in_commit = git(records_repo, "show", "--name-only", "--format=", "HEAD").split()
    assert in_commit == [RECORD]  # the pages go to their own branch
    published = git(records_repo, "ls-tree", "-r", "--name-only", "sortext-pages").split()
    assert {"NEXT.md", "site/index.html", "site/clients/amara-okafor.html"} <= set(published)
    next_md = (records_repo / "NEXT.md").read_text()
    assert "Send session 7 prep notes" in next_md.split("## Due within")[1]
    assert_committed_as_on_disk(records_repo)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux drives nano")
def test_nano_interactive_save(records_repo: Path, daemon: Daemon) -> None:
    path = records_repo / RECORD
    with tmux_editor("nano", f"nano --ignorercfiles +99999 {path}") as send:
        send(
            "Enter",
            "Follow-up: confirm the board date.",
            "Enter",
            "Second line of the note.",
            "C-o",
        )
        time.sleep(0.3)
        send("Enter")
        wait_commits(records_repo, 2, daemon)
        send("C-x")
    assert last_message(records_repo).startswith("amara-okafor: notes +")
    assert "Second line of the note." in path.read_text()
    assert_committed_as_on_disk(records_repo)


def test_emacs_batch_save(records_repo: Path, daemon: Daemon) -> None:
    path = records_repo / RECORD
    lisp = (
        '(progn (goto-char (point-min)) (re-search-forward "^stage: active")'
        ' (replace-match "stage: review") (save-buffer))'
    )
    subprocess.run(
        ["emacs", "--batch", "-Q", str(path), "--eval", lisp],
        check=True,
        timeout=60,
        capture_output=True,
    )
    wait_commits(records_repo, 2, daemon)
    assert last_message(records_repo) == "amara-okafor: stage active -> review"
    assert_committed_as_on_disk(records_repo)


def test_sed_in_place(records_repo: Path, daemon: Daemon) -> None:
    subprocess.run(
        ["sed", "-i", "s/^stage: active/stage: review/", str(records_repo / RECORD)], check=True
    )
    wait_commits(records_repo, 2, daemon)
    assert last_message(records_repo) == "amara-okafor: stage active -> review"
    assert_committed_as_on_disk(records_repo)


def _edited(path: Path) -> bytes:
    return path.read_bytes().replace(b"stage: active", b"stage: review", 1)


def test_jetbrains_safe_write(records_repo: Path, daemon: Daemon) -> None:
    path = records_repo / RECORD
    new = _edited(path)
    tmp = path.with_name(path.name + "___jb_tmp___")
    old = path.with_name(path.name + "___jb_old___")
    tmp.write_bytes(new)
    os.rename(path, old)
    os.rename(tmp, path)
    old.unlink()
    wait_commits(records_repo, 2, daemon)
    assert last_message(records_repo) == "amara-okafor: stage active -> review"
    assert_committed_as_on_disk(records_repo)


def test_vscode_truncate_then_write_with_a_pause(records_repo: Path, daemon: Daemon) -> None:
    """The empty file seen between truncate and write is not taken as the user's intent."""
    path = records_repo / RECORD
    new = _edited(path)
    with open(path, "r+b") as handle:
        handle.truncate(0)
        handle.flush()
        os.fsync(handle.fileno())
        time.sleep(0.35)  # longer than the debounce window
        handle.write(new)
    wait_commits(records_repo, 2, daemon)
    idle_mark(records_repo, daemon)  # the watcher is done with HEAD, nothing pending
    assert commit_count(records_repo) == 2
    assert last_message(records_repo) == "amara-okafor: stage active -> review"
    assert_committed_as_on_disk(records_repo)


def test_write_temp_then_rename(records_repo: Path, daemon: Daemon) -> None:
    path = records_repo / RECORD
    tmp = path.with_name(".amara-okafor.md.tmp-4821")
    tmp.write_bytes(_edited(path))
    os.replace(tmp, path)
    wait_commits(records_repo, 2, daemon)
    assert last_message(records_repo) == "amara-okafor: stage active -> review"
    assert_committed_as_on_disk(records_repo)


def test_debris_alone_commits_nothing(records_repo: Path, daemon: Daemon) -> None:
    clients = records_repo / "clients"
    for name in [
        "amara-okafor.md~",
        "#amara-okafor.md#",
        ".amara-okafor.md.swp",
        ".amara-okafor.md.swx",
        ".#amara-okafor.md",
        "4913",
        "notes.txt",
        "x.md___jb_tmp___",
        ".x.md.sortext-tmp-ab12",
    ]:
        (clients / name).write_text("junk: [\n")
    # A real save after the debris: once it is committed, the watcher has seen the
    # debris events before it, so the debris had its chance to produce something.
    path = records_repo / RECORD
    path.write_bytes(_edited(path))
    wait_commits(records_repo, 2, daemon)
    idle_mark(records_repo, daemon)
    assert commit_count(records_repo) == 2
    assert last_message(records_repo) == "amara-okafor: stage active -> review"
    touched = subprocess.run(
        ["git", "show", "--name-only", "--format=", "HEAD"],
        cwd=records_repo,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert touched == [RECORD]
    assert "error" not in daemon.log.lower()


def test_delete_rename_and_git_mv(records_repo: Path, daemon: Daemon) -> None:
    clients = records_repo / "clients"
    (clients / "jonas-weber.md").unlink()
    wait_commits(records_repo, 2, daemon)
    assert last_message(records_repo) == "jonas-weber: record deleted"
    os.rename(clients / "kai-nakamura.md", clients / "kai-nakamura-studio.md")
    wait_commits(records_repo, 3, daemon)
    assert last_message(records_repo).startswith(
        "kai-nakamura-studio: renamed from clients/kai-nakamura.md"
    ), last_message(records_repo)
    git(records_repo, "mv", "clients/farid-haddad.md", "clients/farid-haddad-2.md")
    wait_commits(records_repo, 4, daemon)
    assert "farid-haddad-2" in last_message(records_repo)
    assert clean_status(records_repo) == ""
    assert git(records_repo, "status", "--porcelain", "--", "clients") == ""
    names = git(records_repo, "ls-files", "clients").split()
    assert "clients/farid-haddad-2.md" in names and "clients/farid-haddad.md" not in names


def test_new_record_and_move_out_of_the_folder(records_repo: Path, daemon: Daemon) -> None:
    clients = records_repo / "clients"
    text = (clients / "bruno-castellanos.md").read_text().replace("Bruno Castellanos", "Dana Ruiz")
    (clients / "dana-ruiz.md").write_text(text)
    wait_commits(records_repo, 2, daemon)
    assert last_message(records_repo) == "dana-ruiz: new record (stage inquiry)"
    os.rename(clients / "dana-ruiz.md", records_repo / "dana-ruiz.md")
    wait_commits(records_repo, 3, daemon)
    assert last_message(records_repo) == "dana-ruiz: record deleted"
