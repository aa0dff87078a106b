"""The watcher's parts on their own: debris filter, debouncer, git plumbing, lock, messages."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sortext.daemon.debounce import Debouncer
from sortext.daemon.events import WatchedPaths, is_debris
from sortext.daemon.lock import DaemonRunning, acquire, holder
from sortext.vcs.commit import IN_PROGRESS, GitBusy, GitRepo, IndexLocked, blob_id
from tests.conftest import git

RECORD = "clients/amara-okafor.md"


@pytest.mark.parametrize(
    "name",
    [
        "a.md~",
        "#a.md#",
        ".a.md.swp",
        ".a.md.swx",
        ".a.md.swo",
        ".#a.md",
        "4913",
        "5036",
        "a.md___jb_tmp___",
        "a.md___jb_old___",
        ".a.md.sortext-tmp-1f2e",
        "a.md.orig",
    ],
)
def test_editor_debris_is_ignored(name: str, tmp_path: Path) -> None:
    assert is_debris(name)
    watched = WatchedPaths(
        tmp_path, tmp_path / "clients", (tmp_path / "sortext.yaml",), tmp_path / "templates"
    )
    assert watched.classify(tmp_path / "clients" / name) is None


def test_classify_records_config_and_everything_else(tmp_path: Path) -> None:
    watched = WatchedPaths(
        tmp_path, tmp_path / "clients", (tmp_path / "sortext.yaml",), tmp_path / "templates"
    )
    assert watched.classify(tmp_path / "clients" / "jane-doe.md") == "record"
    assert watched.classify(tmp_path / "clients" / "jane-doe.txt") is None
    assert watched.classify(tmp_path / "clients" / "sub" / "x.md") is None
    assert watched.classify(tmp_path / "sortext.yaml") == "config"
    assert watched.classify(tmp_path / "templates" / "NEXT.md.j2") == "config"
    assert watched.classify(tmp_path / "NEXT.md") is None
    assert watched.classify(tmp_path / "site" / "index.html") is None


@given(st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True))
def test_plain_record_names_are_never_debris(stem: str) -> None:
    assert not is_debris(f"{stem}.md")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_debounce_waits_for_quiet() -> None:
    clock = FakeClock()
    d: Debouncer[str] = Debouncer(0.3, clock)
    d.touch("a")
    clock.now = 0.2
    d.touch("a")  # a second event restarts the window
    clock.now = 0.4
    assert d.due() == []
    clock.now = 0.5
    assert d.due() == ["a"]
    assert d.due() == [] and len(d) == 0


@given(st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 2)), max_size=30))
def test_debounce_a_key_is_due_exactly_window_after_its_last_touch(
    events: list[tuple[str, float]],
) -> None:
    clock = FakeClock()
    d: Debouncer[str] = Debouncer(0.3, clock)
    last: dict[str, float] = {}
    t = 0.0
    for key, gap in events:
        t += gap
        clock.now = t
        for k in d.due():
            assert clock.now >= last[k] + 0.3
            del last[k]
        d.touch(key)
        last[key] = t
    for k, at in last.items():
        assert k in d
        assert d.next_deadline() is not None
        assert at + 0.3 >= d.next_deadline()  # type: ignore[operator]
    clock.now = t + 0.3
    assert sorted(d.due()) == sorted(last)


# -- git plumbing --------------------------------------------------------------


def test_commit_stores_exactly_the_given_bytes(records_repo: Path) -> None:
    repo = GitRepo.open(records_repo)
    data = (records_repo / RECORD).read_bytes().replace(b"stage: active", b"stage: review")
    (records_repo / RECORD).write_bytes(data + b"\nlater edit not yet validated\n")
    commit = repo.commit({RECORD: data}, "amara-okafor: stage active -> review\n")
    assert commit is not None
    shown = subprocess.run(
        ["git", "show", f"HEAD:{RECORD}"], cwd=records_repo, capture_output=True, check=True
    ).stdout
    assert shown == data
    assert blob_id(data) == git(records_repo, "rev-parse", f"HEAD:{RECORD}").strip()
    assert git(records_repo, "log", "-1", "--format=%s") == (
        "amara-okafor: stage active -> review\n"
    )


def test_one_commit_of_a_record_its_pages_and_a_delete(records_repo: Path) -> None:
    """All blobs go to git in one process; each holds exactly its bytes, CRLF and
    non-UTF-8 included, and no staging file stays in .git."""
    repo = GitRepo.open(records_repo)
    changes: dict[str, bytes | None] = {
        RECORD: (records_repo / RECORD).read_bytes().replace(b"\n", b"\r\n"),
        "NEXT.md": b"# What happens next\n",
        "site/index.html": bytes(range(256)),
        "clients/jonas-weber.md": None,
    }
    assert repo.commit(changes, "several") is not None
    for path, data in changes.items():
        if data is None:
            assert path not in git(records_repo, "ls-files")
        else:
            assert git(records_repo, "rev-parse", f"HEAD:{path}").strip() == blob_id(data)
    assert not list((records_repo / ".git").glob("sortext-blob-*"))


def test_private_index_is_reused_until_someone_else_commits(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sortext.vcs.commit as gitops
    from sortext.vcs.git import run as real  # what sortext.vcs.commit calls

    calls: list[str] = []

    def counting(root: Path, *args: str, **kwargs: object) -> bytes:
        calls.append(args[0])
        return real(root, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gitops, "run", counting)
    repo = GitRepo.open(records_repo)
    first = (records_repo / RECORD).read_bytes().replace(b"stage: active", b"stage: review")
    assert repo.commit({RECORD: first}, "one") is not None
    assert repo.private_index.exists()
    calls.clear()
    assert repo.commit({"NEXT.md": b"# next\n"}, "two") is not None
    assert "read-tree" not in calls  # the private index already held HEAD's tree
    assert git(records_repo, "show", f"HEAD:{RECORD}").encode() == first
    # Someone commits meanwhile: the next commit reads HEAD's tree again and keeps theirs.
    (records_repo / "notes.txt").write_text("theirs\n")
    git(records_repo, "add", "notes.txt")
    git(records_repo, "commit", "-q", "-m", "their commit")
    calls.clear()
    assert repo.commit({"NEXT.md": b"# next again\n"}, "three") is not None
    assert "read-tree" in calls
    files = git(records_repo, "ls-tree", "-r", "--name-only", "HEAD").split()
    assert {"notes.txt", "NEXT.md", RECORD} <= set(files)
    assert git(records_repo, "show", f"HEAD:{RECORD}").encode() == first
    repo.close()
    assert not repo.private_index.exists()


def test_prepared_private_index_serves_the_first_commit_and_is_never_stale(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``prepare`` (the watcher's start-up) reads HEAD's tree once, so the first save's
    commit does not; when someone commits after it, that commit reads HEAD again."""
    import sortext.vcs.commit as gitops
    from sortext.vcs.git import run as real  # what sortext.vcs.commit calls

    calls: list[str] = []

    def counting(root: Path, *args: str, **kwargs: object) -> bytes:
        calls.append(args[0])
        return real(root, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gitops, "run", counting)
    repo = GitRepo.open(records_repo)
    repo.prepare()
    assert "read-tree" in calls and repo.private_index.exists()
    calls.clear()
    repo.prepare()  # already holds HEAD's tree: nothing to do
    assert "read-tree" not in calls
    first = (records_repo / RECORD).read_bytes().replace(b"stage: active", b"stage: review")
    assert repo.commit({RECORD: first}, "one") is not None
    assert "read-tree" not in calls
    files = set(git(records_repo, "ls-tree", "-r", "--name-only", "HEAD").split())
    # Someone commits between the start-up and the next save: theirs is kept.
    repo.prepare()
    (records_repo / "notes.txt").write_text("theirs\n")
    git(records_repo, "add", "notes.txt")
    git(records_repo, "commit", "-q", "-m", "their commit")
    calls.clear()
    assert repo.commit({"NEXT.md": b"# next\n"}, "two") is not None
    assert "read-tree" in calls
    after = set(git(records_repo, "ls-tree", "-r", "--name-only", "HEAD").split())
    assert after == files | {"notes.txt", "NEXT.md"}
    assert git(records_repo, "show", f"HEAD:{RECORD}").encode() == first
    repo.close()


def test_leftovers_of_a_dead_process_are_removed_and_nothing_else(tmp_path: Path) -> None:
    from sortext.daemon.leftovers import remove_leftovers

    dead = subprocess.Popen(["true"])
    dead.wait()
    names = {
        f"sortext-blob-{dead.pid}-0": True,
        f"sortext-index-{dead.pid}": True,
        f".a.md.{dead.pid}.tmp": True,
        ".a.md.sortext-tmp-1f": True,
        f"sortext-blob-{os.getpid()}-0": False,
        f"sortext-index-{os.getpid()}": False,
        "sortext-blob-x-0": False,
        "a.md": False,
        "notes.tmp": False,
    }
    for name in names:
        (tmp_path / name).write_text("x")
    removed = {p.name for p in remove_leftovers([tmp_path])}
    assert removed == {name for name, gone in names.items() if gone}


def test_commit_of_heads_own_bytes_is_nothing(records_repo: Path) -> None:
    repo = GitRepo.open(records_repo)
    assert repo.commit({RECORD: (records_repo / RECORD).read_bytes()}, "same") is None
    assert git(records_repo, "rev-list", "--count", "HEAD").strip() == "1"


def test_commit_deletes(records_repo: Path) -> None:
    repo = GitRepo.open(records_repo)
    (records_repo / RECORD).unlink()
    assert repo.commit({RECORD: None}, "amara-okafor: record deleted") is not None
    assert RECORD not in git(records_repo, "ls-files")
    assert git(records_repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("marker", sorted(IN_PROGRESS))
def test_never_commits_while_git_is_busy(records_repo: Path, marker: str) -> None:
    repo = GitRepo.open(records_repo)
    target = records_repo / ".git" / marker
    if marker.startswith("rebase"):
        target.mkdir()
    else:
        target.write_text(git(records_repo, "rev-parse", "HEAD"))
    with pytest.raises(GitBusy, match=IN_PROGRESS[marker]):
        repo.commit({RECORD: b"---\nname: X\nstage: inquiry\n---\n"}, "x")
    assert git(records_repo, "rev-list", "--count", "HEAD").strip() == "1"


def test_index_lock_is_waited_for_then_released(records_repo: Path) -> None:
    repo = GitRepo.open(records_repo)
    lock = records_repo / ".git" / "index.lock"
    lock.write_bytes(b"")
    threading.Timer(0.3, lock.unlink).start()
    data = (records_repo / RECORD).read_bytes() + b"\nmore\n"
    assert repo.commit({RECORD: data}, "notes") is not None


def test_old_index_lock_is_reported_as_stale_never_deleted(records_repo: Path) -> None:
    repo = GitRepo.open(records_repo)
    lock = records_repo / ".git" / "index.lock"
    lock.write_bytes(b"")
    hour_ago = time.time() - 3600
    os.utime(lock, (hour_ago, hour_ago))
    data = (records_repo / RECORD).read_bytes() + b"\nmore\n"
    with pytest.raises(IndexLocked, match="probably stale"):
        repo.sync_index([f"100644 {blob_id(data)}\t{RECORD}"], timeout=0.2)
    assert lock.exists()


def test_a_commit_made_meanwhile_is_kept(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """update-ref is compare-and-swap: a user's commit between our read of HEAD and
    our ref update is never overwritten; we rebuild on top of it."""
    repo = GitRepo.open(records_repo)
    original = GitRepo._tree_with
    user_head: list[str] = []

    def sneaky(self: GitRepo, parent: str | None, entries: list[str]) -> str:
        if not user_head:
            (records_repo / "user.txt").write_text("mine\n")
            git(records_repo, "add", "user.txt")
            git(records_repo, "commit", "-qm", "user commit")
            user_head.append(git(records_repo, "rev-parse", "HEAD").strip())
        return original(self, parent, entries)

    monkeypatch.setattr(GitRepo, "_tree_with", sneaky)
    data = (records_repo / RECORD).read_bytes() + b"\nmore\n"
    commit = repo.commit({RECORD: data}, "notes")
    assert commit is not None
    assert git(records_repo, "rev-parse", "HEAD~1").strip() == user_head[0]


# -- lock ---------------------------------------------------------------------


def test_second_lock_is_refused_and_stale_file_taken_over(tmp_path: Path) -> None:
    path = tmp_path / ".sortext" / "watch.pid"
    path.parent.mkdir()
    path.write_text("999999\n")  # left by a daemon that died
    assert holder(path) is None
    first = acquire(path)
    assert first.stale_pid == 999999
    assert holder(path) == os.getpid()
    with pytest.raises(DaemonRunning, match=f"pid {os.getpid()}"):
        acquire(path)
    first.release()
    assert holder(path) is None and not path.exists()


# -- messages -----------------------------------------------------------------


def test_message_for_several_records_lists_each(records_repo: Path) -> None:
    from sortext.repo import open_repository
    from sortext.schema.validate import RecordValidator
    from sortext.vcs.messages import commit_message

    repo = open_repository(records_repo)
    validator = RecordValidator(repo.config)
    a = (records_repo / RECORD).read_bytes()
    b_path = "clients/bruno-castellanos.md"
    b = (records_repo / b_path).read_bytes()
    new = {
        RECORD: a.replace(b"stage: active", b"stage: review"),
        b_path: b + b"\nOne more line.\n",
    }
    message = commit_message(validator, new, {RECORD: a, b_path: b}, {})
    subject, _, body = message.partition("\n\n")
    assert subject == "2 records: amara-okafor, bruno-castellanos"
    assert body.splitlines() == [
        "amara-okafor: stage active -> review",
        "bruno-castellanos: notes +2 lines",
    ]


def test_a_forked_worker_of_the_daemon_ends_on_sigterm_from_its_first_instruction() -> None:
    """The daemon handles SIGINT/SIGTERM in Python; its fork-pool workers must not: a
    SIGTERM pending when a worker first runs (a pool ended before the kernel ran the
    worker) would be forgotten by the interpreter's after-fork reset, and the daemon
    would wait for that worker forever.  A child starts with the default action and
    nothing blocked; the parent gets its signals unblocked back."""
    import signal

    from sortext.daemon.service import WatchService

    service = WatchService.__new__(WatchService)
    previous = service._install_signals()
    try:
        assert previous, "pytest runs tests in the main thread"
        pid = os.fork()
        if pid == 0:  # the child: report, never return into pytest
            ok = signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
            ok = ok and signal.getsignal(signal.SIGINT) == signal.SIG_DFL
            ok = ok and signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
            if ok:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(30)
            os._exit(3)
        assert signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
        assert callable(signal.getsignal(signal.SIGTERM))  # the parent keeps its handler
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
    finally:
        WatchService._restore_signals(previous)
