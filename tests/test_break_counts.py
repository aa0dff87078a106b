"""Break-testing the kept counts (layout 14: ``board_counts`` and the client page count
in the index's meta) and whatever else makes an incremental build's outputs differ
from a cold build's on the same files and ``--today``.

The oracle is always a cold build (``.sortext``, ``site`` and ``NEXT.md`` removed) of a
copy of the same files: NEXT.md, site/index.html, site/owners/*.html, the client pages
and the number of pages the build names (written + unchanged) must be the same.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bench.gen_pages import TODAY, generate_repo
from sortext.cli import main
from sortext.store import board
from tests.test_board_counts import _conn, _readers, _recounted, _stored
from tests.test_break_index import _edit

_SUMMARY = re.compile(r"(\d+) written, (\d+) unchanged, (\d+) removed")


def _outputs(root: Path, today: str = TODAY.isoformat(), process: bool = False) -> dict[str, str]:
    """A build's pages (and how many pages it named) as text, by name; ``process``: the
    build runs in a process of its own (nothing a earlier command left in memory)."""
    args = ["build", "--today", today, "--repo", str(root)]
    if process:
        done = subprocess.run(
            [sys.executable, "-m", "sortext", *args], capture_output=True, text=True, check=False
        )
        code, output = done.returncode, done.stdout + done.stderr
    else:
        built = CliRunner().invoke(main, args)
        code, output = built.exit_code, built.output
    assert code in (0, 1), output
    found = _SUMMARY.search(output)
    assert found is not None, output
    out = {"pages named": str(int(found[1]) + int(found[2]))}
    for name in ("NEXT.md", "site/index.html"):
        out[name] = (root / name).read_text("utf-8")
    for folder in ("owners", "clients"):
        for page in sorted((root / "site" / folder).glob("*.html")):
            out[f"{folder}/{page.name}"] = page.read_text("utf-8")
    return out


def _cold(root: Path, today: str = TODAY.isoformat()) -> dict[str, str]:
    """The outputs of a cold build of a copy of ``root``'s files."""
    copy = root.parent / "cold"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(
        root, copy, symlinks=True, ignore=shutil.ignore_patterns(".sortext", "site", "NEXT.md")
    )
    return _outputs(copy, today)


def _with_next_action_today(path: Path) -> None:
    """Give the record at ``path`` an open stage and a next action due on TODAY."""
    text = path.read_text("utf-8")
    text = re.sub(r"(?m)^stage: \S+", "stage: active", text, count=1)
    text = re.sub(r"(?ms)^next_action:\n(  .*?\n)+", "", text, count=1)
    text = text.replace(
        "\ndates:\n",
        f"\nnext_action:\n  what: Call back\n  owner: maya\n  due: {TODAY.isoformat()}\ndates:\n",
        1,
    )
    path.write_text(text, "utf-8")


def test_this_weeks_ties_are_in_path_order_after_a_restore(tmp_path: Path) -> None:
    """Two clients with the same name and next action on the same day (a copied file)
    tie in the day book's order: a cold build lists them by path, and so must an
    incremental one after the first was stored again (its rows inserted last)."""
    root = generate_repo(3, tmp_path / "r")
    first = root / "clients" / "client-00000.md"
    _with_next_action_today(first)
    _outputs(root)
    shutil.copy(first, root / "clients" / "zz-copy.md")
    _outputs(root)
    first.write_text(first.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    assert _outputs(root) == _cold(root)


class _RacingIndex:
    """What the page count reads of an Index (its connection and meta rows), on a file
    another connection writes to: after each statement of this one, ``other`` sets a
    page key if SQLite lets it now (as a second build or the watcher would, between two
    statements of this one); if this connection holds the write lock, it sets it after."""

    def __init__(self, path: Path) -> None:
        import sqlite3

        from sortext.store import pagekeys

        self.real = sqlite3.connect(path, isolation_level="IMMEDIATE", timeout=0)
        self.real.execute("PRAGMA journal_mode=WAL")  # as the index: readers do not block
        self.real.executescript(
            pagekeys.SCHEMA + "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);"
        )
        self.other = sqlite3.connect(path, isolation_level="IMMEDIATE", timeout=0)
        self.pending = True
        self.conn = self

    def execute(self, sql: str, args: tuple[object, ...] = ()) -> object:
        cursor = self.real.execute(sql, args)
        self.race()
        return cursor

    def race(self) -> None:
        import sqlite3

        from sortext.pages import build as pages_build

        if not self.pending:
            return
        try:
            with self.other:
                pages_build._set_page_keys(self.other, {"site/clients/late.html": "k"})
        except sqlite3.OperationalError:
            return  # locked: this connection's transaction is open, the write waits
        self.pending = False

    def __enter__(self) -> object:
        return self.real.__enter__()

    def __exit__(self, *exc: object) -> object:
        return self.real.__exit__(*exc)  # type: ignore[arg-type]

    def meta(self, key: str) -> str | None:
        row = self.real.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.real:
            self.real.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        self.race()


def test_the_page_count_kept_while_another_build_sets_a_page_key(tmp_path: Path) -> None:
    """The page count counted (none kept) and kept in one transaction: a page key another
    build sets between the count and its keeping is counted after, not lost (the kept
    count one short for every later build's "M unchanged")."""
    from sortext.pages import build as pages_build

    index = _RacingIndex(tmp_path / "index.sqlite")
    with index.real:
        index.real.executemany(
            "INSERT INTO pages VALUES (?, 'k')",
            [("site/clients/a.html",), ("site/clients/b.html",)],
        )
    pages_build._client_page_count(index)  # type: ignore[arg-type]
    index.race()  # the other build's write, if it had to wait
    assert not index.pending
    listed = pages_build._client_pages(index)  # type: ignore[arg-type]
    assert len(listed) == 3
    assert pages_build._client_page_count(index) == len(listed)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["next:9", "next:x", "next:-1", "next:\u0663", "next:"])
def test_a_planted_next_count_is_not_read(tmp_path: Path, key: str) -> None:
    """A kept next-action count under a key no status has (a damaged or planted row:
    rank 9, not a number, an Arabic-Indic digit) is not read: the pages count over the
    rows as a cold build does, instead of stopping with 'internal error: IndexError' or
    adding it to the total."""
    root = generate_repo(4, tmp_path / "r")
    _outputs(root)
    with sqlite3.connect(root / ".sortext" / "index.sqlite") as conn:
        conn.execute("INSERT INTO board_counts VALUES (?, 1)", (key,))
    path = root / "clients" / "client-00001.md"
    path.write_text(path.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    assert _outputs(root) == _cold(root)


@settings(max_examples=200, deadline=None)
@given(suffix=st.text(max_size=3), value=st.integers(min_value=0, max_value=10**6))
def test_no_kept_next_count_under_a_key_of_no_rank_is_read(suffix: str, value: int) -> None:
    """Any kept next-action count whose key names no rank (``next:`` + anything but
    0-4) leaves every reader answering what a recount over the rows answers."""
    assume(suffix not in {"0", "1", "2", "3", "4"})
    conn = _conn()
    _stored(conn)
    board.keep_counts(conn)
    fresh = _recounted(conn)
    conn.execute("INSERT OR REPLACE INTO board_counts VALUES (?, ?)", ("next:" + suffix, value))
    assert _readers(conn) == fresh


def test_a_deleted_clients_page_goes_when_the_index_is_emptied_too(tmp_path: Path) -> None:
    """A client file deleted while the index is emptied (a change of sortext.yaml's
    people changes the schema: the index and its page keys start again) loses its page
    as a cold build never writes it: the page keys that named it are gone, so a full
    look removes every client page in site/clients that no record names."""
    root = generate_repo(4, tmp_path / "r")
    _outputs(root)
    (root / "clients" / "client-00001.md").unlink()
    config = root / "sortext.yaml"
    config.write_text(
        config.read_text("utf-8").replace("people: [maya, theo]", "people: [maya, theo, zoe]"),
        "utf-8",
    )
    assert _outputs(root) == _cold(root)
    assert not (root / "site" / "clients" / "client-00001.html").exists()


@pytest.mark.parametrize("query", [["list", "--at-risk"], ["list", "--at-risk", "--owner", "maya"]])
def test_a_query_for_another_day_between_two_builds_leaves_no_trace(
    tmp_path: Path, query: list[str]
) -> None:
    """``list --at-risk --today D1`` stores the assessments it makes under D1 in the
    index; the next build for D2 with no file changed (the one-file path: nothing to
    plan) showed D1's next actions, findings and counts on NEXT.md and the dashboard.
    It now sees that another command stored assessments and plans every record."""
    from tests.conftest import wait_past_racy_window

    root = generate_repo(6, tmp_path / "r")
    later = "2026-11-30"
    wait_past_racy_window([root / "clients", *(root / "clients").iterdir()])
    _outputs(root, later, process=True)
    listed = subprocess.run(
        [sys.executable, "-m", "sortext", *query, "--today", "2026-11-22", "--repo", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert _outputs(root, later, process=True) == _cold(root, later)


STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                *("stage", "owner", "invoice", "consent", "delete", "name", "copy"),
                *("rename", "people", "today", "due", "cents", "build"),
            ]
        ),
        st.integers(min_value=0, max_value=5),
        st.sampled_from(["inquiry", "active", "review", "completed", "paused", "lost"]),
    ),
    min_size=1,
    max_size=10,
)
_DAYS = ["2026-11-22", "2026-11-23", "2026-11-24", "2026-11-30"]


def _step(root: Path, what: str, i: int, stage: str) -> None:
    """One edit of the generated sequence (test_break_index's, and more)."""
    clients = sorted((root / "clients").glob("*.md"))
    path = clients[i % len(clients)] if clients else root / "clients" / "none.md"
    if what == "copy" and path.exists():  # same name and dates under another id
        shutil.copy(path, root / "clients" / f"copy-{i % 2}.md")
    elif what == "rename" and path.exists():
        path.rename(root / "clients" / f"moved-{i % 3}.md")
    elif what == "people":  # the schema changes: the index starts again
        config = root / "sortext.yaml"
        text = config.read_text("utf-8")
        swap = ("people: [maya, theo]", "people: [maya, theo, zoe]")
        config.write_text(
            text.replace(*swap) if swap[0] in text else text.replace(swap[1], swap[0]), "utf-8"
        )
    elif what == "due" and path.exists():
        day = _DAYS[i % len(_DAYS)]
        text = re.sub(r"due: \d{4}-\d\d-\d\d", f"due: {day}", path.read_text("utf-8"), count=3)
        path.write_text(text, "utf-8")
    elif what == "cents" and path.exists():
        amount = ["0.1", "0.2", "0.7", "0.30000000000000004", "99.99", "1.0e+15"][i]
        text = re.sub(r"amount: [0-9.]+", f"amount: {amount}", path.read_text("utf-8"), count=i)
        path.write_text(text, "utf-8")
    elif what not in ("today", "build"):
        _edit(path, what, stage)


@settings(max_examples=25, deadline=None)
@given(steps=STEPS)
def test_pages_after_incremental_builds_equal_a_cold_build(
    steps: list[tuple[str, int, str]],
) -> None:
    """Any sequence of edits (owners, stages, invoices and amounts with cents, due dates
    around today, consent withholding pages, copies, renames, deletions, a schema change
    emptying the index, another day), each few followed by a build, leaves NEXT.md, the
    dashboard, the owners' and clients' pages and the count of pages the build names as
    a cold build of the same files and day gives them."""
    with tempfile.TemporaryDirectory() as tmp:
        root = generate_repo(6, Path(tmp) / "r")
        config = root / "sortext.yaml"
        config.write_text(config.read_text("utf-8") + "\nprivacy: {pages: consented}\n", "utf-8")
        today = TODAY.isoformat()
        _outputs(root, today)
        for what, i, stage in steps:
            _step(root, what, i, stage)
            if what == "today":
                today = _DAYS[i % len(_DAYS)]
            if what in ("build", "today"):
                assert _outputs(root, today) == _cold(root, today)
        assert _outputs(root, today) == _cold(root, today)
