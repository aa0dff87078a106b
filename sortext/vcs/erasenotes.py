"""Git notes through an erase: moved to the rewritten commits, their text rewritten.

git-filter-repo passes a ``refs/notes/*`` ref through as it is (its own comment:
fast-export gives notes as plain commits whose file names are other commits'
ids): the values in the note blobs are replaced like any file's, but each note
stays filed under the *old* commit's id, so a note on a rewritten commit is no
longer shown, and a note on a commit the rewrite dropped (one that only changed
the erased client) keeps whatever it says about them (a sentence of their notes)
reachable from the notes ref.  :func:`read_notes` reads them before the rewrite
and :func:`rewrite_notes` files every note again
under the new id of its commit (``.git/filter-repo/commit-map``), with its text
rewritten by the same rules as a commit message, and drops the notes whose
commit is gone or was never a commit of the rewritten history; each notes ref
becomes one new commit without the old notes history.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sortext.vcs import git

#: What filter-repo writes for a commit it dropped (pruned as empty).
_GONE = frozenset({"0" * 40, "0" * 64})


@dataclass(slots=True)
class NotesReport:
    """``moved``: notes filed again under their rewritten commit; ``dropped``: notes
    on a commit the rewrite removed (or on no commit of the history); ``refs``: the
    notes refs rewritten (a ref left without a note is deleted)."""

    moved: int = 0
    dropped: int = 0
    refs: list[str] = field(default_factory=list)


def notes_refs(root: Path) -> list[str]:
    """Every notes ref of the repository (``refs/notes/commits``, ``refs/notes/review``...)."""
    out = git.text(root, "for-each-ref", "--format=%(refname)", "refs/notes/")
    return [line for line in out.splitlines() if line]


def commit_map(root: Path) -> dict[str, str]:
    """Old commit id -> new commit id from git-filter-repo's last run (``commit-map`` in
    ``.git/filter-repo``); a dropped commit maps to zeros.  Empty when it is missing."""
    path = git.git_dir(root) / "filter-repo" / "commit-map"
    try:
        lines = path.read_text("ascii").splitlines()
    except OSError:
        return {}
    pairs = (line.split() for line in lines[1:])  # the first line is "old new"
    return {p[0]: p[1] for p in pairs if len(p) == 2}


def apply_rules(data: bytes, rules: Sequence[tuple[bytes, bytes]]) -> bytes:
    """``data`` with each ``(regex, replacement)`` applied in turn, as git-filter-repo
    applies its ``--replace-message`` regexes (``re.sub`` on bytes)."""
    for pattern, replacement in rules:
        data = re.sub(pattern, replacement, data)
    return data


Notes = dict[str, list[tuple[str, bytes]]]


def read_notes(root: Path) -> Notes:
    """Every note of every notes ref, as it is before a rewrite: ref -> ``(annotated
    object, text)``.  Read *before* git-filter-repo runs: it replaces the values in the
    note blobs as in any file, after which a line about the client (``<id>: ...``) no
    longer starts with the id and could not be recognised as theirs."""
    found: Notes = {}
    for ref in notes_refs(root):
        entries = found.setdefault(ref, [])
        for line in git.text(root, "notes", f"--ref={ref}", "list").splitlines():
            blob, _, target = line.partition(" ")
            entries.append((target, git.run(root, "cat-file", "blob", blob)))
    return found


def rewrite_notes(root: Path, notes: Notes, rules: Sequence[tuple[bytes, bytes]]) -> NotesReport:
    """After a git-filter-repo run in ``root``: every note of ``notes`` (read by
    :func:`read_notes` before it) filed under its commit's new id, its text rewritten
    with ``rules`` (see :func:`apply_rules`); notes whose commit the rewrite dropped,
    or whose object is not a commit of the rewritten history, are dropped.  Each ref
    becomes one parentless commit (its old history held the old texts) or is deleted
    when no note is left.

    Raises GitError when git fails."""
    report = NotesReport()
    mapping = commit_map(root) if notes else {}
    if not mapping:  # no map of this run: nothing is known, nothing is dropped
        return report
    for ref, old in notes.items():
        entries: dict[str, str] = {}  # new object -> new note blob
        for target, text in old:
            new = mapping.get(target)
            if new is None or new in _GONE:
                report.dropped += 1
                continue
            blob = git.run(root, "hash-object", "-w", "--stdin", input=apply_rules(text, rules))
            # two old commits rewritten into one (rare): the first note is kept
            entries.setdefault(new, blob.decode().strip())
            report.moved += 1
        report.refs.append(ref)
        if not entries:
            git.run(root, "update-ref", "-d", ref, check=False)
            continue
        tree_input = "".join(f"100644 blob {b}\t{o}\n" for o, b in sorted(entries.items()))
        tree = git.run(root, "mktree", input=tree_input.encode()).decode().strip()
        message = b"Notes filed again under the rewritten commits (sortext erase)\n"
        commit = git.run(root, "commit-tree", tree, input=message).decode().strip()
        git.run(root, "update-ref", ref, commit)
    return report
