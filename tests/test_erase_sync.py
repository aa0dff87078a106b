"""Erase across clones: the remote is rewritten with --push, a stale clone cannot
sync the client back, an un-pushed erase refuses the old remote."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import git
from tests.gitsetup import make_remote_and_clones
from tests.test_erase import CLIENT, VALUES, object_hits


def test_stale_clone_is_told_to_reclone(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    a, b = make_remote_and_clones(records_repo, tmp_path, ("ana", "ben"))
    result = cli("erase", "amara-okafor", "--yes", "--push", "--repo", str(a))
    assert result.exit_code == 0, result.output
    assert "origin (fresh clone)" in result.output and "STILL FOUND" not in result.output
    remote = tmp_path / "remote.git"
    assert object_hits(remote, VALUES) == []  # the bare remote itself was pruned
    before = git(b, "rev-parse", "HEAD")
    refused = cli("sync", "--repo", str(b))
    assert refused.exit_code == 2
    assert "clients/amara-okafor.md is a client erased on another machine" in refused.output
    assert "git clone" in refused.output
    assert git(b, "rev-parse", "HEAD") == before
    assert object_hits(remote, VALUES) == []  # nothing was pushed back
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "--quiet", str(remote), str(fresh))
    assert not (fresh / CLIENT).exists() and (fresh / "erased.yaml").exists()


def test_stale_clone_without_the_file_is_still_refused(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    a, b = make_remote_and_clones(records_repo, tmp_path, ("ana", "ben"))
    git(b, "rm", "--quiet", CLIENT)
    git(b, "commit", "--quiet", "-m", "remove")
    assert cli("erase", "amara-okafor", "--yes", "--push", "--repo", str(a)).exit_code == 0
    refused = cli("sync", "--repo", str(b))
    assert refused.exit_code == 2 and "still holds the old history" in refused.output


def test_unpushed_erase_refuses_the_old_remote(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    a, _b = make_remote_and_clones(records_repo, tmp_path, ("ana", "ben"))
    result = cli("erase", "amara-okafor", "--yes", "--repo", str(a))
    assert result.exit_code == 0, result.output
    assert "backup remotes still hold the client" in result.output
    refused = cli("sync", "--repo", str(a))
    assert refused.exit_code == 2, refused.output
    assert "origin still holds a client erased here" in refused.output
    assert "fetched copy was discarded" in refused.output
    assert not (a / CLIENT).exists()
    assert object_hits(a, VALUES) == []
