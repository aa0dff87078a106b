"""Field-level history of one client, read from git (any commits: daemon, CLI, by hand).

One ``git log --follow`` lists the commits that touched the file (renames
followed); one ``git cat-file --batch`` reads every version; consecutive
versions are compared with :func:`sortext.record.fielddiff.diff_data`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from sortext.check.load import stem_of
from sortext.errors import RecordNotFound
from sortext.record.fielddiff import body_summary, diff_data, field_matches
from sortext.repo import Repository
from sortext.vcs.log import Commit, FileChange, file_log, read_blobs
from sortext.vcs.versions import Version, VersionParser

EntryKind = Literal[
    "added", "removed", "changed", "notes", "created", "deleted", "renamed", "unparsable"
]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One change to one field in one commit.  ``field`` is a fielddiff path,
    ``notes`` for the body, ``record`` for created/deleted/unparsable, ``path``
    for renames."""

    date: str
    commit: str
    author: str
    field: str
    old: Any
    new: Any
    kind: EntryKind

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def client_history(
    repo: Repository, record_id: str, field: str | None = None
) -> list[HistoryEntry]:
    """Every field change of one client, oldest first, following renames."""
    path = repo.relative(repo.record_path(record_id))
    commits = [c for c in file_log(repo.root, path) if c.files]
    if not commits:
        raise RecordNotFound(
            f"no history for '{record_id}': {path} was never committed "
            "(check the id with 'ls clients/')"
        )
    commits.reverse()
    specs = [f"{c.sha}:{c.files[-1].path}" for c in commits if c.files[-1].status != "D"]
    blobs = iter(read_blobs(repo.root, specs))
    entries: list[HistoryEntry] = []
    previous: Version | None = None
    parser = VersionParser()
    for commit in commits:
        change = commit.files[-1]
        raw = None if change.status == "D" else next(blobs)
        current = parser.parse(raw, change.path)
        entries.extend(_entries(commit, change, previous, current, raw is not None, field))
        if current is not None or change.status == "D":
            previous = current
    return entries


def _entries(
    commit: Commit,
    change: FileChange,
    before: Version | None,
    after: Version | None,
    exists: bool,
    wanted: str | None,
) -> list[HistoryEntry]:
    def entry(fld: str, old: Any, new: Any, kind: EntryKind) -> HistoryEntry:
        return HistoryEntry(commit.date, commit.sha, commit.author, fld, old, new, kind)

    out: list[HistoryEntry] = []
    if change.status == "D":
        out.append(entry("record", change.path, None, "deleted"))
        return _keep(out, wanted)
    if before is None:
        out.append(entry("record", None, change.path, "created"))
    if change.status == "R" and change.old_path:
        out.append(entry("path", change.old_path, change.path, "renamed"))
    if exists and after is None:
        out.append(entry("record", None, None, "unparsable"))
        return _keep(out, wanted)
    if after is None:
        return _keep(out, wanted)
    implied_id = (stem_of(change.old_path), stem_of(change.path)) if change.old_path else None
    if before is not None or wanted is not None:
        for fc in diff_data(before.data if before else None, after.data):
            if fc.path == "id" and (fc.old, fc.new) == implied_id:
                continue  # the id follows the file name: the rename says it already
            out.append(entry(fc.path, fc.old, fc.new, fc.kind))
    same = before is None or before.body == after.body
    notes = "" if same or before is None else body_summary(before.body, after.body)
    if notes:
        out.append(entry("notes", None, notes.removeprefix("notes "), "notes"))
    return _keep(out, wanted)


def _keep(entries: list[HistoryEntry], wanted: str | None) -> list[HistoryEntry]:
    if wanted is None:
        return entries
    return [e for e in entries if field_matches(e.field, wanted)]
