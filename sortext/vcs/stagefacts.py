"""Time in the current stage and "last touched" per client, derived from git.

Nobody types ``stage_since`` by hand: one pass over ``git log -p -U0`` of the
clients folder (newest first, renames followed) finds, per file, the newest
commit that touched it and the newest commit that wrote its ``stage:`` line.
Derived files in ``.sortext/`` (keyed by the clients folder, a commit and
the practice's ``timezone:``, the zone a commit's day is told in, so a stale
one is never read): ``stage-scan.json``, what the pass found for
every path ever seen, from which a later call reads only the commits added
since; ``stage-facts.json``, the answer for the records at that commit; and
``stage-journal.jsonl``, one line per later commit the cache moved forward to
(what it changed: the scan's new facts and the changed records' rows), each
chained to the commit before it, so a watcher's commit costs an append, not a
rewrite of both files (rewritten whole every 64 entries).  A call at a commit
the base or the journal reaches returns the answer without starting git.  The watcher refreshes both
after each commit it makes; ``build``, ``install`` and ``init`` do too, so the
one long pass (a tree comparison per commit: seconds on a long history of a
large practice) is not paid by a query.  ``staleness`` is the pure rule that
flags a client sitting in a stage too long.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sortext.errors import SortextError
from sortext.files.state import StateDir
from sortext.record.copies import is_record_name
from sortext.repo import Repository
from sortext.store.clock import FACTS_VERSION
from sortext.vcs import git
from sortext.vcs.log import LOG_OPTIONS
from sortext.vcs.midnight import commit_day

# The version (kept in store.clock, whose kept clocks go with it) -- 3: names unquoted,
# hunks counted; 4: stage lines in the notes ignored;
# 5: the root commit read whatever log.showRoot says, and records marked -diff; 6: the
# stage read from each version in every YAML spelling, a change only when it differs;
# 7: a quoted name with git's trailing tab (a folder 'a \\ b') read without the tab;
# 8: a change behind a version that does not read dated by the first one that reads;
# 9: kept under a history mark that covers replace refs and grafts (answers kept for
# a grafted past under the bare HEAD were served after the graft was gone); 10: a
# commit's day is its date in the practice's timezone: (was its author's own date)
_CACHE_VERSION = FACTS_VERSION
#: Seconds the pass over the whole history may take: one tree comparison per
#: commit, minutes for years of a 30,000-client practice on a busy machine (git's
#: usual 60 s would fail it every time, and nothing would ever be cached).
SCAN_TIMEOUT = 1800.0


@dataclass(frozen=True, slots=True)
class StageFacts:
    """Derived from git: the committed stage, since when, and the last commit touching it."""

    stage: str | None
    stage_since: dt.date | None
    last_touched: dt.date | None


@dataclass(slots=True)
class _Scan:
    """What a log pass found, by path at HEAD (newest commit wins)."""

    touched: dict[str, str] = field(default_factory=dict)
    stages: dict[str, tuple[str, str]] = field(default_factory=dict)
    alias: dict[str, str] = field(default_factory=dict)
    #: A version that does not read was given the stage of the version after it: a
    #: pass over a range of commits (``since..HEAD``) may then differ from the whole
    #: history's (the range's first version, newest when last read, took the stage
    #: of the one before it), so it is not merged into a saved scan.
    carried: bool = False


def _follow(alias: Mapping[str, str], path: str) -> str:
    """The newest name of ``path`` given old -> new renames."""
    seen = 0
    while path in alias and seen < 100:
        path = alias[path]
        seen += 1
    return path


def _scan(repo: Repository, prefix: str, since_commit: str | None) -> _Scan:
    """One ``git log -p -U0 -M`` pass over ``since_commit..HEAD`` (or all history)."""
    revs = [f"{since_commit}..HEAD"] if since_commit else ["HEAD"]
    out = git.run(
        repo.root,
        # the commits themselves, not what `git replace` puts in their place: the
        # facts are keyed by HEAD's id, which a replacement leaves as it was
        "--no-replace-objects",
        "-c",
        "core.quotePath=false",  # names as they are (a folder "clientèle")
        "log",
        "--format=\x01%aI",
        *LOG_OPTIONS,  # the root commit's patch too, whatever log.showRoot says
        "-p",
        "-U0",
        "-M",
        "--no-color",
        "--no-ext-diff",
        "--src-prefix=a/",  # whatever diff.noprefix or diff.mnemonicPrefix say
        "--dst-prefix=b/",
        "--no-textconv",
        "--text",  # a patch even where .gitattributes says -diff or binary (else no line is read)
        "--full-index",  # the new blob of each file: where a stage line is checked
        "--inter-hunk-context=0",
        *revs,
        "--",
        prefix,
        timeout=SCAN_TIMEOUT,
    ).decode("utf-8", "replace")

    def read(blobs: list[str]) -> list[bytes | None]:
        from sortext.vcs.log import read_blobs

        return read_blobs(repo.root, blobs)

    return _parse_patches(out, read, repo.config.timezone)


_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_INDEX = re.compile(r"index ([0-9a-f]+)\.\.([0-9a-f]+)")


def in_front_matter(raw: bytes | str, line_no: int) -> bool:
    """Whether line ``line_no`` (1-based) of a record lies between its opening ``---``
    and its closing ``---`` (or ``...``) line, where the record reader takes its
    fields from (:func:`sortext.record.split.split`); a ``stage:`` line in the notes
    is not the record's stage."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    lines = text.removeprefix("\ufeff").split("\n")
    if line_no < 2 or len(lines) < line_no or lines[0].rstrip() != "---":
        return False
    return all(line.rstrip() not in ("---", "...") for line in lines[1 : line_no - 1])


def _patch_name(text: str, side: str) -> str | None:
    """A file name as a patch header writes it (``b/x``, ``"b/\\303\\251.md"``, ``b/a b.md``
    with git's trailing tab), without its ``side`` prefix; None for ``/dev/null``."""
    # git adds a tab after a name holding a space, quoted or not (a name holding a
    # tab is quoted, its tab written \t): the tab goes first, then the quotes
    text = text.removesuffix("\t")
    text = _unquote(text) if text.startswith('"') else text
    return text[len(side) :] if text.startswith(side) else None


def _unquote(text: str) -> str:
    """Undo git's C-style quoting of a path (``"a\\"b\\303\\251"`` -> ``a"bé``)."""
    body = text[1:-1] if len(text) > 1 and text.endswith('"') else text[1:]
    out = bytearray()
    simple = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
                continue
            if body[i + 1 : i + 4].isdigit():
                out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
        out.extend(char.encode("utf-8", "surrogateescape"))
        i += 1
    return out.decode("utf-8", "replace")


#: Reads blobs by id (None: missing), for :func:`_parse_patches`.
BlobRead = Callable[[list[str]], list[bytes | None]]

_NO_BLOB = "0" * 40


@dataclass(slots=True)
class _Patch:
    """One commit's change to one record file (newest name), as ``-U0`` shows it:
    the blob before and after, and each hunk as (old start, old count, new start,
    new count, the removed lines)."""

    day: str
    old: str
    new: str
    hunks: list[tuple[int, int, int, int, list[str]]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Version:
    """What one version of a record says about its stage.  ``plain``: the stage was
    read from its line (:func:`sortext.vcs.versions.plain_top_fields`), so ``fence``
    (the closing ``---`` line) and ``line`` (the ``stage:`` line, 0 for none) are
    known and a change elsewhere in the file can be judged without reading the
    version before it."""

    blob: str
    stage: str | None
    plain: bool = False
    fence: int = 0
    line: int = 0
    readable: bool = True


# A quote that may open a single-quoted scalar (after a space, an indicator or the
# line's start: an apostrophe inside a word opens nothing).
_OPENING_QUOTE = re.compile(r"(?:^|[\s\[{,:-])'")


def _simple_removed(line: str) -> bool:
    """Whether a front-matter line the patch removed surely had no part in the old
    version's stage, given that the version after it has a plain top-level ``stage:``
    line the patch did not touch (see :func:`_older`): it names no stage (no
    ``stage`` in any case, no backslash escape that could spell it), is no fence
    (``---``, ``...``: the old front matter would have ended there) nor a directive,
    and opens nothing that could run on over the following lines and take the stage
    line in (an unclosed quote, bracket or brace).  Anchors, aliases, tags and block
    scalars cannot reach a plain column-0 line.  A version that does not read at all
    says nothing of its stage, so a removed line that only breaks the YAML is no
    change either."""
    if "stage" in line.lower() or "\\" in line:
        return False
    bare = line.strip()
    if bare.startswith(("---", "...", "%")):
        return False
    if line.count('"') % 2 or line.count("[") != line.count("]"):
        return False
    if line.count("{") != line.count("}"):
        return False
    return not (_OPENING_QUOTE.search(line) and line.count("'") % 2)


def _older(version: _Version, patch: _Patch) -> _Version | None:
    """The version before ``patch`` when the plain line scan can be sure the patch
    left the stage as it was (every hunk in the notes, or inside the front matter
    away from the ``stage:`` line and the fences, removing only simple lines): its
    stage, with the lines of its fence and stage line moved by the hunks above them.
    None when it cannot be sure (the caller reads the old version)."""
    if not version.plain or version.blob != patch.new:
        return None
    fence, line = version.fence, version.line
    fence_shift = line_shift = 0
    for _old_at, old_count, new_start, new_count, removed in patch.hunks:
        last = new_start + new_count - 1 if new_count else new_start  # 0: removed after
        if new_count == 0:
            in_notes, inside = new_start >= fence, 1 <= new_start < fence
        else:
            in_notes = new_start > fence
            inside = new_start >= 2 and last < fence and not new_start <= line <= last
        if not in_notes and (not inside or not all(_simple_removed(r) for r in removed)):
            return None
        if last < fence:
            fence_shift += old_count - new_count
        if last < line:
            line_shift += old_count - new_count
    return _Version(
        patch.old, version.stage, True, fence + fence_shift, line + line_shift if line else 0
    )


def _read_version(blob: str, raw: bytes | None) -> _Version:
    """A version's stage: from its ``stage:`` line when the line scan is sure
    (:func:`sortext.vcs.versions.plain_top_fields`), else from the record reader's
    YAML (:func:`sortext.vcs.versions.parse_version`, every spelling: quoted keys, a
    value on the next line, flow front matter, comments); ``readable`` is false for
    a version that does not read at all (it says nothing of a stage: the caller
    gives it the stage of the version after it, or, for the newest, of the one
    before it)."""
    from sortext.vcs.versions import _FENCE, parse_version, plain_top_fields

    if blob == _NO_BLOB:
        return _Version(blob, None)  # before the file was created: no stage
    if raw is None:
        return _Version(blob, None, readable=False)
    fields = plain_top_fields(raw, ("stage",))
    if fields is not None:
        closing = _FENCE.search(raw, 3)
        if closing is not None:
            fence = raw.count(b"\n", 0, closing.start()) + 2
            key = re.search(rb"\nstage:", raw[: closing.start()])
            line = raw.count(b"\n", 0, key.start()) + 2 if key else 0
            return _Version(blob, fields.get("stage"), True, fence, line)
    parsed = parse_version(raw)
    if parsed is None:
        return _Version(blob, None, readable=False)
    stage = parsed.data.get("stage")
    return _Version(blob, stage if isinstance(stage, str) else None)


def _parse_patches(out: str, read: BlobRead, zone: str | None = None) -> _Scan:
    """What ``git log --format=\\x01%aI -p -U0 --full-index`` output says: per path,
    the newest touch and the newest commit that changed the record's stage (the
    stage of the version it wrote differs from the version before it).  A hunk's
    lines are counted from its header, so a record line that looks like a header
    (``++ b/other.md`` in the notes becomes ``+++ b/other.md``) is read as the
    content it is.

    Whether a commit changed the stage is decided, per path from the newest
    commit back, by the versions' stages: the newest version is read (its
    ``stage:`` line when plain, else the YAML); a commit whose hunks surely leave
    the stage alone (:func:`_older`) passes its stage on without a read; any other
    commit has the version before it read (``read``: one batch per round over all
    paths) and compared.  So every spelling the record reader accepts counts, and
    a ``stage:`` line in the notes or in a block scalar does not.  A commit's day is
    told by :func:`commit_day` in ``zone`` (the practice's ``timezone:``)."""
    scan = _Scan()
    days: dict[str, str] = {}
    patches: dict[str, list[_Patch]] = {}
    day = ""
    old = ""
    blobs = ("", "")
    current: _Patch | None = None
    lines = out.split("\n")
    i, end = 0, len(lines)
    while i < end:
        line = lines[i]
        i += 1
        if line.startswith("\x01"):
            day = days.get(line) or days.setdefault(line, commit_day(line[1:], zone))
        elif line.startswith("diff --git "):
            current = None
            blobs = ("", "")
        elif line.startswith("index "):
            found_blob = _INDEX.match(line)
            blobs = (found_blob.group(1), found_blob.group(2)) if found_blob else ("", "")
        elif line.startswith("rename from "):
            old = _patch_name(line[len("rename from ") :], "") or ""
        elif line.startswith("rename to "):
            new = _follow(scan.alias, _patch_name(line[len("rename to ") :], "") or "")
            scan.alias.setdefault(old, new)
            scan.touched.setdefault(new, day)  # a pure rename prints no "+++" line
        elif line.startswith("+++ "):
            name = _patch_name(line[4:], "b/")
            path = _follow(scan.alias, name) if name is not None else None
            current = None
            if path is not None:
                scan.touched.setdefault(path, day)
                if blobs[1]:
                    current = _Patch(day, blobs[0], blobs[1])
                    patches.setdefault(path, []).append(current)
        elif line.startswith("@@ "):
            m = _HUNK.match(line)
            if m is None:
                continue
            old_at, old_count = int(m.group(1)), int(m.group(2) or 1)
            new_at, new_count = int(m.group(3)), int(m.group(4) or 1)
            removed: list[str] = []
            old_left, new_left = old_count, new_count
            while (old_left > 0 or new_left > 0) and i < end:
                body = lines[i]
                i += 1
                if body.startswith("\\"):
                    continue  # "\ No newline at end of file": not a line of the file
                if body.startswith("-"):
                    old_left -= 1
                    removed.append(body[1:])
                elif not body.startswith("+"):  # context (GIT_DIFF_OPTS=-u3): both sides
                    old_left -= 1
                    new_left -= 1
                else:
                    new_left -= 1
            if current is not None:
                current.hunks.append((old_at, old_count, new_at, new_count, removed))
    _settle(scan, patches, read)
    return scan


def _settle(scan: _Scan, patches: dict[str, list[_Patch]], read: BlobRead) -> None:
    """Per path, the newest patch whose old and new versions' stages differ (see
    :func:`_parse_patches`); the versions are read in rounds, one batch each."""
    known: dict[str, _Version] = {}  # by blob id: what a read version says
    # per path: (its patches newest first, the next to judge, the newer version)
    todo: dict[str, tuple[list[_Patch], int, _Version | None]] = {
        path: (items, 0, None) for path, items in patches.items()
    }
    # per path: the day of the newest commit that wrote a readable version over one
    # that does not read, while no readable version older than it has been seen: a
    # version that does not read has no say, so a change of stage found behind it
    # is dated by that commit (the first version that reads and says the stage)
    pending: dict[str, str] = {}
    while todo:
        wanted: dict[str, None] = {}
        for path, (items, at, newer) in list(todo.items()):
            while at < len(items):
                patch = items[at]
                if newer is None or newer.blob != patch.new:
                    if patch.new not in known:
                        wanted[patch.new] = None
                        break
                    newer = known[patch.new]
                older = _older(newer, patch)
                if older is None:
                    if patch.old not in known:
                        wanted[patch.old] = None
                        break
                    older = known[patch.old]
                    if not older.readable and newer.readable:
                        # a version that does not read has no say: the newer one's stage
                        # (a delta scan then cannot tell alone: see _Scan.carried)
                        pending.setdefault(path, patch.day)
                        older = _Version(older.blob, newer.stage)
                        scan.carried = True
                    elif older.readable and older.stage == newer.stage:
                        pending.pop(path, None)  # the stage read before it, too
                if not newer.readable:  # the newest versions do not read: the older's
                    if not older.readable:
                        newer, at = older, at + 1
                        continue
                    newer = _Version(newer.blob, older.stage, readable=False)
                if older.stage != newer.stage:
                    scan.stages[path] = (newer.stage or "", pending.get(path, patch.day))
                    at = len(items)
                    break
                newer, at = older, at + 1
            if at >= len(items):
                del todo[path]
            else:
                todo[path] = (items, at, newer)
        if not wanted:
            return
        ids = [blob for blob in wanted if blob != _NO_BLOB]
        contents = dict(zip(ids, read(ids), strict=True))
        for blob in wanted:
            known[blob] = _read_version(blob, contents.get(blob))


def _merge(newer: _Scan, older: _Scan) -> _Scan:
    """Facts from newer commits override older ones; older paths follow newer renames."""
    if not newer.alias:  # no renames since (the usual case): plain overrides, copied in C
        return _Scan(
            {**older.touched, **newer.touched},
            {**older.stages, **newer.stages},
            dict(older.alias),
        )
    out = _Scan(dict(newer.touched), dict(newer.stages), dict(newer.alias))
    for old, new in older.alias.items():
        out.alias.setdefault(old, _follow(newer.alias, new))
    for path, day in older.touched.items():
        out.touched.setdefault(_follow(newer.alias, path), day)
    for path, stage in older.stages.items():
        out.stages.setdefault(_follow(newer.alias, path), stage)
    return out


def _prefix(repo: Repository) -> str:
    """The clients folder as git names its files (``clients/``): part of every key."""
    return repo.relative(repo.clients_path).rstrip("/") + "/"


def _key(repo: Repository) -> str:
    return f"{_CACHE_VERSION}:{_prefix(repo)}:{git.shallow_mark(repo.root)}:{_zone(repo)}"


def _zone(repo: Repository) -> str:
    """The zone the saved days are in (:func:`commit_day`): part of every key."""
    return repo.config.timezone or ""


def _same_scope(repo: Repository, data: dict[str, Any]) -> bool:
    """Whether saved ``data`` was derived from this clients folder and from the same
    reach of history (a shallow clone deepened keeps HEAD but gains the past), its
    days in the same zone (``timezone:`` changed: each commit's day may be another)."""
    return (
        data.get("version") == _CACHE_VERSION
        and data.get("prefix") == _prefix(repo)
        and data.get("shallow", "") == git.shallow_mark(repo.root)
        and data.get("zone", "") == _zone(repo)
    )


def _load_scan(repo: Repository) -> tuple[str, _Scan] | None:
    try:
        data = json.loads(StateDir(repo.root).stage_scan.read_bytes())
        if not _same_scope(repo, data):
            return None
        stages = {p: (s[0], s[1]) for p, s in data["stages"].items()}
        return str(data["head"]), _Scan(dict(data["touched"]), stages, dict(data["alias"]))
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def _load_facts(repo: Repository) -> tuple[str, list[list[Any]]] | None:
    """(head, groups) as saved: each group is ``[stage, since, touched, "id/id/..."]``
    (ids joined with ``/``, which no record id holds), or None."""
    try:
        data = json.loads(StateDir(repo.root).stage_facts.read_bytes())
        if not isinstance(data, dict) or not _same_scope(repo, data):
            return None
        head, groups = data["head"], data["groups"]
        if isinstance(head, str) and isinstance(groups, list):
            return head, groups
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


#: Journal entries (one per call that moved HEAD forward) kept before the two
#: files are rewritten whole; and the journal's size limit, in bytes.
_JOURNAL_ENTRIES = 64
_JOURNAL_BYTES = 512 * 1024


def _journal(repo: Repository, start: str) -> tuple[list[dict[str, Any]], bool]:
    """The journal entries that chain on from commit ``start`` (each ``from`` the
    previous ``head``), and whether that chain is the whole journal (so one more
    entry may be appended).  A damaged or foreign entry ends the chain."""
    try:
        lines = StateDir(repo.root).stage_journal.read_bytes().split(b"\n")
    except FileNotFoundError:
        return [], True
    except OSError:
        return [], False
    if len(lines) > _JOURNAL_ENTRIES + 1 or sum(map(len, lines)) > _JOURNAL_BYTES:
        return [], False
    key = _key(repo)
    chain: list[dict[str, Any]] = []
    at = start
    for line in lines:
        if not line:
            continue
        try:
            entry = json.loads(line)
            ok = entry["key"] == key and entry["from"] == at and isinstance(entry["head"], str)
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            return chain, False
        chain.append(entry)
        at = entry["head"]
    return chain, True


def _entry(
    repo: Repository, at: str | None, head: str, delta: _Scan, rows: Mapping[str, Any]
) -> dict[str, Any]:
    """The journal line for moving the cache from commit ``at`` to ``head``: what the
    scan of the commits between found, and the changed records' rows."""
    return {
        "key": _key(repo),
        "from": at,
        "head": head,
        "touched": delta.touched,
        "stages": {p: list(v) for p, v in delta.stages.items()},
        "alias": delta.alias,
        "rows": dict(rows),
    }


def _append(repo: Repository, entry: dict[str, Any]) -> None:
    """One journal line, in one append (so two writers never interleave within it)."""
    try:
        path = StateDir(repo.root).stage_journal
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, json.dumps(entry, separators=(",", ":")).encode() + b"\n")
        finally:
            os.close(fd)
    except (OSError, SortextError):
        pass


def _save(path: Path, data: dict[str, Any]) -> None:
    """Write a cache file atomically, without fsync (derived: a lost one is recomputed;
    each is keyed by its commit, so the last of two writers racing is as good)."""
    from sortext.errors import StorageError
    from sortext.files.write import atomic_write

    try:
        path.parent.mkdir(exist_ok=True)
        atomic_write(path, json.dumps(data, separators=(",", ":")).encode(), durable=False)
    except (OSError, StorageError):
        pass  # a cache we could not write is only a slower next call


def _save_scan(repo: Repository, head: str, scan: _Scan) -> None:
    data = {
        "version": _CACHE_VERSION,
        "prefix": _prefix(repo),
        "shallow": git.shallow_mark(repo.root),
        "zone": _zone(repo),
        "head": head,
        "touched": scan.touched,
        "stages": {p: list(s) for p, s in scan.stages.items()},
        "alias": scan.alias,
    }
    _save(StateDir(repo.root).stage_scan, data)


def _linear_since(repo: Repository, commit: str) -> bool:
    """Whether HEAD descends from ``commit`` through single-parent commits only.

    Only then does a pass over ``commit..HEAD`` come, in git's walk, wholly before
    the commits the cache already read, so "newer overrides older" is what one
    pass over the whole history finds.  A merge (sync brings another machine's
    commits, often dated before the local ones) interleaves the two by date:
    the caller then makes the whole pass."""
    out = git.run_full(
        repo.root, "--no-replace-objects", "rev-list", "--parents", f"{commit}..HEAD"
    )
    if out.returncode != 0:
        return False
    rows = [line.split(" ") for line in out.stdout.decode("ascii", "replace").splitlines()]
    if not rows:
        return False
    for row, after in zip(rows, [*rows[1:], None], strict=True):
        if len(row) != 2:
            return False  # a merge, or a root commit
        if row[1] != (after[0] if after is not None else commit):
            return False
    return True


def _groups(rows: Mapping[str, tuple[str | None, str | None, str | None]]) -> list[list[Any]]:
    """Record id -> (stage, since, touched) as saved: one group per distinct fact."""
    ids: dict[tuple[str | None, str | None, str | None], list[str]] = {}
    for record_id, fact in rows.items():
        ids.setdefault(fact, []).append(record_id)
    return [[*fact, "/".join(members)] for fact, members in ids.items()]


def _as_facts(groups: list[list[Any]]) -> dict[str, StageFacts]:
    """Saved groups as the public map (id -> StageFacts): a few thousand objects
    and one C-level dict update per group, not one per client."""
    days: dict[str | None, dt.date | None] = {None: None}
    facts: dict[str, StageFacts] = {}
    for stage, since, touched, members in groups:
        if since not in days:
            days[since] = dt.date.fromisoformat(since)
        if touched not in days:
            days[touched] = dt.date.fromisoformat(touched)
        facts.update(
            dict.fromkeys(members.split("/"), StageFacts(stage, days[since], days[touched]))
        )
    return facts


def stage_facts_at(repo: Repository, head: str) -> dict[str, StageFacts] | None:
    """The facts as of commit ``head`` when the cache holds exactly those, else None.

    Starts no git process: reads the facts saved for one commit and the journal
    of the commits made since (the watcher appends one entry per commit).  For a
    reader that already knows HEAD (a watcher's index,
    :func:`sortext.vcs.git.head_from_files`); None means "not known for this
    commit": call :func:`stage_facts`."""
    saved = _load_facts(repo)
    if saved is None:
        return None
    updates: dict[str, Any] = {}
    if saved[0] != head:
        chain, _ = _journal(repo, saved[0])
        ends = [i for i, entry in enumerate(chain) if entry["head"] == head]
        if not ends:
            return None
        for entry in chain[: ends[-1] + 1]:
            updates.update(entry.get("rows", {}))
    try:
        facts = _as_facts(saved[1])
        return _updated(facts, updates)
    except (TypeError, ValueError, AttributeError, IndexError):
        return None  # a damaged row: rebuilt by the next stage_facts


def _updated(facts: dict[str, StageFacts], rows: Mapping[str, Any]) -> dict[str, StageFacts]:
    """``facts`` with journal rows applied (id -> [stage, since, touched], or None: gone)."""
    for record_id, row in rows.items():
        if row is None:
            facts.pop(record_id, None)
        else:
            stage, since, touched = row
            facts[record_id] = StageFacts(
                stage,
                dt.date.fromisoformat(since) if since else None,
                dt.date.fromisoformat(touched) if touched else None,
            )
    return facts


def stage_facts(repo: Repository, use_cache: bool = True) -> dict[str, StageFacts]:
    """Per client id (records at HEAD): committed stage, stage since, last touched.

    With the cache at HEAD (written by the last call: the watcher after each
    commit, ``build``, ``install``) this reads HEAD from the ref files and the
    saved facts: no git process, no tree listing.  Otherwise it reads the
    commits added since the cached scan, or the whole history of the clients
    folder when there is no usable cache (a minute-scale pass on a long
    history: one tree comparison per commit).  A call that moved forward from
    the cached commit appends one journal entry (what those commits changed);
    every ``_JOURNAL_ENTRIES`` entries, or on any other call, the scan and the
    facts are rewritten whole.  Raises GitError when git fails; {} before the
    first commit."""
    root = repo.root
    head = git.head_from_files(root) if use_cache else None
    if head is not None:
        hit = stage_facts_at(repo, head)
        if hit is not None:
            return hit
    else:
        head = git.text(root, "rev-parse", "--verify", "-q", "HEAD", check=False).strip()
    if not head:
        return {}
    prefix = _prefix(repo)
    if not use_cache:
        scan = _scan(repo, prefix, None)
        return _as_facts(_groups(_rows(scan, _listed_names(repo, prefix), prefix)))
    saved = _load_facts(repo)
    quick = _forward(repo, prefix, saved, head) if saved is not None else None
    if quick is not None:
        return quick
    loaded = _load_scan(repo)
    at: str | None = None
    ids: set[str] | None = None  # record ids at ``at``, when the saved facts say
    rows_since: dict[str, Any] = {}  # journal rows from the saved facts to ``at``
    whole = False
    if loaded is not None:
        at, scan = loaded
        chain, whole = _journal(repo, at)
        if saved is not None and saved[0] == at:
            ids = {i for group in saved[1] for i in str(group[3]).split("/")}
        for entry in chain:
            stages = {p: (v[0], v[1]) for p, v in entry["stages"].items()}
            scan = _merge(_Scan(entry["touched"], stages, entry["alias"]), scan)
            rows_since.update(entry["rows"])
            at = entry["head"]
        if ids is not None:
            for record_id, row in rows_since.items():
                (ids.discard if row is None else ids.add)(record_id)
    delta: _Scan | None = None
    if at is not None and at != head and _linear_since(repo, at):
        delta = _scan(repo, prefix, at)
        if delta.carried:  # (see _Scan.carried) the whole history instead
            delta, at, ids, scan = None, None, None, _scan(repo, prefix, None)
        else:
            scan = _merge(delta, scan)
    elif at != head:
        at, ids, scan = None, None, _scan(repo, prefix, None)
    diff = _tree_diff(repo, prefix, at, head) if ids is not None and at is not None else None
    if diff is not None and ids is not None and saved is not None:
        if delta is not None and whole:
            cut = len(prefix)
            paths = {*delta.touched, *delta.stages, *delta.alias.values(), *diff}
            for name, status in diff.items():
                if _is_record_path(name, prefix):
                    (ids.discard if status == "D" else ids.add)(name[cut:-3])
            rows: dict[str, Any] = {}
            for name in paths:
                if _is_record_path(name, prefix):
                    rid = name[cut:-3]
                    rows[rid] = list(_row(scan, name)) if rid in ids else None
            if _room_for(repo):
                _append(repo, _entry(repo, at, head, delta, rows))
                return _updated(_as_facts(saved[1]), {**rows_since, **rows})
        names = _names_from(ids, diff, prefix)
    else:
        names = _listed_names(repo, prefix)
    groups = _groups(_rows(scan, names, prefix))
    _save_scan(repo, head, scan)
    data = {
        "version": _CACHE_VERSION,
        "prefix": prefix,
        "shallow": git.shallow_mark(root),
        "zone": _zone(repo),
        "head": head,
        "groups": groups,
    }
    _save(StateDir(root).stage_facts, data)
    _clear_journal(repo)
    return _as_facts(groups)


def _forward(
    repo: Repository, prefix: str, saved: tuple[str, list[list[Any]]], head: str
) -> dict[str, StageFacts] | None:
    """The usual watcher step, without reading the scan: HEAD descends from the
    commit the saved facts and the journal reach, no file was renamed since, and
    every record those commits changed either existed then (its row says what
    the scan held for it) or has both its touch and its stage in the new
    commits.  Appends the journal entry and returns the facts; None otherwise."""
    chain, whole = _journal(repo, saved[0])
    at = chain[-1]["head"] if chain else saved[0]
    if not whole or at == head or not _room_for(repo) or not _linear_since(repo, at):
        return None
    delta = _scan(repo, prefix, at)
    if delta.alias or delta.carried:
        return None
    rows_since: dict[str, Any] = {}
    for entry in chain:
        rows_since.update(entry["rows"])
    known: dict[str, Any] = {}
    for stage, since, touched, members in saved[1]:
        known.update(dict.fromkeys(str(members).split("/"), (stage, since, touched)))
    for record_id, row in rows_since.items():
        if row is None:
            known.pop(record_id, None)
        else:
            known[record_id] = tuple(row)
    diff = _tree_diff(repo, prefix, at, head)
    cut = len(prefix)
    rows: dict[str, Any] = {}
    for name in {*delta.touched, *delta.stages, *diff}:
        if not _is_record_path(name, prefix):
            continue
        rid = name[cut:-3]
        status = diff.get(name)
        before = known.get(rid)
        if status == "D" or (status is None and before is None):
            rows[rid] = None  # not a record at HEAD
            continue
        if before is None and (name not in delta.touched or name not in delta.stages):
            return None  # new since, and the scan may know it from before a deletion
        stage, since = delta.stages.get(name) or (before[0], before[1])  # type: ignore[index]
        touched = delta.touched.get(name) or (before[2] if before is not None else None)
        rows[rid] = [stage, since or None, touched or None]
    _append(repo, _entry(repo, at, head, delta, rows))
    return _updated(_as_facts(saved[1]), {**rows_since, **rows})


def _row(scan: _Scan, name: str) -> tuple[str | None, str | None, str | None]:
    stage, since = scan.stages.get(name, (None, None))
    return stage, since or None, scan.touched.get(name) or None


def _rows(
    scan: _Scan, names: list[str], prefix: str
) -> dict[str, tuple[str | None, str | None, str | None]]:
    cut = len(prefix)
    return {name[cut:-3]: _row(scan, name) for name in names}


def _clear_journal(repo: Repository) -> None:
    """Empty the journal (after the scan and the facts were rewritten at HEAD, so its
    entries, which chain from older commits, could not be read anyway)."""
    from sortext.files.write import atomic_write

    with contextlib.suppress(OSError, SortextError):
        path = StateDir(repo.root).stage_journal
        if path.exists():
            atomic_write(path, b"", durable=False)


def _room_for(repo: Repository) -> bool:
    """Whether the journal may take one more entry (else everything is rewritten)."""
    try:
        lines = StateDir(repo.root).stage_journal.read_bytes().count(b"\n")
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return lines < _JOURNAL_ENTRIES


def _names_from(ids: set[str], diff: Mapping[str, str], prefix: str) -> list[str]:
    """Record paths at HEAD: ``ids`` (at the cached commit) with the tree difference."""
    names = {f"{prefix}{i}.md" for i in ids}
    for name, status in diff.items():
        if status == "D":
            names.discard(name)
        elif _is_record_path(name, prefix):
            names.add(name)
    return sorted(names)


def warm_stage_facts(repo: Repository) -> None:
    """Bring the cache up to HEAD now (the watcher after its commits, ``install``,
    ``init``), so no later command waits for it; never raises."""
    with contextlib.suppress(SortextError, OSError):
        stage_facts(repo)


def _is_record_path(name: str, prefix: str) -> bool:
    rest = name[len(prefix) :]
    return name.startswith(prefix) and "/" not in rest and is_record_name(rest)


def _listed_names(repo: Repository, prefix: str) -> list[str]:
    """Record paths in the clients folder at HEAD (``git ls-tree``)."""
    names = git.listed(repo.root, "ls-tree", "-r", "--name-only", "HEAD", "--", prefix)
    return [n for n in names if _is_record_path(n, prefix)]


def _tree_diff(repo: Repository, prefix: str, base: str, head: str) -> dict[str, str]:
    """Path -> status letter (A, D, M, T) of the files under ``prefix`` that differ
    between two commits (one tree comparison, renames as a deletion and an addition)."""
    if base == head:
        return {}
    out = git.text(
        repo.root, "diff", "--name-status", "--no-renames", "-z", base, head, "--", prefix
    )
    tokens = out.split("\0")
    return {name: status for status, name in zip(tokens[::2], tokens[1::2], strict=False) if name}


@dataclass(frozen=True, slots=True)
class Staleness:
    """A client has sat in ``stage`` for ``days``, longer than ``limit``."""

    stage: str
    days: int
    limit: int


def staleness(
    stage: str | None,
    stage_since: dt.date | None,
    today: dt.date,
    stale_days: Mapping[str, Any],
) -> Staleness | None:
    """The stale rule (pure): days in stage beyond ``stale_days[stage]``, else None."""
    if not stage or stage_since is None or stage not in stale_days:
        return None
    limit = int(stale_days[stage])
    days = (today - stage_since).days
    return Staleness(stage, days, limit) if days > limit else None
