"""The HEAD a build keys its pages by, read from git's files without the git layer,
is what the git layer says (its file reading, else ``git rev-parse``) in each layout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sortext.pages.build import _head
from sortext.repo import open_repository
from sortext.vcs import git as gitlayer
from tests.conftest import git, sample_records


def _by_git_layer(root: Path) -> str:
    found = gitlayer.head_from_files(root)
    if found is None:
        done = subprocess.run(
            ["git", "rev-parse", "-q", "--verify", "HEAD^{commit}"],
            cwd=root,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            return "-"
        found = done.stdout.strip()
    return found + gitlayer.shallow_mark(root)


@pytest.mark.parametrize("layout", ["branch", "detached", "packed", "shallow"])
def test_the_head_a_build_reads_is_the_git_layers(tmp_path: Path, layout: str) -> None:
    root = sample_records(tmp_path / "records")
    path = root / "clients" / "bruno-castellanos.md"
    path.write_text(path.read_text() + "\nMore.\n")
    git(root, "commit", "-qam", "second")
    if layout == "detached":
        git(root, "checkout", "-q", "--detach", "HEAD~1")
    elif layout == "packed":
        git(root, "pack-refs", "--all")
    elif layout == "shallow":
        clone = tmp_path / "clone"
        subprocess.run(
            ["git", "clone", "-q", "--depth", "1", f"file://{root}", str(clone)], check=True
        )
        root = clone
        assert (root / ".git" / "shallow").is_file()
    found = _head(open_repository(root))
    assert found == _by_git_layer(root)
    assert found != "-" and (("~" in found) == (layout == "shallow"))


def test_before_the_first_commit_and_outside_git(tmp_path: Path) -> None:
    plain = sample_records(tmp_path / "records")
    unborn = tmp_path / "unborn"
    unborn.mkdir()
    (unborn / "sortext.yaml").write_bytes((plain / "sortext.yaml").read_bytes())
    (unborn / "clients").mkdir()
    git(unborn, "init", "-q")
    assert _head(open_repository(unborn)) == "-"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "sortext.yaml").write_bytes((plain / "sortext.yaml").read_bytes())
    (outside / "clients").mkdir()
    assert _head(open_repository(outside)) == "-"
