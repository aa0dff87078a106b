"""check names conflicting fields; resolve settles them one at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from sortext.vcs.merge import merge_files
from sortext.vcs.versions import parse_version

CLIENT = "clients/amara-okafor.md"


def conflicted(records_repo: Path) -> Path:
    path = records_repo / CLIENT
    base = path.read_text(encoding="utf-8")
    ours = base.replace("stage: active", "stage: review").replace(
        "due: 2026-11-19", "due: 2026-11-26"
    )
    theirs = base.replace("stage: active", "stage: paused").replace(
        "due: 2026-11-19", "due: 2026-12-03"
    )
    ours = ours.replace("Cancelled the morning of", "Cancelled that morning")
    theirs = theirs.replace("Cancelled the morning of", "Cancelled at 8am")
    result = merge_files(base.encode(), ours.encode(), theirs.encode())
    assert len(result.conflicts) == 2 and result.notes_conflicts == 1
    path.write_text(result.text, encoding="utf-8")
    return path


def test_check_names_each_field_and_both_values(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    conflicted(records_repo)
    out = cli("check", "--repo", str(records_repo)).output
    assert "error: stage: merge conflict: ours 'review', theirs 'paused'" in out
    assert "error: next_action.due: merge conflict: ours '2026-11-26', theirs '2026-12-03'" in out
    assert "sortext resolve amara-okafor next_action.due --take ours|theirs|VALUE" in out
    assert "error: notes: merge conflict in the notes" in out


def test_resolve_with_a_value_then_sides(records_repo: Path, cli: Callable[..., Result]) -> None:
    path = conflicted(records_repo)
    repo = ("--repo", str(records_repo))
    done = cli("resolve", "amara-okafor", "next_action.due", "--take", "2026-12-01", *repo)
    assert done.exit_code == 0, done.output
    assert "other conflicts remain" in done.output
    out = cli("check", *repo).output
    assert "next_action.due" not in out and "stage: merge conflict" in out
    assert cli("resolve", "amara-okafor", "stage", "--take", "theirs", *repo).exit_code == 0
    assert cli("resolve", "amara-okafor", "notes", "--take", "ours", *repo).exit_code == 0
    assert cli("check", *repo).exit_code == 0
    version = parse_version(path.read_bytes())
    assert version is not None
    assert version.data["stage"] == "paused"
    assert version.data["next_action"]["due"] == "2026-12-01"
    assert "# slipped: she asked to move the call" in path.read_text()
    assert "Cancelled that morning" in version.body and "8am" not in version.body


def test_resolve_unknown_field_lists_the_conflicts(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    conflicted(records_repo)
    result = cli("resolve", "amara-okafor", "email", "--take", "ours", "--repo", str(records_repo))
    assert result.exit_code == 2
    assert (
        "no merge conflict on 'email' (conflicts: next_action.due, notes, stage)" in result.output
    )
