"""The real watcher refuses to commit an erased client brought back from an old copy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import git
from tests.test_erase import CLIENT, VALUES, object_hits
from tests.watchkit import Daemon, commit_count, wait_commits, wait_for


def test_watcher_refuses_an_erased_client(records_repo: Path, cli: Callable[..., Result]) -> None:
    old = (records_repo / CLIENT).read_bytes()
    assert cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo)).exit_code == 0
    daemon = Daemon(records_repo)
    try:
        daemon.wait_ready()
        (records_repo / CLIENT).write_bytes(old)
        wait_for(lambda: "was erased on" in daemon.log, 15, lambda: daemon.log)
        line = next(x for x in daemon.log.splitlines() if "was erased on" in x)
        assert "not committed" in line and "erased.yaml" in line
        # a later save of another client is committed; the erased one never is
        count = commit_count(records_repo)
        other = records_repo / "clients" / "bruno-castellanos.md"
        other.write_text(other.read_text("utf-8") + "\nA new note.\n", "utf-8")
        wait_commits(records_repo, count + 1, daemon)
    finally:
        daemon.stop()
    assert git(records_repo, "log", "--all", "--format=%H", "--", CLIENT) == ""
    assert object_hits(records_repo, VALUES) == [], debug_objects(records_repo)


def debug_objects(root: Path) -> str:
    """Which objects still name the client, and whether a ref reaches them."""
    out = []
    reachable = set(git(root, "rev-list", "--all", "--objects").split())
    from sortext.vcs.git import all_objects

    for oid, kind, data in all_objects(root):
        if b"amara-okafor" in data or b"Amara Okafor" in data:
            out.append(f"{oid} {kind} reachable={oid in reachable} {data[:120]!r}")
    return "\n".join(out)
