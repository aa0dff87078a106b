"""``sortext history ID``: who changed which field of one client, and when."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import RECORD_ID, complete_ids, open_repo, repo_option
from sortext.commands.style import json_out
from sortext.errors import one_line


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
    from sortext.record.fielddiff import FieldChange
    from sortext.vcs.history import client_history
    from sortext.vcs.midnight import commit_day

    repo = open_repo(repo_dir)
    entries = client_history(repo, record_id, field)
    if field and not entries:
        from sortext.vcs.history import check_field

        check_field(repo, field)
    if as_json:
        click.echo(json_out([e.to_json() for e in entries]))
        return
    lines = []
    for e in entries:
        if e.kind == "notes":
            what = f"notes {e.new}"
        elif e.kind in ("created", "deleted", "unparsable"):
            what = f"{e.kind} {e.new or e.old or ''}".rstrip()
            if e.kind == "unparsable":
                what = "front matter did not parse in this version (skipped)"
        elif e.kind == "renamed":
            what = f"renamed {e.old} -> {e.new}"
        elif e.kind in ("added", "removed", "changed"):
            what = FieldChange(e.field, e.old, e.new, e.kind).describe()
        else:
            what = f"{e.field}: {e.old} -> {e.new}"
        day = commit_day(e.date, repo.config.timezone)  # the practice's day of the commit
        lines.append(one_line(f"{day}  {e.commit[:8]}  {e.author}  {what}") + "\n")
    if lines:
        click.echo("".join(lines), nl=False)  # one write: 2,000 commits print ~3,000 lines
    if not entries and field:
        click.echo(f"no changes to {field} in the history of {record_id}")
