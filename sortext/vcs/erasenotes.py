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

A note may also be on a file (blob), a folder (tree) or an annotated tag
(``git notes add <object>``).  :func:`note_targets` finds, before the rewrite,
what each such object is and where it lies (a path in some commit; a tag's
name); after it, the note follows the object: one that no rewrite touched keeps
its id and its note; a file or folder that held the client is found again at its
path in the rewritten commit and the note is filed under the rewritten object;
an annotated tag is found again by its name.  An object gone from every commit
(the client's own record, a folder named after them) loses its note, and the
report says so, object by object (:attr:`NotesReport.said`).
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
    #: one sentence per note on a file, folder or tag that the rewrite changed or
    #: dropped (never the note's text, nor a path named after the client)
    said: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Target:
    """What a note is on, as it was before the rewrite: ``kind`` (commit, tree, blob,
    tag, or missing), ``path`` (where a blob or tree lies in some commit of the
    history, ``""`` for a commit's root folder; None when in none) and ``tags`` (the
    names of the tag refs leading to an annotated tag)."""

    kind: str
    path: str | None = None
    tags: tuple[str, ...] = ()
    #: the commits holding the object at ``path`` (git-filter-repo prunes the old
    #: objects itself: where it lay is looked up before the rewrite)
    commits: tuple[str, ...] = ()


_KIND_WORD = {"blob": "file", "tree": "folder", "tag": "annotated tag"}


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


def _batch_check(root: Path, names: Sequence[str]) -> list[tuple[str, str]]:
    """``(object id, kind)`` for each of ``names`` (``<oid>``, ``<rev>:<path>``), in
    order; ``("", "missing")`` for a name that resolves to nothing."""
    if not names:
        return []
    out = git.run(
        root, "cat-file", "--batch-check", input="".join(f"{n}\n" for n in names).encode()
    ).decode("utf-8", "replace")
    found: list[tuple[str, str]] = []
    for line in out.splitlines():
        parts = line.split()
        found.append(("", "missing") if parts[-1] == "missing" else (parts[0], parts[1]))
    return found


def note_targets(root: Path, notes: Notes) -> dict[str, Target]:
    """Before a rewrite: what each annotated object of ``notes`` is, where a file or
    folder lies (``git rev-list --objects``: only run when some note is on one), and
    which tags lead to an annotated tag."""
    oids = sorted({target for entries in notes.values() for target, _ in entries})
    kinds = dict(zip(oids, (kind for _, kind in _batch_check(root, oids)), strict=True))
    paths: dict[str, str] = {}
    if any(kind in ("blob", "tree") for kind in kinds.values()):
        wanted = {o for o, k in kinds.items() if k in ("blob", "tree")}
        listed = git.run(root, "rev-list", "--objects", "--exclude=refs/notes/*", "--all")
        for line in listed.decode("utf-8", "surrogateescape").splitlines():
            oid, space, path = line.partition(" ")
            if space and oid in wanted and oid not in paths:
                paths[oid] = path
    commits: dict[str, tuple[str, ...]] = {}
    if paths:
        history = git.text(root, "rev-list", "--exclude=refs/notes/*", "--all").split()
        for oid, path in paths.items():
            found = _batch_check(root, [f"{c}:{path}" for c in history])
            commits[oid] = tuple(c for c, (o, _) in zip(history, found, strict=True) if o == oid)
    tags: dict[str, list[str]] = {}
    if "tag" in kinds.values():
        refs = git.text(root, "for-each-ref", "--format=%(objectname) %(refname)", "refs/tags/")
        for line in refs.splitlines():
            oid, _, ref = line.partition(" ")
            tags.setdefault(oid, []).append(ref)
    return {
        oid: Target(kind, paths.get(oid), tuple(tags.get(oid, ())), commits.get(oid, ()))
        for oid, kind in kinds.items()
    }


def _follow(
    root: Path, target: str, where: Target, mapping: dict[str, str]
) -> tuple[str | None, str]:
    """Where the object ``target`` (a file, folder or tag, as :func:`note_targets` saw
    it) is after the rewrite: ``(new id, sentence for the report)``, the new id None
    when it is gone; the sentence is empty when nothing changed."""
    short = target[:10]
    word = _KIND_WORD.get(where.kind, where.kind)
    if where.kind == "tag":
        for ref in where.tags:
            ((new, kind),) = _batch_check(root, [ref])
            if kind == "tag":
                if new == target:
                    return new, ""
                return new, f"a note on the {word} {ref} ({short}) filed under the rewritten tag"
        return None, f"a note on an {word} ({short}) dropped: the tag is gone"
    if where.kind not in ("blob", "tree") or where.path is None or not where.commits:
        return None, f"a note on a {word} ({short}) in no commit of the history dropped"
    kept = (mapping.get(c) for c in where.commits)  # a commit the rewrite kept holding it
    rewritten = next((c for c in kept if c is not None and c not in _GONE), None)
    if rewritten is not None:
        ((new, kind),) = _batch_check(root, [f"{rewritten}:{where.path}"])
        if kind == where.kind:
            if new == target:
                return new, ""
            return new, (
                f"a note on a {word} that held the client ({short}) filed under the {word} "
                "as rewritten, its text rewritten too"
            )
    return None, (
        f"a note on a {word} that held the client ({short}) dropped: the {word} is gone "
        "from every commit"
    )


def rewrite_notes(
    root: Path,
    notes: Notes,
    rules: Sequence[tuple[bytes, bytes]],
    targets: dict[str, Target] | None = None,
) -> NotesReport:
    """After a git-filter-repo run in ``root``: every note of ``notes`` (read by
    :func:`read_notes` before it) filed under its commit's new id, its text rewritten
    with ``rules`` (see :func:`apply_rules`); notes whose commit the rewrite dropped
    are dropped.  A note on a file, folder or tag (``targets``, from
    :func:`note_targets` before the rewrite) follows its object (see :func:`_follow`)
    or is dropped with it; without ``targets`` such notes are dropped.  Each ref
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
            where = (targets or {}).get(target, Target("commit"))
            if where.kind == "commit":
                new = mapping.get(target)
            else:
                new, said = _follow(root, target, where, mapping)
                if said:
                    report.said.append(f"{ref}: {said}")
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
