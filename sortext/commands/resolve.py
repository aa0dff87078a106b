"""``sortext resolve ID FIELD --take ours|theirs|VALUE``: settle one merge conflict."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sortext.repo import Repository

from sortext.commands.options import (
    RECORD_ID,
    complete_ids,
    given_day,
    open_repo,
    repo_option,
    resolve_today,
    today_option,
)


@click.command("resolve")
@click.argument("record_id", metavar="ID", type=RECORD_ID, shell_complete=complete_ids)
@click.argument("field", metavar="FIELD")
@click.option(
    "--take",
    required=True,
    metavar="ours|theirs|both|VALUE",
    help="Keep our value, their value, both (notes: ours then theirs), or write VALUE.",
)
@today_option
@repo_option
def command(
    record_id: str, field: str, take: str, today: str | None, repo_dir: Path | None
) -> None:
    """Settle the merge conflict on FIELD of client ID.

    FIELD is the name 'sortext check' shows (stage, next_action.due,
    sessions[2026-11-20].status, notes).  Other conflicts in the file stay
    marked.  When none remain and git holds the file unmerged (a merge, sync,
    pull --rebase, cherry-pick or revert stopped on it), the file is staged
    (git add), so 'sortext sync' or 'git rebase --continue' can go on.  A
    VALUE is checked as 'sortext set' checks it: one the record cannot hold,
    or a date of something that has happened after today, is refused.

    \b
    Example:
      sortext resolve amara-okafor next_action.due --take theirs
    """
    from sortext.check.conflicts import has_markers, resolve
    from sortext.errors import RecordNotFound, UsageError
    from sortext.files.write import refuse_unusual_target, replace_if_unchanged
    from sortext.record.source import read_bytes
    from sortext.vcs import git

    given_day(today)  # a --today given is a date whatever --take says (a usage error)
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
    if take not in ("ours", "theirs", "both"):
        _check_value(repo, path, text, settled, field, resolve_today(today, repo.config.timezone))
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


def _check_value(
    repo: Repository, path: Path, text: str, settled: str, field: str, today: dt.date
) -> None:
    """Raise UsageError when the VALUE that settled ``field`` adds an error to the
    record (a date field given ``banana``) or a date of something that has happened
    after ``today``: judged on our side of every other conflict, against our side
    (nothing written)."""
    from sortext.check.conflicts import settle
    from sortext.edit.emit import EditRefused
    from sortext.edit.update import check_edit
    from sortext.errors import UsageError, one_line

    ours = settle(text, {}, default="ours").encode("utf-8")
    taken = settle(settled, {}, default="ours").encode("utf-8")
    try:
        check_edit(repo, repo.relative(path), ours, taken, today)
    except EditRefused as exc:
        said = "; ".join(
            f"{d.field}: {d.message}" if d.field else d.message for d in exc.diagnostics
        )
        raise UsageError(
            f"{one_line(field)}: --take VALUE refused, nothing written: "
            f"{said or one_line(str(exc))}"
        ) from exc
