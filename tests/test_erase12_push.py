"""One check before every push (``sortext backup``, ``sortext sync``, the watcher's
push): a stale clone, whose history still holds a client erased on the remote, never
uploads that history, whatever branch name it pushes to."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from sortext.daemon.state import read_json
from tests.conftest import git
from tests.gitsetup import make_remote_and_clones
from tests.test_erase import VALUES, object_hits
from tests.watchkit import Daemon, settled, wait_for, wait_settled

OTHER = "clients/harbour-lane-coop.md"


def _stale_clone_pushing_to(
    tmp_path: Path, records_repo: Path, cli: Callable[..., Result], branch: str
) -> tuple[Path, Path]:
    """Clone ``b`` of a remote on which ``a`` erased amara-okafor (with --push); ``b``
    still has the old history and backs up to ``branch``, a name the remote lacks."""
    a, b = make_remote_and_clones(records_repo, tmp_path, ("ana", "ben"))
    erased = cli("erase", "amara-okafor", "--yes", "--push", "--repo", str(a))
    assert erased.exit_code == 0, erased.output
    config = b / "sortext.yaml"
    config.write_text(config.read_text() + f"\nbackup: {{remotes: [origin], branch: {branch}}}\n")
    git(b, "commit", "-qam", "back up to a branch of its own")
    return a, b


def _remote_branch(remote: Path, branch: str) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "-q", "--verify", f"refs/heads/{branch}"],
        cwd=remote,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def test_the_watchers_push_refuses_a_stale_clone(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    _a, b = _stale_clone_pushing_to(tmp_path, records_repo, cli, "ben-laptop")
    remote = tmp_path / "remote.git"
    daemon = Daemon(b)
    try:
        daemon.wait_ready()
        mark = settled(b)
        path = b / OTHER
        path.write_text(path.read_text().replace("stage: ", "stage: ", 1) + "\nA line.\n")
        wait_settled(b, mark, daemon)  # the edit is committed; the push is nudged
        push_state = b / ".sortext" / "push.json"
        wait_for(
            lambda: (
                "last_error" in read_json(push_state) or "last_success" in read_json(push_state)
            ),
            30,
            lambda: daemon.log,
        )
        state = read_json(push_state)
        assert "last_success" not in state, state
        assert "erased on another machine" in state["last_error"], state
        assert "backup push to origin failed" in daemon.log
    finally:
        daemon.stop()
    assert _remote_branch(remote, "ben-laptop") == ""
    assert object_hits(remote, VALUES) == []


def test_backup_and_sync_refuse_a_stale_clone_pushing_a_new_branch(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    _a, b = _stale_clone_pushing_to(tmp_path, records_repo, cli, "ben-laptop")
    remote = tmp_path / "remote.git"
    backup = cli("backup", "--repo", str(b))
    assert backup.exit_code != 0, backup.output
    assert "erased on another machine" in backup.output
    synced = cli("sync", "--repo", str(b))
    assert synced.exit_code == 2, synced.output
    assert "erased on another machine" in synced.output
    assert _remote_branch(remote, "ben-laptop") == ""
    assert object_hits(remote, VALUES) == []
