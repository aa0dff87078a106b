"""History of one client and restore, on commits made by hand (renames, deletes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import git
from tests.dated import AMARA, build_dated_repo, commit_at, replace


@pytest.fixture
def dated_repo(tmp_path: Path) -> Path:
    return build_dated_repo(tmp_path)


def test_history_lists_field_changes_with_author(
    dated_repo: Path,
    cli: Callable[..., Result],
) -> None:
    result = cli("history", "amara-okafor", "--repo", str(dated_repo))
    lines = result.output.splitlines()
    assert lines[0].startswith("2026-09-01") and "created clients/amara-okafor.md" in lines[0]
    assert any(
        line.startswith("2026-11-02") and "Maya Lind" in line and "stage active -> review" in line
        for line in lines
    )
    assert any(
        "Sam Ortiz" in line and "invoices[INV-2026-058].status overdue -> paid" in line
        for line in lines
    )


def test_history_json_field_filter_and_renames(
    dated_repo: Path,
    cli: Callable[..., Result],
) -> None:
    git(dated_repo, "mv", AMARA, "clients/amara.md")
    replace(dated_repo / "clients/amara.md", r"^stage: active", "stage: review")
    replace(dated_repo / "clients/amara.md", r"\Z", "\nA new paragraph.\n")
    commit_at(dated_repo, "2026-11-22", "rename and review", author="Ana Person")
    data = json.loads(
        cli("history", "amara", "--field", "stage", "--json", "--repo", str(dated_repo)).output
    )
    assert [(e["date"][:10], e["old"], e["new"]) for e in data] == [
        ("2026-09-01", None, "active"),
        ("2026-11-02", "active", "review"),
        ("2026-11-03", "review", "active"),
        ("2026-11-22", "active", "review"),
    ]
    assert set(data[0]) >= {"date", "commit", "author", "field", "old", "new"}
    every = json.loads(cli("history", "amara", "--json", "--repo", str(dated_repo)).output)
    last = [e for e in every if e["date"].startswith("2026-11-22")]
    assert {(e["field"], e["kind"]) for e in last} == {
        ("path", "renamed"),
        ("stage", "changed"),
        ("notes", "notes"),
    }
    assert next(e for e in last if e["field"] == "notes")["new"] == "+2 lines"


def test_history_survives_a_version_that_does_not_parse(
    dated_repo: Path,
    cli: Callable[..., Result],
) -> None:
    replace(dated_repo / AMARA, r"^stage: active", "stage: [active")
    commit_at(dated_repo, "2026-11-21", "broken by hand")
    replace(dated_repo / AMARA, r"^stage: \[active", "stage: paused")
    commit_at(dated_repo, "2026-11-22", "fixed")
    data = json.loads(cli("history", "amara-okafor", "--json", "--repo", str(dated_repo)).output)
    assert data[-2]["kind"] == "unparsable"
    assert (data[-1]["field"], data[-1]["old"], data[-1]["new"]) == ("stage", "active", "paused")


def test_history_of_unknown_client(dated_repo: Path, cli: Callable[..., Result]) -> None:
    result = cli("history", "nobody", "--repo", str(dated_repo))
    assert result.exit_code == 2 and "no history for 'nobody'" in result.output


def test_restore_deleted_and_earlier_versions(
    dated_repo: Path,
    cli: Callable[..., Result],
) -> None:
    before = git(dated_repo, "rev-list", "--count", "HEAD")
    result = cli("restore", "old-client", "--repo", str(dated_repo))
    assert result.exit_code == 0, result.output
    assert (dated_repo / "clients/old-client.md").read_text() == (
        "---\nname: Old Client\nstage: completed\n---\n"
    )
    assert int(git(dated_repo, "rev-list", "--count", "HEAD")) == int(before) + 1
    assert git(dated_repo, "status", "--porcelain") == ""
    refused = cli("restore", "amara-okafor", "--repo", str(dated_repo))
    assert refused.exit_code == 2 and "give --at" in refused.output
    assert (
        cli("restore", "amara-okafor", "--at", "2026-11-02", "--repo", str(dated_repo)).exit_code
        == 0
    )
    assert "stage: review" in (dated_repo / AMARA).read_text()
    history = cli("history", "amara-okafor", "--field", "stage", "--repo", str(dated_repo))
    assert history.output.splitlines()[-1].endswith("stage active -> review")


@pytest.mark.parametrize("at", ["2026-11-02", "HEAD~1"])
def test_restore_refuses_to_overwrite_local_edits(
    dated_repo: Path,
    cli: Callable[..., Result],
    at: str,
) -> None:
    (dated_repo / AMARA).write_text((dated_repo / AMARA).read_text() + "\nunsaved\n")
    args = ["restore", "amara-okafor", "--repo", str(dated_repo)]
    result = cli(*args, "--at", at)
    assert result.exit_code == 2 and "not committed" in result.output
    assert "unsaved" in (dated_repo / AMARA).read_text()
