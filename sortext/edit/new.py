"""Create a new client record from the repository's template.

The template is ``templates/client.md.j2`` in the repository (users may change
it), else the one shipped in the package.  The result is validated like any
edit and written with an exclusive create, so an existing file is never
replaced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sortext.edit.emit import render_flow
from sortext.edit.roundtrip import EditRefused, RecordEditor
from sortext.files.slug import slugify
from sortext.record.diagnostics import Diagnostic
from sortext.repo import Repository

TEMPLATE = "client.md.j2"


@dataclass(frozen=True, slots=True)
class NewClient:
    """What ``sortext new`` (or an intake) knows about a client about to get a record."""

    name: str
    stage: str | None = None
    email: str | None = None
    owner: str | None = None
    next_what: str | None = None
    due: dt.date | None = None
    #: the day the client first got in touch (a form response's timestamp); None: today
    first_contact: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Existing:
    """A record that already has the new client's name or email."""

    path: Path
    name: str
    reason: str  # "name" or "email"


def existing_clients(repo: Repository, name: str, email: str | None) -> list[Existing]:
    """Records whose name (case and accents folded) or email (any case) is the given one."""
    from sortext.record.peek import read_front_matter

    def fold(text: str) -> str:
        return " ".join(slugify(text).split("-"))

    wanted_name = fold(name)
    wanted_email = email.strip().casefold() if email else None
    found = []
    for path in repo.record_paths():
        data = read_front_matter(path)
        if data is None:
            continue
        their_name = str(data.get("name") or "")
        their_email = data.get("email")
        if (
            wanted_email
            and isinstance(their_email, str)
            and their_email.strip().casefold() == wanted_email
        ):
            found.append(Existing(path, their_name, "email"))
            continue
        if their_name and fold(their_name) == wanted_name:
            found.append(Existing(path, their_name, "name"))
    return found


def unique_id(repo: Repository, name: str) -> str:
    """A slug of ``name`` no record uses yet: ``jane-doe``, then ``jane-doe-2``..."""
    base = slugify(name)
    taken = {p.name[:-3] for p in repo.record_paths()}
    candidate, n = base, 2
    while candidate in taken or repo.record_path(candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _environment(repo: Repository) -> Any:
    from importlib.resources import files

    import jinja2

    shipped = str(files("sortext") / "skeleton" / "templates")
    loader = jinja2.FileSystemLoader([str(repo.root / "templates"), shipped])
    env = jinja2.Environment(
        loader=loader,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters["yaml"] = render_flow
    return env


def render_new(repo: Repository, client: NewClient, record_id: str, today: dt.date) -> str:
    """The text of the new record (not yet validated).

    The template sees ``id``, ``name``, ``email``, ``stage``, ``owner``,
    ``next_what``, ``due`` and ``today`` (ISO text), and ``first_contact``: the
    client's first contact day, ``today`` unless the client says otherwise."""
    import jinja2

    config = repo.config
    stage = client.stage or (config.stage_names[0] if config.stage_names else "inquiry")
    owner = client.owner or (config.people[0] if config.people else "me")
    values = {
        "id": record_id,
        "name": client.name,
        "email": client.email or "",
        "stage": stage,
        "owner": owner,
        "next_what": client.next_what or "Reply to the inquiry and book a first call",
        "due": (client.due or today + dt.timedelta(days=2)).isoformat(),
        "today": today.isoformat(),
        "first_contact": (client.first_contact or today).isoformat(),
    }
    try:
        return str(_environment(repo).get_template(TEMPLATE).render(**values))
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or TEMPLATE
        line = getattr(exc, "lineno", None) or 1
        raise EditRefused(f"{where}:{line}: template error: {exc}") from exc


def render_record(
    repo: Repository,
    client: NewClient,
    today: dt.date,
    record_id: str | None = None,
    extra: Callable[[RecordEditor], None] | None = None,
) -> tuple[Path, bytes, list[Diagnostic]]:
    """Render, apply ``extra`` edits and validate a new record; write nothing.

    Returns its path, bytes and warnings.  Raises EditRefused (unknown stage, a
    template that breaks the name, a result with errors, or one holding a date of
    something that has happened after ``today``).
    """
    from sortext.edit.update import check_edit

    if client.stage and client.stage not in repo.config.stage_names:
        raise EditRefused(
            f"unknown stage '{client.stage}'; stages: {', '.join(repo.config.stage_names)}"
        )
    record_id = record_id or unique_id(repo, client.name)
    path = repo.record_path(record_id)
    text = render_new(repo, client, record_id, today)
    raw = text.encode("utf-8")
    if extra is not None:
        editor = RecordEditor(raw, repo.relative(path))
        extra(editor)
        raw = editor.result()
    # today: a template (or the import's edits) dating something that happened ahead
    warnings = check_edit(repo, repo.relative(path), None, raw, today)
    from sortext.check.load import parse_record
    from sortext.schema.validate import RecordValidator

    loaded = parse_record(raw, repo.relative(path), RecordValidator(repo.config)).record
    if loaded is None or loaded.data.get("name") != client.name:
        raise EditRefused(
            f"templates/{TEMPLATE} did not keep the name {client.name!r} intact "
            "(quote it in the template with '| yaml'); nothing was written"
        )
    return path, raw, warnings


def create_record(
    repo: Repository,
    client: NewClient,
    today: dt.date,
    record_id: str | None = None,
    extra: Callable[[RecordEditor], None] | None = None,
) -> tuple[Path, list[Diagnostic]]:
    """Render, apply ``extra`` edits, validate and write a new record.

    Returns its path and warnings.  ``extra`` lets an import fill more fields
    before the record is validated as a whole (e.g. billing at stage active).
    An existing file is never replaced (ConflictError).
    """
    from sortext.files.write import Snapshot, write_if_unchanged

    path, raw, warnings = render_record(repo, client, today, record_id, extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_if_unchanged(path, Snapshot(path, None, 0, 0), raw)
    return path, warnings
