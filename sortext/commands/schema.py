"""``sortext schema``: print the effective JSON Schema (default + config)."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option
from sortext.commands.style import json_out


@click.command("schema")
@repo_option
def command(repo_dir: Path | None) -> None:
    """Print the effective JSON Schema (2020-12) that records are checked against.

    Includes this repository's stages and custom fields.  Cross-field rules
    (stage requirements, next-action warnings) are enforced by 'sortext check'.

    \b
    Example:
      sortext schema > record.schema.json
    """
    from sortext.schema.effective import effective_schema

    repo = open_repo(repo_dir)
    click.echo(json_out(effective_schema(repo.config)))
