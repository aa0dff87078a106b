"""``sortext merge-copy FILE``: merge a sync tool's conflict copy into its record."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option


@click.command("merge-copy")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--base", "base", metavar="REV", help="Git revision of the common ancestor.")
@repo_option
def command(file: Path, base: str | None, repo_dir: Path | None) -> None:
    """Merge FILE, a conflict copy a sync tool left (Syncthing, Dropbox,
    Nextcloud, ownCloud, Google Drive, iCloud, OneDrive, Resilio), into the
    record it copies, field by field, then remove it.

    Fields changed on one side are taken; fields both sides changed
    differently get conflict markers, settled with 'sortext resolve'.
    A merge that would make the record invalid writes nothing and keeps
    the copy (each error is shown at its line).
    Exit status: 0 merged cleanly, 1 conflicts left in the record, 2 refused.

    \b
    Example:
      sortext merge-copy 'clients/amara-okafor.sync-conflict-20261120-101500.md'
    """
    from sortext.vcs.copies import merge_copy

    repo = open_repo(repo_dir)
    done = merge_copy(repo, file.absolute(), base)
    click.echo(f"{done.copy}: merged into {done.record} (common ancestor: {done.base}); removed")
    if done.conflicts or done.notes_conflicts:
        fields = [*done.conflicts, *(["notes"] if done.notes_conflicts else [])]
        click.echo(
            f"{done.record}: conflicts on {', '.join(fields)}; settle each with "
            f"'sortext resolve {Path(done.record).stem} FIELD --take ours|theirs|both|VALUE'",
            err=True,
        )
        raise SystemExit(1)
