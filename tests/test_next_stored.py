"""Issue 15 item 2: ``sortext next`` after a save reads the stored assessments.

The first ``next`` after a save (its remembered answer forgotten) used to run the
rules over every record's summary; it now reads each record's stored next action
(:mod:`sortext.store.board`, kept by builds and by ``list --at-risk``) and works out
only the records whose stored assessment is not current
(:func:`sortext.views.queries.stored_next`).  Held to the rules over every summary,
the way it was computed before, for any day, any records saved since the board was
written (ties in status, due and name included) and records kept off the pages.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE_TODAY


def _both(root: Path, day: dt.date, saved: dict[int, int] | None = None) -> tuple[list, list]:  # type: ignore[type-arg]
    """(stored_next, the rules over every summary) for ``day``; ``saved``: file n takes
    file m's name and next action (a save the board has not seen: its hash changes),
    inside a transaction rolled back after."""
    from sortext.repo import open_repository
    from sortext.rules import findings as rules
    from sortext.store.index import Index
    from sortext.views.queries import stored_next

    repo = open_repository(root)
    with Index.open(repo) as index:
        conn = index.conn
        conn.execute("BEGIN")
        try:
            if saved:
                rows = conn.execute(
                    "SELECT path, summary FROM files WHERE summary IS NOT NULL ORDER BY path"
                ).fetchall()
                for n, m in saved.items():
                    path, text = rows[n % len(rows)]
                    data = json.loads(text)
                    other = json.loads(rows[m % len(rows)][1])
                    data["name"] = other["name"]
                    data["next_action"] = other.get("next_action")
                    data["stage"] = other.get("stage")
                    conn.execute(
                        "UPDATE files SET summary = ?, hash = 'saved:' || hash WHERE path = ?",
                        (json.dumps(data), path),
                    )
            mine = stored_next(index, repo, day)
            theirs = rules.next_actions(index.summaries(), repo.config, day)
        finally:
            conn.execute("ROLLBACK")
    return mine, theirs


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 realistic generated clients, built (the board written) on the sample day."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from click.testing import CliRunner

    from bench.gen_pages import generate_repo
    from sortext.cli import main

    root = generate_repo(60, tmp_path_factory.mktemp("gen") / "records")
    done = CliRunner().invoke(main, ["build", "--today", SAMPLE_TODAY, "--repo", str(root)])
    assert done.exit_code == 0, done.output
    return root


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    day=st.one_of(
        st.just(dt.date.fromisoformat(SAMPLE_TODAY)),
        st.dates(dt.date(2026, 8, 1), dt.date(2027, 6, 1)),
    ),
    saved=st.dictionaries(st.integers(0, 59), st.integers(0, 59), max_size=6),
)
def test_next_from_the_stored_assessments_equals_the_rules(
    generated: Path, day: dt.date, saved: dict[int, int]
) -> None:
    mine, theirs = _both(generated, day, saved)
    assert mine == theirs


def test_only_what_is_not_current_is_worked_out(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the day the board was written, with two saves it has not seen, the rules run
    for those two records only."""
    from sortext.rules import findings as rules

    seen: list[str] = []
    real = rules.next_action

    def counting(record: object, config: object, today: dt.date) -> object:
        seen.append(record.path)  # type: ignore[attr-defined]
        return real(record, config, today)  # type: ignore[arg-type]

    monkeypatch.setattr(rules, "next_action", counting)
    from sortext.repo import open_repository
    from sortext.store.index import Index
    from sortext.views.queries import stored_next

    repo = open_repository(generated)
    with Index.open(repo) as index:
        index.conn.execute("BEGIN")
        try:
            index.conn.execute(
                "UPDATE files SET hash = 'saved:' || hash WHERE path IN "
                "(SELECT path FROM files ORDER BY path LIMIT 2)"
            )
            stored_next(index, repo, dt.date.fromisoformat(SAMPLE_TODAY))
        finally:
            index.conn.execute("ROLLBACK")
    assert len(seen) == 2


@pytest.mark.parametrize("consent", [False, True])
def test_next_lists_the_clients_kept_off_the_pages(
    cli: Callable[..., Result], records_repo: Path, consent: bool
) -> None:
    """A record kept off the pages by consent is stored bare (no next action): ``next``
    in the terminal still lists it, worked out from its summary."""
    if consent:
        from tests.test_pages_consent import add_config, set_consent

        add_config(records_repo, "privacy: {pages: consented}\n")
        set_consent(records_repo, "false")
    assert cli("build", "--today", SAMPLE_TODAY, "--repo", str(records_repo)).exit_code == 0
    day = dt.date.fromisoformat(SAMPLE_TODAY)
    mine, theirs = _both(records_repo, day)
    assert mine == theirs
    assert "amara-okafor" in {n.id for n in mine}
    printed = cli("next", "--json", "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert [n["id"] for n in json.loads(printed.stdout)] == [n.id for n in theirs]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    day=st.one_of(
        st.just(dt.date.fromisoformat(SAMPLE_TODAY)),
        st.dates(dt.date(2026, 10, 1), dt.date(2027, 3, 1)),
    ),
    saved=st.dictionaries(
        st.integers(0, 59), st.dates(dt.date(2026, 10, 1), dt.date(2027, 3, 1)), max_size=6
    ),
)
def test_every_list_row_has_the_next_action_the_rules_give(
    generated: Path,
    tmp_path_factory: pytest.TempPathFactory,
    day: dt.date,
    saved: dict[int, dt.date],
) -> None:
    """``list`` reads each row's next action from the stored assessments: held to the
    rules on every row, with files saved (their due dates moved) since the build."""
    import re
    import shutil

    from sortext.repo import open_repository
    from sortext.rules import findings as rules
    from sortext.views.queries import client_list

    root = tmp_path_factory.mktemp("copy") / "records"
    shutil.copytree(generated, root)
    files = sorted((root / "clients").glob("*.md"))
    for n, due in saved.items():
        text = files[n].read_text("utf-8")
        files[n].write_text(
            re.sub(r"^(  due: )\d{4}-\d\d-\d\d", rf"\g<1>{due}", text, count=1, flags=re.M),
            "utf-8",
        )
    repo = open_repository(root)
    for at_risk in (False, True):  # a plain list first: the board not brought current
        rows = client_list(repo, day, at_risk_only=at_risk, with_risks=at_risk)
        assert rows
        for row in rows:
            assert row.next == rules.next_action(row.record, repo.config, day), row.record.id


@pytest.mark.parametrize("threshold", [0, 10**9])
def test_next_remembered_or_not_answers_the_same(
    cli: Callable[..., Result],
    records_repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    threshold: int,
) -> None:
    """``next`` keeps its answer as JSON only when it worked most of it out itself
    (no build yet, a new day); read back or not, the same lines."""
    import sqlite3

    from sortext.views import queries

    monkeypatch.setattr(queries, "_REMEMBER_NEXT", threshold)
    repo = ["--today", SAMPLE_TODAY, "--repo", str(records_repo)]
    first = cli("next", "--json", *repo).stdout
    with sqlite3.connect(records_repo / ".sortext" / "index.sqlite") as conn:
        kept = conn.execute("SELECT count(*) FROM answers").fetchone()[0]
    assert kept == (1 if threshold == 0 else 0)
    assert cli("next", "--json", "--within", "400d", *repo).stdout == first
    mine = json.loads(cli("next", "--json", "--owner", "maya", *repo).stdout)
    assert mine == [n for n in json.loads(first) if n["owner"] == "maya"]
