"""``sortext init DIR``: create a new records repository."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
def command(directory: Path) -> None:
    """Create a records repository in DIRECTORY (default: here).

    Runs git init, writes sortext.yaml, clients/, templates/, .githooks/
    (enabled through core.hooksPath), .gitignore, and turns on git's
    durability settings.  Existing files are never overwritten.
    """
    from sortext.vcs.scaffold import init_repository

    created = init_repository(directory)
    for path in created:
        click.echo(f"created {path}")
    click.echo(f"records repository ready in {directory}")
