"""``sortext next``: what happens next, for everyone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sortext.commands.options import (
    complete_people,
    given_day,
    open_repo,
    practice_today,
    repo_option,
    today_option,
)
from sortext.commands.style import clip, paint, parse_days, terminal_width, use_colour
from sortext.errors import one_line

if TYPE_CHECKING:
    import datetime as dt

    from sortext.repo import Repository
    from sortext.views.recall import Recall

LABELS = {
    "overdue": "OVERDUE",
    "today": "TODAY",
    "soon": "SOON",
    "missing": "NO ACTION",
    "later": "LATER",
}


@click.command("next")
@click.option(
    "--owner",
    metavar="PERSON",
    help="Only actions owned by PERSON.",
    shell_complete=complete_people,
)
@click.option(
    "--within",
    metavar="DAYS",
    help="Only actions due within DAYS (7d, 2w), "
    "overdue ones and open clients without a next action.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@today_option
@repo_option
def command(
    owner: str | None, within: str | None, as_json: bool, today: str | None, repo_dir: Path | None
) -> None:
    """List every client's next action: overdue first, then due today, due
    soon, open clients with no next action (a problem to fix), then later.

    --json prints a list of {id, name, what, owner, due, status, days, stage,
    path}, status being overdue, today, soon, missing or later, in the same
    order as NEXT.md and the dashboard.

    \b
    Examples:
      sortext next --within 7d
      sortext next --owner maya --json
    """
    from sortext.views.recall import Recall

    days = parse_days(within)
    given = given_day(today)
    colour = use_colour()
    terminal = terminal_width()
    recall = Recall(repo_dir)
    day = given or practice_today(recall)
    recall.look(["next", owner, days, as_json, day.isoformat(), colour, terminal])
    if recall.replay() is None:
        repo = open_repo(repo_dir)
        _answer(recall, repo, day, owner, days, as_json, colour, terminal)
        recall.keep(repo)


def ask(recall: Recall, repo: Repository, parts: list[Any]) -> None:
    """Answer the question ``parts`` (as :func:`command` makes them) into ``recall``:
    what a running watcher calls to work a remembered question out again after a save
    (:class:`sortext.views.recall.Refresh`).  Raises what :func:`command` raises, and
    ValueError for parts it does not make."""
    import datetime as dt

    name, owner, days, as_json, day, colour, terminal = parts
    if name != "next" or not isinstance(day, str):
        raise ValueError(f"not a question of next: {parts!r}")
    if owner is not None and not isinstance(owner, str):
        raise ValueError(f"not a question of next: {parts!r}")
    for value in (days, terminal):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ValueError(f"not a question of next: {parts!r}")
    if not (isinstance(as_json, bool) and isinstance(colour, bool)):
        raise ValueError(f"not a question of next: {parts!r}")
    when = dt.date.fromisoformat(day)
    _answer(recall, repo, when, owner, days, as_json, colour, terminal)


def _answer(
    recall: Recall,
    repo: Repository,
    day: dt.date,
    owner: str | None,
    days: int | None,
    as_json: bool,
    colour: bool,
    terminal: int | None,
) -> None:
    from sortext.views.format import count
    from sortext.views.queries import next_list

    result = next_list(repo, day, owner, days)
    if as_json:
        recall.echo(json.dumps([n.to_json() for n in result.items], indent=2))
        return
    if not result.items:
        recall.echo("Nothing to do.")
    rows = [
        (
            n,
            one_line(n.what or "no next action: decide one and who owns it"),
            f"{n.due} ({_rel(n.days)})" if n.due else "undated" if n.what else "",
        )
        for n in result.items
    ]
    name_w = max((len(one_line(n.name)) for n, _, _ in rows), default=0)
    when_w = max((len(when) for _, _, when in rows), default=0)
    owner_w = max((len(n.owner) + 2 for n, _, _ in rows if n.owner), default=0)
    what_w = max((len(what) for _, what, _ in rows), default=0)
    if terminal is not None:  # the action text gives way so each line fits the terminal
        fixed = 10 + name_w + 2 + 2 + when_w + 2 + owner_w
        what_w = max(12, min(what_w, terminal - fixed))
    lines = []
    for n, what, when in rows:
        owner_text = f"[{one_line(n.owner)}]" if n.owner else ""
        name = one_line(n.name)
        line = (
            f"{name:<{name_w}}  {clip(what, what_w):<{what_w}}  {when:<{when_w}}  {owner_text}"
        ).rstrip()
        if terminal is not None and len(line) + 10 > terminal:
            line = clip(line, max(terminal - 10, 1))
        elif owner_text:
            line = line[: -len(owner_text)] + paint(owner_text, "muted", colour)
        lines.append(f"{paint(f'{LABELS[n.status]:<9}', n.status, colour)} {line}")
    if lines:
        recall.echo("\n".join(lines))
    if result.error_files:
        recall.echo(
            f"{count(result.error_files, 'record file')} with errors: run 'sortext check'", err=True
        )


def _rel(days: int | None) -> str:
    from sortext.views.format import days_phrase

    return days_phrase(days) if days is not None else ""
