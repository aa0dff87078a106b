"""bench/cold_account.py times the stages a real cold build runs.

The class: a stage the bench names that the build no longer reaches (a function
renamed, moved or called through another name) would print 0.000 and hide where
the CPU goes.  Every per-record stage must be reached once per record (a page's
render and write once per page), and the build's output must be the one a plain
``sortext build`` gives.
"""

from __future__ import annotations

from pathlib import Path

from bench.cold_account import STAGES, stages
from bench.gen_pages import generate_repo

PER_RECORD = {
    "one record in all (read .. page written)",
    "parse and validate",
    "assess + page (in the parse)",
    "rules",
    "page view model",
    "board rows",
    "day-book rows",
    "index JSON blob (zlib)",
    "search text",
}
ONCE = {
    "SQLite: records + notes",
    "SQLite: board + page keys",
    "NEXT.md, dashboard, owners",
    "sortext.yaml validated",
}


def test_every_stage_is_reached(tmp_path: Path) -> None:
    repo = generate_repo(6, tmp_path / "r")
    found = stages(repo, "2026-11-23")
    table = found["stages"]
    assert isinstance(table, dict)
    labels = {label for _, _, _, label in STAGES}
    assert labels >= PER_RECORD | ONCE
    for label in PER_RECORD:
        assert table[label][1] == 6, label
    for label in ONCE:
        assert table[label][1] >= 1, label
    # 6 client pages, by the plain path (the shipped templates); Jinja renders the
    # summary pages and, once, the stylesheet the plain path's page includes
    assert table["client page render (plain or Jinja)"][1] == 6
    assert table["Jinja render (pages)"][1] >= 2 + 1
    # a cold build creates the client pages in a staging folder (write_new), and
    # writes the summary pages with write_if_changed
    assert table["client page file written"][1] == 6
    assert table["write_if_changed"][1] == table["Jinja render (pages)"][1] - 1
    assert float(found["user"]) > 0  # type: ignore[arg-type]
    assert len(list((repo / "site" / "clients").glob("*.html"))) == 6
