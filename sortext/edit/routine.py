"""Routine updates as edits: log a session, mark an invoice paid, record a measure, move stage.

Each function takes a :class:`~sortext.edit.roundtrip.RecordEditor` and changes only the
fields it must, so the user's layout and comments stay where they were.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sortext.edit.roundtrip import EditRefused, RecordEditor
from sortext.errors import hinted, one_line
from sortext.record.values import calendar_day


@dataclass(frozen=True, slots=True)
class SessionLog:
    """One session as the coach reports it after the call."""

    date: dt.date
    focus: str
    status: str = "held"
    kind: str | None = None
    score: float | None = None
    commitments: Sequence[str] = field(default_factory=tuple)
    next_what: str | None = None
    next_due: dt.date | None = None
    note: str | None = None


#: Session statuses that say the session's day has come (a session ``held`` or a
#: ``no-show`` next week has not happened; one ``scheduled``, ``cancelled`` or
#: ``rescheduled`` ahead of time is a plan).
HAPPENED = ("held", "no-show")


#: Dates of what has happened, by list (``""``: the record's own fields; a session's
#: date only when its status says it happened, :data:`HAPPENED`).  None of them can be
#: after today: an import row dating one so is not imported, and an edit that writes
#: one (``sortext set``, the assistant's ``preview_set_fields``) is refused, as
#: ``pay``, ``log`` and ``measure`` refuse their ``--on``.  Left out: the days that
#: may be planned (``dates.started``, ``dates.ended``, a package's ``started``).
PAST_TENSE: dict[str, tuple[tuple[str | int, ...], ...]] = {
    "": (("dates", "first_contact"), ("dates", "last_review"), ("consent", "given_on")),
    "invoices": (("paid_on",),),
    "sessions": (("date",),),
    "measurements": (("date",),),
    "blockers": (("since",),),
}


def happened_after(
    data: Mapping[str, Any], today: dt.date
) -> list[tuple[tuple[str | int, ...], dt.date]]:
    """``(path, day)`` for each date of something that has happened
    (:data:`PAST_TENSE`) in a record's parsed ``data`` that is after ``today``, in
    field order; an item's path holds its index (``("invoices", 2, "paid_on")``).
    Values that are not a day (the schema reports them) are passed over."""
    found: list[tuple[tuple[str | int, ...], dt.date]] = []

    def look(path: tuple[str | int, ...], value: object) -> None:
        day = calendar_day(value)
        if day is not None and day > today:
            found.append((path, day))

    for field_path in PAST_TENSE[""]:
        value: object = data
        for key in field_path:
            value = value.get(key) if isinstance(value, Mapping) else None
        look(field_path, value)
    for list_name, paths in PAST_TENSE.items():
        items = data.get(list_name) if list_name else None
        for index, item in enumerate(items if isinstance(items, list) else ()):
            if not isinstance(item, Mapping):
                continue
            if list_name == "sessions" and item.get("status") not in HAPPENED:
                continue
            for (key,) in paths:
                look((list_name, index, key), item.get(key))
    return found


def refuse_after(what: str, on: dt.date, today: dt.date | None) -> None:
    """Raise EditRefused when ``on``, the day of something that has happened (``what``:
    "a payment", "a held session"), is after ``today`` (None: not checked).  A year
    typed wrong (2027 for 2026) put the payment in next year's takings (``sortext
    money``, the exports) and the session or measurement a year from when it
    happened, where the rules count it once that day comes."""
    if today is not None and on > today:
        # the way out for a plan is a session's only: a payment or a measurement
        # ahead has none (the hint named sessions for them too)
        plan = "; a planned session is logged with the status scheduled"
        raise EditRefused(
            f"{what} on {on.isoformat()} is after today ({today.isoformat()}): is the "
            f"date a typo? (sortext records what has happened{plan if 'session' in what else ''})"
        )


def _day(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def log_session(
    editor: RecordEditor,
    entry: SessionLog,
    default_owner: str | None,
    force: bool = False,
    today: dt.date | None = None,
) -> None:
    """Append the session, move the next action, and add a dated section to the notes.

    Raises EditRefused when the record already has a session with the same
    date, kind and focus (the same command run twice), unless ``force``, and
    when a session whose status says it happened (:data:`HAPPENED`) is dated
    after ``today`` (None: not checked).
    """
    if entry.status in HAPPENED:
        refuse_after(f"a {entry.status} session", entry.date, today)
    sessions = editor.get(("sessions",))
    for old in sessions if isinstance(sessions, list) and not force else []:
        if (
            isinstance(old, dict)
            and _day(old.get("date")) == entry.date.isoformat()
            and old.get("kind") == entry.kind
            and old.get("focus") == entry.focus
        ):
            raise hinted(
                EditRefused(
                    f"a {entry.kind or 'session'} on {entry.date.isoformat()} about "
                    f"'{entry.focus}' is already logged"
                ),
                "again_anyway",
                "log",
            )
    session: dict[str, object] = {
        "id": next_session_id(editor.get(("sessions",))),
        "date": entry.date,
    }
    if entry.kind:
        session["kind"] = entry.kind
    session["status"] = entry.status
    session["focus"] = entry.focus
    if entry.commitments:
        session["commitments"] = list(entry.commitments)
    if entry.score is not None:
        session["score"] = int(entry.score) if float(entry.score).is_integer() else entry.score
    editor.append(("sessions",), session)
    move_next_action(editor, entry.next_what, entry.next_due, default_owner)
    section = f"## {entry.date.isoformat()} {entry.focus}"
    if entry.status != "held":
        section += f" ({entry.status})"
    editor.append_body(section + ("\n\n" + entry.note.strip() if entry.note else ""))


def next_session_id(sessions: object) -> str:
    """``s<N>``, one more than the highest ``s<N>`` id among ``sessions`` (a list or None)."""
    numbers = [
        int(s["id"][1:])
        for s in (sessions if isinstance(sessions, list) else [])
        if isinstance(s, dict)
        and isinstance(s.get("id"), str)
        and s["id"][:1] == "s"
        and s["id"][1:].isdigit()
    ]
    return f"s{max(numbers, default=len(sessions) if isinstance(sessions, list) else 0) + 1}"


def move_next_action(
    editor: RecordEditor, what: str | None, due: dt.date | None, default_owner: str | None
) -> None:
    """Replace what/due of the next action in place (its owner and comments stay)."""
    if what is None and due is None:
        return
    current = editor.get(("next_action",))
    if not isinstance(current, dict):
        if what is None or due is None:
            raise hinted(
                EditRefused("the client has no next action yet"),
                "next_and_due",
                text="give both the next action and its due date",
            )
        action: dict[str, object] = {"what": what}
        owner = editor.get(("owner",)) or default_owner
        if owner:
            action["owner"] = owner
        action["due"] = due
        editor.set(("next_action",), action)
        return
    if what is not None:
        editor.set(("next_action", "what"), what)
    if due is not None:
        editor.set(("next_action", "due"), due)


def invoice_index(editor: RecordEditor, invoice_id: str) -> int:
    invoices = editor.get(("invoices",))
    items = invoices if isinstance(invoices, list) else []
    ids = [i.get("id") for i in items if isinstance(i, dict)]
    if invoice_id not in ids:
        known = ", ".join(one_line(str(i)) for i in ids) or "none"
        raise EditRefused(f"no invoice '{one_line(invoice_id)}' (invoices: {known})")
    return ids.index(invoice_id)


def pay_invoice(
    editor: RecordEditor, invoice_id: str, on: dt.date, today: dt.date | None = None
) -> None:
    """Mark the invoice paid on ``on`` (a no-op when it already is, on that date).

    Raises EditRefused for a void invoice, for ``on`` before the invoice's
    ``issued`` day (a typo in ``--on`` that would move the money to another month)
    and for ``on`` after ``today`` (None: not checked)."""
    index = invoice_index(editor, invoice_id)
    refuse_after("a payment", on, today)
    if editor.get(("invoices", index, "status")) == "void":
        raise EditRefused(f"invoice '{invoice_id}' is void; it cannot be paid")
    issued = calendar_day(editor.get(("invoices", index, "issued")))
    if issued is not None and on < issued:
        raise EditRefused(
            f"invoice '{one_line(invoice_id)}' was issued on {issued.isoformat()}; a payment "
            f"on {on.isoformat()} would come before it: is the payment date a typo? (a "
            "deposit taken before the invoice was written: set paid_on in the record)"
        )
    if editor.get(("invoices", index, "status")) != "paid":
        editor.set(("invoices", index, "status"), "paid")
    if editor.get(("invoices", index, "paid_on")) != on.isoformat():
        editor.set(("invoices", index, "paid_on"), on)


def add_measurement(
    editor: RecordEditor,
    goal: str,
    value: float,
    on: dt.date,
    force: bool = False,
    today: dt.date | None = None,
) -> None:
    """Append a measurement for an existing goal.

    Raises EditRefused for an unknown goal, for an exact duplicate (same
    goal, date and value already recorded) unless ``force``, and for ``on``
    after ``today`` (None: not checked).
    """
    goals = editor.get(("goals",))
    ids = [g.get("id") for g in goals if isinstance(g, dict)] if isinstance(goals, list) else []
    if goal not in ids:
        known = ", ".join(one_line(str(g)) for g in ids) or "none defined"
        raise EditRefused(f"no goal '{one_line(goal)}' (goals: {known})")
    refuse_after("a measurement", on, today)
    number: float | int = int(value) if float(value).is_integer() else value
    measurements = editor.get(("measurements",))
    for old in measurements if isinstance(measurements, list) and not force else []:
        if (
            isinstance(old, dict)
            and old.get("goal") == goal
            and _day(old.get("date")) == on.isoformat()
            and isinstance(old.get("value"), int | float)
            and float(old["value"]) == float(number)
        ):
            raise hinted(
                EditRefused(f"{goal} = {number:g} on {on.isoformat()} is already recorded"),
                "again_anyway",
                "record",
            )
    editor.append(("measurements",), {"goal": goal, "date": on, "value": number})


def move_stage(editor: RecordEditor, stage: str, stages: Sequence[str]) -> None:
    """Set the stage; an unknown stage is refused before anything else happens."""
    if stage not in stages:
        import difflib

        close = difflib.get_close_matches(stage, list(stages), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise EditRefused(f"unknown stage '{stage}'; stages: {', '.join(stages)}{hint}")
    if editor.get(("stage",)) != stage:
        editor.set(("stage",), stage)
