"""``sortext new NAME``: start a client record from the template."""

from __future__ import annotations

import os
from pathlib import Path

import click

from sortext.commands.options import (
    complete_people,
    complete_stages,
    open_repo,
    repo_option,
    resolve_today,
    today_option,
)
from sortext.commands.writes import dry_run_option


@click.command("new")
@click.argument("name")
@click.option(
    "--stage",
    help="Starting stage (default: the first stage in sortext.yaml).",
    shell_complete=complete_stages,
)
@click.option("--email", help="The client's email address.")
@click.option(
    "--owner",
    help="Who owns the client (default: the first person in sortext.yaml).",
    shell_complete=complete_people,
)
@click.option("--edit", "open_editor", is_flag=True, help="Open the new file in $EDITOR.")
@click.option("--id", "record_id", metavar="ID", help="The record's id (default: from NAME).")
@click.option("--force", is_flag=True, help="Create it even when a client has this name or email.")
@today_option
@dry_run_option
@repo_option
def command(
    name: str,
    stage: str | None,
    email: str | None,
    owner: str | None,
    open_editor: bool,
    record_id: str | None,
    force: bool,
    today: str | None,
    dry_run: bool,
    repo_dir: Path | None,
) -> None:
    """Create clients/<id>.md for NAME from templates/client.md.j2.

    The id is NAME in lowercase ASCII with dashes (Zoë Adams -> zoe-adams;
    other scripts transliterated: Зоя Орлова -> zoya-orlova), with -2, -3...
    when taken, or --id.  A client with the same name or email is reported
    and nothing is created, unless --force.  The new record is validated
    before it is written; an existing file is never replaced.  With --edit the file opens
    in $EDITOR (or $VISUAL) and is checked again when you close it.  --dry-run
    prints the record it would create (as a diff) and writes nothing.

    \b
    Example:
      sortext new 'Ada Lovelace' --stage inquiry --email ada@example.org
    """
    import re

    from sortext.edit.new import NewClient, create_record, existing_clients
    from sortext.errors import UsageError
    from sortext.files.inert import clean as visible

    if dry_run and open_editor:
        raise UsageError("--dry-run writes nothing, so there is no file for --edit to open")
    repo = open_repo(repo_dir)
    if record_id is not None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", record_id):
            raise UsageError(
                f"--id {record_id!r}: an id is lowercase letters, digits and dashes "
                "(e.g. zoe-obrien)"
            )
        if repo.record_path(record_id).exists():
            raise UsageError(
                f"--id {record_id}: {repo.relative(repo.record_path(record_id))} exists"
            )
    if not force:
        same = existing_clients(repo, name, email)
        if same:
            for hit in same:
                click.echo(
                    f"{repo.shown(hit.path)}: {visible(hit.name)} already has this {hit.reason}",
                    err=True,
                )
            raise UsageError(
                "not created: the client may already exist; add --force to create "
                "a second record anyway (--id to choose its id)"
            )
    client = NewClient(name=name, stage=stage, email=email, owner=owner)
    day = resolve_today(today, repo.config.timezone)
    if dry_run:
        import difflib

        from sortext.edit.new import render_record

        path, raw, warnings = render_record(repo, client, day, record_id=record_id)
        lines = raw.decode("utf-8").splitlines(keepends=True)
        diff = difflib.unified_diff([], lines, "/dev/null", f"b/{repo.relative(path)}")
        click.echo("".join(diff), nl=False)
        click.echo(f"{repo.shown(path)}: would be created; dry run, nothing written", err=True)
        for warning in warnings:
            click.echo(warning.format(show_source=False), err=True)
        return
    path, warnings = create_record(repo, client, day, record_id=record_id)
    shown = repo.shown(path)
    click.echo(f"created {shown}")
    for warning in warnings:
        click.echo(warning.format(show_source=False), err=True)
    if open_editor:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        click.edit(filename=str(path), editor=editor)
        from sortext.check.load import load_record
        from sortext.schema.validate import RecordValidator

        result = load_record(str(path), repo.relative(path), RecordValidator(repo.config))
        for problem in result.diagnostics:
            click.echo(problem.format(), err=True)
        if not result.ok:
            raise click.exceptions.Exit(1)
