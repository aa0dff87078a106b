"""Every writer says when a value it changes sits on a line with a trailing comment.

The comment is the user's text and is kept, but it may describe the old value
(``due: 2026-11-19   # slipped: she asked to move the call``): 'set', 'log', 'pay',
'measure' and 'move' said so on stderr (``note: ...``) while 'inbox --file',
'import' (its write and its dry run) and the assistant's previews dropped the
note.  One test per writer that had dropped it; the sample record holds that line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

from tests.conftest import SAMPLE_TODAY
from tests.test_mcp import calls

AMARA = "clients/amara-okafor.md"
NOTE = "note: clients/amara-okafor.md: next_action.due: was 2026-11-19; the comment"


def test_inbox_file_notes_the_comment(records_repo: Path, cli: Callable[..., Result]) -> None:
    inbox = records_repo / "inbox"
    inbox.mkdir()
    (inbox / "call.md").write_text(
        "---\nclient: amara-okafor\n---\nShe called back.\nnext: send the proposal by 2026-11-27\n",
        encoding="utf-8",
    )
    done = cli("inbox", "--file", "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    assert "due: 2026-11-27   # slipped" in (records_repo / AMARA).read_text(encoding="utf-8")
    assert NOTE in done.stderr, done.output


def test_import_notes_the_comment_in_the_dry_run_and_the_write(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    sheet = tmp_path / "due.csv"
    sheet.write_text("id,due\namara-okafor,2026-11-27\n", encoding="utf-8")
    fmap = tmp_path / "due.yaml"
    fmap.write_text(
        "source: sheet\nmatch: id\nfields:\n  id: id\n"
        "  next_action.due: {column: due, type: date}\n",
        encoding="utf-8",
    )
    args = ("import", str(sheet), "--map", str(fmap), "--accept", "theirs")
    dry = cli(*args, "--dry-run", "--repo", str(records_repo))
    assert dry.exit_code == 0, dry.output
    assert NOTE in dry.stderr, dry.output
    done = cli(*args, "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    assert "due: 2026-11-27   # slipped" in (records_repo / AMARA).read_text(encoding="utf-8")
    assert NOTE in done.stderr, done.output


def test_the_assistants_preview_carries_the_note(records_repo: Path) -> None:
    (result,) = calls(
        records_repo,
        ("preview_set_fields", {"id": "amara-okafor", "fields": {"next_action.due": "2026-11-27"}}),
    )
    assert not result.is_error
    payload: dict[str, Any] = json.loads(result.content[0].text)  # type: ignore[union-attr]
    assert any(
        n.startswith(NOTE.removeprefix("note: ")) and "# slipped" in n for n in payload["notes"]
    ), payload
