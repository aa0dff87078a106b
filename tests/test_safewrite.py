"""Atomic writes: the file is replaced whole, and a concurrent save is never clobbered."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sortext.errors import ConflictError
from sortext.files.write import is_temp_name, read_for_update, write_if_unchanged


def test_write_replaces_content_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "a.md"
    target.write_bytes(b"old\n")
    os.chmod(target, 0o600)
    snap = read_for_update(target)
    write_if_unchanged(target, snap, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert os.stat(target).st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]


def test_refuses_when_file_changed_since_read(tmp_path: Path) -> None:
    target = tmp_path / "a.md"
    target.write_bytes(b"old\n")
    snap = read_for_update(target)
    target.write_bytes(b"saved by the editor\n")
    with pytest.raises(ConflictError, match="changed on disk"):
        write_if_unchanged(target, snap, b"ours\n")
    assert target.read_bytes() == b"saved by the editor\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_same_size_change_is_detected(tmp_path: Path) -> None:
    target = tmp_path / "a.md"
    target.write_bytes(b"abc\n")
    snap = read_for_update(target)
    target.write_bytes(b"abd\n")
    os.utime(target, ns=(snap.mtime_ns, snap.mtime_ns))
    with pytest.raises(ConflictError):
        write_if_unchanged(target, snap, b"xyz\n")


def test_new_file_is_not_written_over_one_created_meanwhile(tmp_path: Path) -> None:
    target = tmp_path / "new.md"
    snap = read_for_update(target)
    assert snap.raw is None
    target.write_bytes(b"someone else\n")
    with pytest.raises(ConflictError):
        write_if_unchanged(target, snap, b"mine\n")
    assert target.read_bytes() == b"someone else\n"


def test_new_file_is_created(tmp_path: Path) -> None:
    target = tmp_path / "new.md"
    write_if_unchanged(target, read_for_update(target), b"hello\n")
    assert target.read_bytes() == b"hello\n"
    assert [p.name for p in tmp_path.iterdir()] == ["new.md"]


def test_failed_write_cleans_up_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk cannot be arranged here, so the final rename is made to fail."""
    import errno

    from sortext.errors import StorageError

    target = tmp_path / "a.md"
    target.write_bytes(b"old\n")
    snap = read_for_update(target)

    def disk_full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(StorageError, match="No space left"):
        write_if_unchanged(target, snap, b"x")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_temp_names_are_recognisable() -> None:
    assert is_temp_name(".amara.md.sortext-tmp-1a2b3c4d")
    assert not is_temp_name("amara.md")
