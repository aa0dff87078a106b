"""Every version of one file rebuilt from one ``git log -p`` stream, parsed incrementally.

History needs each version of a record parsed.  Reading each one whole (``git
cat-file``) and parsing it costs time in the size of every version (2,000
versions of a 10 KB record: 20 MB read, decoded, cut and looked up), where git
already says, in the patches it computes for ``git log -p``, which few lines
each commit changed.  Here one ``git log --follow --raw -p -U0`` gives the
commits (exactly what :func:`sortext.vcs.log.file_log` gives: the same format
and options, the patches added) and, per commit, the hunks of the followed
file.  :class:`Replica` applies them to the previous version's lines and
re-reads only the top-level front-matter entries whose lines they touched.

Nothing here is trusted blindly; the caller falls back to reading whole
versions wherever the stream cannot be relied on:

* options fix what user config could change in the stream (``--no-color``,
  ``--no-ext-diff``, ``--no-textconv``, explicit prefixes, no inter-hunk
  context; the signatures, with every log: ``LOG_OPTIONS``);
* a patch applies only to the version it was made from (the raw line's old
  blob is the previous version's blob; merges, binary files and anything the
  parser does not recognise are not applied);
* every removed line must be the line the replica holds there, and a chain of
  versions rebuilt from patches counts only when its last version hashes to
  the blob id git gave for it (a line wrongly rebuilt stays until it is
  removed, where it is caught, or to the end of the chain, where the hash
  catches it);
* a version is parsed incrementally only where :class:`VersionParser`'s fast
  reading would apply to the whole text (UTF-8, ``---`` fences, no conflict
  markers, each entry readable alone); otherwise the whole version is parsed
  by :meth:`VersionParser.parse`, as before.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from sortext.record.source import MAX_FILE_BYTES
from sortext.record.split import MAX_FRONT_MATTER_BYTES
from sortext.vcs import git
from sortext.vcs.log import LOG_FORMAT, LOG_OPTIONS, Commit, has_commits, parse_log
from sortext.vcs.versions import _ENTRY_START, Entry, Version, VersionParser

#: What user config could otherwise change in the patch text.
PATCH_OPTIONS = (
    "-p",
    "-U0",
    "--inter-hunk-context=0",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--diff-algorithm=myers",
)
_NO_BLOB = "0" * 40


class Hunk(NamedTuple):
    """One ``-U0`` hunk: ``removed`` lines at 0-based ``old`` replaced by ``added``
    lines, which start at 0-based ``new`` in the result (lines keep their ``\\n``)."""

    old: int
    new: int
    removed: list[bytes]
    added: list[bytes]


class Patch(NamedTuple):
    """What one commit did to the followed file: the blob it started from (None
    when the file was created) and the hunks (None: no usable patch, such as a
    binary file or more than one file in the commit)."""

    old_blob: str | None
    hunks: list[Hunk] | None


class StreamError(Exception):
    """The stream is not laid out as expected: nothing in it is used."""


def patch_log(root: Path, path: str) -> tuple[list[Commit], dict[str, Patch]]:
    """The commits :func:`sortext.vcs.log.file_log` (``raw=True``) lists for ``path``,
    newest first, and the patch of each commit by sha (missing: not usable).

    Raises GitError when git fails, StreamError when the output cannot be read."""
    if git.head_from_files(root) is None and not has_commits(root):  # (no process if HEAD reads)
        return [], {}
    out = git.run(
        root,
        "log",
        *LOG_OPTIONS,
        f"--format={LOG_FORMAT}",
        "--raw",
        "--no-abbrev",
        "-z",
        *PATCH_OPTIONS,
        "--follow",
        "-M",
        "--",
        path,
        spool=True,  # ~1 MB of patches for 2,000 commits: not through a pipe
    )
    return parse_patch_log(out)


def parse_patch_log(out: bytes) -> tuple[list[Commit], dict[str, Patch]]:
    """Read ``git log --format=LOG_FORMAT --raw --no-abbrev -z -p -U0`` output (see
    :func:`_parse_patch_log`); StreamError for anything laid out otherwise."""
    try:
        return _parse_patch_log(out)
    except (IndexError, ValueError) as exc:
        raise StreamError(f"the log did not read: {exc}") from exc


def _parse_patch_log(out: bytes) -> tuple[list[Commit], dict[str, Patch]]:
    """Read ``git log --format=LOG_FORMAT --raw --no-abbrev -z -p -U0`` output.

    Each commit is its header and raw entries (read by :func:`parse_log`, so the
    commits are what ``file_log`` makes of the same header and entries) and then
    its patch text, read line by line with each hunk's lines counted from its
    header, so no line of a record is ever taken for a header."""
    heads: list[bytes] = []  # each commit's header and raw entries, as file_log reads them
    olds: list[str | None] = []
    found: list[list[Hunk] | None] = []
    pos, end = 0, len(out)
    while pos < end:
        if out[pos] != 1:
            raise StreamError(f"expected a commit at byte {pos}")
        head_end = out.find(b"\0", pos)
        if head_end == -1:
            raise StreamError("a commit header does not end")
        tokens = [out[pos:head_end]]
        pos = head_end + 1
        if out.startswith(b"\n", pos):
            pos += 1
        raws: list[bytes] = []
        while pos < end and out[pos] == 58:  # ":": a raw entry and its one or two paths
            stop = out.find(b"\0", pos)
            if stop == -1:
                raise StreamError("a raw entry does not end")
            entry = out[pos:stop]
            names = 2 if entry.rsplit(b" ", 1)[-1][:1] in (b"R", b"C") else 1
            tokens.append(entry)
            pos = stop + 1
            for _ in range(names):
                stop = out.find(b"\0", pos)
                if stop == -1:
                    raise StreamError("a raw entry's path does not end")
                tokens.append(out[pos:stop])
                pos = stop + 1
            raws.append(entry)
        if out.startswith(b"\0", pos):
            pos += 1
        heads.append(b"\0".join(tokens) + b"\0")
        hunks, pos = _read_patches(out, pos)
        olds.append(raws[-1].split(b" ")[2].decode("ascii", "replace") if raws else None)
        found.append(hunks)
    commits = parse_log(b"".join(heads).decode("utf-8", "replace"))
    if len(commits) != len(heads):
        raise StreamError("the commit headers did not read as one commit each")
    patches: dict[str, Patch] = {}
    for commit, old, hunks in zip(commits, olds, found, strict=True):
        if old is not None and commit.files:
            patches[commit.sha] = Patch(None if old == _NO_BLOB else old, hunks)
    return commits, patches


def _read_patches(out: bytes, pos: int) -> tuple[list[Hunk] | None, int]:
    """The hunks of the one file patch starting at ``pos`` (None when there is not
    exactly one text patch) and where the next commit starts."""
    end = len(out)
    files = 0
    hunks: list[Hunk] | None = []
    while pos < end and out[pos] != 1:
        if out.startswith(b"diff --git ", pos):
            files += 1
            # the extended header (mode, rename, index, ---/+++ lines) runs to the
            # first hunk, the next file or the next commit: no line of a record in it
            found = _HEADER_END.search(out, pos + 1)
            stop = found.start() if found is not None else end
            header = out[pos:stop]
            if b"\nBinary files " in header or b"\nGIT binary patch" in header:
                hunks = None
            pos = stop
        elif out.startswith(b"@@ ", pos):
            stop = out.find(b"\n", pos)
            if stop == -1:
                stop = end
            hunk, pos = _read_hunk(out, out[pos:stop], stop + 1)
            if hunks is not None:
                hunks.append(hunk)
        else:
            raise StreamError(f"unexpected patch text at byte {pos}")
    if files != 1:
        return None, pos
    return hunks, pos


#: Where a file patch's extended header ends.
_HEADER_END = re.compile(rb"^(?:@@ |diff --git |\x01)", re.MULTILINE)
_HUNK = re.compile(rb"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(?: |$)")


def _read_hunk(out: bytes, header: bytes, pos: int) -> tuple[Hunk, int]:
    m = _HUNK.match(header)
    if m is None:
        raise StreamError("a hunk header does not read")
    old_start, new_start = int(m[1]), int(m[3])
    old_count = int(m[2]) if m[2] is not None else 1
    new_count = int(m[4]) if m[4] is not None else 1
    removed: list[bytes] = []
    added: list[bytes] = []
    last: list[list[bytes]] = []
    left_old, left_new = old_count, new_count
    end = len(out)
    while left_old or left_new or out.startswith(b"\\", pos):
        if pos >= end:
            raise StreamError("a hunk ends early")
        stop = out.find(b"\n", pos)
        if stop == -1:
            stop = end
        line = out[pos:stop]
        pos = stop + 1
        mark, content = line[:1], line[1:] + b"\n"
        if mark == b"-" and left_old:
            removed.append(content)
            left_old -= 1
            last = [removed]
        elif mark == b"+" and left_new:
            added.append(content)
            left_new -= 1
            last = [added]
        elif mark == b" " and left_old and left_new:
            removed.append(content)
            added.append(content)
            left_old -= 1
            left_new -= 1
            last = [removed, added]
        elif mark == b"\\" and last:
            for side in last:  # "\ No newline at end of file": the line before has none
                side[-1] = side[-1][:-1]
            last = []
        else:
            raise StreamError("a hunk line does not read")
    old = old_start - 1 if old_count else old_start
    new = new_start - 1 if new_count else new_start
    return Hunk(old, new, removed, added), pos


def blob_id(data: bytes) -> str:
    """git's id of a blob holding ``data``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def split_lines(raw: bytes) -> list[bytes]:
    """Lines as git counts them: each with its ``\\n`` (the last may have none)."""
    parts = raw.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _text(line: bytes) -> str | None:
    """A line as the record reader sees it (UTF-8, CRLF read as LF); None when the
    reader would refuse it (not UTF-8, or a NUL byte)."""
    if b"\x00" in line:
        return None
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text[:-2] + "\n" if text.endswith("\r\n") else text


def _starts_entry(text: str, first: bool) -> bool:
    """Whether a front-matter line starts a top-level entry (``_top_level_entries``)."""
    if first:
        c = text[:1]
        return bool(c) and not c.isspace() and c not in "#-]}"
    return _ENTRY_START.match("\n" + text[:1]) is not None


class _Front:
    """The fast reading of the current version: where the closing fence is, which
    lines start top-level entries (as read; the first entry always starts at line
    1), what each entry read as (by its first line), and, once known, the notes,
    the data (``(display, data)`` as assembled) and the version."""

    __slots__ = ("_chunks", "body", "chars", "data", "entries", "fence", "starts", "version")

    def __init__(
        self,
        fence: int,
        starts: list[int],
        entries: dict[int, Entry | None],
        chars: int,
        body: str | None = None,
        data: tuple[str, dict[str, object]] | None = None,
    ) -> None:
        self.fence = fence
        self.starts = starts
        self.entries = entries
        self.chars = chars
        self.body = body
        self.data = data
        self.version: Version | None = None
        self._chunks: list[tuple[int, int]] | None = None

    def chunks(self) -> list[tuple[int, int]]:
        """(first line, line after) of each top-level entry."""
        if self._chunks is None:
            firsts = [1, *self.starts[1:]] if self.starts else []
            self._chunks = list(zip(firsts, [*firsts[1:], self.fence], strict=False))
        return self._chunks


class Replica:
    """One file's lines, moved from version to version by hunks, and each version
    parsed as :meth:`VersionParser.parse` parses it (touching only what changed)."""

    def __init__(self, parser: VersionParser) -> None:
        self.parser = parser
        self.lines: list[bytes] = []
        self.texts: list[str | None] = []
        self.bad = 0
        self.size = 0
        self.front: _Front | None = None

    def reset(self, raw: bytes) -> None:
        """Hold ``raw`` (a version read whole)."""
        self.lines = split_lines(raw)
        self.texts = [_text(line) for line in self.lines]
        self.size = len(raw)
        self.bad = self._count_bad()
        self.front = self._rebuild()

    def content(self) -> bytes:
        return b"".join(self.lines)

    def content_id(self) -> str:
        return blob_id(self.content())

    def _count_bad(self) -> int:
        return sum(
            1
            for i, (line, text) in enumerate(zip(self.lines, self.texts, strict=True))
            if text is None or (i and line.startswith(b"<<<<<<<"))
        )

    def apply(self, hunks: list[Hunk]) -> bool:
        """Move to the next version; False (nothing changed) when a hunk does not
        fit the lines held (the caller then reads the version whole)."""
        if not hunks:
            return True
        lines, texts = self.lines, self.texts
        shift = done = 0
        for hunk in hunks:  # all checked before any is applied
            stop = hunk.old + len(hunk.removed)
            if (
                hunk.old < done
                or stop > len(lines)
                or hunk.old + shift != hunk.new
                or lines[hunk.old : stop] != hunk.removed
            ):
                return False
            shift += len(hunk.added) - len(hunk.removed)
            done = stop
        bad, size = self.bad, self.size
        gone: list[list[str | None]] = []  # the texts of the removed lines, last hunk first
        for hunk in reversed(hunks):  # from the end: the line numbers before stay put
            start, stop = hunk.old, hunk.old + len(hunk.removed)
            before = texts[start:stop]
            for line, text in zip(lines[start:stop], before, strict=True):
                size -= len(line)
                # a line past the first that stops the fast reading (``_parse_fast``)
                if text is None or line.startswith(b"<<<<<<<"):
                    bad -= 1
            added = [_text(line) for line in hunk.added]
            for line, text in zip(hunk.added, added, strict=True):
                size += len(line)
                if text is None or line.startswith(b"<<<<<<<"):
                    bad += 1
            lines[start:stop] = hunk.added
            texts[start:stop] = added
            gone.append(before)
        front = self.front
        self.size, self.bad = size, bad
        if front is None or hunks[0].old == 0:
            self.bad = self._count_bad()  # line 0 counts differently
            self.front = self._rebuild()
        else:
            gone.reverse()
            self.front = self._advance(front, hunks, gone)
        return True

    def _rebuild(self) -> _Front | None:
        """The fast reading of the lines held, from scratch; None when it does not apply."""
        texts = self.texts
        if not texts or texts[0] != "---\n":
            return None
        lines = self.lines
        fence = next((i for i in range(1, len(lines)) if lines[i].startswith(b"---")), 0)
        if not fence:
            return None
        chars = 0
        starts: list[int] = []
        for i in range(1, fence):
            text = texts[i]
            if text is None or text.startswith("..."):
                return None
            chars += len(text)
            if _starts_entry(text, i == 1):
                starts.append(i)
        return _Front(fence, starts, {}, chars)

    def _advance(
        self, front: _Front, hunks: list[Hunk], dropped: list[list[str | None]]
    ) -> _Front | None:
        """The fast reading after ``hunks`` (none at line 0), from the one before:
        entries whose lines the hunks did not touch keep what they read as.
        ``dropped``: per hunk, the texts of the lines it removed."""
        fence = front.fence
        head = [h for h in hunks if h.old < fence or (h.old == fence and not h.removed)]
        if len(head) != len(hunks) and hunks[len(head)].old <= fence:
            return self._rebuild()  # the closing fence changed
        if not head:  # the notes only: the front matter is the same text
            return _Front(fence, front.starts, front.entries, front.chars, None, front.data)
        if any(h.old <= 1 or h.old + len(h.removed) > fence for h in head):
            return self._rebuild()  # the first line or the closing fence changed
        texts = self.texts
        old_starts = front.starts
        chars = front.chars
        same_shape = True  # every hunk as many lines as it replaced, starts where they were
        added_starts: list[int] = []
        for h, removed in zip(head, dropped, strict=False):  # (head: the first hunks)
            for text in removed:
                chars -= len(text or "")
            n = len(h.added)
            first = bisect_left(old_starts, h.old)
            gone = bisect_left(old_starts, h.old + len(h.removed)) - first
            mine = []
            for i in range(n):
                text = texts[h.new + i]
                if text is None or h.added[i].startswith((b"---", b"...")):
                    return self._rebuild()
                chars += len(text)
                if _starts_entry(text, False):
                    mine.append(h.new + i)
            added_starts += mine
            if same_shape and (
                n != len(h.removed)
                or [s - h.old for s in old_starts[first : first + gone]]
                != [s - h.new for s in mine]
            ):
                same_shape = False
        if same_shape:
            starts = old_starts
            shift = 0
            moved = dict(front.entries)
        else:

            def to_new(line: int) -> int | None:
                """Where an unchanged line went (None: removed)."""
                delta = 0
                for h in head:
                    if line < h.old:
                        break
                    if line < h.old + len(h.removed):
                        return None
                    delta += len(h.added) - len(h.removed)
                return line + delta

            starts = sorted([t for t in map(to_new, old_starts) if t is not None] + added_starts)
            shift = sum(len(h.added) - len(h.removed) for h in head)
            moved = {}
            for start, entry in front.entries.items():
                to = to_new(start)
                if to is not None:
                    moved[to] = entry
        found = _Front(fence + shift, starts, moved, chars)
        if same_shape:
            found._chunks = front._chunks  # the same lines start the same entries
        if len(head) == len(hunks):
            found.body = front.body
        firsts = [first for first, _ in found.chunks()]
        for h in head:
            lo, hi = h.new, h.new + len(h.added)
            at = bisect_right(firsts, lo) - 1
            while hi > lo and at < len(firsts) and (at < 0 or firsts[at] < hi):
                if at >= 0:
                    moved.pop(firsts[at], None)  # an entry holding a written line
                at += 1
            # the entry before the written lines keeps its text only when they start
            # a new entry where the old lines started one too (or the closing fence
            # was): lines inserted between an entry and a line continuing it (a plain
            # scalar's next line) take that line from it
            kept = hi > lo and lo in firsts and (h.old in old_starts or h.old == fence)
            before = bisect_right(firsts, lo - 1) - 1
            if not kept and before >= 0:
                moved.pop(firsts[before], None)
        return found

    def version(self, display: str) -> Version | None:
        """The current version as :meth:`VersionParser.parse` reads it."""
        front = self.front
        if (
            front is None
            or self.bad
            or self.size > MAX_FILE_BYTES
            or front.chars > MAX_FRONT_MATTER_BYTES // 4
        ):
            return self.parser.parse(self.content(), display)
        if front.version is not None and front.data is not None and front.data[0] == display:
            return front.version
        texts: list[str] = self.texts  # type: ignore[assignment]  # no None: self.bad == 0
        if texts[front.fence].removesuffix("\n")[3:].strip():
            return self.parser.parse(self.content(), display)
        if front.body is None:
            front.body = "".join(texts[front.fence + 1 :])
        if front.data is not None and front.data[0] == display:
            found: Version | None = Version(front.data[1], front.body)
        else:
            chunks = front.chunks()
            if not chunks and "".join(texts[1 : front.fence]).strip():
                return self.parser.parse(self.content(), display)
            entries: list[Entry | None] = []
            for first, after in chunks:
                if first in front.entries:
                    entry = front.entries[first]
                else:
                    entry = self.parser.entry("".join(texts[first:after]))
                    front.entries[first] = entry
                entries.append(entry)
            found = self.parser.assemble(entries, front.body, display)
            if found is None:
                return self.parser.parse(self.content(), display)
            front.data = (display, found.data)
        front.version = found
        return found


def replay(
    commits: list[Commit],
    patches: dict[str, Patch],
    parser: VersionParser,
    read: Callable[[str], bytes | None] | None = None,
) -> dict[int, Version | None]:
    """Versions rebuilt from patches, by index in ``commits`` (oldest first), parsed
    by ``parser``.  A chain of versions rebuilt one from the other counts only when
    its last version hashes to the blob id git gave for it.  Where a patch does not
    apply to the version held (after a merge, whose diff ``git log`` leaves out;
    a binary version), ``read`` (a blob by id; None: missing) gives the version a
    patch starts from, or the version itself, and the walk goes on from there.
    Versions left out (deletions, nothing to read, a chain that did not check
    out) are for the caller to read whole."""
    replica = Replica(parser)
    trusted: dict[int, Version | None] = {}
    chain: dict[int, Version | None] = {}
    blob: str | None = None  # the blob the replica holds at the end of ``chain``

    def close() -> None:
        if chain and blob is not None and replica.content_id() == blob:
            trusted.update(chain)
        chain.clear()

    def seed(wanted: str) -> bool:
        """Hold blob ``wanted`` read whole (a new chain starts from it)."""
        nonlocal blob
        close()
        raw = read(wanted) if read is not None else None
        blob = wanted if raw is not None else None
        if raw is not None:
            replica.reset(raw)
        return raw is not None

    for index, commit in enumerate(commits):
        change = commit.files[-1]
        if change.status == "D" or not change.blob:
            close()
            blob = None
            continue
        patch = patches.get(commit.sha)
        applied = False
        if patch is not None and patch.hunks is not None:
            if patch.old_blob is None:  # created: from nothing
                close()
                replica.reset(b"")
                blob = _EMPTY_BLOB
            elif patch.old_blob != blob:
                seed(patch.old_blob)
            applied = blob == (patch.old_blob or _EMPTY_BLOB) and replica.apply(patch.hunks)
        if not applied and not seed(change.blob):
            continue
        blob = change.blob
        chain[index] = replica.version(change.path)
    close()
    return trusted


#: git's id of the empty blob (what a created file's patch starts from).
_EMPTY_BLOB = blob_id(b"")
