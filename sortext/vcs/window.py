"""The "since last week" window read from git: which commits bound it, which record
files changed across it (with git's rename pairing), and which changed between
two ends.  Pure git questions, one process each; the lines a change gives are
:mod:`sortext.views.weekly`'s job and the stored window is
:mod:`sortext.store.weekly`'s.

Errors: :class:`sortext.errors.GitError` when git fails.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from sortext.record.copies import is_record_name
from sortext.store.weekly import Pair, WindowStore
from sortext.vcs import git
from sortext.vcs.log import rev_before
from sortext.vcs.midnight import midnight

#: Files touched since the previous call above which the window is recomputed
#: (fewer git arguments, and a big rewrite costs about the same either way).
INCREMENTAL_LIMIT = 500
_ZERO = re.compile(r"^0+$")
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


def window_end(root: Path, head: str, today: dt.date, zone: str | None = None) -> str | None:
    """The last commit on ``head`` made up to the end of ``today`` (in ``zone``, the
    practice's ``timezone:``, else local time: see :mod:`sortext.vcs.midnight`; None:
    none)."""
    return rev_before(root, f"@{midnight(today + dt.timedelta(days=1), zone)}", head)


def window_start(root: Path, since: dt.date, end: str, zone: str | None = None) -> str | None:
    """The last commit on ``end`` made before ``since`` 00:00 (in ``zone``, else local
    time; None: none)."""
    return rev_before(root, f"@{midnight(since, zone)}", end)


def touched_pairs(
    root: Path,
    base: str | None,
    end: str,
    prefix: str,
    touched: Mapping[str, tuple[str | None, str | None]],
    deletions: int,
    store: WindowStore,
) -> list[Pair] | None:
    """The window's pairs of the ``touched`` records, or None when applying them
    alone would not be exact (see :func:`sortext.views.weekly`) or they are too many.

    A record's blob at the window start comes from its stored pair, or is the
    one at the stored end when it has none: no git call (``base:path`` costs
    13 ms at 10,000 files); other files under the folder ask git."""
    if len(touched) > INCREMENTAL_LIMIT:
        return None
    at_base: dict[str, str | None] = {}
    if base is not None:
        records = [path for path in touched if is_record(path, prefix)]
        stored = store.starts(records)
        at_base = {path: stored[path] if path in stored else touched[path][0] for path in records}
        others = blob_ids(root, base, [path for path in touched if path not in at_base])
        if others is None:
            return None
        at_base.update(others)
    pairs: list[Pair] = []
    for path, (was, now) in touched.items():
        start = at_base.get(path)
        kept = start and was and now  # present at the start and at both ends
        if base is not None and not kept and (deletions or (start and not now)):
            return None  # git's rename pairing could change
        if is_record(path, prefix) and start != now:
            pairs.append((start, now, path if start else None, path if now else None))
    return pairs


def is_record(path: str, prefix: str) -> bool:
    rest = path[len(prefix) :]
    return path.startswith(prefix) and "/" not in rest and is_record_name(rest)


def blob_ids(root: Path, rev: str, paths: Sequence[str]) -> dict[str, str | None] | None:
    """Path -> its blob id in ``rev`` (None: absent), through one ``cat-file
    --batch-check`` (a pathspec-limited diff-tree costs 15 ms at 10,000 files);
    None for a path this line protocol cannot carry."""
    if not paths:
        return {}
    if any("\n" in path for path in paths):
        return None
    out = git.run(
        root, "cat-file", "--batch-check", input="".join(f"{rev}:{p}\n" for p in paths).encode()
    )
    found: dict[str, str | None] = {}
    for path, line in zip(paths, out.decode("utf-8", "replace").splitlines(), strict=True):
        sha, _, kind = line.partition(" ")
        found[path] = sha if _SHA.match(sha) and kind.startswith("blob ") else None
    return found


def files_changed(
    root: Path, old: str, new: str, paths: Sequence[str]
) -> dict[str, tuple[str | None, str | None]]:
    """Path -> (blob in ``old``, blob in ``new``; None: absent) of each file under
    ``paths`` that differs, renames not looked for."""
    out = git.text(
        root, "--literal-pathspecs", "diff-tree", "-r", "-z", "--no-renames", old, new, "--", *paths
    )
    tokens = out.split("\0")
    found: dict[str, tuple[str | None, str | None]] = {}
    for i in range(0, len(tokens) - 1, 2):
        meta = tokens[i]
        if not meta.startswith(":"):
            break
        _, _, old_sha, new_sha, _ = meta[1:].split(" ")
        found[tokens[i + 1]] = (
            None if _ZERO.match(old_sha) else old_sha,
            None if _ZERO.match(new_sha) else new_sha,
        )
    return found


def changed_records(root: Path, base: str | None, end: str, prefix: str) -> tuple[list[Pair], int]:
    """(old blob, new blob, old path, new path) of each record that differs (None:
    absent), and how many files under ``prefix`` were deleted or renamed away."""
    if base is None:
        out = git.text(root, "ls-tree", "-r", "-z", end, "--", prefix)
        found: list[Pair] = []
        for entry in out.split("\0"):
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob" and is_record(path, prefix):
                found.append((None, parts[2], None, path))
        return found, 0
    out = git.text(root, "diff-tree", "-r", "-z", "-M", "--relative", base, end, "--", prefix)
    tokens = out.split("\0")
    pairs: list[Pair] = []
    deletions = 0
    i = 0
    while i < len(tokens):
        if not tokens[i].startswith(":"):
            i += 1
            continue
        _, _, old_sha, new_sha, status = tokens[i][1:].split(" ")
        if status[0] in "RC":
            old_path, new_path = tokens[i + 1], tokens[i + 2]
            i += 3
        else:
            old_path = new_path = tokens[i + 1]
            i += 2
        if status[0] in "DR":
            deletions += 1
        before = old_path if not _ZERO.match(old_sha) and is_record(old_path, prefix) else None
        after = new_path if not _ZERO.match(new_sha) and is_record(new_path, prefix) else None
        if before or after:
            pairs.append((old_sha if before else None, new_sha if after else None, before, after))
    return pairs, deletions
