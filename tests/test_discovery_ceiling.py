"""Repository discovery walks up to the nearest sortext.yaml, stopping at a ceiling."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.errors import RepoNotFound
from sortext.repo import CEILING_VARIABLE, find_root

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _repo(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml", folder / "sortext.yaml")
    return folder


def test_a_stray_config_above_the_ceiling_is_not_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _repo(tmp_path)  # the stray copy, above the ceiling
    ceiling = tmp_path / "work"
    inner = ceiling / "a" / "b"
    inner.mkdir(parents=True)
    monkeypatch.setenv(CEILING_VARIABLE, str(ceiling))
    with pytest.raises(RepoNotFound):
        find_root(inner)
    monkeypatch.delenv(CEILING_VARIABLE)
    assert find_root(inner) == tmp_path.resolve()


def test_the_ceiling_itself_and_folders_below_it_are_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ceiling = _repo(tmp_path / "ceiling")
    monkeypatch.setenv(CEILING_VARIABLE, os.pathsep.join(["relative/ignored", "", str(ceiling)]))
    (ceiling / "clients").mkdir()
    assert find_root(ceiling / "clients") == ceiling.resolve()
    assert find_root(ceiling) == ceiling.resolve()


def test_a_ceiling_that_does_not_hold_the_start_does_not_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path / "records")
    (root / "clients").mkdir()
    monkeypatch.setenv(CEILING_VARIABLE, str(tmp_path / "elsewhere"))
    assert find_root(root / "clients") == root.resolve()


@settings(max_examples=40, deadline=None)
@given(
    depth=st.integers(min_value=0, max_value=5),
    config_at=st.integers(min_value=0, max_value=6),
    ceiling_at=st.integers(min_value=0, max_value=6),
)
def test_discovery_never_returns_a_folder_above_the_ceiling(
    tmp_path_factory: pytest.TempPathFactory, depth: int, config_at: int, ceiling_at: int
) -> None:
    """Folders f0 (top) .. f<depth+1> (start); a config at one level, a ceiling at another:
    the answer is the nearest config at or below the ceiling, else RepoNotFound."""
    top = tmp_path_factory.mktemp("walk")
    levels = [top]
    for i in range(depth + 1):
        levels.append(levels[-1] / f"f{i}")
    levels[-1].mkdir(parents=True)
    config_at, ceiling_at = min(config_at, len(levels) - 1), min(ceiling_at, len(levels) - 1)
    _repo(levels[config_at])
    old = os.environ.get(CEILING_VARIABLE)
    os.environ[CEILING_VARIABLE] = str(levels[ceiling_at])
    try:
        if config_at >= ceiling_at:
            assert find_root(levels[-1]) == levels[config_at].resolve()
        else:
            with pytest.raises(RepoNotFound):
                find_root(levels[-1])
    finally:
        if old is None:
            os.environ.pop(CEILING_VARIABLE, None)
        else:
            os.environ[CEILING_VARIABLE] = old
