"""Capture away from the desk: quick notes in ``inbox/`` (or ``inbox.md``) filed into records.

Where notes land (a phone git app, Obsidian mobile, a mail-to-file rule):

* ``inbox/*.md`` or ``inbox/*.txt``: one note a file, properties optional
  (``client:``, ``to:``, ``email:``, ``date:``), read leniently
  (:mod:`sortext.io.foreign`);
* ``inbox.md``: one note per ``## `` section; the heading names the client
  (``## Amara Okafor``, ``## amara-okafor 2026-11-20``).

Each note is matched to one client by id, name (or a first name only one
client has) or email, from the properties, the heading or first line, the file
name, then any email address in the text (a forwarded mail's ``From:``).  A
``next: send the proposal by fri`` line sets the next action.  Filing appends
a dated notes section through the validated edit path
(:func:`sortext.edit.update.update_record`); only then is the note removed
from the inbox (a file is deleted, a section cut from ``inbox.md``, each only
if unchanged since it was read).  A note that matches no client, or more
than one, stays where it is and is listed with the reason.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sortext.errors import SortextError
from sortext.files.bytepos import line_column
from sortext.repo import Repository
from sortext.views.day import INBOX_DIR, INBOX_FILE, SUFFIXES, inbox_sections

if TYPE_CHECKING:
    from sortext.edit.roundtrip import RecordEditor

_NEXT = re.compile(r"^[ \t]*[-*]?[ \t]*next:[ \t]*(?P<what>.+?)[ \t]*$", re.I | re.M)
_BY = re.compile(r"^(?P<what>.+?)\s+by\s+(?P<due>[\w-]+)\.?$", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(slots=True)
class InboxNote:
    """One unfiled note and what filing it would do.

    ``source`` is ``inbox/<name>`` or ``inbox.md#<n>`` (the n-th section);
    ``record_id`` is the matched client (None: unmatched, ``reason`` says why);
    ``next_what``/``next_due`` come from a ``next:`` line."""

    source: str
    path: Path
    text: str
    day: dt.date
    record_id: str | None = None
    name: str | None = None
    reason: str = ""
    next_what: str | None = None
    next_due: dt.date | None = None
    problem: str | None = None
    span: tuple[int, int] | None = None  # inbox.md: the section's characters
    raw: bytes | None = None  # the file's bytes when read: removed only if still these
    refused: str | None = None  # why it is never filed as read (its text is not exact)
    #: why the note's own date cannot be its section's day (not YYYY-MM-DD, or after
    #: today): never filed until the note is corrected
    bad_date: str | None = None

    @property
    def section(self) -> str:
        """The Markdown section filed into the record's notes."""
        return f"## {self.day.isoformat()} note (inbox)\n\n{self.text.strip()}\n"


@dataclass(slots=True)
class FileResult:
    """What :func:`file_notes` did: the notes filed and those left, with why."""

    filed: list[InboxNote] = field(default_factory=list)
    left: list[tuple[InboxNote, str]] = field(default_factory=list)
    kept: list[tuple[InboxNote, str]] = field(default_factory=list)  # filed, not removed
    #: a changed value whose line keeps a trailing comment (as ``set`` reports them)
    comment_notes: list[str] = field(default_factory=list)


def due_from(word: str, day: dt.date) -> dt.date | None:
    """``fri`` / ``friday`` (the next one on or after ``day``), ``today``,
    ``tomorrow``, ``2026-12-01``; None when it reads as none of these."""
    w = word.strip().casefold().rstrip(".")
    if w == "today":
        return day
    if w == "tomorrow":
        return day + dt.timedelta(days=1)
    if _ISO.fullmatch(w):
        from sortext.record.values import iso_day

        try:
            return iso_day(w)  # (as a record's dates: ASCII digits, years 1900-2199)
        except ValueError:
            return None
    for i, name in enumerate(_WEEKDAYS):
        full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[i]
        if (
            w in (name, full)
            or (name == "tue" and w == "tues")
            or (name == "thu" and w in ("thur", "thurs"))
        ):
            return day + dt.timedelta(days=(i - day.weekday()) % 7)
    return None


def _next_line(text: str, day: dt.date) -> tuple[str, str | None, dt.date | None, str | None]:
    """(text without the ``next:`` line, what, due, problem)."""
    m = _NEXT.search(text)
    if not m:
        return text, None, None, None
    rest = (text[: m.start()] + text[m.end() :]).strip("\n")
    spec = m.group("what").strip()
    by = _BY.match(spec)
    if not by:
        return rest, spec, None, None
    due = due_from(by.group("due"), day)
    if due is None:
        return (
            rest,
            spec,
            None,
            f"cannot read the due day '{by.group('due')}' (fri, tomorrow, 2026-12-01)",
        )
    return rest, by.group("what").strip(), due, None


class _Clients:
    """Lookup of clients by id, folded name, unique first name and email."""

    def __init__(self, states: Mapping[str, tuple[Path, dict[str, Any]]]) -> None:
        self.names: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        self.emails: dict[str, str] = {}
        firsts: dict[str, set[str]] = {}
        for rid, (_, data) in states.items():
            self.ids[rid] = rid
            name = data.get("name")
            if isinstance(name, str):
                self.names.setdefault(name.casefold().strip(), rid)
                first = name.split()[0].casefold() if name.split() else ""
                if first:
                    firsts.setdefault(first, set()).add(rid)
            email = data.get("email")
            if isinstance(email, str):
                self.emails[email.casefold()] = rid
        self.firsts = {k: next(iter(v)) for k, v in firsts.items() if len(v) == 1}
        self.label = {rid: str(d.get("name") or rid) for rid, (_, d) in states.items()}

    def find(self, hint: str) -> set[str]:
        """Clients ``hint`` names (a phrase: id, name, email, unique first name)."""
        h = hint.strip().strip("@:#").strip().casefold()
        if not h:
            return set()
        for table in (self.ids, self.emails, self.names):
            if h in table:
                return {table[h]}
        found = {rid for e, rid in self.emails.items() if e in h}
        if found:
            return found
        found = {rid for n, rid in self.names.items() if n and re.search(rf"\b{re.escape(n)}\b", h)}
        if found:
            return found
        found = {rid for rid in self.ids if len(rid) > 3 and re.search(rf"\b{re.escape(rid)}\b", h)}
        if found:
            return found
        first = re.split(r"[\s:,-]+", h)[0]
        return {self.firsts[first]} if first in self.firsts else set()


def _match(clients: _Clients, hints: Iterable[tuple[str, str]]) -> tuple[str | None, str]:
    """The first hint that names exactly one client: (id, how); else (None, why)."""
    tried = []
    for how, hint in hints:
        if not hint:
            continue
        found = clients.find(hint)
        if len(found) == 1:
            return next(iter(found)), f"{how} '{hint.strip()}'"
        if len(found) > 1:
            names = ", ".join(sorted(found))
            return None, f"{how} '{hint.strip()}' names more than one client ({names})"
        tried.append(how)
    return None, "no client named by " + (", ".join(tried) or "anything in the note")


def read_inbox(repo: Repository, today: dt.date) -> list[InboxNote]:
    """Every unfiled note, matched (or not) to a client; nothing is written."""
    from sortext.files.slug import confined_folder
    from sortext.io.foreign import read_note
    from sortext.io.importer import load_states

    clients = _Clients(load_states(repo))
    notes: list[InboxNote] = []
    # inbox/ or inbox.md as a link leading out of the repository (a sync tool can
    # carry one) would fold outside files into records, commit them and, with
    # --file, delete them there: refused (UnsafePathError, naming the link).
    folder = confined_folder(repo.root, repo.root / INBOX_DIR)
    confined_folder(repo.root, repo.root / INBOX_FILE)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        entries = []
    for entry in entries:
        if entry.name.startswith(".") or not entry.name.endswith(SUFFIXES):
            continue
        if not entry.is_file(follow_symlinks=False):
            continue
        display = f"{INBOX_DIR}/{entry.name}"
        try:
            raw = Path(entry.path).read_bytes()
        except OSError:
            raw = None
        note = read_note(Path(entry.path), display)
        props = note.properties
        stem = entry.name.rsplit(".", 1)[0]
        lines = [ln for ln in note.body.split("\n") if ln.strip()]
        first = lines[0].lstrip("#").strip() if lines else ""
        key, colon, value = first.partition(":")
        # "client: ID" typed without the --- lines; "Amara: she called" names her
        named = value if key.strip().lower() in _LINE_PROPS else (key if colon else first)
        hints = [
            ("property", _prop(props, "client", "to", "id", "name")),
            ("property email", _prop(props, "email", "from")),
            ("first line", named),
            ("file name", re.sub(r"^\d{4}-\d{2}-\d{2}[-_ ]*", "", stem).replace("_", " ")),
            *(("email in the text", e) for e in _EMAIL.findall(note.body)),
        ]
        text = raw.decode("utf-8", "replace") if raw is not None else ""
        day, bad = _file_day(props, stem, display, text, today, repo.config.timezone)
        item = _note(clients, display, Path(entry.path), note.body, day, hints, note.problem)
        item.raw = raw
        item.refused = _not_utf8(raw, display)
        item.bad_date = bad
        item.problem = item.refused or bad or item.problem
        notes.append(item)
    path = repo.root / INBOX_FILE
    if path.is_file():
        whole = path.read_bytes()
        refused = _not_utf8(whole, INBOX_FILE)
        text = whole.decode("utf-8", "replace").replace("\r\n", "\n")
        for n, (start, end, heading, body) in enumerate(inbox_sections(text), start=1):
            found = _ISO.search(text[start:end].partition("\n")[0])  # (the heading's line)
            line = text.count("\n", 0, start) + 1
            where = f"{INBOX_FILE}:{line}:{found.start() + 1 if found else 1}: heading"
            day, bad = _given_day(found.group(1) if found else None, where, today)
            hints = [
                ("heading", _ISO.sub("", heading).strip()),
                *(("email in the text", e) for e in _EMAIL.findall(body)),
            ]
            section = _note(clients, f"{INBOX_FILE}#{n}", path, body, day, hints, refused)
            section.span = (start, end)
            section.raw = whole
            section.refused = refused
            section.bad_date = bad
            section.problem = refused or bad or section.problem
            notes.append(section)
    for item in notes:
        if item.record_id is not None:
            item.name = clients.label.get(item.record_id)
    return notes


#: properties a note's first line may give without front matter (``client: ID``)
_LINE_PROPS = frozenset({"client", "to"})


def _not_utf8(raw: bytes | None, display: str) -> str | None:
    """Why a note in these bytes cannot be filed (None: it can).  Text that is not
    UTF-8 would reach the record with replacement characters and then be deleted
    from the inbox: a lossy copy.  The note stays until re-saved as UTF-8."""
    if raw is None:
        return None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = line_column(raw, exc.start)
        return (
            f"{display}:{line}:{column}: not UTF-8 at byte {exc.start}: "
            "re-save it as UTF-8 to file it"
        )
    return None


def _prop(props: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = props.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return ""


_DATE_PROPERTY = re.compile(r"^date[ \t]*:[ \t]*", re.M)
#: A day and its time of day (an editor's date-time property), ASCII digits only.
_TIMED = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)


def _file_day(
    props: Mapping[str, Any],
    stem: str,
    display: str,
    text: str,
    today: dt.date,
    zone: str | None = None,
) -> tuple[dt.date, str | None]:
    """A note file's day, from its ``date:`` property (a day, or a day and a time of
    day: its day; with a UTC offset, the practice's day then when ``zone``, the
    ``timezone:``, is set: :func:`sortext.vcs.midnight.instant_day`), else a date in
    its name, else ``today``; and why that day cannot be the note's (None: it can)."""
    from sortext.vcs.midnight import instant_day, moment_day

    if "date" in props and props["date"] is not None:
        found = _DATE_PROPERTY.search(text)
        if found is None:
            where = f"{display}: date"
        else:
            line = text.count("\n", 0, found.start()) + 1
            where = f"{display}:{line}:{found.end() - found.start() + 1}: date"
        value = props["date"]
        if isinstance(value, dt.date):
            value = (
                moment_day(value, zone) if isinstance(value, dt.datetime) else value
            ).isoformat()
        elif isinstance(value, str) and _TIMED.fullmatch(value.strip()):
            # 2026-11-20T14:30 (its day), 2026-11-20 23:30:05-05:00 (the 21st in Berlin)
            value = instant_day(value.strip(), zone)
        return _given_day(value if isinstance(value, str) else repr(value), where, today)
    named = _ISO.search(stem)
    return _given_day(named.group(1) if named else None, f"{display}: file name", today)


def _given_day(text: str | None, where: str, today: dt.date) -> tuple[dt.date, str | None]:
    """(the day ``text`` names, None) when it is a day on or before ``today``, read as
    a record's dates are (:func:`sortext.record.values.iso_day`); (``today``, why not)
    otherwise; (``today``, None) when there is no ``text``.

    ``date.fromisoformat`` alone read ``2026-W49-3`` as the 2nd and took years 1 and
    9999, and a date the note could not give (``date: 20261203``, other digits) fell
    back to today silently: the note was filed under a day it did not say.  A note
    records what has happened: a day after today is a typo, refused as ``pay --on`` is."""
    from sortext.record.values import iso_day

    if text is None:
        return today, None
    try:
        day = iso_day(text)
    except ValueError as exc:
        return today, f"{where}: '{text[:40]}' {exc}: correct the note to file it"
    if day > today:
        return today, (
            f"{where}: a note dated {day.isoformat()} is after today ({today.isoformat()}): "
            "is the date a typo? correct the note to file it"
        )
    return day, None


def _note(
    clients: _Clients,
    display: str,
    path: Path,
    body: str,
    day: dt.date,
    hints: list[tuple[str, str]],
    problem: str | None,
) -> InboxNote:
    rest, what, due, next_problem = _next_line(body, day)
    rid, reason = _match(clients, hints)
    return InboxNote(
        display, path, rest, day, rid, None, reason, what, due, problem or next_problem
    )


def note_json(note: InboxNote, client: str | None = None) -> dict[str, Any]:
    """One note as ``sortext inbox --json`` prints it: {note, client, match, date, next,
    due, problem}; ``client`` overrides the match (``--assign``)."""
    return {
        "note": note.source,
        "client": client or note.record_id,
        "match": note.reason,
        "date": note.day.isoformat(),
        "next": note.next_what,
        "due": note.next_due.isoformat() if note.next_due else None,
        "problem": note.problem,
    }


def unfileable(note: InboxNote, record_id: str | None) -> str | None:
    """Why ``note`` cannot be filed into ``record_id`` (None: it can)."""
    if record_id is None:
        return note.reason
    if note.refused is not None:
        return note.refused
    if note.bad_date is not None:
        return note.bad_date
    if note.problem and note.next_what and note.next_due is None and "due day" in note.problem:
        return note.problem
    return None


def filing_change(note: InboxNote) -> Callable[[RecordEditor], None]:
    """The record edit filing ``note`` makes: its dated notes section (not twice, should
    an earlier filing have been interrupted) and the next action of its ``next:`` line."""
    from sortext.edit.routine import move_next_action

    def change(editor: RecordEditor) -> None:
        body = editor.result().decode("utf-8", "replace").replace("\r\n", "\n")
        if note.section.strip() not in body:
            editor.append_body(note.section)
        if note.next_what is not None:
            move_next_action(editor, note.next_what, note.next_due, None)

    return change


def remove_filed(notes: list[InboxNote]) -> list[tuple[InboxNote, str]]:
    """Take filed notes out of the inbox (a file deleted, sections cut from ``inbox.md``),
    each only if unchanged since it was read; the notes kept, with why."""
    kept: list[tuple[InboxNote, str]] = []
    cut: dict[Path, list[InboxNote]] = {}
    for note in notes:
        if note.span is None:
            why = _remove_file(note)
            if why:
                kept.append((note, why))
        else:
            cut.setdefault(note.path, []).append(note)
    for path, filed in cut.items():
        why = _cut_sections(path, filed)
        if why:
            kept.extend((n, why) for n in filed)
    return kept


def file_notes(
    repo: Repository, notes: list[InboxNote], assign: Mapping[str, str] | None = None
) -> FileResult:
    """File each matched note (``assign``: source -> client id, overriding the match).

    A note is removed from the inbox only after its record was written; a note
    whose edit is refused (the next action would be invalid) stays, with why."""
    from sortext.edit.update import update_record

    result = FileResult()
    for note in notes:
        rid = (assign or {}).get(note.source, note.record_id)
        why = unfileable(note, rid)
        if rid is None or why is not None:
            result.left.append((note, why or note.reason))
            continue
        try:
            written = update_record(repo, rid, filing_change(note))
        except SortextError as exc:
            result.left.append((note, str(exc)))
            continue
        note.record_id = rid
        result.filed.append(note)
        result.comment_notes.extend(written.notes)
    result.kept = remove_filed(result.filed)
    return result


def _remove_file(note: InboxNote) -> str | None:
    """Delete a filed note's file if unchanged since read; else say why it stays."""
    try:
        if note.raw is None or note.path.read_bytes() != note.raw:
            return "changed since it was read: filed as read, the file is kept"
        note.path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        return f"cannot delete it: {exc.strerror or exc}"
    return None


def _cut_sections(path: Path, filed: list[InboxNote]) -> str | None:
    """Remove the filed sections from ``inbox.md`` if it is unchanged since read."""
    from sortext.files.write import replace_if_unchanged

    raw = filed[0].raw
    if raw is None:
        return "inbox.md could not be read again"
    text = raw.decode("utf-8").replace("\r\n", "\n")  # filed only when UTF-8
    for note in sorted(filed, key=lambda n: n.span or (0, 0), reverse=True):
        if note.span is not None:
            start, end = note.span
            text = text[:start] + text[end:]
    if b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n"):
        text = text.replace("\n", "\r\n")  # a CRLF file (Windows, a mail rule) stays CRLF
    try:
        replace_if_unchanged(path, text.encode("utf-8"), raw)
    except (SortextError, OSError) as exc:
        return f"inbox.md changed since it was read, its sections are kept ({exc})"
    return None
