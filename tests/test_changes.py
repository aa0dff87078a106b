"""'What changed since', stage facts and the stale rule, from real dated git history."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from sortext.repo import open_repository
from sortext.vcs.changes import StageFacts, changes_since, classify, stage_facts, staleness
from tests.conftest import git
from tests.dated import AMARA, build_dated_repo, commit_at, replace

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def dated_repo(tmp_path: Path) -> Path:
    return build_dated_repo(tmp_path)


def test_changes_since_last_week(dated_repo: Path) -> None:
    repo = open_repository(dated_repo)
    report = changes_since(repo, TODAY - dt.timedelta(days=7), TODAY)
    seen = {(c.record_id, c.kind, c.summary) for c in report.changes}
    assert seen == {
        ("tomas-berg", "new_client", "new client in inquiry"),
        ("tomas-berg", "next_action_added", "next: Reply to his inquiry (due 2026-11-24)"),
        (
            "amara-okafor",
            "next_action_moved",
            "moved: Send session 7 prep notes and the delegation worksheet due 2026-11-19 -> "
            "2026-11-26",
        ),
        ("amara-okafor", "session_logged", "2026-11-18 coaching held"),
        ("amara-okafor", "invoice_paid", "INV-2026-058 paid (840)"),
        ("old-client", "deleted", "deleted (completed)"),
    }
    amara = next(c for c in report.changes if c.record_id == "amara-okafor")
    assert (amara.when, amara.author) == ("2026-11-18", "Sam Ortiz")


def test_stage_move_shows_in_a_wider_window(dated_repo: Path, cli: Callable[..., Result]) -> None:
    result = cli(
        "changes",
        "--since",
        "2026-11-02",
        "--today",
        "2026-11-23",
        "--json",
        "--repo",
        str(dated_repo),
    )
    data = json.loads(result.output)
    kinds = {(c["record_id"], c["kind"]) for c in data["changes"]}
    assert ("amara-okafor", "stage_moved") not in kinds  # active -> review -> active: no net move
    result = cli(
        "changes", "--since", "2026-11-03", "--today", "2026-11-23", "--repo", str(dated_repo)
    )
    assert "Stage moves (1)\n  amara-okafor: stage review -> active" in result.output


def test_classify_next_action_done_and_overdue_invoice() -> None:
    old = {
        "stage": "active",
        "next_action": {"what": "Call", "due": "2026-11-20"},
        "invoices": [{"id": "I1", "status": "sent", "due": "2026-11-21"}],
    }
    new = {
        "stage": "active",
        "next_action": {"what": "Send notes", "due": "2026-11-27"},
        "invoices": [{"id": "I1", "status": "sent", "due": "2026-11-21"}],
    }
    got = [(k, s) for k, s, _, _ in classify(old, new, dt.date(2026, 11, 16), TODAY)]
    assert got == [
        ("next_action_done", "done: Call"),
        ("next_action_added", "next: Send notes (due 2026-11-27)"),
        ("invoice_overdue", "I1 due 2026-11-21, still unpaid"),
    ]


def test_stage_facts_follow_renames(dated_repo: Path) -> None:
    git(dated_repo, "mv", AMARA, "clients/amara.md")
    commit_at(dated_repo, "2026-11-21", "rename")
    facts = stage_facts(open_repository(dated_repo))
    assert facts["amara"].stage == "active"
    assert facts["amara"].stage_since == dt.date(2026, 11, 3)
    assert facts["amara"].last_touched == dt.date(2026, 11, 21)
    assert facts["tomas-berg"].stage_since == dt.date(2026, 11, 20)
    assert "old-client" not in facts


def test_stale_rule() -> None:
    limits = {"proposal": 21}
    since = dt.date(2026, 10, 1)
    assert staleness("proposal", since, TODAY, limits) is not None
    stale = staleness("proposal", since, TODAY, limits)
    assert stale is not None and (stale.days, stale.limit) == (53, 21)
    assert staleness("proposal", dt.date(2026, 11, 10), TODAY, limits) is None
    assert staleness("active", since, TODAY, limits) is None
    assert staleness("proposal", None, TODAY, limits) is None


def test_stage_facts_cache_reads_only_new_commits_and_survives_rewrites(
    dated_repo: Path,
) -> None:
    repo = open_repository(dated_repo)
    first = stage_facts(repo)
    assert (dated_repo / ".sortext/stage-facts.json").exists()
    assert stage_facts(repo) == first
    replace(dated_repo / AMARA, r"^stage: active", "stage: review")
    commit_at(dated_repo, "2026-11-22", "to review")
    git(dated_repo, "mv", "clients/tomas-berg.md", "clients/tomas.md")
    commit_at(dated_repo, "2026-11-23", "rename")
    updated = stage_facts(repo)
    assert updated == stage_facts(repo, use_cache=False)
    assert updated["amara-okafor"] == StageFacts(
        "review", dt.date(2026, 11, 22), dt.date(2026, 11, 22)
    )
    assert updated["tomas"].stage_since == dt.date(2026, 11, 20)
    git(dated_repo, "reset", "--quiet", "--hard", "HEAD~2")
    assert stage_facts(repo) == stage_facts(repo, use_cache=False) == first
