"""A build that looked only at the changed files counts the client pages it leaves
unchanged (issue 15: listing 30,000 page keys cost ~20 ms); the count is the length of
the list, and the summary line says what a full listing said."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.pages import build as pages_build
from sortext.store import pagekeys

# mostly client pages (a slug under site/clients/), some near misses
NAMES = st.sampled_from(["a", "b0", "c-d", "client-00001", "x" * 64]) | st.text(
    st.sampled_from("ab09-.Z/é_x"), max_size=70
)
PREFIXES = st.sampled_from(["site/clients/"] * 4 + ["site/owners/", "site/clients", ""])
SUFFIXES = st.sampled_from([".html"] * 4 + [".htm", ".html.x", ""])
KEYS = st.sampled_from(["k", "k" + pages_build.OMITTED, pages_build.OMITTED + "k", ""])


class _Index:
    """What the page count reads of an Index: its connection and meta rows."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:")
        self.conn.executescript(pagekeys.SCHEMA)
        self.conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


PAGE_PATHS = st.tuples(PREFIXES, NAMES, SUFFIXES).map("".join)
CHANGES = st.lists(
    st.tuples(st.dictionaries(PAGE_PATHS, KEYS, max_size=4), st.lists(PAGE_PATHS, max_size=2)),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(rows=st.dictionaries(PAGE_PATHS, KEYS), changes=CHANGES, small=st.booleans())
def test_the_counted_pages_are_the_listed_pages(
    rows: dict[str, str], changes: list[tuple[dict[str, str], list[str]]], small: bool
) -> None:
    """Counted by SQLite, then kept through any page keys set and removed (a batch past
    the limit drops the count, counted again when read), the count is the listing's."""
    index: Any = _Index()
    index.conn.executemany("INSERT INTO pages VALUES (?, ?)", rows.items())
    listed = pages_build._client_pages(index)
    assert pages_build._client_page_count(index) == len(listed)
    among = sorted(rows)[::2]
    assert pages_build._client_pages(index, among) == [p for p in listed if p in among]
    for keys, removed in changes:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(pages_build, "PAGE_COUNT_DELTA_LIMIT", 1 if small else 200)
            pages_build._set_page_keys(index.conn, keys, removed)
        assert pages_build._client_page_count(index) == len(pages_build._client_pages(index))


def test_a_damaged_count_is_counted_again() -> None:
    index: Any = _Index()
    index.conn.execute("INSERT INTO pages VALUES ('site/clients/a.html', 'k')")
    for planted in ("-1", "x", "1e3", "", "9" * 40):
        index.set_meta(pages_build.PAGE_COUNT, planted)
        assert pages_build._client_page_count(index) == 1
        pages_build._set_page_keys(index.conn, {"site/clients/b.html": "k"})
        assert pages_build._client_page_count(index) == 2
        index.conn.execute("DELETE FROM pages WHERE path = 'site/clients/b.html'")
        index.conn.execute("DELETE FROM meta")


def test_a_one_file_build_counts_what_a_full_build_lists(tmp_path: Path) -> None:
    import datetime as dt
    import time

    from bench.gen_pages import generate_repo
    from sortext.pages.build import build
    from sortext.repo import open_repository
    from sortext.store.scan import RACY_WINDOW_NS
    from tests.conftest import wait_for_clock, wait_past_racy_window

    root = generate_repo(20, tmp_path / "r")
    day = dt.date(2026, 11, 23)
    # files changed within the racy window stay candidates of every stat pass, and a
    # file changed after a pass began makes the next build plan every record
    wait_past_racy_window([root / "clients", *(root / "clients").iterdir()])
    began = time.time_ns()
    cold = build(open_repository(root), day)
    assert len(cold.written) == 24  # 20 clients, NEXT.md, the dashboard, 2 owners
    wait_for_clock(began + RACY_WINDOW_NS)
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
