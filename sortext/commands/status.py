"""``sortext status``: is a watcher running here, what did it last do, what is broken."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option


@click.command("status")
@repo_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def command(repo_dir: Path | None, as_json: bool) -> None:
    """Show whether sortext watch runs for this repository.

    Prints its pid, the last commit it made, records with errors it is
    waiting for you to fix, the last backup push, and, when this branch is not
    the one the pages are published from, which one is.  Exit status 0 when a
    watcher runs, 1 when none does, 3 when one runs but its last backup push
    failed and the branch has not been pushed since.

    \b
    Example:
      sortext status --json
    """
    from sortext.daemon.status import read_status
    from sortext.files.inert import clean

    repo = open_repo(repo_dir)
    status = read_status(repo.root)
    if as_json:
        click.echo(json.dumps(status, indent=2, sort_keys=True))
    else:
        for line in _lines(status):
            click.echo(clean(line))  # git's words, a remote's: text, never escapes
    if not status["running"]:
        raise SystemExit(1)
    raise SystemExit(3 if status.get("push_failed") else 0)


def _lines(status: dict[str, object]) -> list[str]:
    out = []
    if status["running"]:
        out.append(f"sortext watch is running (pid {status['pid']})")
    else:
        out.append("sortext watch is not running")
    last = status.get("last_commit")
    if isinstance(last, dict) and last.get("id"):
        out.append(f"last commit: {str(last['id'])[:10]} {last.get('message', '')}")
    errors = status.get("errors")
    if isinstance(errors, dict) and errors:
        out.append(f"records with errors ({len(errors)}):")
        for messages in errors.values():
            out.extend(f"  {m}" for m in messages)
    push = status.get("push")
    if isinstance(push, dict) and push:
        if push.get("last_success"):
            out.append(f"last backup push: {push['last_success']}")
        if push.get("last_error"):
            out.append(f"last push error ({push.get('last_error_at')}): {push['last_error']}")
        if status.get("pushed_since"):
            branch = str((push.get("failed_at") or {}).get("branch", "")).removeprefix(
                "refs/heads/"
            )
            out.append(
                f"  settled since: {branch} has been pushed (its remote-tracking refs are its "
                "commit); the watcher pushes again now"
            )
    pages = status.get("pages")
    if isinstance(pages, dict) and pages.get("held"):
        out.append(f"pages: {pages['held']}")
    return out
