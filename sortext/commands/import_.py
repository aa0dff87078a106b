"""``sortext import FILE --map MAP``: migrate from a spreadsheet or CRM export."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from sortext.commands.options import open_repo, repo_option, resolve_today, today_option
from sortext.errors import one_line
from sortext.rules.wording import count

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


def print_plan(plan: Any, applying: bool, file: str = "") -> None:
    """Per record: its changes, conflicts and skipped owned fields; each row
    problem as ``path:line:col: column: message`` (``file``: the path of rows
    read without one)."""
    from sortext.schema.owned import pattern_path

    for record in plan.records:
        state = "new" if record.is_new else "update"
        click.echo(f"{state}: {record.display} ({one_line(record.name)})")
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
    if plan.own:
        click.echo(
            f"{count(plan.own, 'event')} written by sortext's own export (the records' own "
            "dates): nothing to import from them",
            err=True,
        )
    for problem in plan.problems:
        click.echo(one_line(problem.text(file)), err=True)


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


def check_accepted(repo: Any, accept: tuple[str, ...]) -> None:
    """A usage error (with a did-you-mean) for ``--accept theirs:FIELD`` when FIELD
    matches no field a record can have: a typo must not silently accept nothing."""
    from sortext.schema.effective import effective_schema
    from sortext.schema.owned import pattern_problem

    wanted = [a for a in accept_patterns(accept) if a != "*"]
    if not wanted:
        return
    schema = effective_schema(repo.config)
    for pattern in wanted:
        why = pattern_problem(pattern, schema)
        if why is not None:
            raise click.BadParameter(f"'theirs:{pattern}': {why}", param_hint="--accept")


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
@click.option("--dry-run", "dry_run", is_flag=True, help="Show the plan; write nothing.")
@click.option("--apply", "apply_", is_flag=True, hidden=True)  # old: writing is now the default
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
    dry_run: bool,
    apply_: bool,
    accept: tuple[str, ...],
    today: str | None,
    repo_dir: Path | None,
) -> None:
    """Import FILE (CSV or JSON) through a column map, bookings from a
    calendar export (FILE.ics), or a folder of Markdown notes (FILE a folder).

    Writes by default, as every command that changes records does; --dry-run
    shows the plan and writes nothing.  For each record: the fields it fills (+),
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

    \b
    Examples:
      sortext import crm.csv --map crm.yaml --dry-run
      sortext import crm.csv --map crm.yaml
    """
    from sortext.io.fieldmap import check_columns, load_map
    from sortext.io.importer import apply_plan, plan_import, validate_plan
    from sortext.io.spreadsheet import read_table

    repo = open_repo(repo_dir)
    check_accepted(repo, accept)
    unit = "rows"
    notes_heading = "import"
    skipped = 0  # notes of a folder that could not be read (listed above the plan)
    if calendar or (file.is_file() and file.suffix.casefold() == ".ics"):
        from sortext.io.calendar import plan_calendar

        if map_file is not None:
            raise click.UsageError("a calendar import needs no --map")
        plan = plan_calendar(
            repo, file, accept_patterns(accept), resolve_today(today, repo.config.timezone)
        )
        unit = "bookings"
    elif file.is_dir():
        from sortext.io.notes_folder import plan_folder

        folder = plan_folder(
            repo,
            file,
            load_map(map_file) if map_file else None,
            accept_patterns(accept),
            resolve_today(today, repo.config.timezone),
        )
        plan = folder.plan
        for note in folder.unreadable:
            click.echo(note, err=True)
        skipped = len(folder.unreadable)
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
            file,
            fmap.format,
            fmap.records,
            fmap.flatten,
            fmap.delimiter,
            fmap.encoding,
            fmap.unquote_formulas,
        )
        click.echo(f"{file}: read as {table.dialect}", err=True)
        check_columns(fmap, table.columns, table.rows, str(file))
        plan = plan_import(
            repo,
            table.rows,
            fmap,
            name,
            accept_patterns(accept),
            progress,
            today=resolve_today(today, repo.config.timezone),
        )
    print_plan(plan, apply_, str(file))
    if dry_run:
        # the same check the write makes, so the counts below are what it will do
        validate_plan(repo, plan, resolve_today(today, repo.config.timezone), notes_heading)
        print_refusals(plan)
        print_comment_notes(plan)
        click.echo(f"{summary(plan, unit, skipped)}. Dry run: nothing written.", err=True)
        sys.exit(1 if plan.problems or plan.refused or skipped else 0)
    result = apply_plan(repo, plan, resolve_today(today, repo.config.timezone), notes_heading)
    print_refusals(plan)
    print_comment_notes(plan)
    for display, message in result.failed:
        click.echo(f"{display}: {message}", err=True)
    click.echo(
        f"{summary(plan, unit, skipped)}. Wrote {count(len(result.written), 'file')}.", err=True
    )
    sys.exit(1 if plan.problems or skipped or result.failed else 0)


def summary(plan: Any, unit: str, skipped: int = 0) -> str:
    """The counts line, the same for the dry run and the write."""
    from sortext.views.format import count

    refused = f", {len(plan.refused)} refused" if plan.refused else ""
    # rows, not problems: a row with two unreadable cells is one row not imported
    unreadable = len({(problem.path, problem.row) for problem in plan.problems})
    return (
        f"{count(plan.rows, unit[:-1])}: {count(len(plan.updated), 'record')} to update, "
        f"{len(plan.new)} new, {count(plan.conflicts, 'conflict')}, "
        f"{count(unreadable + skipped, 'unreadable ' + unit[:-1])}{refused}"
    )


def print_comment_notes(plan: Any) -> None:
    """``note: ...`` on stderr for each changed value whose line keeps a trailing
    comment (as ``sortext set`` says it)."""
    from sortext.commands.style import visible

    for note in plan.comment_notes:
        click.echo(f"note: {visible(note)}", err=True)


def print_refusals(plan: Any) -> None:
    """Each refused record with the diagnostics of the record as it would be."""
    for refusal in plan.refused:
        first, *rest = refusal.message.splitlines() or [""]
        click.echo(f"refused: {refusal.display}: {first}", err=True)
        for line in rest:
            click.echo(f"  {line}", err=True)
