"""``StateDir`` and ``Repository`` are plain immutable classes (not dataclasses, whose
import costs ~9 ms of a quick query): they keep what the frozen dataclasses gave
(equality, hashing, repr, immutability) and survive pickling and copying (a forked
worker's arguments are pickled)."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

from sortext.files.state import StateDir
from sortext.repo import Repository, open_repository


def test_statedir_is_a_value(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    assert state == StateDir(tmp_path) and state != StateDir(tmp_path / "x")
    assert hash(state) == hash(StateDir(tmp_path))
    assert repr(state) == f"StateDir(root={tmp_path!r})"
    for again in (pickle.loads(pickle.dumps(state)), copy.copy(state), copy.deepcopy(state)):
        assert again == state and again.index == state.index
    with pytest.raises(AttributeError):
        state.root = tmp_path / "y"


def test_repository_is_a_value(records_repo: Path) -> None:
    repo = open_repository(records_repo)
    same = Repository(repo.root, repo.config)
    assert repo == same and repo != Repository(repo.root / "x", repo.config)
    assert repo != object() and repr(repo).startswith("Repository(root=")
    for again in (pickle.loads(pickle.dumps(repo)), copy.copy(repo), copy.deepcopy(repo)):
        assert again == repo and again.clients_path == repo.clients_path
    with pytest.raises(AttributeError):
        repo.root = records_repo
