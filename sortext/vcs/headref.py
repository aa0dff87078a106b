"""HEAD's commit id read from git's ref files, for a cache key on a quick query's path.

A remembered answer that shows time in stage is valid for one HEAD (the
stage clock, :mod:`sortext.vcs.stagefacts`, is a function of it).  Starting
``git rev-parse HEAD`` or importing GitPython (:func:`sortext.vcs.git.head_commit`,
~60 ms) costs more than the rest of such a query, so this module reads the
files git itself reads: ``.git`` (a folder, or a file naming one, as in a
worktree), ``HEAD``, the loose ref, ``packed-refs``.  Anything it does not
fully understand (``GIT_DIR`` and friends in the environment, a reftable
repository, a ref that is neither loose nor packed) answers None: "cannot
tell", and the caller then does not use a remembered answer (or asks git:
:func:`sortext.vcs.git.head_from_files` is this reading, for callers that have
the git layer loaded anyway).  A test holds
it to ``git rev-parse HEAD`` on loose, packed, detached, worktree and
unborn repositories.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variables that change which repository or refs git reads.
_GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES")
_HEX = frozenset("0123456789abcdef")
NO_REPOSITORY = "-"
UNBORN = "unborn"


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(4096).strip()
    except (OSError, UnicodeDecodeError):
        return None


def _is_id(text: str) -> bool:
    return len(text) in (40, 64) and set(text) <= _HEX


def is_commit_id(text: str) -> bool:
    """Whether ``text`` is a full commit id (SHA-1 or SHA-256, lower-case hex), not one
    of :func:`head_id`'s markers."""
    return _is_id(text)


def _git_dir(root: Path) -> str | None:
    """The git folder for the work tree holding ``root``; '' outside git, None unsure."""
    here = os.path.abspath(root)  # a relative root would stop the walk up at the current folder
    while True:
        dotgit = os.path.join(here, ".git")
        if os.path.isdir(dotgit):
            return dotgit
        if os.path.isfile(dotgit):
            text = _read(dotgit)
            if text is None or not text.startswith("gitdir:"):
                return None
            target = text[len("gitdir:") :].strip()
            return os.path.normpath(os.path.join(here, target))
        parent = os.path.dirname(here)
        if parent == here:
            return ""
        here = parent


def rebase_in_progress(root: Path) -> bool:
    """Whether the work tree holding ``root`` is in the middle of a rebase (``git pull
    --rebase`` stopped on a conflict): its git folder holds ``rebase-merge`` or
    ``rebase-apply``.  Read from the files, no process; False when it cannot tell."""
    gitdir = _git_dir(root)
    if not gitdir:
        return False
    return any(os.path.isdir(os.path.join(gitdir, name)) for name in REBASE_DIRS)


#: The folders git keeps in the git folder while a rebase is stopped.
REBASE_DIRS = ("rebase-merge", "rebase-apply")

#: Said beside 'ours' and 'theirs' while a rebase is in progress (git swaps them).
REBASE_SIDES = (
    "note: a rebase is in progress (git pull --rebase): 'ours' is the commit being "
    "rebased onto (the other machine's), 'theirs' is your own commit being replayed"
)


def _packed(common: str, ref: str) -> str | None:
    try:
        with open(os.path.join(common, "packed-refs"), encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(("#", "^")):
                    continue
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref:
                    return parts[0] if _is_id(parts[0]) else None
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError):
        return None
    return ""


def _common(gitdir: str) -> str:
    """The folder shared by all worktrees (``commondir`` in a linked one's folder)."""
    pointer = _read(os.path.join(gitdir, "commondir"))
    return os.path.normpath(os.path.join(gitdir, pointer)) if pointer else gitdir


def common_dir(root: Path) -> str | None:
    """The common git folder of the repository holding ``root`` (where ``packed-refs``
    and ``shallow`` live); None outside git or when it cannot tell (as :func:`head_id`)."""
    if any(os.environ.get(name) for name in _GIT_ENV):
        return None
    gitdir = _git_dir(root)
    return _common(gitdir) if gitdir else None


def head_id(root: Path) -> str | None:
    """HEAD's commit id for the repository holding ``root``; :data:`UNBORN` before
    the first commit, :data:`NO_REPOSITORY` outside git, None when it cannot tell."""
    if any(os.environ.get(name) for name in _GIT_ENV):
        return None
    gitdir = _git_dir(root)
    if gitdir is None:
        return None
    if gitdir == "":
        return NO_REPOSITORY
    common = _common(gitdir)
    text = _read(os.path.join(gitdir, "HEAD"))
    for _ in range(5):  # a symbolic ref may point at another
        if text is None:
            return None
        if _is_id(text):
            return text
        if not text.startswith("ref:"):
            return None
        ref = text[4:].strip()
        if not ref.startswith("refs/") or ".." in ref or ref.endswith(".invalid"):
            return None
        # Per-worktree refs live in the worktree's folder, the others in the common one.
        base = gitdir if ref.startswith(("refs/bisect/", "refs/worktree/")) else common
        loose = _read(os.path.join(base, *ref.split("/")))
        if loose is not None:
            text = loose
            continue
        packed = _packed(common, ref)
        if packed is None:
            return None
        return packed or UNBORN
    return None


#: Environment variables that change which history git shows (replace refs ignored,
#: or read from another namespace): part of :func:`shallow_suffix`.
_HISTORY_ENV = ("GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE")
#: Environment variables that move the files :func:`shallow_suffix` reads
#: (``GIT_REPLACE_REF_BASE``: git's replace refs are under another prefix than
#: ``refs/replace/``, the one read here).
_MOVED_ENV = ("GIT_GRAFT_FILE", "GIT_SHALLOW_FILE", "GIT_REPLACE_REF_BASE")
_REPLACE = "refs/replace/"


def shallow_suffix(root: Path) -> str | None:
    """``""`` when the clone holding ``root`` shows its whole history as committed, else
    ``"~<digest>"`` of what bounds or rewrites it: git's ``shallow`` file (a shallow
    clone), ``info/grafts``, the replace refs (``refs/replace/``, loose or packed) and
    the variables that turn them off; None when it cannot tell (replace refs exist:
    whether they are honoured is git's configuration's say, see
    :func:`sortext.vcs.git.shallow_mark`).

    A shallow clone deepened (``git fetch --unshallow``) keeps HEAD but gains the past;
    ``git replace`` (``--graft``) keeps HEAD but changes the past git walks: whatever is
    derived from the history (the stage clock, "since last week") must be keyed by this
    as well as by HEAD."""
    import hashlib

    if any(os.environ.get(name) for name in _MOVED_ENV):
        return None  # the file git reads is elsewhere: git is asked (git.shallow_mark)
    common = common_dir(root)
    if common is None:
        return None
    digest = hashlib.sha256()
    found = False
    for name in ("shallow", os.path.join("info", "grafts")):
        try:
            with open(os.path.join(common, name), "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            continue
        except OSError:
            return None
        if data.strip():
            found = True
            digest.update(name.encode() + b"\0" + data + b"\0")
    replaced = _replace_refs(common)
    if replaced is None:
        return None
    if replaced:
        # whether git honours them is its configuration's say (core.useReplaceRefs in
        # any config file, an include, ``git -c`` handed down in GIT_CONFIG_PARAMETERS
        # or GIT_CONFIG_COUNT): git is asked (git.shallow_mark), never guessed here
        return None
    for variable in _HISTORY_ENV:
        value = os.environ.get(variable)
        if value is not None:
            found = True
            digest.update(f"{variable}={value}\0".encode("utf-8", "surrogateescape"))
    return "~" + digest.hexdigest()[:16] if found else ""


def _replace_refs(common: str) -> list[str] | None:
    """Each replace ref as ``"<ref> <id>"`` (loose ones override packed ones), sorted;
    None when they cannot be read."""
    refs: dict[str, str] = {}
    try:
        with open(os.path.join(common, "packed-refs"), encoding="utf-8") as handle:
            for line in handle:
                parts = line.split()
                if len(parts) == 2 and parts[1].startswith(_REPLACE):
                    refs[parts[1]] = parts[0]
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError):
        return None
    folder = os.path.join(common, *_REPLACE.rstrip("/").split("/"))
    for here, _, names in os.walk(folder):  # no folder: nothing walked
        for name in names:
            text = _read(os.path.join(here, name))
            if text is None:
                return None
            rel = os.path.relpath(os.path.join(here, name), common).replace(os.sep, "/")
            refs[rel] = text
    return sorted(f"{ref} {value}" for ref, value in refs.items())
