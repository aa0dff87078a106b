"""A build that looked only at the changed files counts the client pages it leaves
unchanged (issue 15: listing 30,000 page keys cost ~20 ms); the count is the length of
the list, and the summary line says what a full listing said."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.pages import build as pages_build
from sortext.store import pagekeys

NAMES = st.text(st.sampled_from("ab09-.Z/é_x"), max_size=70) | st.sampled_from(
    ["a", "-a", "a-", "a" * 64, "a" * 65, "0-9", "x.y", "A", "a/b"]
)
PREFIXES = st.sampled_from(["site/clients/", "site/owners/", "site/clients", "", "x/clients/"])
SUFFIXES = st.sampled_from([".html", ".htm", ".html.x", ""])
KEYS = st.sampled_from(["k", "k" + pages_build.OMITTED, pages_build.OMITTED + "k", ""])


@settings(max_examples=300, deadline=None)
@given(rows=st.dictionaries(st.tuples(PREFIXES, NAMES, SUFFIXES).map("".join), KEYS))
def test_the_counted_pages_are_the_listed_pages(rows: dict[str, str]) -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript(pagekeys.SCHEMA)
    conn.executemany("INSERT INTO pages VALUES (?, ?)", rows.items())
    index: Any = SimpleNamespace(conn=conn)
    listed = pages_build._client_pages(index)
    assert pages_build._client_page_count(index) == len(listed)
    among = sorted(rows)[::2]
    assert pages_build._client_pages(index, among) == [p for p in listed if p in among]


def test_a_one_file_build_counts_what_a_full_build_lists(tmp_path: Path) -> None:
    import datetime as dt
    import time

    from bench.gen_pages import generate_repo
    from sortext.pages.build import build
    from sortext.repo import open_repository

    root = generate_repo(20, tmp_path / "r")
    day = dt.date(2026, 11, 23)
    # files changed within the racy window (2 s) stay candidates of every stat pass,
    # and a file changed after a pass began makes the next build plan every record
    time.sleep(2.1)
    cold = build(open_repository(root), day)
    assert len(cold.written) == 24  # 20 clients, NEXT.md, the dashboard, 2 owners
    time.sleep(2.1)
    again = build(open_repository(root), day)
    assert again.unchanged_pages > 0  # the build looked at the changed files only
    assert len(again.unchanged) + again.unchanged_pages == 24
    path = sorted((root / "clients").glob("*.md"))[0]
    path.write_text(path.read_text("utf-8") + "\nOne more note.\n", "utf-8")
    one = build(open_repository(root), day)
    assert one.written == ["site/clients/client-00000.html"]
    assert one.unchanged_pages > 0
    assert len(one.unchanged) + one.unchanged_pages == 23
    assert "site/clients/client-00000.html" not in one.unchanged
