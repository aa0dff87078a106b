"""``sortext measure ID GOAL VALUE [--on D]``: record an outcome measurement."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import (
    RECORD_ID,
    complete_ids,
    open_repo,
    repo_option,
    resolve_today,
    today_option,
)
from sortext.commands.writes import dry_run_option


@click.command("measure")
@click.argument("record_id", metavar="ID", type=RECORD_ID, shell_complete=complete_ids)
@click.argument("goal")
@click.argument("value", type=float)
@click.option("--on", "on", metavar="YYYY-MM-DD", help="Measurement date (default: today).")
@click.option("--force", is_flag=True, help="Record it even if it is already recorded.")
@today_option
@dry_run_option
@repo_option
def command(
    record_id: str,
    goal: str,
    value: float,
    on: str | None,
    force: bool,
    today: str | None,
    dry_run: bool,
    repo_dir: Path | None,
) -> None:
    """Append a measurement VALUE for goal GOAL of client ID.

    The same value for the same goal on the same date is refused unless --force.

    \b
    Example:
      sortext measure amara-okafor deep-work 10 --on 2026-11-20
    """
    from sortext.commands.writes import parse_date, report
    from sortext.edit.roundtrip import RecordEditor
    from sortext.edit.routine import add_measurement
    from sortext.edit.update import update_record

    given = parse_date(on, "--on")
    repo = open_repo(repo_dir)
    day = resolve_today(today, repo.config.timezone)
    date = given or day

    def change(editor: RecordEditor) -> None:
        add_measurement(editor, goal, value, date, force, today=day)

    result = update_record(repo, record_id, change, dry_run=dry_run, today=day)
    report(result, f"measured {goal} = {value:g} on {date.isoformat()}")
