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
@today_option
@repo_option
def command(
    name: str,
    stage: str | None,
    email: str | None,
    owner: str | None,
    open_editor: bool,
    today: str | None,
    repo_dir: Path | None,
) -> None:
    """Create clients/<id>.md for NAME from templates/client.md.j2.

    The id is NAME in lowercase ASCII with dashes (Zoë Adams -> zoe-adams),
    with -2, -3... when taken.  The new record is validated before it is
    written; an existing file is never replaced.  With --edit the file opens
    in $EDITOR (or $VISUAL) and is checked again when you close it.

    \b
    Example:
      sortext new 'Ada Lovelace' --stage inquiry --email ada@example.org
    """
    from sortext.edit.new import NewClient, create_record

    repo = open_repo(repo_dir)
    client = NewClient(name=name, stage=stage, email=email, owner=owner)
    path, warnings = create_record(repo, client, resolve_today(today))
    shown = repo.relative(path)
    click.echo(f"created {shown}")
    for warning in warnings:
        click.echo(warning.format(show_source=False), err=True)
    if open_editor:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        click.edit(filename=str(path), editor=editor)
        from sortext.check.load import load_record
        from sortext.schema.validate import RecordValidator

        result = load_record(str(path), shown, RecordValidator(repo.config))
        for problem in result.diagnostics:
            click.echo(problem.format(), err=True)
        if not result.ok:
            raise click.exceptions.Exit(1)
