"""Erase when the client came after the first commit: the rewritten history still
shares its early commits with every clone, so "unrelated histories" does not tell a
stale clone apart.  A sync must still refuse, either way, to merge history that holds
the erased client, even when no current file does (the client was deleted normally
before being erased, the usual case of "git rm is not enough")."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import git
from tests.gitsetup import make_remote_and_clones
from tests.test_erase import CLIENT, VALUES, object_hits


def client_added_later(root: Path) -> None:
    """Rebuild ``root``'s history: a first commit without the client, then the client
    added, then deleted with a plain ``git rm`` (still in history)."""
    keep = root.parent / "amara.md"
    shutil.move(root / CLIENT, keep)
    shutil.rmtree(root / ".git")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "test@sortext.invalid")
    git(root, "config", "user.name", "Test User")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "records")
    shutil.move(keep, root / CLIENT)
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "new client")
    git(root, "rm", "--quiet", CLIENT)
    git(root, "commit", "--quiet", "-m", "client left")


def test_stale_clone_with_shared_early_history_is_refused(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    client_added_later(records_repo)
    a, b = make_remote_and_clones(records_repo, tmp_path, ("ana", "ben"))
    result = cli("erase", "amara-okafor", "--yes", "--push", "--repo", str(a))
    assert result.exit_code == 0, result.output
    remote = tmp_path / "remote.git"
    assert object_hits(remote, VALUES) == []
    # the histories are still related: only the "new client" commit onwards was rewritten
    assert git(b, "fetch", "--quiet", "origin") == ""
    assert git(b, "merge-base", "HEAD", "origin/main").strip()
    before = git(b, "rev-parse", "HEAD")
    refused = cli("sync", "--repo", str(b))
    assert refused.exit_code == 2, refused.output
    assert "old history" in refused.output and "git clone" in refused.output
    assert git(b, "rev-parse", "HEAD") == before
    assert object_hits(remote, VALUES) == []  # nothing was pushed back


def test_unpushed_erase_refuses_a_remote_whose_history_holds_the_client(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    client_added_later(records_repo)
    a, _b = make_remote_and_clones(records_repo, tmp_path, ("ana", "ben"))
    result = cli("erase", "amara-okafor", "--yes", "--repo", str(a))
    assert result.exit_code == 0, result.output
    refused = cli("sync", "--repo", str(a))
    assert refused.exit_code == 2, refused.output
    assert "origin still holds a client erased here" in refused.output
    assert object_hits(a, VALUES) == []  # the fetched objects were dropped again


def test_import_by_id_refuses_an_erased_client_under_another_id(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A re-run import of an old sheet matched by id: the id column says ``C-0042``,
    but the file would be named after the client (``amara-okafor``): refused."""
    assert cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo)).exit_code == 0
    sheet = tmp_path / "old.csv"
    sheet.write_text("ID,Client,Email\nC-0042,AMARA  OKAFOR,new@example.org\n", "utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("match: id\nfields:\n  id: ID\n  name: Client\n  email: Email\n", "utf-8")
    args = ["import", str(sheet), "--map", str(mapping), "--apply", "--repo", str(records_repo)]
    result = cli(*args, env={"SORTEXT_TODAY": "2026-11-23"})
    assert "was erased on" in result.output, result.output
    assert not any((records_repo / "clients").glob("amara-okafor*.md"))


def test_stale_clone_backup_to_a_new_branch_is_refused(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """``sortext backup`` pushes HEAD to a branch: from a stale clone on a branch the
    rewritten remote lacks, the push succeeded and put the client back on the backup."""
    client_added_later(records_repo)
    a, b = make_remote_and_clones(records_repo, tmp_path, ("ana", "ben"))
    assert cli("erase", "amara-okafor", "--yes", "--push", "--repo", str(a)).exit_code == 0
    git(b, "switch", "--quiet", "-c", "ben-laptop")
    result = cli("backup", "--repo", str(b))
    assert result.exit_code != 0, result.output
    assert "old history" in result.output, result.output
    remote = tmp_path / "remote.git"
    assert "ben-laptop" not in git(remote, "branch", "--list")
    assert object_hits(remote, VALUES) == []


def test_backup_refuses_an_old_pages_branch_after_a_reset_main(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A stale clone that reset its main onto the rewritten remote but kept its old
    pages branch: backup force-pushes the pages branch, which put the client's page
    back on the backup."""
    git(records_repo, "switch", "--quiet", "-c", "sortext-pages")
    page = records_repo / "site" / "clients" / "amara-okafor.html"
    page.parent.mkdir(parents=True)
    page.write_text("<h1>Amara Okafor</h1>", "utf-8")
    git(records_repo, "add", "--force", "site")
    git(records_repo, "commit", "--quiet", "-m", "pages")
    git(records_repo, "switch", "--quiet", "main")
    a, b = make_remote_and_clones(records_repo, tmp_path, ("ana", "ben"))
    remote = tmp_path / "remote.git"
    git(records_repo, "push", "--quiet", str(remote), "sortext-pages")
    for clone in (a, b):
        git(clone, "fetch", "--quiet", "origin", "sortext-pages:sortext-pages")
    result = cli("erase", "amara-okafor", "--yes", "--push", "--repo", str(a))
    assert result.exit_code == 0, result.output
    assert object_hits(remote, VALUES) == []
    git(b, "fetch", "--quiet", "origin")
    git(b, "reset", "--quiet", "--hard", "origin/main")
    result = cli("backup", "--repo", str(b))
    assert result.exit_code != 0, result.output
    assert "sortext-pages still holds a client erased" in result.output, result.output
    assert object_hits(remote, VALUES) == []


@pytest.mark.parametrize("added_later", [False, True])
@pytest.mark.parametrize("deleted_before", [False, True])
@pytest.mark.parametrize("own_commit", [False, True])
def test_no_stale_clone_syncs_the_client_back(
    records_repo: Path,
    tmp_path: Path,
    cli: Callable[..., Result],
    added_later: bool,
    deleted_before: bool,
    own_commit: bool,
) -> None:
    """The class: wherever the client entered history, whether it was deleted before
    the erase, whether the stale clone has commits of its own, sync refuses and the
    remote stays clean."""
    if added_later:
        client_added_later(records_repo)  # leaves the client deleted
        if not deleted_before:
            git(records_repo, "revert", "--no-edit", "HEAD")
    elif deleted_before:
        git(records_repo, "rm", "--quiet", CLIENT)
        git(records_repo, "commit", "--quiet", "-m", "client left")
    a, b = make_remote_and_clones(records_repo, tmp_path, ("ana", "ben"))
    if own_commit:
        other = b / "clients" / "bruno-castellanos.md"
        other.write_text(other.read_text("utf-8") + "\nA note.\n", "utf-8")
        git(b, "commit", "--quiet", "-am", "note")
    assert cli("erase", "amara-okafor", "--yes", "--push", "--repo", str(a)).exit_code == 0
    refused = cli("sync", "--repo", str(b))
    assert refused.exit_code == 2, refused.output
    assert object_hits(tmp_path / "remote.git", VALUES) == []
