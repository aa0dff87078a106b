"""Options shared by several commands, and helpers to turn them into core inputs."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def repo_option(func: F) -> F:
    return click.option(
        "--repo",
        "repo_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Records repository (default: the folder holding sortext.yaml, from here up).",
    )(func)


def today_option(func: F) -> F:
    return click.option(
        "--today",
        "today",
        default=None,
        metavar="YYYY-MM-DD",
        help="Pretend today is this date (also: SORTEXT_TODAY).",
    )(func)


def resolve_today(value: str | None) -> dt.date:
    """--today, else $SORTEXT_TODAY, else the real date."""
    text = value or os.environ.get("SORTEXT_TODAY")
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"'{text}' is not a date (YYYY-MM-DD)", param_hint="--today"
        ) from None


def open_repo(repo_dir: Path | None) -> Any:
    from sortext.repo import open_repository

    return open_repository(repo_dir)


class RecordIdType(click.ParamType[str]):
    """A client id argument: a slug (see :mod:`sortext.files.slug`), refused otherwise.

    Every command that takes an ID uses this type, so ``sortext set ../../x``
    stops at the argument with a usage error and never reaches a path.
    """

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from sortext.commands.style import clean
        from sortext.files.slug import slug_problem

        why = slug_problem(value)
        if why is None:
            return str(value)
        self.fail(f"{clean(repr(value))[:80]} is not a client id: it {why}", param, ctx)


RECORD_ID = RecordIdType()
