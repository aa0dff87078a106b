"""``sortext restore ID [--at REV|DATE]``: bring a client version back as a new commit."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import RECORD_ID, complete_ids, open_repo, repo_option


@click.command("restore")
@click.argument("record_id", metavar="ID", type=RECORD_ID, shell_complete=complete_ids)
@click.option(
    "--at",
    "at",
    default=None,
    metavar="REV|DATE",
    help="The version to bring back: a commit, or the last version of a date.",
)
@repo_option
def command(record_id: str, at: str | None, repo_dir: Path | None) -> None:
    """Bring back a deleted client, or an earlier version of one.

    Without --at, restores the last version of a deleted record.  The
    version is written to clients/ID.md and committed as a new commit:
    history is never rewritten.  Refuses when the file has uncommitted
    changes.  'sortext history ID' shows the commits to choose from.

    \b
    Example:
      sortext restore amara-okafor --at 2026-11-01
    """
    from sortext.vcs.midnight import commit_day
    from sortext.vcs.restore import restore

    repo = open_repo(repo_dir)
    done = restore(repo, record_id, at)
    day = commit_day(done.source_date, repo.config.timezone)  # the practice's day
    click.echo(
        f"restored {done.path} as of {day} ({done.source_commit[:10]}) in commit {done.commit[:10]}"
    )
