"""``sortext intake FILE``: new client records from form responses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option, resolve_today, today_option
from sortext.errors import one_line
from sortext.rules.wording import count


def _yaml(value: object) -> str:
    """A value as 'sortext set' reads it (ISO dates stay dates)."""
    from sortext.edit.emit import render_flow
    from sortext.record.values import is_iso_date

    return str(value) if is_iso_date(value) else render_flow(value)


@click.command("intake")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "map_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Column map (YAML); default: recognise name/email/phone/company headers.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be created; write nothing.")
@today_option
@repo_option
def command(
    file: Path, map_file: Path | None, dry_run: bool, today: str | None, repo_dir: Path | None
) -> None:
    """Create one client record per form response in FILE (CSV or JSON).

    Exports from Google Forms, Typeform and Tally work; --map names the
    columns (examples in docs/maps/).  Answers not mapped to a field are
    written to a dated 'intake form' section of the new record's notes.  A
    response from an existing client (same email, any case) creates
    nothing: its differing fields are shown as a proposed update, with the
    'sortext set' command that would apply it.

    \b
    Examples:
      sortext intake responses.csv --dry-run
      sortext intake responses.csv --map form.yaml
    """
    from sortext.io.fieldmap import check_columns, load_map
    from sortext.io.intake import apply_intake, plan_intake, proposals, validate_intake
    from sortext.io.spreadsheet import read_table
    from sortext.record.positions import format_path

    repo = open_repo(repo_dir)
    fmap = load_map(map_file) if map_file else None
    table = read_table(
        file,
        fmap.format if fmap else None,
        fmap.records if fmap else None,
        fmap.flatten if fmap else None,
        fmap.delimiter if fmap else None,
        fmap.encoding if fmap else None,
        fmap.unquote_formulas if fmap else False,
    )
    click.echo(f"{file}: read as {table.dialect}", err=True)
    if fmap is not None:
        check_columns(fmap, table.columns, table.rows, str(file))
    plan = plan_intake(repo, table.rows, fmap, resolve_today(today, repo.config.timezone))
    for record in plan.new:
        fields = ", ".join(c.label for c in record.changes)
        click.echo(f"new: {record.display} ({one_line(record.name)}): {fields}")
    for record in proposals(plan):
        click.echo(f"proposed update: {record.display} ({one_line(record.name)}) already exists")
        args = []
        for change in record.changes:
            click.echo(f"  + {change.label}: {json.dumps(change.new, default=str)}")
            args.append(f"{change.label}={_yaml(change.new)}")
        for conflict in record.conflicts:
            ours, theirs = json.dumps(conflict.ours), json.dumps(conflict.theirs)
            click.echo(f"  ~ {conflict.label}: {ours} -> {theirs}")
            args.append(f"{format_path(conflict.path)}={_yaml(conflict.theirs)}")
        quoted = " ".join("'" + a.replace("'", "'\\''") + "'" for a in args)
        click.echo(f"  to apply: sortext set {record.record_id} {quoted}")
    for record in plan.records:
        for remark in record.remarks:
            click.echo(one_line(f"{remark} ({record.display})"), err=True)
    for problem in plan.problems:
        click.echo(one_line(problem.text(str(file))), err=True)
    if dry_run:
        for refusal in validate_intake(repo, plan, resolve_today(today, repo.config.timezone)):
            click.echo(f"refused: {refusal.display}: {refusal.message}", err=True)
        click.echo(f"{count(len(plan.new), 'new record')}; dry run, nothing written", err=True)
        sys.exit(1 if plan.problems or plan.refused else 0)
    result = apply_intake(repo, plan, resolve_today(today, repo.config.timezone))
    for display, message in result.failed:
        click.echo(f"{display}: {message}", err=True)
    click.echo(f"created {count(len(plan.new) - len(result.failed), 'record')}", err=True)
    sys.exit(1 if plan.problems or result.failed else 0)
