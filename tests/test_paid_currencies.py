"""``daybook.paid_currencies`` (one index seek a currency) lists what ``SELECT
DISTINCT`` over the scope's rows listed, whatever the rows."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from sortext.store import daybook

SCOPES = ["", "=maya", "=theo", "=o'brien"]
row = st.tuples(
    st.sampled_from(SCOPES),
    st.text(min_size=1, max_size=3),
    st.sampled_from(["EUR", "GBP", "USD", "", "eur", "ZZZ", "€"]),
    st.floats(min_value=-1e6, max_value=1e6),
)


@given(st.lists(row, max_size=40, unique_by=lambda r: (r[0], r[1], r[2])))
def test_the_currencies_are_those_distinct_gave(rows: list[tuple[str, str, str, float]]) -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript(daybook.SCHEMA)  # the index's own tables and indexes
    conn.executemany(
        "INSERT INTO day_paid VALUES (?, ?, ?, 'n', 1, '0', ?)",
        [(s, r, c, f) for s, r, c, f in rows],
    )
    for scope in [*SCOPES, "=nobody"]:
        distinct = conn.execute(
            "SELECT DISTINCT currency FROM day_paid WHERE scope = ?", (scope,)
        ).fetchall()
        assert daybook.paid_currencies(conn, scope) == sorted(c for (c,) in distinct)
