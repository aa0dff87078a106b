"""Issue 14, item 8: the whole loop for real.

A repository with history (an extra pages branch, a tag), two clones, a bare
backup remote and an encrypted (git-remote-gcrypt) backup; erase a client on one
clone with --push; no object anywhere holds the client's values; the other clone
cannot sync the client back; a restore from the encrypted backup has no client.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import git
from tests.gitsetup import make_remote_and_clones
from tests.gpgkit import gpg_key  # noqa: F401  (fixture)
from tests.test_erase import CLIENT, VALUES, grow_history, object_hits

OLD_EMAIL = b"a.okafor@old.example"


def test_erase_loop_with_clones_a_bare_remote_and_an_encrypted_backup(
    records_repo: Path,
    tmp_path: Path,
    cli: Callable[..., Result],
    gpg_key: str,  # noqa: F811
) -> None:
    grow_history(records_repo)
    a, b = make_remote_and_clones(records_repo, tmp_path, ("ana", "ben"))
    remote = tmp_path / "remote.git"
    git(records_repo, "push", "--quiet", str(remote), "sortext-pages", "--tags")
    vault = tmp_path / "vault"
    config = a / "sortext.yaml"
    config.write_text(
        config.read_text("utf-8")
        + f"\nbackup:\n  remotes: [origin]\n  encrypted:\n    vault:\n      url: {vault}\n"
        f"      recipients: ['{gpg_key}']\n",
        "utf-8",
    )
    git(a, "commit", "--quiet", "-am", "encrypted backup")
    git(a, "fetch", "--quiet", "origin")
    git(a, "branch", "--quiet", "sortext-pages", "origin/sortext-pages")
    backed = cli("backup", "--repo", str(a))
    assert backed.exit_code == 0, backed.output
    assert "vault: verified" in backed.output and "origin: verified" in backed.output
    assert cli("sync", "--repo", str(b)).exit_code == 0
    everywhere = [*VALUES, OLD_EMAIL]
    assert object_hits(a, everywhere) and object_hits(remote, everywhere)

    erased = cli("erase", "amara-okafor", "--yes", "--push", "--repo", str(a))
    assert erased.exit_code == 0, erased.output
    for where in ("local repository", "origin (fresh clone)", "vault (fresh clone)"):
        assert f"verified {where}:" in erased.output
    assert "STILL FOUND" not in erased.output

    # no object anywhere: the clone, the bare remote (reachable or not), a decrypted
    # fresh copy of the encrypted backup; every branch and the tag kept
    assert object_hits(a, everywhere) == []
    assert object_hits(remote, everywhere) == []
    refs = git(remote, "for-each-ref", "--format=%(refname)").split()
    assert {"refs/heads/main", "refs/heads/sortext-pages", "refs/tags/v1"} <= set(refs)
    raw_vault = b"".join(p.read_bytes() for p in vault.rglob("*") if p.is_file())
    assert raw_vault and not any(v in raw_vault for v in everywhere)

    # the other clone cannot bring the client back
    before = git(b, "rev-parse", "HEAD")
    refused = cli("sync", "--repo", str(b))
    assert refused.exit_code == 2
    assert "erased on another machine" in refused.output and "git clone" in refused.output
    assert git(b, "rev-parse", "HEAD") == before
    assert object_hits(remote, everywhere) == []

    # restore from the encrypted backup: the client is absent, the others are there
    restored = tmp_path / "restored"
    subprocess.run(
        ["git", "clone", "--quiet", "--branch", "main", f"gcrypt::{vault}", str(restored)],
        check=True,
        capture_output=True,
    )
    assert not (restored / CLIENT).exists(), git(restored, "branch", "-a")
    assert (restored / "erased.yaml").exists(), git(restored, "log", "--oneline", "-3")
    mine = sorted(p.name for p in (a / "clients").glob("*.md"))
    assert sorted(p.name for p in (restored / "clients").glob("*.md")) == mine
    assert object_hits(restored, everywhere) == []
    assert cli("check", "--repo", str(restored)).exit_code in (0, 1)  # warnings allowed
    # a re-clone of the rewritten remote syncs again
    fresh = tmp_path / "ben-again"
    git(tmp_path, "clone", "--quiet", str(remote), str(fresh))
    assert cli("sync", "--repo", str(fresh)).exit_code == 0
