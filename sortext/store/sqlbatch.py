"""``IN (...)`` queries over any number of values: SQLite caps the parameters of one
statement, so the values go a few hundred at a time."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

CHUNK = 500


def select_in(conn: sqlite3.Connection, query: str, values: Sequence[Any]) -> list[Any]:
    """Every row of ``query`` (whose one ``IN ({})`` takes the values) for ``values``."""
    out: list[Any] = []
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        out += conn.execute(query.format(", ".join("?" * len(chunk))), chunk).fetchall()
    return out
