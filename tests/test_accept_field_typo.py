"""``import --accept theirs:FIELD`` with a FIELD no record can have (a typo,
``theirs:billing.rte``) accepted nothing without a word: the conflicts stayed and
the user believed them taken.  Such a pattern is a usage error (exit 2) with a
did-you-mean; patterns with ``*`` over list entries (``invoices.*.status``) and
whole sections (``billing``) are fine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import PROJECT_ROOT

DATA = PROJECT_ROOT / "tests" / "data" / "billing-invoices.csv"
MAP = PROJECT_ROOT / "docs" / "maps" / "billing-invoices.yaml"


def run(cli: Callable[..., Result], repo: Path, accept: str) -> Result:
    return cli(
        "import", str(DATA), "--map", str(MAP), "--accept", accept, "--dry-run",
        "--repo", str(repo),
    )  # fmt: skip


def test_a_field_no_record_can_have_is_a_usage_error(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    done = run(cli, records_repo, "theirs:invoices.*.stauts")
    assert done.exit_code == 2, done.output
    assert "--accept: 'theirs:invoices.*.stauts'" in done.output
    assert "did you mean 'invoices.*.status'?" in done.output


@pytest.mark.parametrize(
    "accept", ["theirs", "theirs:invoices.*.status", "theirs:billing", "theirs:invoices",
               "theirs:billing.rate", "theirs:links.anything", "theirs:invoices.*"]
)  # fmt: skip
def test_real_fields_and_patterns_are_accepted(
    records_repo: Path, cli: Callable[..., Result], accept: str
) -> None:
    done = run(cli, records_repo, accept)
    assert done.exit_code == 0, done.output


def test_an_owned_fields_pattern_no_record_can_have_is_a_config_error(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """The same typo in ``owned_fields`` owned nothing without a word; it is reported
    with its line like any mistake in sortext.yaml (a custom field counts)."""
    config = records_repo / "sortext.yaml"
    base = config.read_text()
    config.write_text(
        base + "\nowned_fields:\n  invoices.*.stauts: billing\n  links.crm: hubspot\n"
    )
    done = cli("check", "--repo", str(records_repo))
    assert done.exit_code == 2, done.output
    assert "owned_fields.invoices.*.stauts: no record has a field invoices.*.stauts" in (
        done.output
    )
    assert "did you mean 'invoices.*.status'?" in done.output
    assert "links.crm" not in done.output
    config.write_text(
        base.replace("custom_fields: {}", "custom_fields:\n  referral: {type: string}")
        + "\nowned_fields:\n  referral: hubspot\n  sessions.*.score: billing\n"
    )
    assert cli("check", "--repo", str(records_repo)).exit_code == 0


def test_a_requirement_on_a_field_no_record_can_have_is_a_config_error(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """``requirements: [{field: billing.plna, ...}]`` asked every active client for a
    field that is itself an error in a record: unsatisfiable.  It is reported in
    sortext.yaml with a did-you-mean; a name under links (any name) is fine."""
    config = records_repo / "sortext.yaml"
    base = config.read_text()
    assert "{field: billing.plan, stages: [active]" in base
    config.write_text(base.replace("{field: billing.plan, stages", "{field: billing.plna, stages"))
    done = cli("check", "--repo", str(records_repo))
    assert done.exit_code == 2, done.output
    assert "field: no record has a field billing.plna; did you mean 'billing.plan'?" in (
        done.output
    )
    config.write_text(base.replace("{field: links.contract,", "{field: links.signed,"))
    assert cli("check", "--repo", str(records_repo)).exit_code in (0, 1)
