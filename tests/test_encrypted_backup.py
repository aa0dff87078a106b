"""Encrypted backups through git-remote-gcrypt with a throwaway key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import git
from tests.gpgkit import gpg_key  # noqa: F401  (fixture)


def configure_vault(root: Path, vault: Path, fingerprint: str) -> None:
    config = root / "sortext.yaml"
    config.write_text(
        config.read_text("utf-8")
        + f"\nbackup:\n  remotes: []\n  encrypted:\n    vault:\n      url: {vault}\n"
        f"      recipients: ['{fingerprint}']\n",
        "utf-8",
    )
    git(root, "commit", "--quiet", "-am", "encrypted backup")


def test_backup_to_an_encrypted_remote_is_verified_and_unreadable(
    records_repo: Path,
    tmp_path: Path,
    cli: Callable[..., Result],
    gpg_key: str,  # noqa: F811
) -> None:
    vault = tmp_path / "vault"
    configure_vault(records_repo, vault, gpg_key)
    result = cli("backup", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    assert "vault: verified" in result.output
    assert git(records_repo, "config", "remote.vault.url").strip() == f"gcrypt::{vault}"
    stored = b"".join(p.read_bytes() for p in vault.rglob("*") if p.is_file())
    assert stored and b"Amara" not in stored and b"amara-okafor" not in stored
    assert b"okafor@example.com" not in stored


def test_a_plain_remote_named_as_encrypted_is_refused(
    records_repo: Path,
    tmp_path: Path,
    cli: Callable[..., Result],
    gpg_key: str,  # noqa: F811
) -> None:
    plain = tmp_path / "plain.git"
    git(tmp_path, "init", "--bare", "--quiet", str(plain))
    git(records_repo, "remote", "add", "vault", str(plain))
    configure_vault(records_repo, tmp_path / "vault", gpg_key)
    result = cli("backup", "--repo", str(records_repo))
    assert result.exit_code == 2 and "which is not encrypted" in result.output
    assert git(plain, "for-each-ref") == ""  # nothing pushed in the clear


@pytest.mark.parametrize("bad", ["recipients: []", "url: ''"])
def test_encrypted_config_is_validated(
    records_repo: Path, cli: Callable[..., Result], bad: str
) -> None:
    config = records_repo / "sortext.yaml"
    other = "url: /x" if bad.startswith("recipients") else "recipients: [ABC]"
    config.write_text(
        config.read_text("utf-8") + f"\nbackup:\n  encrypted:\n    vault: {{{bad}, {other}}}\n",
        "utf-8",
    )
    result = cli("check", "--repo", str(records_repo))
    assert (
        result.exit_code == 2
        and "sortext.yaml:" in result.output
        and "backup.encrypted" in result.output
    )
