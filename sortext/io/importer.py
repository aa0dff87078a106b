"""Plan and apply an import from a spreadsheet or CRM export.

Planning never writes: per record it lists the fields it would fill or
change, and the *conflicts* (the record already holds a different value),
which are left alone unless accepted (``theirs`` for the whole source, or
``theirs:FIELD``).  Applying goes through the same safe edit path as every
command, so comments and layout survive.  Running the same import again
plans nothing: equal values are not changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sortext.errors import UsageError, one_line
from sortext.files.slug import slugify
from sortext.io.fieldmap import (
    CellError,
    FieldMap,
    FieldSpec,
    RowProblem,
    cell_text,
    column_date_orders,
    column_decimals,
    convert,
    map_fields,
    row_problem,
    row_where,
    visible_controls,
)
from sortext.io.spreadsheet import Row
from sortext.record import tombstone
from sortext.record.positions import Path as DataPath
from sortext.record.positions import format_path
from sortext.record.tombstone import refusal
from sortext.repo import Repository
from sortext.schema.owned import StoredPath, matches, may_write, owned_patterns, owner_of

if TYPE_CHECKING:
    from sortext.edit.roundtrip import RecordEditor
    from sortext.edit.update import PlannedUpdate
    from sortext.record.diagnostics import Diagnostic


@dataclass(frozen=True, slots=True)
class Change:
    """Write ``new`` at ``path`` (``append``: add ``new`` to the list at ``path``)."""

    path: DataPath
    label: str
    old: Any
    new: Any
    kind: str  # fill | update | owned | new-item


@dataclass(frozen=True, slots=True)
class Conflict:
    """A field where the record and the import disagree: both values, for the user."""

    path: DataPath
    label: str
    ours: Any
    theirs: Any


@dataclass(frozen=True, slots=True)
class Skipped:
    """A value an import left out, and why."""

    label: str
    reason: str


@dataclass
class RecordPlan:
    """Everything one import would do to one record (or to a new one)."""

    record_id: str
    display: str
    name: str
    is_new: bool
    rows: list[int] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    supplied: list[tuple[StoredPath, Any]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # intake: what was done and why


CONSENT: DataPath = ("consent", "data_use")
FIRST_CONTACT: DataPath = ("dates", "first_contact")


@dataclass
class ImportPlan:
    """Everything one import would do, to every record, and what stops it."""

    source: str
    rows: int
    records: list[RecordPlan] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    supplied: dict[str, list[tuple[StoredPath, Any]]] = field(default_factory=dict)
    #: records that validation refused (set by validate_plan / apply_plan)
    refused: list[Refusal] = field(default_factory=list)
    #: a changed value whose line has a trailing comment, which may be about the old
    #: value (set by validate_plan / apply_plan, as ``set`` reports them)
    comment_notes: list[str] = field(default_factory=list)
    #: calendar events sortext's own export wrote, left out (the records' own dates)
    own: int = 0

    def _ok(self, record: RecordPlan) -> bool:
        return all(r.record_id != record.record_id for r in self.refused)

    @property
    def new(self) -> list[RecordPlan]:
        """New records that will be written (refused ones left out)."""
        return [r for r in self.records if r.is_new and self._ok(r)]

    @property
    def updated(self) -> list[RecordPlan]:
        """Existing records that will change (refused ones left out)."""
        return [r for r in self.records if not r.is_new and r.changes and self._ok(r)]

    @property
    def conflicts(self) -> int:
        return sum(len(r.conflicts) for r in self.records)


@dataclass
class ApplyResult:
    """The record files an import wrote and the ones it could not write, with why."""

    written: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def load_states(repo: Repository) -> dict[str, tuple[Path, dict[str, Any]]]:
    """id -> (file, data) of every record whose front matter reads."""
    from sortext.check.load import stem_of
    from sortext.record.peek import read_front_matter

    states: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in repo.record_paths():
        clean = read_front_matter(path)
        if clean is not None:
            rid = clean.get("id") if isinstance(clean.get("id"), str) else stem_of(str(path))
            states[str(rid)] = (path, clean)
    return states


def _get(data: Any, path: DataPath) -> Any:
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _put(data: dict[str, Any], path: DataPath, value: Any) -> None:
    node: Any = data
    for part in path[:-1]:
        if isinstance(node, dict):
            if not isinstance(node.get(part), dict | list):
                node[part] = {}
            node = node[part]
        else:
            node = node[part]
    node[path[-1]] = value


def _as_read(value: Any) -> Any:
    """``value`` as an import would read it back from a cell: text trimmed of blanks
    at both ends with line breaks as ``\\n`` (what every reader does to a cell, see
    :func:`sortext.io.fieldmap.convert`), lists and mappings item by item."""
    if isinstance(value, str):
        return value.strip().replace("\r\n", "\n").replace("\r", "\n")
    if isinstance(value, list):
        return [_as_read(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_read(item) for key, item in value.items()}
    return value


def _same(ours: Any, theirs: Any, path: DataPath) -> bool:
    """Whether ``theirs`` (a value read from a file) says nothing new about ``ours``:
    equal once ``ours`` is read the way a cell is (an import cannot carry blanks at
    the ends of a value, so it never takes them away either)."""
    from sortext.record.values import normalize

    ours = _as_read(normalize(ours))
    if path and path[-1] == "email" and isinstance(ours, str) and isinstance(theirs, str):
        return ours.casefold() == theirs.casefold()
    return bool(ours == normalize(theirs))


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


class EntryIndex:
    """The first entry of a list of mappings whose ``key`` is a given text, found
    without scanning the list: an import's rows into one record (a calendar's
    sessions for one client) each looked their entry up by scanning every entry, so
    N rows cost O(N^2).

    Each list is indexed once and then only over the entries appended to it since
    (entries are added at the end; an entry's key is never changed in place by an
    import, see :meth:`Planner._item`).  A non-text key, and a hit whose entry no
    longer holds that key, are looked up by scanning, as before."""

    def __init__(self, key: str) -> None:
        self.key = key
        # id(list) -> (the list, entries indexed, key text -> first position)
        self._lists: dict[int, tuple[list[Any], int, dict[str, int]]] = {}

    def position(self, items: list[Any], wanted: Any) -> int | None:
        """The position in ``items`` of the first mapping whose ``key`` equals
        ``wanted``; None when none has it."""
        if not isinstance(wanted, str):
            return self._scan(items, wanted)
        known = self._lists.get(id(items))
        if known is None or known[0] is not items or known[1] > len(items):
            known = (items, 0, {})
        _, indexed, index = known
        for position in range(indexed, len(items)):
            found = items[position].get(self.key) if isinstance(items[position], dict) else None
            if isinstance(found, str):
                index.setdefault(found, position)
        self._lists[id(items)] = (items, len(items), index)
        at = index.get(wanted)
        if at is None:
            return None
        entry = items[at]
        return (
            at
            if isinstance(entry, dict) and entry.get(self.key) == wanted
            else self._scan(items, wanted)
        )

    def _scan(self, items: list[Any], wanted: Any) -> int | None:
        return next(
            (
                i
                for i, it in enumerate(items)
                if isinstance(it, dict) and it.get(self.key) == wanted
            ),
            None,
        )


class Planner:
    """Turns rows into record plans against an in-memory copy of the records."""

    def __init__(
        self,
        repo: Repository,
        fmap: FieldMap,
        source: str,
        accept: Sequence[str] = (),
        states: dict[str, tuple[Path, dict[str, Any]]] | None = None,
        intake: bool = False,
        today: dt.date | None = None,
    ) -> None:
        self.repo = repo
        self.intake = intake
        self.today = today
        section = repo.config.raw.get("intake")
        wanted = section.get("minimum") if isinstance(section, dict) else None
        self.minimum = tuple(str(m) for m in wanted) if wanted else ("name", "email")
        self.fmap = fmap
        self.source = source
        self.accept_all = "*" in accept
        self.accept = [a for a in accept if a != "*"]
        self.patterns = owned_patterns(repo.config.raw)
        loaded = load_states(repo) if states is None else states
        self.paths = {rid: p for rid, (p, _) in loaded.items()}
        self.data = {rid: d for rid, (_, d) in loaded.items()}
        self.by_email = {
            str(d["email"]).casefold(): rid
            for rid, d in sorted(self.data.items())
            if isinstance(d.get("email"), str)
        }
        self.decimals: dict[str, str] = {}
        self.date_orders: dict[str, str] = {}
        self.plans: dict[str, RecordPlan] = {}
        self.problems: list[RowProblem] = []
        self._current = ""
        self.entries = EntryIndex(str(fmap.item_key))
        # id -> each list of entries this planner made (appended to in place: no
        # other holder has it, so each new entry is not a copy of the whole list)
        self._made: dict[int, list[Any]] = {}
        self.taken = set(self.data) | {p.name[:-3] for p in repo.record_paths()}
        try:
            self.erased = tombstone.load(repo.root)
        except ValueError as exc:
            raise UsageError(f"{exc}: fix or restore it from git before importing") from exc

    def _accepted(self, path: DataPath) -> bool:
        return self.accept_all or any(matches(path, p) for p in self.accept)

    def _label(self, path: DataPath, key: str | None = None) -> str:
        if key is not None and len(path) >= 2 and isinstance(path[1], int):
            item = _get(self.data.get(self._current, {}), path[:2])
            if isinstance(item, dict) and item.get(key) is not None:
                rest = format_path(path[2:])
                return f"{path[0]}[{item[key]}]" + (f".{rest}" if rest else "")
        return format_path(path)

    def _new_id(self, name: str) -> str:
        from sortext.files.slug import slugify

        base = slugify(name)
        candidate, n = base, 2
        while candidate in self.taken:
            candidate, n = f"{base}-{n}", n + 1
        self.taken.add(candidate)
        return candidate

    def find(self, values: dict[DataPath, Any]) -> str | None:
        if self.fmap.match == "id":
            wanted = values.get(("id",))
            if wanted is None:
                return None
            # ids are lowercase: 'Tom-Berg' in a spreadsheet is tom-berg, not a new client
            for candidate in (str(wanted).strip(), str(wanted).strip().lower()):
                if candidate in self.data:
                    return candidate
            return None
        email = values.get(("email",))
        return self.by_email.get(str(email).casefold()) if isinstance(email, str) else None

    def plan_row(self, row: Row) -> None:
        zone = self.repo.config.timezone
        values, problems = map_fields(self.fmap.fields, row, self.decimals, self.date_orders, zone)
        item_values: dict[DataPath, Any] = {}
        if self.fmap.item_fields:
            item_values, item_problems = map_fields(
                self.fmap.item_fields, row, self.decimals, self.date_orders, zone
            )
            problems += item_problems
        kept: list[tuple[str, str]] = []
        remarks: list[str] = []
        ahead = self._ahead_problems(row, values, item_values)
        if ahead and self.intake:  # (intake keeps the cell in the notes, not the field)
            values = {p: v for p, v in values.items() if p not in dict(ahead)}
            if any(p[0] == self.fmap.item_list and p not in values for p, _ in ahead):
                item_values = {}  # nor the entry: a held session with no date is none
        problems += [problem for _, problem in ahead]
        if not self.intake:
            problems += self._note_problems(row)
        unread: list[RowProblem] = []  # intake's cells kept in the notes instead
        if problems and self.intake:
            values, kept, remarks = self._lenient(row, values, problems)
            unread, problems = problems, []
        if problems:
            self.problems.extend(problems)
            return
        if self.intake and values.get(CONSENT) is False:
            values = {
                p: v for p, v in values.items() if p == CONSENT or format_path(p) in self.minimum
            }
            kept = []
            remarks.append(
                f"{row_where(row, '')}: no consent to storing data: kept only "
                f"{', '.join(self.minimum)} and consent.data_use: false, no answers in the notes"
            )
        record_id = self.find(values)
        wanted_id = values.get(("id",)) if self.fmap.match == "id" else None
        if record_id is None and wanted_id is not None:
            from sortext.files.slug import slug_problem

            why = slug_problem(str(wanted_id).strip().lower())
            if why is not None:  # an id no record can have: no match, no new client
                shown = one_line(str(wanted_id))[:80]
                self.problems.append(
                    row_problem(
                        row,
                        "id",
                        f"'{shown}' is not a valid id: it {why}",
                        next((s.column for s in self.fmap.fields if s.target == ("id",)), None),
                    )
                )
                return
        if record_id is None:
            name = values.get(("name",))
            if not isinstance(name, str):
                key = "id" if self.fmap.match == "id" else "email"
                self.problems.extend(unread)  # no record to keep them in: why the name is not
                self.problems.append(
                    row_problem(row, "", f"no client with this {key} and no name to create one")
                )
                return
            email = values.get(("email",))
            wanted = values.get(("id",)) if self.fmap.match == "id" else None
            # Every id the row names or would be filed under (the new file is named
            # after the name, whatever its id column says), and its email.
            ids = dict.fromkeys(
                [str(wanted).strip(), str(wanted).strip().lower()] if wanted else []
            )
            ids[slugify(name)] = None
            mail = email if isinstance(email, str) else None
            hit = next(
                (h for h in (self.erased.match(i, mail) for i in ids) if h is not None), None
            )
            if hit is not None:
                self.problems.append(row_problem(row, "", refusal(hit, "not imported")))
                return
            record_id = self._new_id(name)
            file = self.repo.record_path(record_id)
            self.paths[record_id] = file
            self.data[record_id] = {"name": name}
            self.plans[record_id] = RecordPlan(record_id, self.repo.relative(file), name, True)
            if isinstance(email, str):
                self.by_email[email.casefold()] = record_id
        plan = self.plans.setdefault(
            record_id,
            RecordPlan(
                record_id,
                self.repo.relative(self.paths[record_id]),
                str(self.data[record_id].get("name") or record_id),
                False,
            ),
        )
        plan.rows.append(row.number)
        self._current = record_id
        for path, theirs in values.items():
            if self.fmap.match == "id" and path == ("id",):
                continue
            self._field(plan, path, theirs)
        if item_values:
            self._item(plan, item_values)
        plan.remarks.extend(remarks)
        if self.intake and values.get(CONSENT) is False:
            return  # the respondent said no: their answers are not stored
        for column in self.fmap.notes:
            answer = row.values.get(column)
            if answer not in (None, ""):
                text = visible_controls(str(answer))  # (import refused such a row)
                if text != str(answer).replace("\r\n", "\n").replace("\r", "\n"):
                    plan.remarks.append(
                        f"{row_where(row, column)}: control characters kept as escapes "
                        "(\\x1b): a record cannot hold them"
                    )
                plan.notes.append((column, text))
        plan.notes.extend(kept)

    def _ahead_problems(
        self, row: Row, values: dict[DataPath, Any], item_values: dict[DataPath, Any]
    ) -> list[tuple[DataPath, RowProblem]]:
        """(path, problem) for each date of something that has happened
        (:data:`PAST_TENSE`: a payment, a held session, a measurement, a first contact)
        after ``today``: the typo ``pay --on`` refuses (2027 for 2026) is not imported
        either.  An item's path is the field's within the item, after the list name.

        An item is judged as it will be after the row: a row that matches an entry
        the record has may give its status without its date (a sheet keyed by
        ``uid`` marking a booking held) or its date without its status, and the
        entry's other half comes from the record."""
        from sortext.edit.routine import HAPPENED, PAST_TENSE
        from sortext.record.values import calendar_day

        if self.today is None:
            return []
        # (path, value, its spec, why, the value the record held there already: a date
        # ahead typed by hand and given again by the row is not the row's typo, as
        # ``sortext set`` lets an edit of something else through)
        found: list[tuple[DataPath, Any, FieldSpec | None, str, Any]] = []
        record_id = self.find(values)
        had = self.data.get(record_id, {}) if record_id is not None else {}
        for path in PAST_TENSE.get("", ()):
            spec = _spec_of(self.fmap.fields, path)
            found.append((path, values.get(path), spec, "", _get(had, path)))
        list_name = self.fmap.item_list
        if list_name in PAST_TENSE and item_values:
            entry = self._entry_of(values, item_values)

            def after(sub: DataPath) -> Any:
                return item_values[sub] if sub in item_values else _get(entry, sub)

            # the entry's dates were of something that had happened (a session held)
            happened = entry is not None and (
                list_name != "sessions" or _get(entry, ("status",)) in HAPPENED
            )
            status = after(("status",))
            if list_name != "sessions" or status in HAPPENED:
                for path in PAST_TENSE[list_name]:
                    held = _get(entry, path) if happened else None
                    if path in item_values:
                        spec = _spec_of(self.fmap.item_fields, path)
                        found.append(((list_name, *path), item_values[path], spec, "", held))
                    elif list_name == "sessions" and ("status",) in item_values:
                        # the row says it happened; the record says when
                        spec = _spec_of(self.fmap.item_fields, ("status",))
                        why = f"{list_name}.status: {status}, but the session's date "
                        found.append(((list_name, "status"), after(path), spec, why, held))
        out = []
        for path, value, spec, why, held in found:
            day = calendar_day(value)
            if day is not None and day > self.today and day != calendar_day(held):
                out.append(
                    (
                        path,
                        row_problem(
                            row,
                            (spec.column or spec.template or "") if spec is not None else "",
                            f"{why or format_path(path) + ': '}{day.isoformat()} is after today "
                            f"({self.today.isoformat()}): is the date a typo? (it records "
                            "what has happened)",
                        ),
                    )
                )
        return out

    def _entry_of(self, values: dict[DataPath, Any], item_values: dict[DataPath, Any]) -> Any:
        """The entry of the map's list that the row's item will change (the one
        :meth:`_item` finds by key in the matched record), or None: a new entry."""
        record_id = self.find(values)
        key = str(self.fmap.item_key)
        if record_id is None or (key,) not in item_values:
            return None
        items = self.data.get(record_id, {}).get(str(self.fmap.item_list))
        if not isinstance(items, list):
            return None
        at = self.entries.position(items, _json_value(item_values[(key,)]))
        return None if at is None else items[at]

    def _note_problems(self, row: Row) -> list[RowProblem]:
        """A problem for each ``notes:`` column whose text a record cannot hold."""
        found = []
        for column in self.fmap.notes:
            answer = row.values.get(column)
            if isinstance(answer, str):
                try:
                    cell_text(answer)
                except CellError as exc:
                    found.append(row_problem(row, column, str(exc)))
        return found

    def _lenient(
        self, row: Row, values: dict[DataPath, Any], problems: list[RowProblem]
    ) -> tuple[dict[DataPath, Any], list[tuple[str, str]], list[str]]:
        """Intake never loses a respondent over one cell: a value that does not
        read is kept as written in the notes; a consent answer that does not
        read counts as "no" (the least is stored)."""
        kept: list[tuple[str, str]] = []
        remarks: list[str] = []
        consent_columns = {
            s.column for s in self.fmap.fields if s.target == CONSENT and s.column is not None
        }
        for problem in problems:
            raw = row.values.get(problem.column)
            if problem.column in consent_columns:
                values = {**values, CONSENT: False}
                remarks.append(
                    f"{row_where(row, problem.column)}: answer not understood "
                    f"({problem.message}); taken as no consent"
                )
                continue
            if raw not in (None, ""):
                kept.append((f"{problem.column} (kept as written)", visible_controls(str(raw))))
            remarks.append(
                f"{row_where(row, problem.column)}: {problem.message}; kept as written in the notes"
            )
        return values, kept, remarks

    def _field(self, plan: RecordPlan, path: DataPath, theirs: Any, key: str | None = None) -> None:
        data = self.data[plan.record_id]
        label = self._label(path, key)
        reason = may_write(self.patterns, self.source, path)
        owner = owner_of(self.patterns, path)
        ours = _get(data, path)
        if (
            path == FIRST_CONTACT
            and not _empty(ours)
            and str(_json_value(theirs)) > str(_json_value(ours))
        ):
            plan.skipped.append(
                Skipped(label, f"{_json_value(theirs)} is later than the recorded first contact")
            )
            return
        if owner == self.source:
            plan.supplied.append((self._stored(path, key), _json_value(theirs)))
        if _same(self._as_cell(path, ours), theirs, path):
            return
        if reason is not None and (not plan.is_new or owner is not None):
            plan.skipped.append(Skipped(label, reason))
            return
        if _empty(ours):
            kind = "fill"
        elif owner == self.source:
            kind = "owned"
        elif self._accepted(path):
            kind = "update"
        else:
            plan.conflicts.append(Conflict(path, label, ours, _json_value(theirs)))
            return
        plan.changes.append(Change(path, label, ours, theirs, kind))
        _put(data, path, _json_value(theirs))

    def _as_cell(self, path: DataPath, ours: Any) -> Any:
        """``ours`` as the map reads it back from one cell: a list field's items
        joined by its separator and split again (an item that holds the separator,
        ``tags: ["a;b"]`` exported as ``a;b``, is no change: an import never splits
        what a record holds); any other value as it is."""
        spec = next((s for s in self.fmap.fields if s.target == path and s.type == "list"), None)
        if spec is None or not isinstance(ours, list) or not all(isinstance(i, str) for i in ours):
            return ours
        try:
            return convert(spec, spec.separator.join(ours)) or []
        except CellError:
            return ours

    def _stored(self, path: DataPath, key: str | None) -> StoredPath:
        if key is not None and len(path) >= 2 and isinstance(path[1], int):
            item = _get(self.data[self._current], path[:2])
            if isinstance(item, dict):
                return [path[0], {key: item.get(key)}, *path[2:]]
        return list(path)

    def _item(self, plan: RecordPlan, values: dict[DataPath, Any]) -> None:
        list_name = str(self.fmap.item_list)
        key = str(self.fmap.item_key)
        data = self.data[plan.record_id]
        items = data.get(list_name)
        items = items if isinstance(items, list) else []
        wanted = _json_value(values[(key,)])
        index = self.entries.position(items, wanted)
        if index is not None:
            for sub, theirs in values.items():
                if sub != (key,):
                    self._field(plan, (list_name, index, *sub), theirs, key)
            return
        reason = may_write(self.patterns, self.source, (list_name, len(items)))
        if reason is not None and not plan.is_new:
            plan.skipped.append(Skipped(f"{list_name}[{wanted}]", f"new entry: {reason}"))
            return
        entry: dict[str, Any] = {}
        for sub, theirs in values.items():
            why = may_write(self.patterns, self.source, (list_name, len(items), *sub))
            if why is None or sub == (key,):
                _put(entry, sub, theirs)
            else:
                plan.skipped.append(Skipped(f"{list_name}[{wanted}].{format_path(sub)}", why))
        label = f"{list_name}[{wanted}]"
        plan.changes.append(Change((list_name,), label, None, entry, "new-item"))
        if self._made.get(id(items)) is items:
            items.append(_json_value(entry))
        else:
            items = [*items, _json_value(entry)]
            self._made[id(items)] = items
        data[list_name] = items
        for sub, theirs in values.items():
            if owner_of(self.patterns, (list_name, 0, *sub)) == self.source:
                plan.supplied.append(([list_name, {key: wanted}, *sub], _json_value(theirs)))


def _spec_of(specs: Iterable[FieldSpec], path: DataPath) -> FieldSpec | None:
    return next((s for s in specs if tuple(s.target) == tuple(path)), None)


def _json_value(value: Any) -> Any:
    from sortext.record.values import normalize

    return normalize(value)


def plan_import(
    repo: Repository,
    rows: Iterable[Row],
    fmap: FieldMap,
    source: str,
    accept: Sequence[str] = (),
    progress: Callable[[list[Row]], Iterable[Row]] | None = None,
    intake: bool = False,
    today: dt.date | None = None,
) -> ImportPlan:
    """What importing ``rows`` would do; nothing is written.

    ``intake``: form responses (cells that do not read go to the notes as
    written; a "no" to storing data keeps only ``intake.minimum``)."""
    planner = Planner(repo, fmap, source, accept, intake=intake, today=today)
    rows = list(rows)
    planner.decimals = column_decimals((*fmap.fields, *fmap.item_fields), rows, fmap.decimal)
    planner.date_orders = column_date_orders((*fmap.fields, *fmap.item_fields), rows)
    for row in progress(rows) if progress else rows:
        planner.plan_row(row)
    plan = ImportPlan(source, len(rows), problems=planner.problems)
    plan.records = [
        p
        for p in planner.plans.values()
        if p.is_new or p.changes or p.conflicts or p.skipped or p.remarks
    ]
    plan.records.sort(key=lambda p: (p.is_new, p.record_id))
    plan.supplied = {p.record_id: p.supplied for p in planner.plans.values() if p.supplied}
    return plan


def _apply_changes(editor: RecordEditor, changes: Iterable[Change]) -> None:
    """Make ``changes`` in ``editor``, in order.  A run of new entries for one list
    (a calendar's sessions for one client) is one :meth:`RecordEditor.extend`: the
    same bytes as an ``append`` each, without reading the record back after each
    (184 sessions into one client took 12-24 s).  Every other change is one
    :meth:`RecordEditor.set`, read back after each: whether a state is refused (the
    64 KiB limit, the two YAML readers disagreeing) is not monotone over a run of
    value changes (a later change can shrink the record or take away what made an
    earlier one unreadable), so a run checked only at its end wrote records the
    one-by-one path refuses (tests/test_import_refused_midway.py)."""
    entries: list[Any] = []
    entries_path: DataPath = ()
    for change in changes:
        if change.kind == "new-item" and entries and change.path == entries_path:
            entries.append(change.new)
            continue
        if entries:
            editor.extend(entries_path, entries)
            entries = []
        if change.kind == "new-item":
            entries, entries_path = [change.new], change.path
        else:
            editor.set(change.path, change.new)
    if entries:
        editor.extend(entries_path, entries)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A record the import cannot write: the message and the diagnostics of
    the record as it would be (the same check ``--apply`` makes)."""

    record_id: str
    display: str
    message: str
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(slots=True)
class Prepared:
    """One record's bytes after the import, validated, not written;
    ``update`` is None for a new record."""

    record: RecordPlan
    path: Path
    new: bytes
    update: PlannedUpdate | None = None


def _notes_edit(
    record: RecordPlan, today: dt.date, notes_heading: str
) -> Callable[[RecordEditor], None]:
    rest = list(record.changes)
    if record.is_new:
        rest = [c for c in rest if c.path not in (("name",), ("email",))]

    def change(editor: RecordEditor) -> None:
        _apply_changes(editor, rest)
        if record.notes:
            lines = [f"## {today.isoformat()} {notes_heading}"]
            for question, answer in record.notes:
                lines += ["", f"**{question}**", "", answer] if question else ["", answer]
            editor.append_body("\n".join(lines))

    return change


def _day(value: Any) -> dt.date | None:
    """A planned date value (a date or ISO text) as a date; None for anything else."""
    from sortext.record.model import as_date

    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return as_date(value)


def _needs_write(record: RecordPlan) -> bool:
    return record.is_new or bool(record.changes) or bool(record.notes)


def prepare_record(
    repo: Repository, record: RecordPlan, source: str, today: dt.date, notes_heading: str
) -> Prepared:
    """The record as the import would leave it, validated exactly as ``--apply``
    validates it; nothing is written.  Raises SortextError (EditRefused carries
    the diagnostics) when the record would be refused."""
    from sortext.edit.new import NewClient, render_record
    from sortext.edit.update import plan_update

    change = _notes_edit(record, today, notes_heading)
    if record.is_new:
        first = {c.path: c.new for c in record.changes}
        client = NewClient(
            name=record.name,
            stage=first.get(("stage",)),
            email=first.get(("email",)),
            owner=first.get(("owner",)),
            first_contact=_day(first.get(FIRST_CONTACT)),
        )
        path, raw, _ = render_record(repo, client, today, record_id=record.record_id, extra=change)
        if path.exists():
            from sortext.errors import ConflictError

            raise ConflictError(f"{repo.relative(path)} already exists; nothing was written")
        return Prepared(record, path, raw)
    planned = plan_update(repo, record.record_id, change, source)
    return Prepared(record, planned.path, planned.new, planned)


def _refusal(record: RecordPlan, exc: Exception) -> Refusal:
    found = getattr(exc, "diagnostics", None) or []
    return Refusal(record.record_id, record.display, str(exc), tuple(found))


def validate_plan(
    repo: Repository, plan: ImportPlan, today: dt.date, notes_heading: str = "import"
) -> list[Refusal]:
    """Check every record of ``plan`` as ``apply_plan`` will (shared code:
    :func:`prepare_record`); the refusals are also stored in ``plan.refused``,
    so ``plan.new``/``plan.updated`` count only what ``--apply`` will write."""
    from sortext.errors import SortextError

    refused: list[Refusal] = []
    plan.comment_notes = []
    for record in plan.records:
        if not _needs_write(record):
            continue
        try:
            prepared = prepare_record(repo, record, plan.source, today, notes_heading)
        except SortextError as exc:
            refused.append(_refusal(record, exc))
            continue
        if prepared.update is not None:
            plan.comment_notes.extend(prepared.update.notes)
    plan.refused = refused
    return refused


def apply_plan(
    repo: Repository, plan: ImportPlan, today: dt.date, notes_heading: str = "import"
) -> ApplyResult:
    """Write every planned change; a record that fails is reported, the rest go on.

    Each record goes through :func:`prepare_record` (as the dry run's
    :func:`validate_plan` does), then is written only if its file still holds
    what was read."""
    from sortext.edit.update import apply_update
    from sortext.errors import SortextError
    from sortext.files.write import Snapshot, write_if_unchanged
    from sortext.io.sources import update_store

    result = ApplyResult()
    applied: dict[str, list[tuple[StoredPath, Any]]] = {}
    supplied = plan.supplied
    refused: list[Refusal] = []
    plan.comment_notes = []
    for record in plan.records:
        if not _needs_write(record):
            applied[record.record_id] = supplied.get(record.record_id, [])
            continue
        try:
            prepared = prepare_record(repo, record, plan.source, today, notes_heading)
            if prepared.update is None:
                prepared.path.parent.mkdir(parents=True, exist_ok=True)
                write_if_unchanged(prepared.path, Snapshot(prepared.path, None, 0, 0), prepared.new)
                result.written.append(repo.relative(prepared.path))
            else:
                outcome = apply_update(prepared.update)
                if outcome.changed:
                    result.written.append(outcome.display)
                    plan.comment_notes.extend(outcome.notes)
            applied[record.record_id] = supplied.get(record.record_id, [])
        except SortextError as exc:
            refused.append(_refusal(record, exc))
            result.failed.append((record.display, str(exc)))
    plan.refused = refused
    listed = {r.record_id for r in plan.records}
    for record_id, entries in supplied.items():
        if record_id not in listed:  # nothing to change: the values are already there
            applied[record_id] = entries
    update_store(repo.root, plan.source, {k: v for k, v in applied.items() if v})
    return result
