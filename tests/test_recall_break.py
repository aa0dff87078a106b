"""Adversarial checks of the remembered answers and the index's stat shortcut (issue 15).

Each case is a way a file can change while a stat-based check says it did not; the
answer a query prints must be byte-identical to the answer worked out from scratch
(the state folder removed).  Real git repositories, the real CLI.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_query_recall import DAY, NORTHWIND, _dated, _remembered, _run

QUERIES = (
    ("next", *DAY),
    ("list", *DAY),
    ("list", "--at-risk", *DAY),
    ("list", "--json", *DAY),
    ("show", "northwind-bakery", *DAY),
    ("search", "bakery"),
)


def _scratch(cli: Callable[..., Result], root: Path, *args: str) -> tuple[str, str, int]:
    """The answer worked out with no state at all (a copy without .sortext)."""
    copy = root.parent / "scratch"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(".sortext"))
    try:
        return _run(cli, copy, *args)
    finally:
        shutil.rmtree(copy)


def _same_size_same_mtime(path: Path, old: bytes, new: bytes) -> None:
    """Rewrite ``path`` in place with ``old`` replaced by ``new`` (same length) and put
    its mtime back (``touch -d``, ``cp -p`` over a file, an editor that keeps mtime):
    only the ctime says the file changed."""
    assert len(old) == len(new)
    st = os.stat(path)
    data = path.read_bytes()
    assert old in data
    with open(path, "r+b") as handle:
        handle.write(data.replace(old, new, 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        st.st_size,
        st.st_mtime_ns,
        st.st_ino,
    )


def test_an_edit_keeping_size_and_mtime_is_seen(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    root = _dated(records_repo)
    for query in QUERIES:  # learnt, then remembered
        _run(cli, root, *query)
        _run(cli, root, *query)
    assert _remembered(root) == len(QUERIES)
    os.utime(root / "clients", (1_700_000_000, 1_700_000_000))  # as long ago
    _same_size_same_mtime(root / NORTHWIND, b"name: Northwind Bakery", b"name: Northwind Bakerz")
    for query in QUERIES:
        got = _run(cli, root, *query)
        assert got == _scratch(cli, root, *query), query
    assert "Northwind Bakerz" in _run(cli, root, "list", *DAY)[0]


def test_a_build_sees_an_edit_keeping_size_and_mtime(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    root = _dated(records_repo)
    assert cli("build", *DAY, "--repo", str(root)).exit_code == 0
    page = root / "site" / "clients" / "northwind-bakery.html"
    assert "Northwind Bakery" in page.read_text(encoding="utf-8")
    _same_size_same_mtime(root / NORTHWIND, b"name: Northwind Bakery", b"name: Northwind Bakerz")
    assert cli("build", *DAY, "--repo", str(root)).exit_code == 0
    assert "Northwind Bakerz" in page.read_text(encoding="utf-8")


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    which=st.sampled_from(["northwind-bakery", "amara-okafor", "kai-nakamura"]),
    letter=st.sampled_from("QXZqxz"),
    query=st.sampled_from(QUERIES),
)
def test_any_edit_that_keeps_the_stat_is_seen(
    cli: Callable[..., Result], records_repo: Path, which: str, letter: str, query: tuple[str, ...]
) -> None:
    """The class: a record's bytes change while its size, mtime and inode do not;
    every query then answers what a query with no state answers."""
    root = records_repo
    if not (root / ".sortext").exists():
        _dated(root)
    path = root / "clients" / f"{which}.md"
    _run(cli, root, *query)
    _run(cli, root, *query)
    data = path.read_bytes()
    start = data.index(b"\nname: ") + len(b"\nname: ")
    if data[start : start + 1] == letter.encode():
        return
    _same_size_same_mtime(
        path,
        data[start : start + 1] + data[start + 1 : start + 6],
        letter.encode() + data[start + 1 : start + 6],
    )
    assert _run(cli, root, *query) == _scratch(cli, root, *query)
