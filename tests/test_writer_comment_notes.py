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
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY
from tests.test_mcp import calls

AMARA = "clients/amara-okafor.md"
NOTE = "note: clients/amara-okafor.md: next_action.due: was 2026-11-19; the comment"
SAMPLE = (PROJECT_ROOT / AMARA).read_text(encoding="utf-8")
SAMPLE_DUE = "  due: 2026-11-19   # slipped: she asked to move the call"


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


_LINES = {  # field -> (its line in the sample record, the column type, a new value)
    "company": ("company: Lindqvist & Okafor Architects", "text", "Okafor Studio"),
    "billing.rate": ("  rate: 420", "number", "450"),
    "next_action.due": (
        "  due: 2026-11-19   # slipped: she asked to move the call",
        "date",
        "2026-11-27",
    ),
}


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    field=st.sampled_from(sorted(_LINES)),
    comment=st.text(
        alphabet=st.characters(
            blacklist_categories=["Cs", "Cc"], blacklist_characters="\u2028\u2029\x85\ufeff"
        ),
        min_size=1,
        max_size=20,
    )
    .map(str.strip)
    .filter(bool),
)
@example(field="company", comment="\u202eevil \u200b")
def test_any_commented_line_an_import_changes_is_noted_inertly(
    records_repo: Path, cli: Callable[..., Result], field: str, comment: str
) -> None:
    """Whatever the field and whatever the comment's text (bidi and format characters
    included), an import that changes the value says so, with the comment made inert
    (a U+202E in it reaches the terminal as ``\\u202e``)."""
    record = records_repo / AMARA
    text = SAMPLE.replace(SAMPLE_DUE, SAMPLE_DUE.split("#")[0].rstrip())
    line, kind, value = _LINES[field]
    bare = line.split("#")[0].rstrip()
    record.write_text(text.replace(bare, f"{bare}   # {comment}", 1), encoding="utf-8")
    sheet = records_repo.parent / "sheet.csv"
    sheet.write_text(f"id,v\namara-okafor,{value}\n", encoding="utf-8")
    fmap = records_repo.parent / "sheet.yaml"
    fmap.write_text(
        f"source: sheet\nmatch: id\nfields:\n  id: id\n  {field}: {{column: v, type: {kind}}}\n",
        encoding="utf-8",
    )
    done = cli(
        "import", str(sheet), "--map", str(fmap), "--accept", "theirs", "--dry-run",
        "--repo", str(records_repo),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    notes = [ln for ln in done.stderr.splitlines() if ln.startswith("note: ")]
    assert len(notes) == 1 and f": {field}: was " in notes[0], done.stderr
    assert "\u202e" not in done.stderr and "\x1b" not in done.stderr
