"""``sortext inbox``: list the quick notes waiting in inbox/ and file them into records."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option, resolve_today, today_option
from sortext.commands.style import paint, use_colour, visible
from sortext.rules.wording import count


@click.command("inbox")
@click.option("--file", "file_", is_flag=True, help="File the matched notes (default: only list).")
@click.option(
    "--assign",
    multiple=True,
    metavar="NOTE=ID",
    help="File NOTE (as listed: inbox/x.md, inbox.md#2) into client ID; repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of the notes.")
@today_option
@repo_option
def command(
    file_: bool, assign: tuple[str, ...], as_json: bool, today: str | None, repo_dir: Path | None
) -> None:
    """List the notes in inbox/ (one note a file) and inbox.md (one note per
    '## ' section), each with the client it matches (by id, name or email,
    from its properties, heading, first line, file name or an email address in
    the text) and the next action a 'next: ... by fri' line would set.

    --file folds each matched note into its client's notes as a dated section
    and sets the next action (validated like any edit); only then is the note
    removed from the inbox.  Unmatched notes stay, with the reason; --assign
    NOTE=ID files one by hand.  Exit status 1 when notes are left unfiled.

    \b
    Examples:
      sortext inbox
      sortext inbox --file
    """
    from sortext.io.inbox import file_notes, note_json, read_inbox

    repo = open_repo(repo_dir)
    day = resolve_today(today, repo.config.timezone)
    notes = read_inbox(repo, day)
    chosen: dict[str, str] = {}
    for item in assign:
        source, sep, rid = item.partition("=")
        if not sep or not rid.strip():
            raise click.BadParameter(f"'{item}': write NOTE=ID", param_hint="--assign")
        if (
            repo.record_path(rid.strip()).name != f"{rid.strip()}.md"
            or not repo.record_path(rid.strip()).is_file()
        ):
            raise click.BadParameter(f"no client '{rid.strip()}'", param_hint="--assign")
        chosen[source.strip()] = rid.strip()
    if as_json:
        click.echo(json.dumps([note_json(n, chosen.get(n.source)) for n in notes], indent=2))
        return
    colour = use_colour()
    if not notes:
        click.echo("The inbox is empty.")
        return
    if not file_:
        for n in notes:
            match = chosen.get(n.source, n.record_id)
            target = (
                paint(f"-> {match}", "info", colour)
                if match
                else paint("unmatched", "warning", colour)
            )
            click.echo(f"{visible(n.source)}  {target}  ({visible(n.reason)})")
            first = next((ln for ln in n.text.split("\n") if ln.strip()), "")
            if first:
                click.echo(f"    {visible(first[:100])}")
            if n.next_what:
                due = f" by {n.next_due.isoformat()}" if n.next_due else ""
                click.echo(f"    next: {visible(n.next_what)}{due}")
            if n.problem:
                click.echo(f"    {paint(visible(n.problem), 'warning', colour)}")
        matched = sum(1 for n in notes if chosen.get(n.source, n.record_id))
        click.echo(
            f"{count(len(notes), 'note')}, {matched} matched. "
            "Nothing filed; add --file to file them.",
            err=True,
        )
        return
    result = file_notes(repo, notes, chosen)
    for n in result.filed:
        click.echo(f"filed {visible(n.source)} -> {repo.clients_shown}{visible(n.record_id)}.md")
    for note in result.comment_notes:
        click.echo(f"note: {visible(note)}", err=True)
    for n, why in result.kept:
        _reason(f"{visible(n.source)}: ", why)
    for n, why in result.left:
        _reason(f"left {visible(n.source)}: ", why)
    sys.exit(1 if result.left else 0)


def _reason(head: str, why: str) -> None:
    """``head`` and the first line of ``why`` on stderr, each further line of it (a
    refused edit's diagnostics, each with its source line and caret) indented below,
    every line made visible on its own (escaped whole, the breaks printed as
    ``\\x0a``: one unreadable line)."""
    first, *rest = why.split("\n")
    click.echo(f"{head}{visible(first)}", err=True)
    for line in rest:
        click.echo(f"    {visible(line)}", err=True)
