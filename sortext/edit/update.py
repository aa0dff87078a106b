"""Read, edit, validate and safely write one record: the path every command takes.

An edit that would add an error to the record is refused with the diagnostics
and nothing is written; errors the record already had do not block unrelated
edits (so ``sortext set`` can fix a record one field at a time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sortext.edit.roundtrip import EditRefused, RecordEditor
from sortext.errors import RecordNotFound, StorageError, hinted
from sortext.record.diagnostics import Diagnostic
from sortext.record.positions import format_path
from sortext.repo import Repository

if TYPE_CHECKING:
    from sortext.check.load import Record
    from sortext.files.write import Snapshot


@dataclass(slots=True)
class UpdateResult:
    """What happened: whether bytes changed, and the warnings the new version has."""

    path: Path
    display: str
    changed: bool
    warnings: list[Diagnostic] = field(default_factory=list)
    dry_run: bool = False
    diff: str = ""  # unified diff of the change (filled on a dry run)
    notes: list[str] = field(default_factory=list)  # things to look at: stale comments


def record_file(repo: Repository, record_id: str) -> Path:
    """The file of ``record_id``, or RecordNotFound naming close matches; StorageError
    when the entry is there but is no file of its own (a symbolic link, which is
    never read through, a folder, a pipe: an edit would read what it leads to, or
    wait on the pipe for ever)."""
    import os
    import stat

    path = repo.record_path(record_id)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise StorageError(f"{repo.shown(path)}: cannot read: {exc.strerror or exc}") from exc
    if mode is not None and stat.S_ISREG(mode):
        return path
    if mode is not None:
        from sortext.record.source import kind_problem

        found = kind_problem(mode)  # (the words check and the watcher use)
        why = found.message if found is not None else "not a record file"
        raise StorageError(f"{repo.shown(path)}: {why}")
    import difflib

    from sortext.files.slug import implied_id

    ids = [implied_id(p.name) for p in repo.record_paths()]
    close = difflib.get_close_matches(record_id, ids, n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise hinted(
        RecordNotFound(f"no client '{record_id}': {repo.shown(path)} does not exist{hint}"),
        "new_record",
    )


def new_errors(before: list[Diagnostic], after: list[Diagnostic]) -> list[Diagnostic]:
    """Errors in ``after`` that ``before`` did not have (compared by field and message)."""
    old = {(d.field, d.message) for d in before if d.is_error}
    return [d for d in after if d.is_error and (d.field, d.message) not in old]


def check_edit(
    repo: Repository,
    display: str,
    before: bytes | None,
    after: bytes,
    today: dt.date | None = None,
) -> list[Diagnostic]:
    """Validate ``after``; raise EditRefused when it adds errors, else return its warnings.

    ``today`` (None: not checked): a date of something that has happened
    (:data:`sortext.edit.routine.PAST_TENSE`: a payment, a held session, a
    measurement...) that ``after`` holds after ``today`` and ``before`` did not is an
    error too (a year typed wrong put the payment in next year's takings); one the
    record held already does not stop an edit of something else."""
    from sortext.check.load import parse_record
    from sortext.schema.validate import RecordValidator

    validator = RecordValidator(repo.config)
    prior = parse_record(before, display, validator) if before is not None else None
    old = prior.diagnostics if prior is not None else []
    result = parse_record(after, display, validator)
    added = new_errors(old, result.diagnostics)
    if not added and today is not None and result.record is not None:
        added = _ahead(display, after, prior.record if prior else None, result.record, today)
    if added:
        shown = "\n".join(d.format() for d in added)
        raise EditRefused(
            f"refused: the change would make {display} invalid; nothing was written\n{shown}",
            added,
        )
    return [d for d in result.diagnostics if not d.is_error]


def _ahead(
    display: str, raw: bytes, before: Record | None, after: Record, today: dt.date
) -> list[Diagnostic]:
    """An error for each date of something that has happened that ``after`` holds after
    ``today`` beyond what ``before`` held: each (field name, list index aside, and day)
    of ``before`` exempts one of ``after`` (an entry added above it moves its index),
    so a date typed ahead by hand lets an edit of something else through but not a
    second field given the same day.  Placed at its value."""
    from collections import Counter

    from sortext.edit.routine import happened_after

    def named(path: tuple[str | int, ...]) -> tuple[str | int, ...]:
        return tuple("" if isinstance(key, int) else key for key in path)

    held: Counter[tuple[tuple[str | int, ...], dt.date]] = (
        Counter((named(path), day) for path, day in happened_after(before.data, today))
        if before is not None
        else Counter()
    )
    ahead = []
    for path, day in happened_after(after.data, today):
        if held[named(path), day] > 0:
            held[named(path), day] -= 1
        else:
            ahead.append((path, day))
    if not ahead:
        return []
    place = _placer(raw)
    return [
        Diagnostic(
            display,
            *place(path),
            format_path(path),
            f"{day.isoformat()} is after today ({today.isoformat()}): is the date a "
            "typo? (it records what has happened)",
        )
        for path, day in ahead
    ]


def _placer(raw: bytes) -> Callable[[tuple[str | int, ...]], tuple[int, int]]:
    """The (file line, column) of a field's value in a record's ``raw`` bytes, as the
    reader splits them (a front matter closed by ``---`` or ``...``); (1, 1) when the
    front matter cannot be found."""
    from sortext.record.positions import build_position_map
    from sortext.record.split import Split, split

    parts = split(raw.decode("utf-8-sig", "replace").replace("\r\n", "\n"))
    if not isinstance(parts, Split):
        return lambda path: (1, 1)
    positions = build_position_map(parts.yaml_text)

    def place(path: tuple[str | int, ...]) -> tuple[int, int]:
        line, column = positions.value(path)
        return line + parts.yaml_line - 1, column

    return place


def owned_edit_warnings(
    repo: Repository,
    display: str,
    raw: bytes,
    paths: list[tuple[str | int, ...]],
    source: str | None,
) -> list[Diagnostic]:
    """A warning for each changed field another system owns (check will flag it too)."""
    from sortext.schema.owned import owned_patterns, owner_of

    patterns = owned_patterns(repo.config.raw)
    owned = [(p, owner_of(patterns, p)) for p in paths] if patterns else []
    owned = [(p, o) for p, o in owned if o is not None and o != source]
    if not owned:
        return []
    place = _placer(raw)
    found = []
    for path, owner in owned:
        found.append(
            Diagnostic(
                display,
                *place(path),
                format_path(path),
                f"owned by {owner}: this edit will be flagged by 'sortext check' until "
                f"{owner} supplies the same value",
                "warning",
            )
        )
    return found


@dataclass(slots=True)
class PlannedUpdate:
    """A validated change not yet written: ``snapshot`` is what the file held when read
    (``snapshot.raw`` None for a new record), ``new`` the bytes that would replace it."""

    path: Path
    display: str
    snapshot: Snapshot
    new: bytes
    warnings: list[Diagnostic] = field(default_factory=list)
    # a value changed on a line whose trailing comment may describe the old value
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.new != self.snapshot.raw

    def diff(self) -> str:
        """The change as a unified diff (a/PATH, b/PATH), '' when nothing changes."""
        import difflib

        before = (self.snapshot.raw or b"").decode("utf-8", "replace")
        return "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                self.new.decode("utf-8", "replace").splitlines(keepends=True),
                f"a/{self.display}",
                f"b/{self.display}",
            )
        )


def plan_update(
    repo: Repository,
    record_id: str,
    change: Callable[[RecordEditor], None],
    source: str | None = None,
    today: dt.date | None = None,
) -> PlannedUpdate:
    """Read the record, apply ``change`` to its editor and validate; write nothing.

    Raises RecordNotFound, EditRefused (the change would add errors; carries the
    diagnostics) or StorageError.  ``source``: the import writing the change (its
    own owned fields are not warned about).  ``today``: the day a date of something
    that has happened may not pass (see :func:`check_edit`; None: not checked).
    """
    from sortext.files.write import read_for_update

    path = record_file(repo, record_id)
    display = repo.relative(path)
    snapshot = read_for_update(path)
    if snapshot.raw is None:
        raise RecordNotFound(f"{display} vanished while being read")
    editor = RecordEditor(snapshot.raw, display)
    change(editor)
    new = editor.result()
    if new == snapshot.raw:
        return PlannedUpdate(path, display, snapshot, new)
    warnings = check_edit(repo, display, snapshot.raw, new, today)
    warnings += owned_edit_warnings(repo, display, new, editor.changed_paths, source)
    notes = [
        f"{display}: {format_path(field_path)}: was {old}; the comment on its line may be "
        f"about the old value, check it: {comment}"
        for field_path, old, comment in editor.stale_comments
    ]
    return PlannedUpdate(path, display, snapshot, new, warnings, notes)


def apply_update(plan: PlannedUpdate) -> UpdateResult:
    """Write ``plan.new`` unless the file changed since ``plan`` read it.

    Raises ConflictError (nothing written) or StorageError."""
    from sortext.files.write import write_if_unchanged

    if not plan.changed:
        return UpdateResult(plan.path, plan.display, False)
    if plan.snapshot.raw is None:
        plan.path.parent.mkdir(parents=True, exist_ok=True)
    write_if_unchanged(plan.path, plan.snapshot, plan.new, shown=plan.display)
    return UpdateResult(plan.path, plan.display, True, list(plan.warnings), notes=plan.notes)


def update_record(
    repo: Repository,
    record_id: str,
    change: Callable[[RecordEditor], None],
    source: str | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> UpdateResult:
    """Apply ``change`` to the record's editor, validate, and write atomically.

    ``source``: the import writing the change (its own owned fields are not warned about).
    ``dry_run``: validate as usual but write nothing; the result carries the diff.
    ``today``: see :func:`plan_update`.
    """
    plan = plan_update(repo, record_id, change, source, today)
    if dry_run:
        return UpdateResult(
            plan.path,
            plan.display,
            plan.changed,
            list(plan.warnings),
            dry_run=True,
            diff=plan.diff(),
            notes=plan.notes,
        )
    return apply_update(plan)


__all__ = [
    "EditRefused",
    "PlannedUpdate",
    "UpdateResult",
    "apply_update",
    "check_edit",
    "plan_update",
    "record_file",
    "update_record",
]
