"""Helpers shared by the commands that change records: dates and result lines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click


def parse_date(value: str | None, option: str) -> dt.date | None:
    """A YYYY-MM-DD option value, or a click error naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"'{value}' is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


def report(result: Any, what: str) -> None:
    """Print what changed (stdout) and the record's remaining warnings (stderr)."""
    if result.changed:
        click.echo(f"{result.display}: {what}")
    else:
        click.echo(f"{result.display}: already up to date, nothing written")
    for warning in result.warnings:
        click.echo(warning.format(show_source=False), err=True)
