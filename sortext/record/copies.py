"""Files sync tools leave beside a record when two devices edit it at once.

A *conflict copy* is never a client: it is the other device's version of a
record, to be merged into it (``sortext merge-copy FILE``).  Recognised names,
for ``tom-berg.md``:

=================  ==================================================
Syncthing          ``tom-berg.sync-conflict-20261130-091244-ABCDEF1.md``
Dropbox            ``tom-berg (Maya's conflicted copy 2026-11-30).md``,
                   ``tom-berg (Case Conflict).md``,
                   ``tom-berg (Selective Sync Conflict).md``
Nextcloud          ``tom-berg (conflicted copy 2026-11-30 091244).md``
ownCloud           ``tom-berg_conflict-20261130-091244.md``,
                   ``tom-berg (conflict 2026-11-30).md``
Google Drive       ``tom-berg (1).md``
iCloud Drive       ``tom-berg 2.md``
OneDrive           ``tom-berg-MAYA-LAPTOP.md`` (the device name has capitals,
                   which an id never has)
Resilio Sync       ``tom-berg.Conflict.md``, ``tom-berg.md.Conflict``
git mergetool      ``tom-berg_LOCAL_12345.md`` (also ``_REMOTE_``, ``_BASE_``,
                   ``_BACKUP_``: left behind when a merge tool is stopped)
Finder, Explorer   ``tom-berg copy.md``, ``tom-berg copy 2.md``,
                   ``tom-berg - Copy.md``, ``tom-berg - Copy (2).md``
=================  ==================================================

Pure functions of a file name; nothing here reads the disk.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from sortext.lazyre import Lazy

# Compiled when a name is not a plain id file name (a conflict copy, or some other
# file): a build of ordinary records never compiles them.
_PATTERNS: tuple[tuple[str, Lazy], ...] = (
    (
        "Syncthing",
        Lazy(r"^(?P<stem>.+?)\.sync-conflict-\d{8}-\d{6}(?:-[A-Z0-9]{7})?\.md$"),
    ),
    (
        "Dropbox or Nextcloud",
        Lazy(r"^(?P<stem>.+?) \([^()]*conflicted copy[^()]*(?:\(\d+\))?\)\.md$"),
    ),
    (
        "Dropbox",
        Lazy(r"^(?P<stem>.+?) \((?:Case|Selective Sync) Conflict(?: \d+)?\)\.md$"),
    ),
    ("ownCloud", Lazy(r"^(?P<stem>.+?)_conflict-\d{8}-\d{6}\.md$")),
    ("git mergetool", Lazy(r"^(?P<stem>.+?)_(?:LOCAL|REMOTE|BASE|BACKUP)_\d+\.md$")),
    ("Finder", Lazy(r"^(?P<stem>[a-z0-9][a-z0-9-]*) copy(?: \d+)?\.md$")),
    ("Explorer", Lazy(r"^(?P<stem>[a-z0-9][a-z0-9-]*) - Copy(?: \(\d+\))?\.md$")),
    ("Nextcloud", Lazy(r"^(?P<stem>.+?) \(conflict(?:ed)?(?: copy)?[^()]*\)\.md$")),
    ("Resilio Sync", Lazy(r"^(?P<stem>.+?)\.Conflict(?: ?\(\d+\))?\.md$")),
    ("Resilio Sync", Lazy(r"^(?P<stem>.+?)\.md\.Conflict(?: ?\(\d+\))?$")),
    ("Google Drive", Lazy(r"^(?P<stem>[a-z0-9][a-z0-9-]*) \(\d+\)\.md$")),
    ("iCloud Drive", Lazy(r"^(?P<stem>[a-z0-9][a-z0-9-]*) \d+\.md$")),
    (
        "OneDrive",
        Lazy(
            r"^(?P<stem>[a-z0-9]+(?:-[a-z0-9]+)*)"
            r"-[A-Za-z0-9]*[A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*\.md$"
        ),
    ),
)


class ConflictCopy(NamedTuple):
    """A conflict copy's name, the record file it copies, and the tool that made it."""

    name: str
    original: str
    tool: str


#: A plain id file name: every copy pattern needs a character this excludes
#: (a dot or underscore in the stem, a space, a parenthesis or a capital).
_PLAIN = re.compile(r"[a-z0-9][a-z0-9-]*\.md")


def conflict_copy(name: str) -> ConflictCopy | None:
    """The record a conflict copy named ``name`` belongs to, or None.

    ``name`` is a bare file name (``tom-berg (1).md``); the answer names the
    record's file (``tom-berg.md``).
    """
    if _PLAIN.fullmatch(name):
        return None  # the common case, answered without trying every pattern
    for tool, pattern in _PATTERNS:
        found = pattern().match(name)
        if found:
            return ConflictCopy(name, f"{found.group('stem')}.md", tool)
    return None


#: Extensions of Markdown that are not a record's ``.md`` (any case but lower, or
#: ``.markdown``), casefolded.
_MARKDOWN = (".md", ".markdown")


def misnamed(name: str) -> str | None:
    """The record file name a Markdown file named ``name`` should have (``Jane.MD``,
    ``jane.Md``, ``jane.markdown`` -> ``jane.md``; the stem as a new record's id), or
    None when ``name`` is a record's name, hidden, or not Markdown.  Such a file is
    never read as a record: ``sortext check`` and the watcher say so."""
    if name.endswith(".md") or name.startswith("."):
        return None
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or f".{extension.casefold()}" not in _MARKDOWN:
        return None
    from sortext.files.slug import slugify

    return f"{slugify(stem) or stem}.md"


def is_record_name(name: str) -> bool:
    """True for a client record's file name: ``*.md``, not hidden, not a conflict copy."""
    return name.endswith(".md") and not name.startswith(".") and conflict_copy(name) is None
