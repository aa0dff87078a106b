"""The first hour: ``sortext init`` commits and prints the next steps; the pre-commit
hook and the merge driver run with the Python recorded at init/install time, so a real
``git commit`` works where the virtual environment is not on PATH (GUI git clients),
and says clearly what to do when that Python is gone."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "test@sortext.invalid",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "test@sortext.invalid",
}

VALID = """---
name: Bo Lindqvist
stage: inquiry
next_action:
  what: Send the welcome pack
  due: 2026-12-01
  owner: me
---
Notes.
"""


def bare_env(home: Path) -> dict[str, str]:
    """A shell as a GUI git client starts it: no venv, system PATH only."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", **IDENTITY}


def git(root: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def practice(cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "clients-repo"
    result = cli("init", str(root))
    assert result.exit_code == 0, result.output
    assert "first commit" in result.output
    assert "Next steps:" in result.output and "sortext new" in result.output
    return root


def test_init_makes_a_first_commit_and_records_the_python(practice: Path, tmp_path: Path) -> None:
    env = bare_env(tmp_path)
    log = git(practice, "log", "--format=%s", env=env)
    assert log.stdout.strip() == "sortext init: a new records repository"
    assert git(practice, "status", "--porcelain", env=env).stdout == ""
    recorded = git(practice, "config", "--get", "sortext.python", env=env).stdout.strip()
    assert recorded == str(Path(sys.executable).absolute())
    driver = git(practice, "config", "--get", "merge.sortext.driver", env=env).stdout
    assert recorded in driver and "-m sortext merge-driver" in driver


def test_hook_runs_without_the_venv_on_path(practice: Path, tmp_path: Path) -> None:
    env = bare_env(tmp_path)
    probe = subprocess.run(
        ["sh", "-c", "command -v sortext; python3 -c 'import sortext' 2>/dev/null && echo yes"],
        env=env,
        cwd=practice,
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.stdout.strip() == "", "the bare environment must not reach sortext"
    bad = practice / "clients" / "bo-lindqvist.md"
    bad.write_text(VALID.replace("2026-12-01", "2026-11-31"), encoding="utf-8")
    git(practice, "add", "-A", env=env)
    refused = git(practice, "commit", "-m", "bad", env=env)
    assert refused.returncode != 0
    assert "impossible date 2026-11-31" in refused.stderr + refused.stdout
    assert "No module named" not in refused.stderr
    bad.write_text(VALID, encoding="utf-8")
    git(practice, "add", "-A", env=env)
    ok = git(practice, "commit", "-m", "good", env=env)
    assert ok.returncode == 0, ok.stderr


def test_hook_says_what_to_do_when_the_python_is_gone(practice: Path, tmp_path: Path) -> None:
    env = bare_env(tmp_path)
    gone = str(tmp_path / "old-venv" / "bin" / "python")
    git(practice, "config", "sortext.python", gone, env=env)
    (practice / "clients" / "bo-lindqvist.md").write_text(VALID, encoding="utf-8")
    git(practice, "add", "-A", env=env)
    refused = git(practice, "commit", "-m", "x", env=env)
    assert refused.returncode == 1
    assert f"the Python recorded for this repository is gone: {gone}" in refused.stderr
    assert "sortext install" in refused.stderr


def test_install_replaces_the_old_shipped_hook_and_doctor_reports_a_gone_python(
    cli: Callable[..., Result], practice: Path, tmp_path: Path
) -> None:
    from sortext.vcs.scaffold import OLD_PRE_COMMIT

    hook = practice / ".githooks" / "pre-commit"
    hook.write_text(OLD_PRE_COMMIT, encoding="utf-8")
    result = cli("install", "--repo", str(practice))
    assert result.exit_code == 0, result.output
    assert "sortext.python" in hook.read_text(encoding="utf-8")
    assert os.access(hook, os.X_OK)
    mine = "#!/bin/sh\nexit 0\n"
    hook.write_text(mine, encoding="utf-8")
    assert cli("install", "--repo", str(practice)).exit_code == 0
    assert hook.read_text(encoding="utf-8") == mine  # the user's own hook is kept
    git(practice, "config", "sortext.python", "/nonexistent/python", env=bare_env(tmp_path))
    doctor = cli("doctor", "--repo", str(practice))
    assert "recorded for the hook and merge driver is gone (/nonexistent/python)" in doctor.output


def test_merge_driver_runs_without_the_venv_on_path(practice: Path, tmp_path: Path) -> None:
    """Two branches change different fields of one client: git (no venv on PATH) calls
    the recorded Python's merge driver, which merges them field by field."""
    env = bare_env(tmp_path)
    record = practice / "clients" / "bo-lindqvist.md"
    record.write_text(VALID, encoding="utf-8")
    git(practice, "add", "-A", env=env)
    assert git(practice, "commit", "-qm", "bo", env=env).returncode == 0
    git(practice, "checkout", "-qb", "other", env=env)
    # adjacent lines: git's own line merge would stop with a conflict here
    record.write_text(VALID.replace("  owner: me", "  owner: ana"), encoding="utf-8")
    assert git(practice, "commit", "-qam", "owner", env=env).returncode == 0
    git(practice, "checkout", "-q", "-", env=env)
    record.write_text(VALID.replace("2026-12-01", "2026-12-03"), encoding="utf-8")
    assert git(practice, "commit", "-qam", "due", env=env).returncode == 0
    without = git(
        practice, "-c", "merge.sortext.driver=false", "merge", "--no-edit", "other", env=env
    )
    assert without.returncode != 0  # git's line merge alone conflicts here
    git(practice, "merge", "--abort", env=env)
    merged = git(practice, "merge", "--no-edit", "other", env=env)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    text = record.read_text(encoding="utf-8")
    assert "owner: ana" in text and "due: 2026-12-03" in text
