"""``sortext search``: full-text search over client names, notes and text fields."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option
from sortext.commands.style import paint, use_colour


@click.command("search")
@click.argument("words", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@repo_option
def command(words: tuple[str, ...], as_json: bool, repo_dir: Path | None) -> None:
    """List clients whose name, notes or text fields (company, email, tags,
    blockers, goals, session focus and commitments, custom fields) contain
    every one of WORDS, each matching the start of a word ("lead" finds
    "leadership"), best match first, with a snippet ([brackets] mark the match).

    Exit status 0 when something matched, 1 when nothing did.  --json
    prints a list of {id, name, path, snippet}.
    """
    from sortext.views.queries import hit_json, search

    hits = search(open_repo(repo_dir), list(words))
    if as_json:
        import json

        click.echo(json.dumps([hit_json(h) for h in hits], indent=2, ensure_ascii=False))
        sys.exit(0 if hits else 1)
    colour = use_colour()
    for hit in hits:
        click.echo(f"{paint(hit.name, 'heading', colour)} ({hit.id})  {hit.path}")
        click.echo(f"    {hit.snippet}")
    if not hits:
        click.echo("No client matches.", err=True)
        sys.exit(1)
