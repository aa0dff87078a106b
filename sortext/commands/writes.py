"""Helpers shared by the commands that change records: dates and result lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def parse_date(value: str | None, option: str) -> dt.date | None:
    """A YYYY-MM-DD option value, or a click error naming the option."""
    from sortext.commands.options import parse_day

    if value is None:
        return None
    return parse_day(value, option)


def dry_run_option(func: F) -> F:
    """``--dry-run``: every command that writes records writes by default and
    previews with this flag (the one rule for all writers; git history is the undo)."""
    return click.option(
        "--dry-run", "dry_run", is_flag=True, help="Show the change; write nothing."
    )(func)


def report(result: Any, what: str) -> None:
    """Print what changed (stdout) and the record's remaining warnings (stderr)."""
    if getattr(result, "dry_run", False) and result.changed:
        click.echo(result.diff, nl=False)
        click.echo(f"{result.display}: would be {what}; dry run, nothing written", err=True)
    elif result.changed:
        click.echo(f"{result.display}: {what}")
    else:
        click.echo(f"{result.display}: already up to date, nothing written")
    for warning in result.warnings:
        click.echo(warning.format(show_source=False), err=True)
    from sortext.commands.style import visible

    for note in getattr(result, "notes", ()):
        click.echo(f"note: {visible(note)}", err=True)
