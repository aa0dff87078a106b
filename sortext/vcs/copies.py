"""Merge a sync tool's conflict copy back into its record, field by field.

A conflict copy (``tom-berg.sync-conflict-...md``, ``tom-berg (1).md``; see
:mod:`sortext.record.copies`) is the other device's version of the record.
It goes through the same field-aware merge as ``git merge``
(:func:`sortext.vcs.merge.merge_files`) with the record as *ours* and the
copy as *theirs*.  The common ancestor is found in the record's git history:
the copy itself when it is an old version (then nothing changes), else the
newest committed version that differs from the record as it is now (the
version both devices started from when this one's edit is already
committed), or ``base`` when given.  A clean merge replaces the record and
removes the copy; a conflicting one writes the record with conflict markers
around the disputed fields only (settled with ``sortext resolve``), and
removes the copy too, whose content is then inside the markers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sortext.errors import ParameterError, UsageError
from sortext.record.copies import conflict_copy
from sortext.record.diagnostics import Diagnostic
from sortext.repo import Repository
from sortext.vcs import git

#: How far back the record's history is searched for the common ancestor.
HISTORY_DEPTH = 50


@dataclass(frozen=True, slots=True)
class CopyMerge:
    """What merging one copy did.  ``conflicts``: fields both sides changed differently."""

    record: str
    copy: str
    base: str  # the revision used as the common ancestor, or "none"
    conflicts: tuple[str, ...]
    notes_conflicts: int
    changed: bool


def _history(repo: Repository, display: str) -> list[tuple[str, bytes]]:
    if not git.in_repository(repo.root):
        return []
    done = git.run_full(repo.root, "log", f"-n{HISTORY_DEPTH}", "--format=%H", "--", display)
    out = []
    for sha in done.stdout.decode().split():
        blob = git.run_full(repo.root, "show", f"{sha}:{display}")
        if blob.returncode == 0:
            out.append((sha[:12], blob.stdout))
    return out


def find_base(repo: Repository, display: str, ours: bytes, theirs: bytes) -> tuple[str, bytes]:
    """``(revision, bytes)`` of the version both sides most likely started from."""
    history = _history(repo, display)
    for sha, blob in history:
        if blob == theirs:
            return sha, blob  # the copy is an old version of the record
    for sha, blob in history:
        if blob != ours:
            return sha, blob
    return "none", b""


def merge_copy(repo: Repository, copy_path: Path, base_rev: str | None = None) -> CopyMerge:
    """Merge the conflict copy at ``copy_path`` into its record; see the module text.

    Raises :class:`UsageError` when the file is not a conflict copy or its
    record does not exist, ConflictError when the record changes meanwhile,
    EditRefused (with the diagnostics) when a clean merge would make the record
    invalid: then nothing is written and the copy is kept.
    """
    from sortext.files.write import replace_if_unchanged
    from sortext.vcs.merge import merge_files

    copy = conflict_copy(copy_path.name)
    shown = repo.relative(copy_path)
    if copy is None:
        raise UsageError(f"{shown}: not a conflict copy left by a sync tool")
    # The copy must be a file of the clients folder, and its record a record of it:
    # a copy elsewhere (/tmp/x (conflicted copy).md) would make /tmp/x.md the
    # "record" and write it; a link would fold the file it leads to into a record,
    # to be committed and backed up.
    clients = Path(os.path.realpath(repo.clients_path))
    if Path(os.path.realpath(copy_path.parent)) != clients:
        raise UsageError(f"{shown}: not in the clients folder ({repo.clients_shown})")
    if copy_path.is_symlink():
        raise UsageError(
            f"{shown}: a symbolic link, not a copy a sync tool left; "
            "sortext merges only files of the clients folder: remove the link"
        )
    record_path = copy_path.parent / copy.original
    if record_path.is_symlink() or (record_path.exists() and record_path.stat().st_nlink > 1):
        raise UsageError(
            f"{repo.relative(record_path)}: a link (symbolic or hard), which sortext does "
            "not write through: copy it to a file of its own, then merge the copy"
        )
    display = repo.relative(record_path)
    try:
        ours = record_path.read_bytes()
    except FileNotFoundError:
        raise UsageError(
            f"{shown}: conflict copy of {copy.original}, which does not exist; "
            f"rename the copy to {copy.original} to keep it"
        ) from None
    theirs = copy_path.read_bytes()
    _refuse_unreadable(shown, theirs, display)
    _refuse_unreadable(display, ours, shown)
    if base_rev is not None:
        done = git.run_full(repo.root, "show", f"{base_rev}:{display}")
        if done.returncode != 0:
            raise ParameterError("base_rev", f"{base_rev}: no {display} in that revision")
        base_name, base = base_rev, done.stdout
    else:
        base_name, base = find_base(repo, display, ours, theirs)
    result = merge_files(base, ours, theirs)
    merged = result.data
    changed = merged != ours
    if changed and not result.conflicts and not result.notes_conflicts:
        _refuse_invalid(repo, display, shown, ours, merged)
    if changed:
        replace_if_unchanged(record_path, merged, ours)
    os.unlink(copy_path)
    return CopyMerge(
        display,
        shown,
        base_name,
        tuple(c.path for c in result.conflicts),
        result.notes_conflicts,
        changed,
    )


def _refuse_unreadable(name: str, raw: bytes, other: str) -> None:
    """Raise EditRefused (the problem at its line) when ``raw``, the file shown as
    ``name``, is not text a record can be (binary, not UTF-8, UTF-16, too large):
    the line merge would otherwise replace its undecodable bytes with U+FFFD in
    the record it writes (a Latin-1 copy's ``\xe9`` became ``\ufffd``), or fail
    in ``git merge-file`` naming a temporary file.  ``other``: the second file."""
    from sortext.edit.emit import EditRefused
    from sortext.record.source import FILE_FIELD, decode

    source = decode(raw)
    if isinstance(source, Diagnostic):
        found = source.replaced(field=source.field or FILE_FIELD).placed(name)
        raise EditRefused(
            f"refused: {name} is not a text record sortext can merge; nothing was "
            f"written and both {name} and {other} are kept: save it as UTF-8 text, "
            f"then merge again\n{found.format()}",
            [found],
        )


def _refuse_invalid(repo: Repository, display: str, shown: str, ours: bytes, merged: bytes) -> None:
    """Raise EditRefused when ``merged`` has errors the record (``ours``) has not:
    each side may be valid and their field-by-field merge not (both sides added
    an invoice under the same id; one set a stage whose required field the other
    removed; the copy's own invalid value taken as its change)."""
    from sortext.edit.emit import EditRefused
    from sortext.edit.update import check_edit

    try:
        check_edit(repo, display, ours, merged)
    except EditRefused as exc:
        shown_errors = "\n".join(d.format() for d in exc.diagnostics)
        raise EditRefused(
            f"refused: merging {shown} would make {display} invalid; nothing was written "
            f"and both are kept: fix one of them, then merge again\n{shown_errors}",
            exc.diagnostics,
        ) from None
