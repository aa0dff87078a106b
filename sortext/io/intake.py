"""Form responses (Google Forms, Typeform, Tally) become new client records.

A response whose email already belongs to a client never creates a
duplicate: it is reported as a *proposed update* (the fields that differ)
and nothing is written to that client.  Without a map, columns are
recognised by their headers (name, email, phone, company, timestamp); every
other column goes to the notes of the new record.  The response's timestamp
is the client's first contact (the import day only when there is none).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import replace

from sortext.io.fieldmap import FieldMap, FieldSpec, columns_used
from sortext.io.importer import (
    ApplyResult,
    ImportPlan,
    RecordPlan,
    Refusal,
    apply_plan,
    plan_import,
    validate_plan,
)
from sortext.io.spreadsheet import Row
from sortext.repo import Repository

_SKIP = ("submission id", "respondent id", "network id", "response id", "token", "#")
FIRST_CONTACT = ("dates", "first_contact")
#: Words naming when a response was sent, in the headers (or JSON keys) form tools
#: use: Google Forms "Timestamp", Typeform "Submit Date (UTC)", Tally "createdAt",
#: Jotform "Submission Date", Microsoft Forms "Completion time", "submitted_at".
_STAMP = {"submitted", "submit", "submission", "completion", "completed", "created", "received"}
_WHEN = {"at", "date", "time", "on", "utc", "gmt"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _words(header: str) -> list[str]:
    """A header as lowercase words: ``createdAt`` and ``created_at`` -> [created, at]."""
    return re.findall(r"[a-z0-9]+", _CAMEL.sub(" ", header).casefold())


def is_timestamp(header: str) -> bool:
    """Whether a column holds the moment the response was sent (not a question
    about a date, not the moment the respondent started the form)."""
    words = _words(header)
    if "timestamp" in words:
        return True
    if not _STAMP & set(words) or {"start", "started", "id", "by"} & set(words):
        return False
    return len(words) == 1 or bool(_WHEN & set(words)) or words[-1] == "time"


def _target(header: str) -> tuple[tuple[str, ...], str] | None:
    """The field a header most likely holds, with its type."""
    lowered = header.casefold()
    if any(w in lowered for w in ("consent", "gdpr", "einwillig", "datenschutz")) or (
        any(w in lowered for w in ("store", "storing", "keep", "process"))
        and any(w in lowered for w in ("data", "details", "information", "answers"))
    ):
        return ("consent", "data_use"), "boolean"
    if "email" in lowered or "e-mail" in lowered:
        return ("email",), "text"
    if is_timestamp(header):
        return FIRST_CONTACT, "date"
    if "phone" in lowered or "mobile" in lowered:
        return ("phone",), "text"
    if any(w in lowered for w in ("company", "organisation", "organization", "business")):
        return ("company",), "text"
    if "name" in lowered and not any(w in lowered for w in ("first", "last", "sur")):
        return ("name",), "text"
    return None


def auto_map(columns: Sequence[str]) -> FieldMap:
    """A map guessed from the headers of a form export."""
    specs: dict[tuple[str, ...], FieldSpec] = {}
    used: set[str] = set()
    first = next((c for c in columns if "first" in c.casefold() and "name" in c.casefold()), None)
    last = next(
        (
            c
            for c in columns
            if ("last" in c.casefold() or "sur" in c.casefold()) and "name" in c.casefold()
        ),
        None,
    )
    for column in columns:
        found = _target(column)
        if found is None or found[0] in specs:
            continue
        specs[found[0]] = FieldSpec(found[0], column=column, type=found[1])
        used.add(column)
    if ("name",) not in specs and first:
        template = "{" + first + "}" + (" {" + last + "}" if last else "")
        specs[("name",)] = FieldSpec(("name",), template=template)
        used.update(c for c in (first, last) if c)
    notes = tuple(
        c
        for c in columns
        if c not in used
        and c.strip().casefold() not in _SKIP
        and not c.casefold().startswith(("start date", "stage date", "ending", "respondent"))
    )
    return FieldMap(fields=tuple(specs.values()), match="email", notes=notes)


def plan_intake(
    repo: Repository, rows: Sequence[Row], fmap: FieldMap | None, today: dt.date | None = None
) -> ImportPlan:
    """New records for unknown emails; proposed updates (never applied) for known ones.

    With a map, the columns it does not use go to the notes too (nothing a
    respondent wrote is dropped silently).  A "no" to storing data keeps only
    ``intake.minimum`` of sortext.yaml (default name, email)."""
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row.values if c not in columns)
    if fmap is None:
        fmap = auto_map(columns)
    else:
        fmap = _with_timestamp(fmap, columns)
        used = columns_used(fmap)
        extra = tuple(
            c
            for c in columns
            if c not in used
            and not isinstance(rows[0].values.get(c), dict | list)
            and c.strip().casefold() not in _SKIP
        )
        fmap = replace(fmap, notes=(*fmap.notes, *extra))
    return plan_import(repo, rows, fmap, "intake", intake=True, today=today)


def _with_timestamp(fmap: FieldMap, columns: Sequence[str]) -> FieldMap:
    """``fmap``, plus the response's timestamp column as ``dates.first_contact``
    when the map fills no first contact and a column the map does not use is one."""
    if any(spec.target == FIRST_CONTACT for spec in fmap.fields):
        return fmap
    used = columns_used(fmap)
    stamp = next((c for c in columns if c not in used and is_timestamp(c)), None)
    if stamp is None:
        return fmap
    spec = FieldSpec(FIRST_CONTACT, column=stamp, type="date")
    return replace(fmap, fields=(*fmap.fields, spec))


def proposals(plan: ImportPlan) -> list[RecordPlan]:
    """Responses from existing clients: shown, not written."""
    return [r for r in plan.records if not r.is_new and (r.changes or r.conflicts)]


def validate_intake(repo: Repository, plan: ImportPlan, today: dt.date) -> list[Refusal]:
    """The new records the write would refuse, checked with the write's code
    (:func:`sortext.io.importer.validate_plan`); stored in ``plan.refused``."""
    only_new = ImportPlan(
        plan.source, plan.rows, [r for r in plan.records if r.is_new], plan.problems
    )
    plan.refused = validate_plan(repo, only_new, today, notes_heading="intake form")
    return plan.refused


def apply_intake(repo: Repository, plan: ImportPlan, today: dt.date) -> ApplyResult:
    """Create the new records only (with the form answers as a dated notes section)."""
    only_new = ImportPlan(
        plan.source, plan.rows, [r for r in plan.records if r.is_new], plan.problems
    )
    return apply_plan(repo, only_new, today, notes_heading="intake form")
