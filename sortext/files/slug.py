"""The one rule for text that becomes part of a path, and the one way to build such a path.

A *slug* is what a record id, a file stem, a page name or an export name may
be: lowercase ASCII letters and digits with inner hyphens, starting with a
letter or digit, at most :data:`MAX_SLUG` characters, and not a device name
Windows reserves (``con``, ``nul``, ``aux``, ``com1``...: :data:`WINDOWS_DEVICES`).
Nothing else ever reaches a file name: an id such as ``../../victim``, ``sub/evil``,
``/abs/path``, ``a\\x00b`` or 300 characters long is refused here.

:func:`confined_path` is the only way an output path is built from a slug:
it validates the slug, joins it to its folder and checks that the resolved
result still lies under the resolved folder (so a symlinked folder or file
cannot lead a write elsewhere).  :func:`confined_folder` checks that a
folder such as ``site/`` does not leave the repository through a symlink.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

from sortext.errors import UnsafePathError

TYPE_CHECKING = False  # typing is not imported on the quick query path (see files.state)
if TYPE_CHECKING:
    from typing import TypeGuard

#: Longest slug, in characters (ASCII, so also bytes): far below the 255-byte
#: file-name limit even with ``.html``, temp-file and conflict-copy suffixes.
MAX_SLUG = 64
#: The slug pattern, without anchors (JSON Schema patterns are searched; the
#: schema writes it as ``^...$`` and sortext compiles ``$`` as ``\\Z``).
SLUG_PATTERN = "[a-z0-9][a-z0-9-]*"
_SLUG = re.compile(SLUG_PATTERN)
_NOT_SLUG_CHARS = re.compile("[^a-z0-9]+")
#: Device names Windows reserves in every folder, with any extension (``con.md``,
#: ``aux.html``): such a file cannot be made on Windows, so a clone, OneDrive or a
#: Dropbox there could not hold the record.  ``con-2`` and ``com10`` are fine.
WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)


def is_slug(text: object) -> TypeGuard[str]:
    """True when ``text`` is a str matching the slug rule (whole value, length limit,
    not a Windows device name)."""
    return (
        isinstance(text, str)
        and len(text) <= MAX_SLUG
        and _SLUG.fullmatch(text) is not None
        and text not in WINDOWS_DEVICES
    )


def slug_problem(text: object) -> str | None:
    """Why ``text`` is not a slug (a sentence), or None when it is one."""
    if not isinstance(text, str):
        return f"must be text, not {type(text).__name__}"
    if len(text) > MAX_SLUG:
        return f"is {len(text)} characters long; the limit is {MAX_SLUG}"
    if _SLUG.fullmatch(text) is None:
        return (
            "may hold only lowercase letters a-z, digits and inner hyphens "
            "(no '/', '.', spaces or control characters), starting with a letter or digit"
        )
    if text in WINDOWS_DEVICES:
        return (
            f"is a device name Windows reserves ('{text}.md' cannot exist there, so no "
            "clone or synced copy on Windows could hold it): add to it, e.g. "
            f"'{text}-client'"
        )
    return None


def safe_stem(text: str) -> str:
    """A slug standing in for ``text``: ``text`` itself when it is one.

    Otherwise its letters and digits joined by hyphens, cut short, and followed
    by 8 hex digits of its hash so two different texts never share a stem
    (``"../../Victim"`` -> ``"victim-3f2a9c1d"``; ``""`` -> ``"x-e3b0c442"``).
    """
    if is_slug(text):
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    base = _NOT_SLUG_CHARS.sub("-", text.lower()).strip("-")[: MAX_SLUG - 9].strip("-")
    return f"{base or 'x'}-{digest}"


def implied_id(name: str) -> str:
    """The record id a file name implies (a record without an ``id:`` line has it):
    the base name without its ``.md`` (or a page's ``.html``), made a slug by
    :func:`safe_stem` (``clients/Ada Lovelace.md`` -> ``ada-lovelace-76740216``,
    ``clients/ada.md`` -> ``ada``).  Every id sortext derives from a file name (a
    name git lists, a path on disk) goes through here, as the record reader's does
    (:func:`sortext.check.load.load_record`)."""
    base = name.rsplit("/", 1)[-1]  # (a backslash is part of a POSIX file name)
    for suffix in (".md", ".html"):
        if base.endswith(suffix):
            return safe_stem(base[: -len(suffix)])
    return safe_stem(base)


def _under(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def confined_folder(root: Path, folder: Path) -> Path:
    """``folder`` when it resolves to a place under ``root`` (resolved); else UnsafePathError.

    A folder that does not exist yet is fine (its nearest existing parent decides).
    """
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(folder))
    if not _under(real, real_root):
        raise UnsafePathError(
            f"{folder}: leads outside the repository (to {real}); "
            "sortext reads and writes only inside it: replace the link with a real folder or file"
        )
    return folder


def linked_part(root: Path, rel: str) -> Path | None:
    """The first folder of ``rel`` (a path below ``root``, ``/``-separated) that is a
    symbolic link, as ``root / ...``; None when there is none (or it does not exist
    yet).  ``root`` itself may be reached through links: only what lies below it
    is looked at (one ``lstat`` per part)."""
    here = root
    for part in rel.split("/"):
        if part in ("", "."):
            continue
        here = here / part
        if part == "..":
            continue
        try:
            if stat.S_ISLNK(os.lstat(here).st_mode):
                return here
        except OSError:
            return None
    return None


def confined_path(
    folder: Path, slug: str, suffix: str = "", real_folder: str | None = None
) -> Path:
    """``folder / (slug + suffix)``, after checking the slug and where the path resolves.

    Raises UnsafePathError when ``slug`` is not a slug (see :func:`slug_problem`)
    or when the resolved path is not inside the resolved ``folder`` (a symlink
    pointing elsewhere).  ``real_folder``: ``os.path.realpath(folder)``, when the
    caller resolved it already (a build writing thousands of pages into one
    folder); then only the file itself is looked at (a slug names no folder, so
    a path that is not a symbolic link resolves to ``real_folder/name``).
    """
    why = slug_problem(slug)
    if why is not None:
        shown = repr(slug)[:80]
        raise UnsafePathError(f"{shown} cannot name a file: it {why}")
    path = folder / f"{slug}{suffix}"
    if real_folder is not None:
        try:
            if not stat.S_ISLNK(os.lstat(path).st_mode):
                return path
        except FileNotFoundError:
            return path
        except OSError:
            pass  # the full check below says what is wrong
    real_folder = real_folder or os.path.realpath(folder)
    real = Path(os.path.realpath(path))
    if not _under(real, Path(real_folder)):
        raise UnsafePathError(
            f"{path}: resolves outside {folder} (to {real}); refusing to write through the link"
        )
    return path


def slugify(name: str) -> str:
    """``Zoë O'Brien-Smith`` -> ``zoe-obrien-smith`` (lowercase ASCII, dashes).

    Names in any script are transliterated with ``anyascii`` (``Зоя Орлова``
    -> ``zoya-orlova``, ``王芳`` -> ``wangfang``); ``client`` only when
    nothing of the name has letters or digits; ``con-client`` for a name that
    would be a device name Windows reserves (``Con``).  At most ``MAX_SLUG - 6``
    characters, leaving room for a ``-N`` suffix, so the id is always a slug
    (:mod:`sortext.files.slug`) however long the name.
    """
    import unicodedata

    from anyascii import anyascii

    ascii_text = anyascii(unicodedata.normalize("NFC", name)).lower()
    ascii_text = re.sub(r"['\u2019`]", "", ascii_text)
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    slug = slug[: MAX_SLUG - 6].strip("-")
    if slug in WINDOWS_DEVICES:  # "Con" -> con-client: Windows cannot hold con.md
        slug = f"{slug}-client"
    return slug or "client"
