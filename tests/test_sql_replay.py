"""bench/sql_replay.py replays the SQL a cold build's parent ran, under variants.

The class: a replay that no longer matches the build (a statement left out, a
transaction not closed) would time less than the build did and hide where the
parent's CPU goes.  Every variant's replay must leave the rows the build left."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.gen_pages import generate_repo
from bench.sql_replay import FTS_BULK, SUBSTITUTE, capture, replay


def _rows(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'notes%' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return [(t, *row) for t in tables for row in sorted(conn.execute(f"SELECT * FROM {t}"))]
    finally:
        conn.close()


def test_every_variant_replays_the_build(tmp_path: Path) -> None:
    repo = generate_repo(8, tmp_path / "r")
    calls = capture(repo, tmp_path / "calls.pickle", "2026-11-23")
    assert any(kind == "x" and "INTO notes (" in sql for kind, sql, _ in calls)
    assert any(kind == "m" and "INTO files " in sql for kind, sql, _ in calls)
    found = {}
    for variant in [*SUBSTITUTE, *FTS_BULK]:  # the FTS5 settings too
        path = tmp_path / f"{variant}.sqlite"
        assert replay(calls, path, variant) > 0
        found[variant] = _rows(path)
        notes = sqlite3.connect(path).execute("SELECT count(*) FROM notes_docsize").fetchone()
        assert notes == (8,)
    assert found["base"]
    assert all(rows == found["base"] for rows in found.values())
