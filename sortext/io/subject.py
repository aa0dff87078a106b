"""Subject access: everything held about one client, as JSON and a readable summary.

For a client who asks what is held about them (and for portability):
``<id>.json`` (the record's front matter, its notes, every field change from
git with date and author, the invoices and sessions) and ``<id>.md`` /
``<id>.html`` (the same, readable; the HTML is the Markdown rendered with
raw HTML escaped).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sortext.errors import RecordNotFound, StorageError, UsageError
from sortext.files.inert import clean
from sortext.repo import Repository
from sortext.rules.wording import count

ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True, slots=True)
class SubjectExport:
    """The files written: JSON, Markdown, HTML (absolute paths)."""

    json: Path
    markdown: Path
    html: Path


def subject_data(repo: Repository, record_id: str, today: dt.date) -> dict[str, Any]:
    """The complete data held about ``record_id`` as JSON values.

    Raises UsageError for an id that is not a client id, RecordNotFound when
    there is no such record file."""
    from sortext.check.load import load_record
    from sortext.schema.validate import RecordValidator
    from sortext.vcs.history import client_history

    if not record_id or not set(record_id) <= ID_CHARS or record_id[0] in "-_":
        raise UsageError(
            f"'{clean(record_id)}' is not a client id (the file name {repo.clients_shown}<id>.md)"
        )
    path = repo.record_path(record_id)
    if not path.is_file():
        raise RecordNotFound(f"no client '{record_id}' ({repo.shown(path)} does not exist)")
    loaded = load_record(str(path), repo.relative(path), RecordValidator(repo.config))
    if loaded.record is None:
        problems = "; ".join(d.format(False) for d in loaded.diagnostics[:3])
        raise UsageError(f"{repo.shown(path)} cannot be read: {problems}")
    record = loaded.record
    try:
        history = [e.to_json() for e in client_history(repo, record_id)]
    except RecordNotFound:
        history = []  # never committed: no history held
    data = dict(record.data)
    return {
        "client": record_id,
        "produced_on": today.isoformat(),
        "file": repo.relative(path),
        "record": data,
        "notes": record.body,
        "invoices": data.get("invoices") or [],
        "sessions": data.get("sessions") or [],
        "history": history,
    }


def _value(value: Any) -> str:
    from sortext.pages.render import md_escape

    if isinstance(value, (dict, list)):
        return f"`{json.dumps(value, ensure_ascii=False)}`".replace("\n", " ")
    return md_escape(value)


def subject_markdown(data: dict[str, Any], zone: str | None = None) -> str:
    """The readable summary of :func:`subject_data` (Markdown; values escaped); each
    change dated by its commit's day in ``zone`` (the practice's ``timezone:``:
    :func:`sortext.vcs.midnight.commit_day`)."""
    from sortext.pages.render import md_escape
    from sortext.vcs.midnight import commit_day

    record = data["record"]
    lines = [
        f"# Data held about {md_escape(record.get('name', data['client']))}",
        "",
        f"Produced on {data['produced_on']} from `{data['file']}` and its git history.",
        "",
        "## Record",
        "",
    ]
    for key, value in record.items():
        if key in ("invoices", "sessions"):
            continue
        lines.append(f"- **{md_escape(key)}**: {_value(value)}")
    for title, rows in (("Invoices", data["invoices"]), ("Sessions", data["sessions"])):
        lines += ["", f"## {title} ({len(rows)})", ""]
        lines += [f"- {_value(row)}" for row in rows] or ["- none"]
    lines += ["", "## Notes", ""]
    notes = data["notes"].strip()
    lines += [f"    {line}" for line in notes.splitlines()] if notes else ["(none)"]
    lines += ["", f"## History ({count(len(data['history']), 'change')})", ""]
    for entry in data["history"]:
        lines.append(
            f"- {md_escape(commit_day(entry['date'], zone))} {md_escape(entry['author'])}: "
            f"{md_escape(entry['kind'])} {md_escape(entry['field'])}"
            + (
                f": {_value(entry['old'])} → {_value(entry['new'])}"
                if entry["kind"] == "changed"
                else ""
            )
        )
    return "\n".join(lines) + "\n"


def subject_page(data: dict[str, Any], record_id: str, markdown: str) -> str:
    """The HTML page of a subject-access export: ``markdown`` (see
    :func:`subject_markdown`) rendered, titled with the client's name escaped by the
    pages' escaper (:func:`sortext.pages.render.escape_text`: HTML-special
    characters, and a bidi override or an invisible character made visible)."""
    from sortext.pages.render import escape_text, notes_html

    title = escape_text(f"Data held about {data['record'].get('name', record_id)}")
    return (
        f"<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body>\n{notes_html(markdown)}</body></html>\n"
    )


def export_subject(repo: Repository, record_id: str, out: Path, today: dt.date) -> SubjectExport:
    """Write ``<id>.json``, ``<id>.md`` and ``<id>.html`` into folder ``out``.

    Raises StorageError when ``out`` exists and is not a folder, UsageError when a
    file would land where no export may (the clients folder, sortext's or git's own
    entries: :func:`sortext.io.outpath.output_problem`)."""
    from sortext.files.write import atomic_write
    from sortext.io.outpath import output_problem

    data = subject_data(repo, record_id, today)
    if out.exists() and not out.is_dir():
        raise StorageError(f"{out} exists and is not a folder")
    for name in (f"{record_id}.json", f"{record_id}.md", f"{record_id}.html"):
        problem = output_problem(repo, out / name)
        if problem is not None:  # (--out clients wrote over the client's own record)
            raise UsageError(f"{out / name}: {problem}; write the export to another folder")
    out.mkdir(parents=True, exist_ok=True)
    markdown = subject_markdown(data, repo.config.timezone)
    page = subject_page(data, record_id, markdown)
    files = SubjectExport(
        out / f"{record_id}.json", out / f"{record_id}.md", out / f"{record_id}.html"
    )
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    atomic_write(files.json, text.encode("utf-8"))
    atomic_write(files.markdown, markdown.encode("utf-8"))
    atomic_write(files.html, page.encode("utf-8"))
    return files
