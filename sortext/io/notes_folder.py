"""Migration from a folder of Markdown notes (an Obsidian vault, a Notion export).

Each ``*.md`` file under the folder (hidden folders such as ``.obsidian``
skipped) is one client: its properties are the columns of a row for the
ordinary import planner (:mod:`sortext.io.importer`, same map format as a
CSV import, same conflict rules, dry run until applied), two more columns
are ``file`` (the file name without ``.md``) and ``body`` (the Markdown
below the properties).  List ``body`` under the map's ``notes:`` to copy it
into the record's notes.  Without a map, properties named like record fields
(``name``, ``email``, ``phone``, ``company``, ``stage``, ``owner``, ``tags``)
are taken as they are, the file name is the name, and the body becomes the
notes.  Properties the map does not use are reported per file.

Files are read leniently (:mod:`sortext.io.foreign`): a note whose properties
cannot be read is reported and skipped, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from sortext.errors import UsageError
from sortext.io.fieldmap import FieldMap, columns_used, parse_map
from sortext.io.importer import ImportPlan, Planner
from sortext.io.spreadsheet import Row
from sortext.repo import Repository

BODY = "body"
FILE = "file"
DEFAULT_MAP: FieldMap = parse_map(
    {
        "source": "notes",
        "match": "email",
        "fields": {
            "name": "name",
            "email": "email",
            "phone": "phone",
            "company": "company",
            "stage": "stage",
            "owner": "owner",
            "tags": {"column": "tags", "type": "list"},
        },
        "notes": [BODY],
    },
    "default notes map",
)
MAX_FILES = 20000


@dataclass(slots=True)
class FolderPlan:
    """The import plan of a folder, with the files and what could not be mapped."""

    plan: ImportPlan
    files: list[str] = field(default_factory=list)
    unmapped: dict[str, list[str]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)


def note_files(folder: Path) -> list[Path]:
    """The ``*.md`` files under ``folder``, by path, hidden files and folders skipped."""
    out: list[Path] = []
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".md") and not name.startswith("."):
                out.append(Path(top) / name)
                if len(out) > MAX_FILES:
                    raise UsageError(f"{folder}: more than {MAX_FILES} notes; import a subfolder")
    return out


def property_cells(path: Path) -> dict[str, tuple[int, int]]:
    """``{property: (line, 1)}`` for each top-level key of a note's front matter,
    and ``body`` at the line after it: where a problem with one is shown."""
    try:
        lines = path.read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    cells: dict[str, tuple[int, int]] = {}
    if not lines or lines[0].strip() != "---":
        return {BODY: (1, 1)}
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() in ("---", "..."):
            cells[BODY] = (number + 1, 1)
            break
        key, colon, _ = line.partition(":")
        if colon and key and not key[0].isspace() and not key.startswith(("#", "-")):
            cells.setdefault(key.strip().strip("'\""), (number, 1))
    return cells


def plan_folder(
    repo: Repository,
    folder: Path,
    fmap: FieldMap | None = None,
    accept: list[str] | None = None,
    today: dt.date | None = None,
) -> FolderPlan:
    """What importing the notes in ``folder`` would do; nothing is written.

    ``today``: a note dating something that has happened after it is not imported,
    as a row of a CSV is not (None: not checked)."""
    from sortext.io.foreign import read_note

    fmap = fmap or DEFAULT_MAP
    used = columns_used(fmap) | {FILE, BODY}
    planner = Planner(repo, fmap, fmap.source or "notes", accept or [], today=today)
    out = FolderPlan(ImportPlan(fmap.source or "notes", 0))
    for number, path in enumerate(note_files(folder), start=1):
        display = path.relative_to(folder).as_posix()
        note = read_note(path, display)
        if not note.exact:  # copying it would write replacement characters
            out.unreadable.append(f"{note.problem}; not imported")
            continue
        if note.problem and not note.properties and note.body.startswith("---"):
            out.unreadable.append(note.problem)
            continue
        values = dict(note.properties)
        values[FILE] = path.name[:-3]
        values[BODY] = note.body.strip()
        if fmap is DEFAULT_MAP and not isinstance(values.get("name"), str):
            values["name"] = values[FILE]
        out.files.append(display)
        extra = sorted(k for k in note.properties if k not in used and k != "name")
        if extra:
            out.unmapped[display] = extra
        planner.plan_row(Row(number, values, str(path), 1, property_cells(path)))
    plan = out.plan
    plan.rows = len(out.files)
    plan.problems = planner.problems
    for record in planner.plans.values():
        # the body is copied as it is, without a "**body**" label, and only once
        existing = "" if record.is_new else _text_of(repo.record_path(record.record_id))
        record.notes = [
            ("" if q == BODY else q, a) for q, a in record.notes if a.strip() not in existing
        ]
    plan.records = [
        p
        for p in planner.plans.values()
        if p.is_new or p.changes or p.conflicts or p.skipped or p.notes
    ]
    plan.records.sort(key=lambda p: (p.is_new, p.record_id))
    plan.supplied = {p.record_id: p.supplied for p in planner.plans.values() if p.supplied}
    return out


def _text_of(path: Path) -> str:
    from sortext.files.plain import read_regular

    try:
        raw = read_regular(path)[0]  # (never waits on a named pipe in the record's place)
        return raw.decode("utf-8", errors="replace").replace("\r\n", "\n")
    except OSError:
        return ""
