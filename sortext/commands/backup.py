"""``sortext backup``: push to every backup remote, then verify the copy."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option
from sortext.rules.wording import count


@click.command("backup")
@repo_option
def command(repo_dir: Path | None) -> None:
    """Push to every configured remote, then verify each copy.

    Remotes and branch come from sortext.yaml
    ('backup: {remotes: [origin], branch: main}'; default: origin and the
    current branch).  Verification clones the remote into a temporary
    folder, runs the checker there and compares every record (path and
    blob hash) with local HEAD.  The time of the last verified backup is
    kept in .sortext/backup.json ('sortext doctor' shows its age).
    Exit status: 0 all verified, 1 a remote failed or differs.

    \b
    Example:
      sortext backup
    """
    from sortext.commands.style import busy
    from sortext.vcs.backup import backup

    with busy("pushing and verifying the backups"):
        report = backup(open_repo(repo_dir))
    for r in report.remotes:
        if r.error:
            click.echo(f"{r.remote}: FAILED: {r.error}")
        elif r.mismatches:
            click.echo(f"{r.remote}: NOT VERIFIED:")
            for m in r.mismatches:
                click.echo(f"  {m}")
        else:
            errors = f" ({count(r.check_errors, 'record')} with errors)" if r.check_errors else ""
            click.echo(
                f"{r.remote}: verified {count(r.records, 'record')} at {r.commit[:10]} "
                f"on branch {report.branch}{errors}"
            )
    if report.uncommitted:
        shown = ", ".join(report.uncommitted[:5])
        more = f" and {len(report.uncommitted) - 5} more" if len(report.uncommitted) > 5 else ""
        click.echo(
            f"warning: {count(len(report.uncommitted), 'record change')} not committed, so in "
            f"no backup: {shown}{more} (commit them, or run 'sortext watch', which commits "
            "every save)",
            err=True,
        )
    sys.exit(0 if report.ok else 1)
