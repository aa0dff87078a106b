"""``sortext resolve ID FIELD --take ours|theirs|VALUE``: settle one merge conflict."""

from __future__ import annotations

import os
from pathlib import Path

import click

from sortext.commands.options import RECORD_ID, complete_ids, open_repo, repo_option


@click.command("resolve")
@click.argument("record_id", metavar="ID", type=RECORD_ID, shell_complete=complete_ids)
@click.argument("field", metavar="FIELD")
@click.option(
    "--take",
    required=True,
    metavar="ours|theirs|both|VALUE",
    help="Keep our value, their value, both (notes: ours then theirs), or write VALUE.",
)
@repo_option
def command(record_id: str, field: str, take: str, repo_dir: Path | None) -> None:
    """Settle the merge conflict on FIELD of client ID.

    FIELD is the name 'sortext check' shows (stage, next_action.due,
    sessions[2026-11-20].status, notes).  Other conflicts in the file stay
    marked.  When none remain and git holds the file unmerged (a merge, sync,
    pull --rebase, cherry-pick or revert stopped on it), the file is staged
    (git add), so 'sortext sync' or 'git rebase --continue' can go on.

    \b
    Example:
      sortext resolve amara-okafor next_action.due --take theirs
    """
    from sortext.check.conflicts import has_markers, resolve
    from sortext.errors import RecordNotFound, UsageError
    from sortext.files.write import refuse_unusual_target, replace_if_unchanged
    from sortext.record.source import read_bytes
    from sortext.vcs import git

    repo = open_repo(repo_dir)
    path = repo.record_path(record_id)
    if not os.path.lexists(path):
        raise RecordNotFound(f"no client '{record_id}' ({repo.shown(path)} does not exist)")
    got = read_bytes(str(path))  # the record's own entry, as check reads it: no link
    if not isinstance(got, bytes):
        raise UsageError(f"{repo.shown(path)}: {got.message}")
    raw = got
    text = raw.decode("utf-8")
    settled = resolve(text, record_id, field, take)
    if take in ("ours", "theirs"):
        from sortext.vcs.headref import REBASE_SIDES, rebase_in_progress

        if rebase_in_progress(repo.root):
            click.echo(REBASE_SIDES, err=True)
    refuse_unusual_target(path)  # a hard link would part from its other names
    replace_if_unchanged(path, settled.encode("utf-8"), raw)
    if has_markers(settled):
        click.echo(f"{record_id}: {field} settled; other conflicts remain (run sortext check)")
        return
    # staged when git holds the record unmerged, whichever operation stopped on it
    # (merge, sync, pull --rebase, cherry-pick, revert, stash pop): checking for
    # MERGE_HEAD alone left a rebase's record unstaged ('needs merge' at --continue)
    relative = repo.relative(path)
    if git.run(repo.root, "ls-files", "--unmerged", "--", relative, check=False).strip():
        git.run(repo.root, "add", "--", relative)
    click.echo(f"{record_id}: {field} settled; no conflicts left in {repo.shown(path)}")
