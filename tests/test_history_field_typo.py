"""``history ID --field stge`` answered "no changes to stge in the history", as if
the stage had never changed: a typo looked like an answer.  A field whose first
part no record can have is a usage error naming the fields, with a did-you-mean,
as ``list --sort`` and ``--tag`` are; a known field with no changes still says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result


def test_a_typo_in_field_is_a_usage_error(records_repo: Path, cli: Callable[..., Result]) -> None:
    done = cli("history", "amara-okafor", "--field", "stge", "--repo", str(records_repo))
    assert done.exit_code == 2, done.output
    assert "--field: unknown field 'stge'" in done.output
    assert "did you mean 'stage'?" in done.output


def test_a_known_field_without_changes_says_so(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    for field in ("invoices[INV-0].status", "consent.marketing", "notes"):
        done = cli("history", "greta-lindholm", "--field", field, "--repo", str(records_repo))
        assert done.exit_code == 0, done.output
        assert "unknown field" not in done.output


def test_the_assistants_field_history_refuses_a_typo_too(records_repo: Path) -> None:
    from tests.test_mcp import calls, error_text

    typo, known = calls(
        records_repo,
        ("field_history", {"id": "amara-okafor", "field": "stge"}),
        ("field_history", {"id": "amara-okafor", "field": "stage"}),
    )
    assert typo.is_error and "unknown field 'stge'" in error_text(typo)
    assert '"invalid_argument"' in error_text(typo)
    assert not known.is_error
