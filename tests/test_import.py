"""Import and intake: dry-run diffs, conflicts, idempotency, owned fields."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.import_dry_run import SHEET_HEADER
from sortext.record.values import normalize
from sortext.record.yamlread import load_fast
from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY, git

MAPS = PROJECT_ROOT / "docs" / "maps"
DATA = PROJECT_ROOT / "tests" / "data"


def front(path: Path) -> dict[str, object]:
    data = load_fast(path.read_text(encoding="utf-8-sig").split("---\n")[1])
    assert isinstance(data, dict)
    result: dict[str, object] = normalize(data)
    return result


def run(cli: Callable[..., Result], repo: Path, *args: str) -> Result:
    return cli(*args, "--repo", str(repo), env={"SORTEXT_TODAY": SAMPLE_TODAY})


def snapshot(repo: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((repo / "clients").glob("*.md"))}


def write_sheet(path: Path, rows: int) -> None:
    """A coach's spreadsheet: Amara (with a different rate) plus new clients."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SHEET_HEADER)
        writer.writerow(
            [
                "Amara Okafor",
                "Amara.Okafor@example.com",
                "Active",
                "Leadership coaching, 6 months",
                "450",
                "GBP",
                "",
                "",
                "",
                "",
            ]
        )
        for n in range(rows - 1):
            writer.writerow(
                [
                    f"Client {n:03d} Example",
                    f"client{n:03d}@example.org",
                    "Active",
                    "Focus sprint",
                    f"{100 + n}",
                    "EUR",
                    "Kick-off call",
                    "05/12/2026",
                    "sheet;2026",
                    f"contracts/client-{n:03d}.pdf",
                ]
            )


def test_200_row_import_dry_run_then_applied_twice(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "clients.csv"
    write_sheet(sheet, 200)
    before = snapshot(records_repo)
    args = ("import", str(sheet), "--map", str(MAPS / "spreadsheet.yaml"))
    dry = run(cli, records_repo, *args, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert snapshot(records_repo) == before, "a dry run writes nothing"
    assert "conflict billing.rate: record has 420, import has 450" in dry.output
    assert "199 new" in dry.output
    first = run(cli, records_repo, *args, "--apply")
    assert first.exit_code == 0, first.output
    after_first = snapshot(records_repo)
    assert len(after_first) == len(before) + 199
    assert after_first["amara-okafor.md"] == before["amara-okafor.md"], "conflict left alone"
    client = front(records_repo / "clients" / "client-007-example.md")
    assert client["billing"] == {"plan": "Focus sprint", "rate": 107, "currency": "EUR"}
    assert client["next_action"]["due"] == "2026-12-05"  # type: ignore[index]
    assert client["tags"] == ["sheet", "2026"]
    second = run(cli, records_repo, *args, "--apply")
    assert second.exit_code == 0
    assert snapshot(records_repo) == after_first, "re-running changes nothing"
    assert "0 records to update, 0 new" in second.output
    assert run(cli, records_repo, "check").exit_code == 0


def test_accept_theirs_per_field(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "one.csv"
    write_sheet(sheet, 1)
    result = run(
        cli,
        records_repo,
        "import",
        str(sheet),
        "--map",
        str(MAPS / "spreadsheet.yaml"),
        "--apply",
        "--accept",
        "theirs:billing.rate",
    )
    assert result.exit_code == 0, result.output
    path = records_repo / "clients" / "amara-okafor.md"
    assert front(path)["billing"]["rate"] == 450  # type: ignore[index]
    assert "  rate: 450\n" in path.read_text()


def test_hubspot_and_pipedrive_maps(cli: Callable[..., Result], records_repo: Path) -> None:
    hub = run(
        cli,
        records_repo,
        "import",
        str(DATA / "hubspot-contacts.csv"),
        "--map",
        str(MAPS / "hubspot-contacts.yaml"),
        "--apply",
    )
    assert hub.exit_code == 0, hub.output
    oskar = front(records_repo / "clients" / "oskar-brandt.md")
    assert oskar["stage"] == "inquiry" and oskar["company"] == "Brandt Logistik"
    deals = run(
        cli,
        records_repo,
        "import",
        str(DATA / "pipedrive-deals.csv"),
        "--map",
        str(MAPS / "pipedrive-deals.yaml"),
    )
    assert 'conflict stage: record has "inquiry", import has "proposal"' in deals.output
    assert "+ billing.rate: 1200" in deals.output


def test_owned_fields_only_their_source_writes_them(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    config = records_repo / "sortext.yaml"
    config.write_text(
        config.read_text() + "\nowned_fields:\n  invoices.*.status: billing\n"
        "  invoices.*.paid_on: billing\n"
    )
    args = (
        "import",
        str(DATA / "billing-invoices.csv"),
        "--map",
        str(MAPS / "billing-invoices.yaml"),
    )
    other = run(cli, records_repo, *args, "--source", "spreadsheet", "--apply")
    assert "invoices[INV-2026-058].status: not written, owned by billing" in other.output
    path = records_repo / "clients" / "amara-okafor.md"
    assert front(path)["invoices"][2]["status"] == "overdue"  # type: ignore[index]
    owner = run(cli, records_repo, *args, "--apply")
    assert owner.exit_code == 0, owner.output
    invoice = front(path)["invoices"][2]  # type: ignore[index]
    assert invoice["status"] == "paid" and invoice["paid_on"] == "2026-11-20"
    store = json.loads((records_repo / "sources" / "billing.json").read_text())
    assert {"path": ["invoices", {"id": "INV-2026-058"}, "status"], "value": "paid"} in store[
        "amara-okafor"
    ]
    clean = run(cli, records_repo, "check", "--json")
    assert not [d for d in json.loads(clean.output) if "owned by billing" in d["message"]]
    hand = run(cli, records_repo, "set", "amara-okafor", "invoices[2].status=sent")
    assert hand.exit_code == 0
    assert "amara-okafor.md:33:45: warning: invoices[2].status: owned by billing" in hand.output
    flagged = json.loads(run(cli, records_repo, "check", "--json").output)
    warning = [d for d in flagged if "owned by billing" in d["message"]]
    assert len(warning) == 1
    assert warning[0]["field"] == "invoices[2].status" and warning[0]["severity"] == "warning"
    assert warning[0]["line"] == 33


def test_unreadable_cells_are_reported_per_row(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "bad.csv"
    sheet.write_text(",".join(SHEET_HEADER) + "\nAnn Lee,ann@example.org,Active,P,lots,EUR,,,,\n")
    result = run(cli, records_repo, "import", str(sheet), "--map", str(MAPS / "spreadsheet.yaml"))
    assert result.exit_code == 1
    assert f"{sheet}:2:34: Rate: 'lots' is not a number" in result.output


def test_intake_creates_records_and_proposes_updates(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    amara = (records_repo / "clients" / "amara-okafor.md").read_bytes()

    def intake() -> Result:
        return run(
            cli,
            records_repo,
            "intake",
            str(DATA / "google-forms.csv"),
            "--map",
            str(MAPS / "google-forms.yaml"),
        )

    result = intake()
    assert result.exit_code == 0, result.output
    assert (records_repo / "clients" / "amara-okafor.md").read_bytes() == amara
    assert "proposed update: clients/amara-okafor.md" in result.output
    # the form's 2026-11-20 is later than her recorded first contact: never proposed (issue 13)
    hint = "sortext set amara-okafor 'phone=+44 20 7946 0999'\n"
    assert hint in result.output
    priya = records_repo / "clients" / "priya-raman.md"
    data = front(priya)
    assert data["email"] == "priya.raman@example.org"
    assert data["consent"] == {"data_use": True}
    assert data["dates"]["first_contact"] == "2026-11-18"  # type: ignore[index]
    assert "**What would you like to work on?**\n\nPricing my services, and saying no" in (
        priya.read_text()
    )
    again = intake()
    assert "new:" not in again.output, "no duplicates on a second run"
    assert run(cli, records_repo, "check").exit_code == 0


@pytest.mark.parametrize(
    ("export", "map_name", "created"),
    [
        ("typeform.csv", None, ["lea-marsh", "noor-haddad"]),
        ("typeform.csv", "typeform.yaml", ["lea-marsh", "noor-haddad"]),
        ("tally.json", "tally.yaml", ["mira-stein", "sam-oduya"]),
    ],
)
def test_intake_form_styles(
    cli: Callable[..., Result],
    records_repo: Path,
    export: str,
    map_name: str | None,
    created: list[str],
) -> None:
    args = ["intake", str(DATA / export)]
    if map_name:
        args += ["--map", str(MAPS / map_name)]
    result = run(cli, records_repo, *args)
    assert result.exit_code == 0, result.output
    for record_id in created:
        data = front(records_repo / "clients" / f"{record_id}.md")
        assert "@example." in str(data["email"])
    git(records_repo, "add", "-A")


def test_every_shipped_map_parses() -> None:
    from sortext.io.fieldmap import load_map

    for path in sorted(MAPS.glob("*.yaml")):
        assert load_map(path).fields, path


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["Ann Lee", "Bo Chen", "Cy Diaz", "Ann Lee"]),
            st.sampled_from(["Lead", "Talking", "Proposal"]),
            st.integers(50, 500),
            st.sampled_from(["", "ops", "ops;vip"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_import_applied_twice_changes_nothing_the_second_time(
    empty_repo: Path, rows: list[tuple[str, str, int, str]]
) -> None:
    """Whatever the rows (duplicates, conflicting values), a second run is a no-op."""
    import datetime as dt
    import shutil

    from sortext.io.fieldmap import load_map
    from sortext.io.importer import apply_plan, plan_import
    from sortext.io.spreadsheet import Row
    from sortext.repo import open_repository

    shutil.rmtree(empty_repo / "clients")
    (empty_repo / "clients").mkdir()
    sheet = [
        Row(
            n + 2,
            dict(
                zip(
                    SHEET_HEADER,
                    [
                        name,
                        name.split()[0].lower() + "@example.org",
                        stage,
                        "Plan",
                        str(rate),
                        "EUR",
                        "",
                        "",
                        tags,
                        "",
                    ],
                    strict=True,
                )
            ),
        )
        for n, (name, stage, rate, tags) in enumerate(rows)
    ]
    fmap = load_map(MAPS / "spreadsheet.yaml")
    repo = open_repository(empty_repo)
    today = dt.date(2026, 11, 23)
    first = apply_plan(repo, plan_import(repo, sheet, fmap, "sheet"), today)
    assert not first.failed
    after_first = snapshot(empty_repo)
    assert len(after_first) == len({r[0] for r in rows})
    again = plan_import(repo, sheet, fmap, "sheet")
    assert not again.new and not again.updated
    apply_plan(repo, again, today)
    assert snapshot(empty_repo) == after_first
