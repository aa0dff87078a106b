"""``sortext search``: full-text search over client names, notes and text fields."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sortext.commands.options import open_repo, repo_option
from sortext.commands.style import json_out, paint, use_colour, visible

if TYPE_CHECKING:
    from sortext.repo import Repository
    from sortext.views.recall import Recall


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
    prints a list of {id, name, path, snippet} (an empty list when nothing
    matched).

    \b
    Examples:
      sortext search delegation
      sortext search "second partner" --json
    """
    from sortext.views.recall import Recall

    colour = use_colour()
    recall = Recall(repo_dir, ["search", list(words), as_json, colour])
    code = recall.replay()
    if code is None:
        repo = open_repo(repo_dir)
        code = _answer(recall, repo, words, as_json, colour)
        recall.keep(repo, code)
    if code or as_json:
        sys.exit(code)


def _answer(
    recall: Recall, repo: Repository, words: tuple[str, ...], as_json: bool, colour: bool
) -> int:
    """Print the hits; the exit status (1: nothing matched)."""
    from sortext.views.queries import hit_json, search

    hits = search(repo, list(words))
    if as_json:
        recall.echo(json_out([hit_json(h) for h in hits]))
        return 0 if hits else 1
    for hit in hits:
        name = paint(visible(hit.name), "heading", colour)
        recall.echo(f"{name} ({visible(hit.id)})  {visible(hit.path)}")
        recall.echo(f"    {hit.snippet}")
    if not hits:
        recall.echo("No client matches.", err=True)
        return 1
    return 0
