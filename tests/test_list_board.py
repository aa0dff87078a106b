"""``list`` reads the stored assessments (the board), never every record's data.

The class: any list-shaped answer after any sequence of edits, deletions,
broken saves and day changes.  Reading the board must give what running the
rules over every record gives, and a second query with nothing changed must
assess nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.gen_pages import client_text, generate_repo
from sortext.repo import Repository, open_repository
from sortext.rules import findings as rules
from sortext.store import board
from sortext.store.index import Index, assess_outdated
from sortext.views.queries import client_list

DAY = dt.date(2026, 11, 23)


def _reference(repo: Repository, today: dt.date) -> list[tuple[str, list[str]]]:
    """At-risk clients by name with their reasons, computed from every record's data."""
    with Index.open(repo) as index:
        index.refresh()
        records = index.records()
    found = rules.findings(records, repo.config, today)
    risks = {c.record_id: c.reasons for c in rules.at_risk(records, found, repo.config)}
    ordered = sorted(records, key=lambda r: (r.name.casefold(), r.id))
    return [(r.id, [f.reason for f in risks[r.id]]) for r in ordered if r.id in risks]


def _answer(repo: Repository, today: dt.date) -> list[tuple[str, list[str]]]:
    return [
        (row.record.id, [f.reason for f in row.risks])
        for row in client_list(repo, today, at_risk_only=True)
    ]


def test_at_risk_reads_the_board_and_assesses_only_what_changed(tmp_path: Path) -> None:
    root = generate_repo(40, tmp_path / "r")
    repo = open_repository(root)
    expected = _reference(repo, DAY)
    assert len(expected) > 3  # the generated practice has clients at risk
    assert _answer(repo, DAY) == expected
    with Index.open(repo) as index:
        index.refresh()
        assert assess_outdated(index.conn, repo.config, DAY) == 0  # nothing changed
    path = root / "clients" / "client-00003.md"
    path.write_text(client_text(1003, random.Random(3)), encoding="utf-8")
    with Index.open(repo) as index:
        index.refresh()
        assert board.outdated(index.conn, board.rules_key(DAY, repo.config))[0] == [
            "clients/client-00003.md"
        ]
    assert _answer(repo, DAY) == _reference(repo, DAY)


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["rewrite", "delete", "break", "create"]),
        st.integers(min_value=0, max_value=11),
        st.integers(min_value=0, max_value=10_000),
    ),
    max_size=6,
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=EDITS, days=st.lists(st.integers(min_value=-60, max_value=120), min_size=1, max_size=3)
)
def test_at_risk_from_the_board_equals_the_rules_over_every_record(
    edits: list[tuple[str, int, int]], days: list[int]
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = generate_repo(12, Path(tmp) / "r")
        repo = open_repository(root)
        for offset in days:
            today = DAY + dt.timedelta(days=offset)
            assert _answer(repo, today) == _reference(repo, today)
        for action, i, seed in edits:
            path = root / "clients" / f"client-{i:05d}.md"
            if action == "delete":
                path.unlink(missing_ok=True)
            elif action == "break":  # a known file that no longer validates: kept stale
                if path.exists():
                    path.write_text(
                        path.read_text(encoding="utf-8").replace("stage:", "stage: [", 1)
                    )
            else:
                path.write_text(client_text(seed, random.Random(seed)), encoding="utf-8")
            for offset in days:
                today = DAY + dt.timedelta(days=offset)
                assert _answer(repo, today) == _reference(repo, today)
