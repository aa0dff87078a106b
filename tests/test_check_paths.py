"""``relative_paths`` (how a cold check names each file) against
``Repository.relative``, which it replaces on the hot path: the same text for
every path, through symlinked folders, links leaving the repository, a symlink
loop and a folder that is a file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sortext.check.many import relative_paths
from sortext.repo import Repository
from sortext.schema.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def _repo(tmp_path: Path) -> Repository:
    root = tmp_path / "practice"
    (root / "clients").mkdir(parents=True)
    shutil.copy(ROOT / "sortext" / "skeleton" / "sortext.yaml", root / "sortext.yaml")
    return Repository(root, load_config(root))


def test_relative_paths_name_every_file_as_relative_does(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    clients = repo.root / "clients"
    (clients / "ann.md").write_text("---\nname: Ann\n---\n")
    (clients / "loop.md").symlink_to(clients / "loop.md")  # a symlink loop
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "bob.md").write_text("x")
    (repo.root / "linked").symlink_to(outside)  # a folder leading out of the repository
    (repo.root / "inside").symlink_to(clients)  # a folder leading back in
    paths = [
        clients / "ann.md",
        clients / "loop.md",
        clients / "missing.md",
        repo.root / "linked" / "bob.md",
        repo.root / "inside" / "ann.md",
        outside / "bob.md",
        repo.root / "sortext.yaml" / "x.md",  # a "folder" that is a file
        Path(os.path.relpath(clients / "ann.md")),
        clients / ".." / "clients" / "ann.md",
        repo.root / "ann.md",
    ]
    assert relative_paths(repo, paths) == [repo.relative(p) for p in paths]
    assert relative_paths(repo, repo.record_paths()) == [
        repo.relative(p) for p in repo.record_paths()
    ]


def test_a_repository_reached_through_a_link_names_files_alike(tmp_path: Path) -> None:
    real = _repo(tmp_path)
    (real.root / "clients" / "ann.md").write_text("---\nname: Ann\n---\n")
    (tmp_path / "via").symlink_to(real.root)
    repo = Repository(tmp_path / "via", real.config)
    paths = [tmp_path / "via" / "clients" / "ann.md", real.root / "clients" / "ann.md"]
    assert relative_paths(repo, paths) == [repo.relative(p) for p in paths]
    assert relative_paths(repo, paths)[0] == "clients/ann.md"
