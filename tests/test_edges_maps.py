"""Issue 13: every shipped map imports its sample export, and a second run changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from sortext.io.fieldmap import FieldSpec, RowProblem, convert, load_map, map_fields
from sortext.io.spreadsheet import Row, read_rows
from tests.test_import import DATA, MAPS, front, run, snapshot

IMPORTS = [
    ("hubspot-contacts.yaml", "hubspot-contacts.csv"),
    ("hubspot-deals.yaml", "hubspot-deals.csv"),
    ("pipedrive-persons.yaml", "pipedrive-persons.csv"),
    ("pipedrive-deals.yaml", "pipedrive-deals.csv"),
    ("pipedrive-deals.yaml", "pipedrive-deals-labels.csv"),
    ("google-sheets.yaml", "google-sheets.csv"),
    ("spreadsheet.yaml", None),
    # sortext's own exports of the sample records (`sortext export csv|json --today
    # 2026-11-23`), read back by the shipped round-trip maps
    ("sortext-export.yaml", "sortext-export.csv"),
    ("sortext-json.yaml", "sortext-export.json"),
]
INTAKES = [
    ("google-forms.yaml", "google-forms.csv"),
    ("google-sheets.yaml", "google-sheets.csv"),
    ("typeform.yaml", "typeform.csv"),
    ("tally.yaml", "tally.json"),
]


def test_every_map_has_a_sample() -> None:
    shipped = {p.name for p in MAPS.glob("*.yaml")}
    covered = {m for m, _ in IMPORTS + INTAKES} | {"billing-invoices.yaml"}
    assert shipped <= covered, shipped - covered


@pytest.mark.parametrize(("map_name", "data_name"), [i for i in IMPORTS if i[1]])
def test_sample_export_round_trips(
    cli: Callable[..., Result], records_repo: Path, map_name: str, data_name: str
) -> None:
    args = ("import", str(DATA / data_name), "--map", str(MAPS / map_name), "--accept", "theirs")
    before = snapshot(records_repo)
    first = run(cli, records_repo, *args, "--apply")
    assert first.exit_code == 0, first.output
    assert "unreadable" not in first.output or " 0 unreadable rows" in first.output
    after = snapshot(records_repo)
    if map_name.startswith("sortext-"):  # sortext's own export of these records: no change
        assert after == before, first.output
    again = run(cli, records_repo, *args)
    assert again.exit_code == 0, again.output
    assert "0 records to update, 0 new, 0 conflicts, 0 unreadable rows" in again.output
    assert snapshot(records_repo) == after
    assert run(cli, records_repo, "check").exit_code == 0


def test_pipedrive_label_split_columns_fill_email_and_phone(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    args = (
        "import",
        str(DATA / "pipedrive-persons.csv"),
        "--map",
        str(MAPS / "pipedrive-persons.yaml"),
    )
    assert run(cli, records_repo, *args, "--apply").exit_code == 0
    ben = front(records_repo / "clients" / "ben-marsh.md")
    assert (ben["email"], ben["phone"]) == ("ben.marsh@example.org", "+44 7700 900123")
    ida = front(records_repo / "clients" / "ida-lund.md")
    assert ida["email"] == "ida.lund@example.net"  # the Home column, Work being empty
    assert not (records_repo / "clients" / "ben-marsh-2.md").exists()


def test_hubspot_deal_finds_its_contact_by_the_email_in_parentheses() -> None:
    fmap = load_map(MAPS / "hubspot-deals.yaml")
    rows = read_rows(DATA / "hubspot-deals.csv")
    values, problems = map_fields(fmap.fields, rows[0])
    assert problems == []
    assert values[("email",)] == "ida.lund@example.net" and values[("name",)] == "Ida Lund"


def test_a_cell_that_misses_the_pattern_is_refused_with_its_row() -> None:
    spec = FieldSpec(("email",), column="Contact", pattern=r"\(([^()]+)\)$")
    _, problems = map_fields((spec,), Row(7, {"Contact": "Ida Lund"}))
    assert problems == [
        RowProblem(7, "Contact", r"'Ida Lund' does not match the map's pattern \(([^()]+)\)$")
    ]
    assert convert(spec, None) is None


@pytest.mark.parametrize(("map_name", "data_name"), INTAKES)
def test_sample_form_intake_twice_creates_once(
    cli: Callable[..., Result], records_repo: Path, map_name: str, data_name: str
) -> None:
    args = ("intake", str(DATA / data_name), "--map", str(MAPS / map_name))
    first = run(cli, records_repo, *args)
    assert first.exit_code == 0, first.output
    after = snapshot(records_repo)
    assert len(after) > 11
    second = run(cli, records_repo, *args)
    assert second.exit_code == 0, second.output
    assert snapshot(records_repo) == after
    assert run(cli, records_repo, "check").exit_code == 0
