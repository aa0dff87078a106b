"""The one rule for every writer (README "One rule for every writer"): each command
that changes records writes by default and previews with ``--dry-run``.  ``new``
had no ``--dry-run`` (a usage error: "No such option"), though the README lists it
among those writers.  The list is read from the README, so a writer it names
without the flag fails here."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import Result

from sortext.cli import main
from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY


def readme_writers() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    rule = text.split("**One rule for every writer.**", 1)[1].split("\n\n", 1)[0]
    listed = rule.split("(", 1)[1].split(")", 1)[0]
    return re.findall(r"`([a-z-]+)`", listed)


def test_the_readme_lists_the_writers() -> None:
    assert {"new", "set", "log", "pay", "measure", "move", "intake", "import"} <= set(
        readme_writers()
    )


@pytest.mark.parametrize("name", readme_writers())
def test_every_writer_the_readme_names_has_dry_run(name: str) -> None:
    cmd = main.get_command(click.Context(main), name)
    assert cmd is not None
    flags = {o for p in cmd.params for o in getattr(p, "opts", [])}
    assert "--dry-run" in flags, f"sortext {name} has no --dry-run"


def test_new_dry_run_shows_the_record_and_writes_nothing(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    before = sorted(p.name for p in (records_repo / "clients").iterdir())
    done = cli(
        "new", "Ada Lovelace", "--email", "ada@example.org", "--dry-run",
        "--today", SAMPLE_TODAY, "--repo", str(records_repo),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "+++ b/clients/ada-lovelace.md" in done.stdout
    assert "\n+name: Ada Lovelace\n" in done.stdout
    assert "clients/ada-lovelace.md: would be created; dry run, nothing written" in done.stderr
    assert sorted(p.name for p in (records_repo / "clients").iterdir()) == before


def test_new_dry_run_refuses_what_the_write_refuses(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    done = cli(
        "new", "Ada Lovelace", "--stage", "nonsense", "--dry-run", "--repo", str(records_repo)
    )
    assert done.exit_code == 2, done.output
    assert "unknown stage 'nonsense'" in done.output
    assert not (records_repo / "clients" / "ada-lovelace.md").exists()
