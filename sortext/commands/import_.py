"""``sortext import FILE --map MAP``: migrate from a spreadsheet or CRM export."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from sortext.commands.options import open_repo, repo_option, resolve_today, today_option

PROGRESS_MIN_ROWS = 200


def show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def progress(rows: list[Any]) -> Iterable[Any]:
    """A progress bar on stderr for long runs in a terminal; silent otherwise."""
    if len(rows) < PROGRESS_MIN_ROWS or not sys.stderr.isatty():
        return rows

    def bar() -> Iterator[Any]:
        with click.progressbar(rows, label="planning", file=sys.stderr) as items:
            yield from items

    return bar()


def print_plan(plan: Any, applying: bool) -> None:
    """Per record: its changes, conflicts and skipped owned fields."""
    from sortext.schema.owned import pattern_path

    for record in plan.records:
        state = "new" if record.is_new else "update"
        click.echo(f"{state}: {record.display} ({record.name})")
        for change in record.changes:
            if change.kind == "new-item" or change.old is None:
                click.echo(f"  + {change.label}: {show(change.new)}")
            else:
                note = " (owned)" if change.kind == "owned" else " (accepted)"
                click.echo(f"  ~ {change.label}: {show(change.old)} -> {show(change.new)}{note}")
        for conflict in record.conflicts:
            click.echo(
                f"  ! conflict {conflict.label}: record has {show(conflict.ours)}, "
                f"import has {show(conflict.theirs)}; kept "
                f"(--accept theirs:{pattern_path(conflict.path)} to take it)"
            )
        for skipped in record.skipped:
            click.echo(f"  - {skipped.label}: not written, {skipped.reason}")
    for problem in plan.problems:
        where = f" {problem.column}:" if problem.column else ""
        click.echo(f"row {problem.row}:{where} {problem.message}", err=True)


def accept_patterns(values: tuple[str, ...]) -> list[str]:
    out = []
    for value in values:
        side, _, fieldname = value.partition(":")
        if side != "theirs":
            raise click.BadParameter(
                f"'{value}': use theirs or theirs:FIELD", param_hint="--accept"
            )
        out.append(fieldname or "*")
    return out


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=True, path_type=Path))
@click.option(
    "--map",
    "map_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Column map (YAML); examples in docs/maps/.  Required for CSV and JSON.",
)
@click.option(
    "--calendar",
    is_flag=True,
    help="FILE is an iCalendar export (implied by a .ics name): import bookings.",
)
@click.option("--source", help="Name of the system the file comes from (default: the map's).")
@click.option("--apply", "apply_", is_flag=True, help="Write the changes (default: dry run).")
@click.option(
    "--accept",
    "accept",
    multiple=True,
    metavar="theirs[:FIELD]",
    help="Take the import's value on conflicts: all fields, or FIELD (repeatable).",
)
@today_option
@repo_option
def command(
    file: Path,
    map_file: Path | None,
    calendar: bool,
    source: str | None,
    apply_: bool,
    accept: tuple[str, ...],
    today: str | None,
    repo_dir: Path | None,
) -> None:
    """Import FILE (CSV or JSON) through a column map, bookings from a
    calendar export (FILE.ics), or a folder of Markdown notes (FILE a folder).

    Dry run by default: for each record, the fields it would fill (+),
    change (~), and the conflicts (!) where the record already holds a
    different value; conflicts are kept unless --accept theirs (every
    field) or --accept theirs:FIELD (e.g. billing.rate, invoices.*.status).
    Rows whose email (or id) matches no client become new records.
    Fields owned by another system (owned_fields in sortext.yaml) are never
    written.  Re-running the same import changes nothing.

    Calendar (.ics from Google Calendar, Calendly, Cal.com): each event's
    attendee matched by email gets a scheduled session keyed by the event
    UID (sessions[].uid; re-importing changes nothing); an unknown attendee
    becomes a new inquiry client; a cancelled event marks its scheduled
    session cancelled.  Times are converted to sortext.yaml's timezone.

    Folder: each .md note is a row whose columns are its properties plus
    'file' and 'body' (the Markdown); --map is optional (properties named
    like fields are taken, the body becomes the notes); properties the map
    does not use are reported.

    Exit status: 0 done, 1 when rows could not be read or records were refused.
    """
    from sortext.io.fieldmap import load_map
    from sortext.io.importer import apply_plan, plan_import
    from sortext.io.spreadsheet import read_table

    repo = open_repo(repo_dir)
    unit = "rows"
    notes_heading = "import"
    if calendar or (file.is_file() and file.suffix.casefold() == ".ics"):
        from sortext.io.calendar import plan_calendar

        if map_file is not None:
            raise click.UsageError("a calendar import needs no --map")
        plan = plan_calendar(repo, file, accept_patterns(accept))
        unit = "bookings"
    elif file.is_dir():
        from sortext.io.notes_folder import plan_folder

        folder = plan_folder(
            repo, file, load_map(map_file) if map_file else None, accept_patterns(accept)
        )
        plan = folder.plan
        for note in folder.unreadable:
            click.echo(note, err=True)
        for display, names in folder.unmapped.items():
            click.echo(f"{display}: not mapped: {', '.join(names)}", err=True)
        unit = "notes"
        notes_heading = "imported notes"
    else:
        if map_file is None:
            raise click.UsageError("--map MAP is required for a CSV or JSON file")
        fmap = load_map(map_file)
        name = source or fmap.source or file.stem
        table = read_table(
            file, fmap.format, fmap.records, fmap.flatten, fmap.delimiter, fmap.encoding
        )
        click.echo(f"{file}: read as {table.dialect}", err=True)
        plan = plan_import(repo, table.rows, fmap, name, accept_patterns(accept), progress)
    print_plan(plan, apply_)
    summary = (
        f"{plan.rows} {unit}: {len(plan.updated)} records to update, {len(plan.new)} new, "
        f"{plan.conflicts} conflicts, {len(plan.problems)} unreadable {unit}"
    )
    if not apply_:
        click.echo(f"{summary}. Dry run: nothing written; add --apply to write.", err=True)
        sys.exit(1 if plan.problems else 0)
    result = apply_plan(repo, plan, resolve_today(today), notes_heading)
    for display, message in result.failed:
        click.echo(f"{display}: {message}", err=True)
    click.echo(f"{summary}. Wrote {len(result.written)} files.", err=True)
    sys.exit(1 if plan.problems or result.failed else 0)
