"""``sortext anonymise`` looks for what it claims to remove: a sentence of the
client's notes (or next action, blockers...) that a kept field of the anonymised
record quotes (a goal titled with the notes' sentence naming the client's family
or employer) is reported by place, as erase reports any place still quoting the
client, with exit status 1; a kept field's own text is not."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import git

CLIENT = "clients/amara-okafor.md"
FAMILY = "Her husband Tobias works nights at Harbour Freight in Leeds"


def _goal_titled(root: Path, title: str, notes: str = "") -> None:
    path = root / CLIENT
    text = path.read_text("utf-8")
    text = text.replace("title: Protect time for design work", f"title: {title}", 1)
    path.write_text(text + notes, "utf-8")
    git(root, "commit", "--quiet", "-am", "goal")


def test_a_kept_field_quoting_the_notes_is_reported(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    _goal_titled(records_repo, FAMILY, f"\n{FAMILY}, since the spring.\n")
    result = cli("anonymise", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert result.exit_code == 1, result.output
    new = re.search(r"anonymised record: (clients/anon-[0-9a-f]{6}\.md)", result.output)
    assert new, result.output
    assert FAMILY in (records_repo / new.group(1)).read_text("utf-8")  # kept, reported
    assert re.search(
        rf"{re.escape(new.group(1))}, line \d+: a sentence of the client's notes "
        r'"Her husband\.\.\."',
        result.output,
    ), result.output
    assert FAMILY not in result.output  # never shown whole


def test_a_kept_fields_own_text_is_not_reported(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    _goal_titled(records_repo, "Ship the redesigned booking flow before the spring fairs")
    result = cli("anonymise", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    assert "a sentence of the client's notes" not in result.output
