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
from typing import Any

from sortext.edit.new import slugify
from sortext.errors import UsageError
from sortext.io.fieldmap import FieldMap, RowProblem, column_decimals, map_fields
from sortext.io.spreadsheet import Row
from sortext.record import tombstone
from sortext.record.positions import Path as DataPath
from sortext.record.positions import format_path
from sortext.record.tombstone import refusal
from sortext.repo import Repository
from sortext.schema.owned import StoredPath, matches, may_write, owned_patterns, owner_of


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
    path: DataPath
    label: str
    ours: Any
    theirs: Any


@dataclass(frozen=True, slots=True)
class Skipped:
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


@dataclass
class ImportPlan:
    source: str
    rows: int
    records: list[RecordPlan] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    supplied: dict[str, list[tuple[StoredPath, Any]]] = field(default_factory=dict)

    @property
    def new(self) -> list[RecordPlan]:
        return [r for r in self.records if r.is_new]

    @property
    def updated(self) -> list[RecordPlan]:
        return [r for r in self.records if not r.is_new and r.changes]

    @property
    def conflicts(self) -> int:
        return sum(len(r.conflicts) for r in self.records)


@dataclass
class ApplyResult:
    written: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def load_states(repo: Repository) -> dict[str, tuple[Path, dict[str, Any]]]:
    """id -> (file, data) of every record whose front matter reads."""
    from sortext.check.load import stem_of
    from sortext.record.source import SourceText, decode, read_bytes
    from sortext.record.split import Split, split
    from sortext.record.values import normalize
    from sortext.record.yamlread import load_fast

    states: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in repo.record_paths():
        raw = read_bytes(str(path))
        source = decode(raw) if isinstance(raw, bytes) else None
        if not isinstance(source, SourceText):
            continue
        parts = split(source.text)
        if not isinstance(parts, Split):
            continue
        data = load_fast(parts.yaml_text) if parts.yaml_text.strip() else {}
        if isinstance(data, dict):
            clean = normalize(data)
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


def _same(ours: Any, theirs: Any, path: DataPath) -> bool:
    from sortext.record.values import normalize

    if path and path[-1] == "email" and isinstance(ours, str) and isinstance(theirs, str):
        return ours.casefold() == theirs.casefold()
    return bool(normalize(ours) == normalize(theirs))


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


class Planner:
    """Turns rows into record plans against an in-memory copy of the records."""

    def __init__(
        self,
        repo: Repository,
        fmap: FieldMap,
        source: str,
        accept: Sequence[str] = (),
        states: dict[str, tuple[Path, dict[str, Any]]] | None = None,
    ) -> None:
        self.repo = repo
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
        self.plans: dict[str, RecordPlan] = {}
        self.problems: list[RowProblem] = []
        self._current = ""
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
        from sortext.edit.new import slugify

        base = slugify(name)
        candidate, n = base, 2
        while candidate in self.taken:
            candidate, n = f"{base}-{n}", n + 1
        self.taken.add(candidate)
        return candidate

    def find(self, values: dict[DataPath, Any]) -> str | None:
        if self.fmap.match == "id":
            wanted = values.get(("id",))
            return str(wanted) if wanted in self.data else None
        email = values.get(("email",))
        return self.by_email.get(str(email).casefold()) if isinstance(email, str) else None

    def plan_row(self, row: Row) -> None:
        values, problems = map_fields(self.fmap.fields, row, self.decimals)
        item_values: dict[DataPath, Any] = {}
        if self.fmap.item_fields:
            item_values, item_problems = map_fields(self.fmap.item_fields, row, self.decimals)
            problems += item_problems
        if problems:
            self.problems.extend(problems)
            return
        record_id = self.find(values)
        if record_id is None:
            name = values.get(("name",))
            if not isinstance(name, str):
                key = "id" if self.fmap.match == "id" else "email"
                self.problems.append(
                    RowProblem(
                        row.number, "", f"no client with this {key} and no name to create one"
                    )
                )
                return
            email = values.get(("email",))
            wanted = values.get(("id",)) if self.fmap.match == "id" else None
            hit = self.erased.match(
                str(wanted) if wanted else slugify(name), email if isinstance(email, str) else None
            )
            if hit is not None:
                self.problems.append(RowProblem(row.number, "", refusal(hit, "not imported")))
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
        for column in self.fmap.notes:
            answer = row.values.get(column)
            if answer not in (None, ""):
                text = str(answer).replace("\r\n", "\n").replace("\r", "\n")
                plan.notes.append((column, text))

    def _field(self, plan: RecordPlan, path: DataPath, theirs: Any, key: str | None = None) -> None:
        data = self.data[plan.record_id]
        label = self._label(path, key)
        reason = may_write(self.patterns, self.source, path)
        owner = owner_of(self.patterns, path)
        ours = _get(data, path)
        if owner == self.source:
            plan.supplied.append((self._stored(path, key), _json_value(theirs)))
        if _same(ours, theirs, path):
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
        index = next(
            (i for i, it in enumerate(items) if isinstance(it, dict) and it.get(key) == wanted),
            None,
        )
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
        data[list_name] = [*items, _json_value(entry)]
        for sub, theirs in values.items():
            if owner_of(self.patterns, (list_name, 0, *sub)) == self.source:
                plan.supplied.append(([list_name, {key: wanted}, *sub], _json_value(theirs)))


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
) -> ImportPlan:
    """What importing ``rows`` would do; nothing is written."""
    planner = Planner(repo, fmap, source, accept)
    rows = list(rows)
    planner.decimals = column_decimals((*fmap.fields, *fmap.item_fields), rows, fmap.decimal)
    for row in progress(rows) if progress else rows:
        planner.plan_row(row)
    plan = ImportPlan(source, len(rows), problems=planner.problems)
    plan.records = [
        p for p in planner.plans.values() if p.is_new or p.changes or p.conflicts or p.skipped
    ]
    plan.records.sort(key=lambda p: (p.is_new, p.record_id))
    plan.supplied = {p.record_id: p.supplied for p in planner.plans.values() if p.supplied}
    return plan


def _apply_changes(editor: Any, changes: Iterable[Change]) -> None:
    for change in changes:
        if change.kind == "new-item":
            editor.append(change.path, change.new)
        else:
            editor.set(change.path, change.new)


def apply_plan(
    repo: Repository, plan: ImportPlan, today: dt.date, notes_heading: str = "import"
) -> ApplyResult:
    """Write every planned change; a record that fails is reported, the rest go on."""
    from sortext.edit.new import NewClient, create_record
    from sortext.edit.roundtrip import RecordEditor
    from sortext.edit.update import update_record
    from sortext.errors import SortextError
    from sortext.io.sources import update_store

    result = ApplyResult()
    applied: dict[str, list[tuple[StoredPath, Any]]] = {}
    supplied = plan.supplied
    for record in plan.records:
        if not record.is_new and not record.changes and not record.notes:
            applied[record.record_id] = supplied.get(record.record_id, [])
            continue
        try:
            rest = list(record.changes)
            if record.is_new:
                rest = [c for c in rest if c.path not in (("name",), ("email",))]

            def change(
                editor: RecordEditor, rest: list[Change] = rest, record: RecordPlan = record
            ) -> None:
                _apply_changes(editor, rest)
                if record.notes:
                    lines = [f"## {today.isoformat()} {notes_heading}"]
                    for question, answer in record.notes:
                        lines += ["", f"**{question}**", "", answer] if question else ["", answer]
                    editor.append_body("\n".join(lines))

            if record.is_new:
                first = {c.path: c.new for c in record.changes}
                client = NewClient(
                    name=record.name,
                    stage=first.get(("stage",)),
                    email=first.get(("email",)),
                    owner=first.get(("owner",)),
                )
                created, _ = create_record(
                    repo, client, today, record_id=record.record_id, extra=change
                )
                result.written.append(repo.relative(created))
            else:
                outcome = update_record(repo, record.record_id, change, plan.source)
                if outcome.changed:
                    result.written.append(outcome.display)
            applied[record.record_id] = supplied.get(record.record_id, [])
        except SortextError as exc:
            result.failed.append((record.display, str(exc)))
    listed = {r.record_id for r in plan.records}
    for record_id, entries in supplied.items():
        if record_id not in listed:  # nothing to change: the values are already there
            applied[record_id] = entries
    update_store(repo.root, plan.source, {k: v for k, v in applied.items() if v})
    return result
