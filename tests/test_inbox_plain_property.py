"""A note typed on a phone often starts ``client: amara-okafor`` without the ``---``
lines that make it a property.  The first line was read as a name ("client") and
the note stayed unmatched; a first line that is one of the inbox's properties
(``client:``, ``to:``) now names the client as the property would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import SAMPLE_TODAY


@pytest.mark.parametrize("first", ["client: amara-okafor", "To: Amara Okafor", "client:amara"])
def test_a_property_written_as_the_first_line_matches(
    records_repo: Path, cli: Callable[..., Result], first: str
) -> None:
    inbox = records_repo / "inbox"
    inbox.mkdir()
    (inbox / "call.txt").write_text(f"{first}\nShe said yes to the board.\n", encoding="utf-8")
    done = cli("inbox", "--json", "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    assert '"client": "amara-okafor"' in done.stdout, done.stdout


def test_a_name_before_a_colon_still_matches(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    inbox = records_repo / "inbox"
    inbox.mkdir()
    (inbox / "call.txt").write_text("Amara: she said yes.\n", encoding="utf-8")
    done = cli("inbox", "--json", "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert '"client": "amara-okafor"' in done.stdout, done.stdout
