"""README "Commands": for every command, an unknown ``--owner`` names the known
people (``next --owner zed`` does not answer "Nothing to do.").  ``agenda`` printed
an empty agenda and ``money`` "No invoices." for a person nobody is.  Every command
whose ``--owner`` filters is held to it, and a known person in another Unicode
form still filters."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import SAMPLE_TODAY

FILTERS = ["agenda", "money", "show", "list", "next"]


@pytest.mark.parametrize("name", FILTERS)
def test_an_unknown_owner_names_the_people(
    records_repo: Path, cli: Callable[..., Result], name: str
) -> None:
    args = (name, "--owner", "zed", "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    done = cli(*args)
    assert done.exit_code == 2, done.output
    assert "--owner: unknown person 'zed' (known: maya, theo)" in done.output, done.output


def test_the_filters_cover_every_command_with_owner() -> None:
    import click

    from sortext.cli import COMMANDS, main

    ctx = click.Context(main)
    having = set()
    for command in COMMANDS:
        cmd = main.get_command(ctx, command)
        assert cmd is not None
        if any("--owner" in getattr(p, "opts", []) for p in cmd.params):
            having.add(command)
    assert having - {"new"} == set(FILTERS)  # new's --owner is the value it writes


@pytest.mark.parametrize("name", ["agenda", "money"])
def test_a_known_owner_still_filters(
    records_repo: Path, cli: Callable[..., Result], name: str
) -> None:
    done = cli(name, "--owner", "theo", "--week" if name == "agenda" else "--json",
               "--today", SAMPLE_TODAY, "--repo", str(records_repo))  # fmt: skip
    assert done.exit_code == 0, done.output
