"""``sortext measure ID GOAL VALUE [--on D]``: record an outcome measurement."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import RECORD_ID, open_repo, repo_option, resolve_today, today_option


@click.command("measure")
@click.argument("record_id", metavar="ID", type=RECORD_ID)
@click.argument("goal")
@click.argument("value", type=float)
@click.option("--on", "on", metavar="YYYY-MM-DD", help="Measurement date (default: today).")
@click.option("--force", is_flag=True, help="Record it even if it is already recorded.")
@today_option
@repo_option
def command(
    record_id: str,
    goal: str,
    value: float,
    on: str | None,
    force: bool,
    today: str | None,
    repo_dir: Path | None,
) -> None:
    """Append a measurement VALUE for goal GOAL of client ID.

    The same value for the same goal on the same date is refused unless --force.
    """
    from sortext.commands.writes import parse_date, report
    from sortext.edit.roundtrip import RecordEditor
    from sortext.edit.routine import add_measurement
    from sortext.edit.update import update_record

    date = parse_date(on, "--on") or resolve_today(today)

    def change(editor: RecordEditor) -> None:
        add_measurement(editor, goal, value, date, force)

    result = update_record(open_repo(repo_dir), record_id, change)
    report(result, f"measured {goal} = {value:g} on {date.isoformat()}")
