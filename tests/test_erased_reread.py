"""``erased.yaml`` rewritten in place with its size and mtime put back is read again.

Found (breaktoday10, the same class as sortext.yaml's zone): the validator read the
erasures again only when the file's (mtime, size) moved, so a file rewritten with
the same size and its mtime set back kept the old erasures in a long-lived process
(the watcher): a newly erased client was let back in.  The key now holds the inode
and the ctime too, which the kernel sets on every write.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.record.tombstone import FILE_NAME, Tombstones
from sortext.repo import open_repository
from sortext.schema.validate import RecordValidator

DAY = dt.date(2026, 11, 23)


def _erasures(salt: str, record_id: str) -> str:
    stones = Tombstones(salt, [])
    stones.add(record_id, ["someone@example.org"], DAY, "request")
    return stones.dumps()


def _rewrite_keeping_size_and_mtime(path: Path, text: str) -> None:
    before = path.stat()
    assert len(text.encode()) == before.st_size
    with open(path, "r+b") as handle:  # in place: the same inode
        handle.write(text.encode())
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.from_regex(r"[a-z]{6}", fullmatch=True),
    second=st.from_regex(r"[a-z]{6}", fullmatch=True),
)
def test_an_in_place_rewrite_with_size_and_mtime_put_back_is_read(
    tmp_path_factory: pytest.TempPathFactory, first: str, second: str
) -> None:
    root = tmp_path_factory.mktemp("erased")
    (root / "sortext.yaml").write_text("clients_dir: clients\n", encoding="utf-8")
    (root / "clients").mkdir()
    salt = "ab" * 16
    path = root / FILE_NAME
    path.write_text(_erasures(salt, first), encoding="utf-8")
    validator = RecordValidator(open_repository(root).config)
    assert validator.is_erased(first, {})
    _rewrite_keeping_size_and_mtime(path, _erasures(salt, second))
    assert validator.is_erased(second, {})
    assert validator.is_erased(first, {}) == (first == second)
