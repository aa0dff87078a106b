"""The dry run shows what ``--apply`` will do (issue 13, item 3).

A Pipedrive dry run said "2 update, 1 new", exit 0, then ``--apply`` refused
2 of 3 records.  The plan now validates each resulting record with the code
the apply uses (``prepare_record``) and lists refusals with diagnostics; the
counts agree."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.io.fieldmap import load_map
from sortext.io.importer import apply_plan, plan_import, validate_plan
from sortext.io.spreadsheet import read_table
from sortext.repo import open_repository
from tests.conftest import PROJECT_ROOT
from tests.test_import import MAPS, run, snapshot

HEADER = (
    "Deal - ID,Deal - Title,Deal - Value,Deal - Currency,Deal - Stage,"
    "Deal - Expected close date,Person - Name,Person - Email - Work,Person - Email - Home,"
    "Organization - Name\n"
)
ROWS = [
    "1,Bruno,900,EUR,Won,2026-12-18,Bruno Castellanos,bruno@castellanos-ceramics.example,,",
    "2,Chiara,700,EUR,Proposal Made,2026-12-19,Chiara Bellini,chiara.bellini@example.org,,",
    "3,Lena,500,EUR,Won,2026-12-20,Lena Voss,,lena.voss@example.org,",
    "4,Omar,400,EUR,Lead In,2026-12-21,Omar Said,omar.said@example.org,,",
]
SUMMARY = re.compile(
    r"(\d+) records? to update, (\d+) new, (\d+) conflicts?, [^.]*?(?:, (\d+) refused)?\."
)


def _counts(output: str) -> tuple[str, ...]:
    found = SUMMARY.search(output)
    assert found, output
    return found.groups(default="0")


def test_dry_run_counts_equal_what_apply_does(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    export = tmp_path / "deals.csv"
    export.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    args: tuple[str, ...] = ("import", str(export), "--map", str(MAPS / "pipedrive-deals.yaml"))
    args += ("--accept", "theirs")
    dry = run(cli, records_repo, *args, "--dry-run")
    assert dry.exit_code == 1, dry.output  # refusals are not a success
    assert "refused: clients/bruno-castellanos.md" in dry.output
    assert "refused: clients/lena-voss.md" in dry.output
    assert "links.contract" in dry.output  # the diagnostic, as apply would print it
    before = snapshot(records_repo)
    applied = run(cli, records_repo, *args)
    assert applied.exit_code == 1, applied.output
    assert _counts(dry.output) == _counts(applied.output) == ("1", "1", "0", "2")
    after = snapshot(records_repo)
    changed = {n for n in after if before.get(n) != after[n]}
    assert changed == {"chiara-bellini.md", "omar-said.md"}
    refusals = [line for line in dry.output.splitlines() if line.startswith("refused:")]
    assert refusals == [line for line in applied.output.splitlines() if line.startswith("refused:")]


def _fresh(root: Path) -> Path:
    root.mkdir()
    shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
    shutil.copytree(PROJECT_ROOT / "clients", root / "clients")
    shutil.copytree(PROJECT_ROOT / "templates", root / "templates")
    return root


STAGES = ["Lead In", "Contact Made", "Proposal Made", "Won", "Nonsense"]
PEOPLE = [
    ("Bruno Castellanos", "bruno@castellanos-ceramics.example"),
    ("Chiara Bellini", "chiara.bellini@example.org"),
    ("Amara Okafor", "amara.okafor@example.com"),
    ("Lena Voss", "lena.voss@example.org"),
    ("Omar Said", "omar.said@example.org"),
]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(PEOPLE), st.sampled_from(STAGES), st.integers(0, 2000)),
        min_size=1,
        max_size=5,
        unique_by=lambda r: r[0][1],
    ),
    accept=st.booleans(),
)
def test_property_plan_counts_equal_apply(
    tmp_path_factory: object, rows: list[tuple[tuple[str, str], str, int]], accept: bool
) -> None:
    """Whatever mix of valid and invalid rows: the validated plan's new /
    updated / refused are exactly what apply writes and refuses."""
    root = _fresh(tmp_path_factory.mktemp("p") / "r")  # type: ignore[attr-defined]
    export = root.parent / "deals.csv"
    lines = [
        f"{i},T,{value},EUR,{stage},2026-12-20,{name},{email},,"
        for i, ((name, email), stage, value) in enumerate(rows)
    ]
    export.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    fmap = load_map(MAPS / "pipedrive-deals.yaml")
    repo = open_repository(root)
    today = dt.date(2026, 11, 30)
    table = read_table(export)
    plan = plan_import(repo, table.rows, fmap, "pipedrive", ["*"] if accept else [])
    refused = {r.display for r in validate_plan(repo, plan, today)}
    will_write = {r.display for r in (*plan.new, *plan.updated)}
    again = plan_import(repo, table.rows, fmap, "pipedrive", ["*"] if accept else [])
    result = apply_plan(repo, again, today)
    assert {d for d, _ in result.failed} == refused
    assert set(result.written) == will_write


def test_intake_dry_run_lists_what_the_write_would_refuse(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    """A response whose record would be invalid is named in the dry run, and
    the count of new records is what the write creates."""
    fmap = tmp_path / "m.yaml"
    fmap.write_text(
        "match: email\nfields:\n  name: Name\n  email: Email\n  stage: {column: Stage}\n",
        encoding="utf-8",
    )
    form = tmp_path / "form.csv"
    form.write_text(
        "Name,Email,Stage\nIvo Lam,ivo.lam@example.org,contracted\n"
        "Una Roy,una.roy@example.org,inquiry\n",
        encoding="utf-8",
    )
    dry = run(cli, records_repo, "intake", str(form), "--map", str(fmap), "--dry-run")
    assert "refused: clients/ivo-lam.md" in dry.output, dry.output
    assert "1 new record; dry run" in dry.output
    assert dry.exit_code == 1
    wrote = run(cli, records_repo, "intake", str(form), "--map", str(fmap))
    assert "created 1 record" in wrote.output, wrote.output
    assert not (records_repo / "clients" / "ivo-lam.md").exists()
