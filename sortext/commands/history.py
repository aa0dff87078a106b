"""``sortext history ID``: who changed which field of one client, and when."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sortext.commands.options import RECORD_ID, complete_ids, open_repo, repo_option


@click.command("history")
@click.argument("record_id", metavar="ID", type=RECORD_ID, shell_complete=complete_ids)
@click.option("--field", "field", metavar="PATH", help="Only this field (and what is inside it).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of changes.")
@repo_option
def command(record_id: str, field: str | None, as_json: bool, repo_dir: Path | None) -> None:
    """Show the field-level history of client ID, oldest first.

    One line per change: date, commit, author, field, old -> new.  Renames
    of the file are followed; note changes are summarised as line counts.
    Works on any commits (the watcher's, the CLI's or your own).
    --json prints objects with date, commit, author, field, old, new, kind.

    \b
    Example:
      sortext history amara-okafor --field next_action
    """
    from sortext.vcs.history import client_history
    from sortext.views.historytext import history_json, history_lines

    repo = open_repo(repo_dir)
    entries = client_history(repo, record_id, field)
    if field and not entries:
        from sortext.vcs.history import check_field

        check_field(repo, field)
    if as_json:
        # (the encoding json_out takes: the stream this command writes to)
        click.echo(history_json(entries, getattr(sys.stdout, "encoding", None)))
        return
    text = history_lines(entries, repo.config.timezone)
    if text:
        click.echo(text, nl=False)  # one write: 2,000 commits print ~3,000 lines
    if not entries and field:
        click.echo(f"no changes to {field} in the history of {record_id}")
