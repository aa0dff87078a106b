"""Form responses (Google Forms, Typeform, Tally) become new client records.

A response whose email already belongs to a client never creates a
duplicate: it is reported as a *proposed update* (the fields that differ)
and nothing is written to that client.  Without a map, columns are
recognised by their headers (name, email, phone, company, timestamp); every
other column goes to the notes of the new record.
"""

from __future__ import annotations

import datetime as dt
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
    if any(w in lowered for w in ("timestamp", "submitted at", "submit date")):
        return ("dates", "first_contact"), "date"
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


def plan_intake(repo: Repository, rows: Sequence[Row], fmap: FieldMap | None) -> ImportPlan:
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
        used = columns_used(fmap)
        extra = tuple(
            c
            for c in columns
            if c not in used
            and not isinstance(rows[0].values.get(c), dict | list)
            and c.strip().casefold() not in _SKIP
        )
        fmap = replace(fmap, notes=(*fmap.notes, *extra))
    return plan_import(repo, rows, fmap, "intake", intake=True)


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
