"""``sortext sync``: pull with the field-aware merge, then push."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option


@click.command("sync")
@click.option("--remote", default=None, help="Remote to sync with (default: first backup remote).")
@repo_option
def command(remote: str | None, repo_dir: Path | None) -> None:
    """Pull from the remote (client files merged field by field), then push.

    For a practice where a second laptop works on the same records.  When
    both sides changed one field differently, nothing is pushed: the fields
    are listed (as 'sortext check' shows them); settle each with 'sortext
    resolve ID FIELD --take ours|theirs|VALUE', then run 'sortext sync' again.
    Exit status: 0 synced, 1 conflicts to settle, 2 error.

    \b
    Example:
      sortext sync --remote origin
    """
    from sortext.check.many import check_repository
    from sortext.vcs.sync import sync

    repo = open_repo(repo_dir)
    result = sync(repo, remote)
    if result.conflicts:
        report = check_repository(repo, [repo.root / p for p in result.conflicts])
        for d in report.diagnostics:
            click.echo(d.format())
        click.echo(
            f"sync stopped: conflicts in {', '.join(result.conflicts)}; settle them with "
            "'sortext resolve', then run 'sortext sync' again",
            err=True,
        )
        sys.exit(1)
    took = {
        "fast-forward": "took the remote's changes",
        "merge": "merged both sides' changes",
    }.get(result.incoming, "nothing new there")
    sent = "pushed this clone's changes" if result.sent else "nothing to push"
    click.echo(f"synced with {result.remote}/{result.branch}: {took}, {sent}")
