"""The git layer (sortext.vcs.git): one error type, one no-prompt and timeout policy,
and GitPython imported only by the commands that need it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from sortext.errors import GitError
from sortext.vcs import git as layer
from tests.conftest import PROJECT_ROOT, git

_PROBE = """
import sys
from sortext.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("GITPYTHON" if "git" in sys.modules else "NO-GITPYTHON", file=sys.stderr)
"""


def _imports_gitpython(cwd: Path, *args: str) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )
    last = done.stderr.strip().splitlines()[-1]
    assert last in ("GITPYTHON", "NO-GITPYTHON"), done.stderr
    return last == "GITPYTHON"


@pytest.mark.parametrize(
    "args",
    [
        ("next", "--today", "2026-11-20"),
        ("show", "{client}"),
        ("list",),
        ("search", "coach"),
        ("check",),
    ],
    ids=lambda a: a[0],
)
def test_query_commands_never_import_gitpython(records_repo: Path, args: tuple[str, ...]) -> None:
    client = sorted((records_repo / "clients").glob("*.md"))[0].stem
    argv = [a.format(client=client) for a in args]
    assert not _imports_gitpython(records_repo, *argv, "--repo", str(records_repo))


def test_the_import_probe_sees_gitpython(tmp_path: Path) -> None:
    """The probe can fail: ``init`` uses GitPython's Repo.init, and the probe sees it."""
    assert _imports_gitpython(tmp_path, "init", str(tmp_path / "new"))
    assert (tmp_path / "new" / ".git").is_dir()


def test_check_staged_outside_git_is_one_clear_line(
    empty_repo: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(empty_repo.parent))
    result = cli("check", "--staged", "--repo", str(empty_repo))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "check --staged needs a git repository" in lines[0]
    assert "Traceback" not in result.output and "CalledProcessError" not in result.output


def test_check_staged_reads_the_index_not_the_file(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    path = sorted((records_repo / "clients").glob("*.md"))[0]
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("\nstage:", "\nstage: [not, a, stage]\nold_stage:", 1))
    git(records_repo, "add", str(path))
    path.write_text(good, encoding="utf-8")  # the working file is fine; the index is not
    assert cli("check", "--staged", "--repo", str(records_repo)).exit_code == 1
    git(records_repo, "add", str(path))
    assert cli("check", "--staged", "--repo", str(records_repo)).exit_code == 0


def test_every_git_call_gets_the_no_prompt_environment() -> None:
    env = layer.environment()
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert "BatchMode=yes" in env["GIT_SSH_COMMAND"] or "GIT_SSH_COMMAND" in os.environ
    assert layer.timeout_for(["push"]) == layer.NETWORK_TIMEOUT
    assert layer.timeout_for(["fetch"]) == layer.NETWORK_TIMEOUT
    assert layer.timeout_for(["status"]) == layer.TIMEOUT


def test_a_git_call_past_its_timeout_is_a_git_error(tmp_path: Path) -> None:
    """A remote that never answers: git (and the ssh it started) is ended at the timeout."""
    git(tmp_path, "init", "--quiet")
    hang = {"GIT_SSH_COMMAND": "sleep 20 2>/dev/null #"}  # an ssh that never answers
    started = time.monotonic()
    with pytest.raises(GitError, match="did not finish within 1 s; check the network"):
        layer.run(tmp_path, "ls-remote", "ssh://example.invalid/x.git", env=hang, timeout=1)
    assert time.monotonic() - started < 10  # the hanging "ssh" did not hold the pipes


def test_a_failing_git_call_is_a_git_error_with_git_s_message(tmp_path: Path) -> None:
    git(tmp_path, "init", "--quiet")
    with pytest.raises(GitError, match="git rev-parse --verify nope failed: fatal"):
        layer.run(tmp_path, "rev-parse", "--verify", "nope")
    with pytest.raises(GitError, match="no git remote named 'origin'"):
        layer.remote_url(tmp_path, "origin")


@pytest.mark.parametrize("memfd", [True, False])
def test_spooled_output_is_the_piped_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memfd: bool
) -> None:
    """``spool=True`` (git writes into an anonymous file, a temporary file where there
    is no memfd) gives the bytes a pipe gives, past any pipe buffer; failures and
    timeouts read as before."""
    if not memfd:
        monkeypatch.delattr(os, "memfd_create", raising=False)
    git(tmp_path, "init", "--quiet")
    data = bytes(range(256)) * 2000 + b"no newline at the end"  # ~500 KB
    (tmp_path / "big.bin").write_bytes(data)
    blob = layer.run(tmp_path, "hash-object", "-w", "big.bin").decode().strip()
    assert layer.run(tmp_path, "cat-file", "blob", blob, spool=True) == data
    assert layer.run(tmp_path, "cat-file", "blob", blob) == data
    assert layer.run(tmp_path, "rev-list", "--all", spool=True) == b""  # empty output
    with pytest.raises(GitError, match="git rev-parse --verify nope failed: fatal"):
        layer.run(tmp_path, "rev-parse", "--verify", "nope", spool=True)
    hang = {"GIT_SSH_COMMAND": "sleep 20 2>/dev/null #"}
    with pytest.raises(GitError, match="did not finish within 1 s"):
        layer.run(
            tmp_path, "ls-remote", "ssh://example.invalid/x.git", env=hang, timeout=1, spool=True
        )


def test_a_remote_needing_a_password_fails_instead_of_prompting(tmp_path: Path) -> None:
    """sync/backup network calls go through the policy: no prompt, so no hang."""
    git(tmp_path, "init", "--quiet")
    with pytest.raises(GitError):
        layer.run(tmp_path, "ls-remote", "https://127.0.0.1:9/nobody.git", timeout=30)


def test_sync_with_no_such_remote_is_one_clear_error(records_repo: Path) -> None:
    from sortext.repo import open_repository
    from sortext.vcs.sync import sync

    with pytest.raises(
        GitError,
        match=r"no git remote named 'origin' \(remotes here: none\): add it with git remote",
    ):
        sync(open_repository(records_repo))


@given(
    st.text(max_size=400),
    st.lists(st.from_regex(r"[a-z][a-z-]{0,9}", fullmatch=True), min_size=1, max_size=4),
)
def test_every_git_failure_is_one_line_that_names_the_command(stderr: str, args: list[str]) -> None:
    """Whatever git prints, the GitError a user sees is one line naming the command
    (or saying that a git repository is needed)."""
    message = str(layer.failure(args, stderr))
    assert len(message.splitlines()) == 1
    assert message.startswith(f"git {args[0]}") or "git repository" in message
