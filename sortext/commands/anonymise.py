"""``sortext anonymise ID [--yes] [--push]``: keep the outcomes, drop who the client was."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sortext.commands.options import (
    RECORD_ID,
    complete_ids,
    open_repo,
    repo_option,
    resolve_today,
    today_option,
)


@click.command("anonymise")
@click.argument("record_id", metavar="ID", type=RECORD_ID, shell_complete=complete_ids)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@click.option(
    "--push",
    is_flag=True,
    help="Also rewrite every backup remote (force push) and verify each with a fresh clone.",
)
@today_option
@repo_option
def command(
    record_id: str, yes: bool, push: bool, today: str | None, repo_dir: Path | None
) -> None:
    """Replace a client by an anonymised record and rewrite history as 'erase' does.

    Kept under a new id (anon-XXXXXX): stage, owner, dates, billing terms,
    invoice amounts, goals, measurements and sessions (date, kind, status,
    score), so the figures still count them.  Removed from the record and
    from every commit: name, email, phone, company, links, next action,
    blockers, free-text session fields and the notes.  Exit status as for
    'sortext erase'.

    \b
    Example:
      sortext anonymise harbour-lane-coop --push
    """
    from sortext.commands.erase import (
        add_inbox_notes,
        rebuild_pages,
        rebuilder,
        refuse_linked_stores,
        settle_pending,
        show_plan,
        show_report,
        watcher_stopped,
    )
    from sortext.commands.style import busy
    from sortext.vcs.anonymise import anonymise
    from sortext.vcs.erase import check_ready, plan_erase

    refuse_linked_stores(repo_dir)
    repo = open_repo(repo_dir)
    day = resolve_today(today, repo.config.timezone)
    # as erase: the watcher's lock throughout, every refusal before the question
    with watcher_stopped(repo):
        plan = plan_erase(repo, record_id)
        add_inbox_notes(repo, plan, day)
        check_ready(repo, plan)
        remotes = show_plan(repo, plan, push, "anonymise")
        if not yes and not click.confirm("Anonymise this client for good?", default=False):
            click.echo("nothing changed", err=True)
            sys.exit(2)
        with busy("rewriting history and verifying"):
            new_id, report = anonymise(repo, plan, day, push, remotes, rebuilder(repo, day))
    rebuild_pages(repo, report, day)
    click.echo(f"anonymised record: {repo.shown(repo.record_path(new_id))}")
    show_report(report, push)
    settle_pending(repo, report, day, "anonymise")
    sys.exit(0 if report.ok else 1)
