"""Arguments from an assistant are input like any other: checked before use.

Ids must be slugs (the one rule of :mod:`sortext.files.slug`: lowercase
letters, digits and inner hyphens, at most 64 characters) and the file they
name must stay inside the repository's clients folder (symlinks resolved).
Errors are :class:`AssistantInputError` with a message saying which argument
was wrong and why.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sortext.errors import SortextError
from sortext.files.slug import is_slug
from sortext.repo import Repository

#: Default git author of the assistant's commits (``assistant: {author: ...}`` in sortext.yaml).
DEFAULT_AUTHOR = "Assistant (MCP) <assistant@localhost>"


class AssistantInputError(SortextError):
    """An argument an assistant passed is not acceptable (nothing was read or written)."""


def record_id(value: object, argument: str = "id") -> str:
    """``value`` when it is a slug id; AssistantInputError otherwise."""
    if not is_slug(value):
        shown = repr(value)[:80]
        raise AssistantInputError(
            f"{argument}: {shown} is not a client id (lowercase letters, digits and dashes, "
            "starting with a letter or digit, e.g. amara-okafor)"
        )
    return value


def record_path(repo: Repository, value: object, argument: str = "id") -> Path:
    """The file of client ``value``, checked to stay inside the clients folder."""
    from sortext.errors import UnsafePathError

    rid = record_id(value, argument)
    try:
        path = repo.record_path(rid)
    except UnsafePathError:
        path = repo.clients_path / f"{rid}.md"  # confined() below says why, in its words
    confined(repo, path, argument)
    return path


def confined(repo: Repository, path: Path, argument: str = "path") -> Path:
    """``path`` when it (symlinks resolved) is inside the clients folder; else an error."""
    folder = Path(os.path.realpath(repo.clients_path))
    real = Path(os.path.realpath(path))
    root = Path(os.path.realpath(repo.root))
    if real.parent != folder or root not in real.parents:
        raise AssistantInputError(
            f"{argument}: {repo.relative(path)} is not a file of the clients folder "
            f"{repo.relative(repo.clients_path)}/ (a link pointing elsewhere?)"
        )
    return path


def iso_date(value: str | None, argument: str) -> dt.date | None:
    """A YYYY-MM-DD argument as a date (None stays None), read as a record's dates are
    (:func:`sortext.record.values.iso_day`); AssistantInputError otherwise."""
    from sortext.record.values import iso_day

    if value is None:
        return None
    try:
        return iso_day(value)
    except ValueError as exc:
        raise AssistantInputError(f"{argument}: {value!r:.40} {exc}") from None


def today(value: str | None, repo: Repository) -> dt.date:
    """``value``, else $SORTEXT_TODAY, else the practice's day: the date in ``repo``'s
    ``timezone:`` at the clock's instant (like the CLI's --today,
    :func:`sortext.vcs.midnight.practice_day`).  A ``value`` given is a date or an
    :class:`AssistantInputError`, an empty one too; an empty $SORTEXT_TODAY is unset."""
    from sortext.errors import UsageError
    from sortext.vcs.midnight import practice_day

    if value is not None:  # given, even empty: a date or an error, never the clock's
        found = iso_date(value, "today")
    else:
        text = os.environ.get("SORTEXT_TODAY")
        found = iso_date(text, "today") if text else None
    if found is not None:
        return found
    try:
        return practice_day(repo.config.timezone)
    except UsageError as exc:
        raise AssistantInputError(str(exc)) from None


def author(repo: Repository) -> str:
    """The author of the assistant's commits: ``assistant.author`` in sortext.yaml."""
    section = repo.config.raw.get("assistant")
    if isinstance(section, dict) and isinstance(section.get("author"), str):
        return str(section["author"])
    return DEFAULT_AUTHOR
