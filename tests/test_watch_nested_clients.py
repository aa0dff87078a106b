"""A clients folder configured below the root (``clients_dir: records/team/clients``),
or a folder between it and the root, deleted (or moved away) and made again: the
watcher watches the new folder, whatever its depth.  It used to follow only a
clients folder sitting directly under the root: a nested one came back unwatched,
and nothing saved in it was committed until a restart.  Real watchdog observer;
each step waits on the settle counter."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import git, sample_records
from tests.test_break_watch7 import WAIT, running, settle
from tests.test_watch_pages import set_field
from tests.watchkit import wait_for

FOLDER = "records/team/clients"


def nested(root: Path, folder: str = FOLDER) -> Path:
    """The sample repository with its records moved to ``folder``, committed."""
    (root / folder).parent.mkdir(parents=True, exist_ok=True)
    git(root, "mv", "clients", folder)
    config = root / "sortext.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("clients_dir: clients", f"clients_dir: {folder}", 1))
    git(root, "commit", "-qam", "records nested")
    return root


def names(root: Path, folder: str = FOLDER) -> list[str]:
    return git(root, "ls-tree", "-r", "--name-only", "HEAD", f"{folder}/").split()


def _gone_and_back(root: Path, tmp_path: Path, top: str, how: str, folder: str) -> None:
    """``top`` (the clients folder or a folder above it) deleted or moved away, every
    deletion committed, then brought back; the records are committed again and the
    next save in the clients folder is committed."""
    record = f"{folder}/amara-okafor.md"
    with running(root, debounce=0.05) as (service, _stop):
        held = names(root, folder)
        assert held
        if how == "delete":
            shutil.rmtree(root / top)
        else:
            os.rename(root / top, tmp_path / "away")
        wait_for(lambda: names(root, folder) == [], WAIT, lambda: git(root, "log", "--stat", "-2"))
        settle(service, root)
        if how == "delete":
            git(root, "checkout", "HEAD~1", "--", top)
        else:
            os.rename(tmp_path / "away", root / top)
        wait_for(lambda: names(root, folder) == held, WAIT, lambda: git(root, "status"))
        settle(service, root)
        set_field(root, record, "name", "Amara Nested Again")
        wait_for(lambda: "Amara Nested Again" in git(root, "show", f"HEAD:{record}"), WAIT)
        settle(service, root)


@pytest.mark.parametrize("top", ["records/team/clients", "records/team", "records"])
@pytest.mark.parametrize("how", ["delete", "move"])
def test_a_nested_clients_folder_gone_and_back_is_watched_again(
    records_repo: Path, tmp_path: Path, top: str, how: str
) -> None:
    _gone_and_back(nested(records_repo), tmp_path, top, how, FOLDER)


def test_the_folders_on_the_way_are_the_ones_between_root_and_clients(tmp_path: Path) -> None:
    from sortext.daemon.events import WatchedPaths

    root = tmp_path
    deep = WatchedPaths(root, root / "a" / "b" / "clients", (), root / "templates")
    assert deep.between == (root / "a", root / "a" / "b")
    assert deep.on_the_way(root / "a") and deep.on_the_way(root / "a" / "b" / "clients")
    assert not deep.on_the_way(root) and not deep.on_the_way(root / "b")
    flat = WatchedPaths(root, root / "clients", (), root / "templates")
    assert flat.between == ()


_PART = st.text(alphabet="abcxyz", min_size=1, max_size=4)


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    parts=st.lists(_PART, min_size=1, max_size=3, unique=True),
    cut=st.integers(min_value=0, max_value=3),
    how=st.sampled_from(["delete", "move"]),
)
def test_any_depth_and_any_folder_on_the_way(parts: list[str], cut: int, how: str) -> None:
    """Property: a clients folder 2-4 levels below the root; it or any folder above it
    (below the root) deleted or moved away and brought back: watched again."""
    import tempfile

    folder = "/".join([*parts, "clients"])
    levels = folder.split("/")
    top = "/".join(levels[: 1 + cut % len(levels)])
    with tempfile.TemporaryDirectory() as tmp:
        root = nested(sample_records(Path(tmp) / "r"), folder)
        _gone_and_back(root, Path(tmp), top, how, folder)
