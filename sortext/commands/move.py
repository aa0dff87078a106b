"""``sortext move ID STAGE``: move a client to another stage."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import RECORD_ID, open_repo, repo_option


@click.command("move")
@click.argument("record_id", metavar="ID", type=RECORD_ID)
@click.argument("stage")
@repo_option
def command(record_id: str, stage: str, repo_dir: Path | None) -> None:
    """Move client ID to STAGE, checking the stage's requirements.

    When a requirement with severity error is not met (for example a
    contract link before 'contracted'), the move is refused with the
    problem and nothing is written; warnings are shown after the move.
    """
    from sortext.commands.writes import report
    from sortext.edit.roundtrip import RecordEditor
    from sortext.edit.routine import move_stage
    from sortext.edit.update import update_record

    repo = open_repo(repo_dir)

    def change(editor: RecordEditor) -> None:
        move_stage(editor, stage, repo.config.stage_names)

    result = update_record(repo, record_id, change)
    report(result, f"moved to {stage}")
