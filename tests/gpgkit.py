"""A throwaway GPG key in a temporary GNUPGHOME (no passphrase), for encrypted backups."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def gpg_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Fingerprint of a fresh secret key; GNUPGHOME points at it for the test."""
    if shutil.which("gpg") is None or shutil.which("git-remote-gcrypt") is None:
        pytest.skip(
            "gpg and git-remote-gcrypt are needed (apt-get install git-remote-gcrypt gnupg)"
        )
    home = Path(tempfile.mkdtemp(prefix="g", dir="/tmp"))  # short: gpg-agent's socket path
    home.chmod(0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))
    spec = (
        "%no-protection\nKey-Type: EDDSA\nKey-Curve: ed25519\nKey-Usage: sign\n"
        "Subkey-Type: ECDH\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\n"
        "Name-Real: Sortext Test\nName-Email: backup@sortext.invalid\nExpire-Date: 0\n%commit\n"
    )
    env = {"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        ["gpg", "--batch", "--gen-key"],
        input=spec,
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )
    listing = subprocess.run(
        ["gpg", "--batch", "--with-colons", "--list-secret-keys"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    fingerprint = next(
        line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr")
    )
    try:
        yield fingerprint
    finally:
        subprocess.run(["gpgconf", "--kill", "all"], env=env, check=False, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
