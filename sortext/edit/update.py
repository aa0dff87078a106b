"""Read, edit, validate and safely write one record: the path every command takes.

An edit that would add an error to the record is refused with the diagnostics
and nothing is written; errors the record already had do not block unrelated
edits (so ``sortext set`` can fix a record one field at a time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sortext.edit.roundtrip import EditRefused, RecordEditor
from sortext.errors import RecordNotFound
from sortext.record.diagnostics import Diagnostic
from sortext.record.positions import format_path
from sortext.repo import Repository


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
    """The file of ``record_id``, or RecordNotFound naming close matches."""
    path = repo.record_path(record_id)
    if path.is_file():
        return path
    import difflib

    ids = [p.name[:-3] for p in repo.record_paths()]
    close = difflib.get_close_matches(record_id, ids, n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise RecordNotFound(
        f"no client '{record_id}': {repo.relative(path)} does not exist{hint}; "
        "'sortext new NAME' creates one"
    )


def new_errors(before: list[Diagnostic], after: list[Diagnostic]) -> list[Diagnostic]:
    """Errors in ``after`` that ``before`` did not have (compared by field and message)."""
    old = {(d.field, d.message) for d in before if d.is_error}
    return [d for d in after if d.is_error and (d.field, d.message) not in old]


def check_edit(
    repo: Repository, display: str, before: bytes | None, after: bytes
) -> list[Diagnostic]:
    """Validate ``after``; raise EditRefused when it adds errors, else return its warnings."""
    from sortext.check.load import parse_record
    from sortext.schema.validate import RecordValidator

    validator = RecordValidator(repo.config)
    old = parse_record(before, display, validator).diagnostics if before is not None else []
    result = parse_record(after, display, validator)
    added = new_errors(old, result.diagnostics)
    if added:
        shown = "\n".join(d.format() for d in added)
        raise EditRefused(
            f"refused: the change would make {display} invalid; nothing was written\n{shown}",
            added,
        )
    return [d for d in result.diagnostics if not d.is_error]


def owned_edit_warnings(
    repo: Repository,
    display: str,
    raw: bytes,
    paths: list[tuple[str | int, ...]],
    source: str | None,
) -> list[Diagnostic]:
    """A warning for each changed field another system owns (check will flag it too)."""
    from sortext.record.positions import build_position_map, format_path
    from sortext.schema.owned import owned_patterns, owner_of

    patterns = owned_patterns(repo.config.raw)
    owned = [(p, owner_of(patterns, p)) for p in paths] if patterns else []
    owned = [(p, o) for p, o in owned if o is not None and o != source]
    if not owned:
        return []
    text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    positions = build_position_map(text.split("\n---", 1)[0].split("\n", 1)[-1])
    found = []
    for path, owner in owned:
        line, column = positions.value(path)
        found.append(
            Diagnostic(
                display,
                line + 1,
                column,
                format_path(path),
                f"owned by {owner}: this edit will be flagged by 'sortext check' until "
                f"{owner} supplies the same value",
                "warning",
            )
        )
    return found


def update_record(
    repo: Repository,
    record_id: str,
    change: Callable[[RecordEditor], None],
    source: str | None = None,
    dry_run: bool = False,
) -> UpdateResult:
    """Apply ``change`` to the record's editor, validate, and write atomically.

    ``source``: the import writing the change (its own owned fields are not warned about).
    ``dry_run``: validate as usual but write nothing; the result carries the diff.
    """
    from sortext.files.write import read_for_update, write_if_unchanged

    path = record_file(repo, record_id)
    display = repo.relative(path)
    snapshot = read_for_update(path)
    if snapshot.raw is None:
        raise RecordNotFound(f"{display} vanished while being read")
    editor = RecordEditor(snapshot.raw, display)
    change(editor)
    new = editor.result()
    if new == snapshot.raw:
        return UpdateResult(path, display, False)
    warnings = check_edit(repo, display, snapshot.raw, new)
    notes = [
        f"{display}: {format_path(path)}: was {old}; the comment on its line may be about "
        f"the old value, check it: {comment}"
        for path, old, comment in editor.stale_comments
    ]
    if dry_run:
        import difflib

        diff = "".join(
            difflib.unified_diff(
                snapshot.raw.decode("utf-8", "replace").splitlines(keepends=True),
                new.decode("utf-8", "replace").splitlines(keepends=True),
                f"a/{display}",
                f"b/{display}",
            )
        )
        warnings += owned_edit_warnings(repo, display, new, editor.changed_paths, source)
        return UpdateResult(path, display, True, warnings, dry_run=True, diff=diff, notes=notes)
    write_if_unchanged(path, snapshot, new)
    warnings += owned_edit_warnings(repo, display, new, editor.changed_paths, source)
    return UpdateResult(path, display, True, warnings, notes=notes)


__all__ = ["EditRefused", "UpdateResult", "check_edit", "record_file", "update_record"]
