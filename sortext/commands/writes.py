"""Helpers shared by the commands that change records: dates and result lines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click


def parse_date(value: str | None, option: str) -> dt.date | None:
    """A YYYY-MM-DD option value, or a click error naming the option."""
    from sortext.commands.options import parse_day

    if value is None:
        return None
    return parse_day(value, option)


def report(result: Any, what: str) -> None:
    """Print what changed (stdout) and the record's remaining warnings (stderr)."""
    if result.changed:
        click.echo(f"{result.display}: {what}")
    else:
        click.echo(f"{result.display}: already up to date, nothing written")
    for warning in result.warnings:
        click.echo(warning.format(show_source=False), err=True)
