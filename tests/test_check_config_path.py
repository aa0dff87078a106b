"""``sortext check sortext.yaml`` (the natural thing after editing the configuration)
read the configuration as a record and reported "no front matter: a record must
start with a line '---'".  The configuration is validated before any command runs,
so naming it checks it as the configuration: a valid one is said to be valid, a
broken one is reported at its line (exit 2), as every command reports it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from click.testing import Result


def test_check_names_the_configuration_valid(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    done = cli("check", "sortext.yaml", "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    assert "no front matter" not in done.output
    assert "sortext.yaml: OK" in done.stderr, done.output


def test_check_the_configuration_from_the_clients_folder_with_a_record(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    here = Path.cwd()
    os.chdir(records_repo / "clients")
    try:
        done = cli("check", "../sortext.yaml", "amara-okafor.md")
    finally:
        os.chdir(here)
    assert done.exit_code == 0, done.output
    assert "sortext.yaml: OK" in done.stderr and "1 record checked" in done.stderr, done.output


def test_a_broken_configuration_is_reported_at_its_line(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    config = records_repo / "sortext.yaml"
    config.write_text(config.read_text() + "\npagse: {}\n", encoding="utf-8")
    done = cli("check", "sortext.yaml", "--repo", str(records_repo))
    assert done.exit_code == 2, done.output
    assert "sortext.yaml:" in done.output and "pagse" in done.output
    assert "no front matter" not in done.output
