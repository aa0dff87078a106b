"""Options shared by several commands, and helpers to turn them into core inputs."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from sortext.views.recall import Recall

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


def parse_day(text: str, option: str) -> dt.date:
    """A YYYY-MM-DD option value in the years records may hold, read as a record's
    dates are (:func:`sortext.record.values.iso_day`: not ``20261203``, not a week
    date), or a click usage error naming ``option``.

    Every date argument goes through here: ``--today 9999-12-31`` made ``build``
    step past Python's last date (an internal error) where a record's own dates
    are refused outside these years.
    """
    from sortext.record.values import iso_day

    try:
        return iso_day(text)
    except ValueError as exc:
        raise click.BadParameter(f"'{text}' {exc}", param_hint=option) from None


def given_day(value: str | None) -> dt.date | None:
    """--today (``value``), else $SORTEXT_TODAY, checked by :func:`parse_day`; None
    when neither is given (then the day is the practice's: :func:`resolve_today`).

    ``--today ""`` is given, and not a date: a usage error, never the clock's day (a
    script whose date variable came out empty would otherwise run on the real
    today).  An empty ``SORTEXT_TODAY`` is unset, as Click reads an empty variable."""
    if value is not None:
        return parse_day(value, "--today")
    text = os.environ.get("SORTEXT_TODAY")
    if not text:
        return None
    return parse_day(text, "SORTEXT_TODAY (environment variable)")


def resolve_today(value: str | None, zone: str | None) -> dt.date:
    """--today, else $SORTEXT_TODAY, else the practice's day: the date in ``zone``
    (the repository's ``timezone:``, ``repo.config.timezone``; None: the local date)
    at the clock's instant (``SORTEXT_NOW`` or the system's), see
    :func:`sortext.vcs.midnight.practice_day`.  ``zone`` has no default: every
    command that takes "today" says whose.  A given date is checked by
    :func:`parse_day`; a bad ``SORTEXT_NOW`` is a usage error."""
    found = given_day(value)
    if found is not None:
        return found
    from sortext.errors import UsageError
    from sortext.vcs.midnight import practice_day

    try:
        return practice_day(zone)
    except UsageError as exc:
        from sortext.commands.hints import cli_text

        raise click.UsageError(cli_text(exc)) from None


def practice_today(recall: Recall) -> dt.date:
    """The practice's day as a quick query's :class:`~sortext.views.recall.Recall`
    reads it (:meth:`~sortext.views.recall.Recall.today`: the same day as
    :func:`resolve_today` without ``--today``, read without the YAML parser when the
    index knows the configuration); a bad ``SORTEXT_NOW`` is a usage error."""
    from sortext.errors import UsageError

    try:
        return recall.today()
    except UsageError as exc:
        from sortext.commands.hints import cli_text

        raise click.UsageError(cli_text(exc)) from None


class PracticeZone:
    """``root``'s ``timezone:`` (an IANA name, or None) as ``sortext.yaml`` says it
    now: read again when the file changes (one ``stat`` a call: its mtime, ctime, size
    and inode), so a long-running
    process (the watcher, ``serve``) takes a changed zone for its "today".  An
    unreadable or invalid configuration keeps the zone last read."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._key: tuple[int, int, int, int] | None = None
        self._zone: str | None = None

    def __call__(self) -> str | None:
        from sortext.errors import SortextError
        from sortext.repo import CONFIG_NAME

        try:
            info = os.stat(self.root / CONFIG_NAME)
        except OSError:
            return self._zone
        # the ctime too: a write in place that kept the size and set the mtime back
        # (an editor, a sync tool restoring times) changes nothing else
        key = (info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino)
        if key != self._key:
            from sortext.schema.config import load_config

            with contextlib.suppress(SortextError):
                self._zone = load_config(self.root).timezone
            self._key = key
        return self._zone


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


# -- shell completion (Click's): client ids, stages, people -------------------------


def _completion_repo(ctx: click.Context) -> Any:
    """The repository the command line names (``--repo``) or the one around here;
    None when there is none (completion then offers nothing)."""
    from sortext.errors import SortextError

    repo_dir = ctx.params.get("repo_dir")
    try:
        return open_repo(repo_dir if isinstance(repo_dir, Path) else None)
    except (SortextError, OSError):
        return None


def complete_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Client ids (the clients folder's file names: no parsing) starting with ``incomplete``."""
    from sortext.files.slug import implied_id

    repo = _completion_repo(ctx)
    if repo is None:
        return []
    folder = repo.config.clients_path
    try:
        names = sorted(implied_id(p.name) for p in folder.glob("*.md"))
    except OSError:
        return []
    return [n for n in names if n.startswith(incomplete)]


def complete_stages(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    repo = _completion_repo(ctx)
    stages = repo.config.stage_names if repo is not None else ()
    return [s for s in stages if s.startswith(incomplete)]


def complete_people(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    repo = _completion_repo(ctx)
    people = repo.config.people if repo is not None else ()
    return [p for p in people if p.startswith(incomplete)]
