"""A state file that is not a regular file (a FIFO, a socket, a symbolic link) never
blocks or misleads a command: .sortext/ is derived, so it is removed and rebuilt.

Before: a FIFO at .sortext/index.sqlite made `next` and `build` wait for ever.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.errors import StorageError
from sortext.files.state import clear_odd_file
from tests.conftest import SAMPLE_TODAY


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()


def _link_out(path: Path) -> None:
    target = path.parent.parent / "elsewhere.sqlite"
    target.write_bytes(b"not yours")
    path.symlink_to(target)


ODD = {"fifo": _fifo, "socket": _socket, "link": _link_out}
STATE_FILES = [
    "index.sqlite",
    "index.sqlite-wal",
    "index.sqlite-shm",
    "index.sqlite-journal",
    "history.sqlite",
    "weekly.sqlite",
]


def _run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sortext", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,  # the bug: a FIFO made this wait for ever
    )


@pytest.mark.parametrize("kind", sorted(ODD))
def test_a_fifo_socket_or_link_as_the_index_is_rebuilt_not_waited_on(
    records_repo: Path, kind: str
) -> None:
    state = records_repo / ".sortext"
    state.mkdir()
    ODD[kind](state / "index.sqlite")
    done = _run(records_repo, "next", "--today", SAMPLE_TODAY)
    assert done.returncode == 0, done.stderr
    assert "Amara" in done.stdout or done.stdout.strip()
    assert (state / "index.sqlite").is_file() and not (state / "index.sqlite").is_symlink()
    if kind == "link":
        assert (records_repo / "elsewhere.sqlite").read_bytes() == b"not yours"


def test_a_fifo_as_the_history_store_is_rebuilt(records_repo: Path) -> None:
    state = records_repo / ".sortext"
    state.mkdir()
    os.mkfifo(state / "history.sqlite")
    done = _run(records_repo, "history", "amara-okafor")
    assert done.returncode == 0, done.stderr
    assert (state / "history.sqlite").is_file()


def test_a_folder_where_the_index_goes_is_a_clear_error(records_repo: Path) -> None:
    (records_repo / ".sortext" / "index.sqlite").mkdir(parents=True)
    done = _run(records_repo, "list")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert "index.sqlite" in done.stderr


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.sampled_from(STATE_FILES), kind=st.sampled_from(sorted(ODD)))
def test_clear_odd_file_leaves_only_regular_files(
    tmp_path_factory: pytest.TempPathFactory, name: str, kind: str
) -> None:
    state = tmp_path_factory.mktemp("repo") / ".sortext"
    state.mkdir()
    regular = state / "kept.sqlite"
    regular.write_bytes(b"SQLite format 3\x00")
    make: Callable[[Path], None] = ODD[kind]
    make(state / name)
    clear_odd_file(state / name)
    clear_odd_file(regular)
    clear_odd_file(state / "absent.sqlite")
    assert not os.path.lexists(state / name)
    assert regular.read_bytes() == b"SQLite format 3\x00"
    (state / "a-folder").mkdir()
    with pytest.raises(StorageError, match="not a regular file"):
        clear_odd_file(state / "a-folder")


def test_a_folder_where_the_history_store_goes_only_costs_the_store(records_repo: Path) -> None:
    (records_repo / ".sortext" / "history.sqlite").mkdir(parents=True)
    done = _run(records_repo, "history", "amara-okafor")
    assert done.returncode == 0, done.stderr
