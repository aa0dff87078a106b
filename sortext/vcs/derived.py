"""Every store of derived data sortext keeps beside the records, in one registry.

Derived data copies what the records hold (a client's name, next action, notes
words, invoices): the index and caches under ``.sortext/``, the pages in the
working tree and on their own branch, the configured exports, the private git
indexes the watcher and the pages publisher keep in the git directory.  Anything
that must reach *every* copy of a client (``sortext erase``, ``sortext
anonymise``) walks :data:`STORES` instead of naming places one by one, so a new
store is one entry here; ``tests/test_breakerase9.py`` fails when sortext writes
a file that no entry claims.

Each store says where it lives and what reaches it: ``delete`` (rebuilt on
demand from the records), ``rebuild`` (written again from the records at once:
the pages, the exports, the pages branch, whose old history would otherwise keep
the client's field values under another name) or ``keep`` (holds no record
data: the watcher's lock, a pid).
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from sortext.files.state import StateDir
from sortext.repo import Repository
from sortext.vcs import git

Place = Literal["tree", "git-dir", "exports", "branch"]
Remedy = Literal["delete", "rebuild", "keep"]


@dataclass(frozen=True, slots=True)
class Store:
    """One store of derived data.

    ``place``: ``tree`` (``pattern`` matches the first part of a path relative
    to the repository's root), ``git-dir`` (``pattern`` matches a name directly
    in the git directory), ``exports`` (the files ``exports:`` in sortext.yaml
    names) or ``branch`` (the pages branch, ``pages:`` in sortext.yaml).
    ``remedy``: what erasing a client does to it."""

    what: str
    place: Place
    pattern: str
    remedy: Remedy


STORES: tuple[Store, ...] = (
    Store("index, caches, kept replies, watcher state and log", "tree", StateDir.FOLDER, "delete"),
    Store("the pages (NEXT.md)", "tree", "NEXT.md", "rebuild"),
    Store("the pages (site/)", "tree", "site", "rebuild"),
    Store("the configured exports", "exports", "", "rebuild"),
    Store("the pages branch", "branch", "", "rebuild"),
    Store("the watcher's private commit index", "git-dir", "sortext-index-*", "delete"),
    Store("bytes on their way into git", "git-dir", "sortext-blob-*", "delete"),
    Store("the pages' private index", "git-dir", "sortext-pages-index*", "delete"),
    Store("the watcher's lock (a pid)", "git-dir", "sortext-watch.pid", "keep"),
    # the client's values and sentences until an erase of theirs verifies clean (then
    # deleted): what lets it finish (sortext.vcs.erasepending); never committed or pushed
    Store("an unfinished erase", "git-dir", "sortext-erase-*.json", "keep"),
)


def export_paths(repo: Repository) -> list[str]:
    """The files ``exports:`` in sortext.yaml names, repository-relative (``/``)."""
    section = repo.config.raw.get("exports") or {}
    if not isinstance(section, dict):
        return []
    return [PurePosixPath(os.path.normpath(str(name))).as_posix() for name in section]


def registered(repo: Repository, rel: str, in_git_dir: bool = False) -> Store | None:
    """The store a file belongs to: ``rel`` relative to the repository's root (``/``
    separated) or, with ``in_git_dir``, a name directly in the git directory; None
    when no store claims it."""
    first = rel.split("/", 1)[0]
    for store in STORES:
        if in_git_dir and store.place == "git-dir" and fnmatch.fnmatchcase(rel, store.pattern):
            return store
        if in_git_dir:
            continue
        if store.place == "tree" and fnmatch.fnmatchcase(first, store.pattern):
            return store
        if store.place == "exports" and rel in export_paths(repo):
            return store
    return None


def delete_stores(root: Path) -> list[str]:
    """Delete every store whose remedy is ``delete`` (the working tree's and the git
    directory's); the names removed, for the report (git-dir ones as ``.git/<name>``).

    Call it only while no watcher runs (its private index would come back)."""
    removed: list[str] = []
    gitdir = git.git_dir(root)
    for store in STORES:
        if store.remedy != "delete":
            continue
        if store.place == "tree":
            for found in sorted(root.glob(store.pattern)):
                folder = found.is_dir() and not found.is_symlink()
                _remove(found)
                removed.append(found.name + ("/" if folder else ""))
        elif store.place == "git-dir":
            for found in sorted(gitdir.glob(store.pattern)):
                _remove(found)
                removed.append(f".git/{found.name}")
    return removed


def _remove(path: Path) -> None:
    """Remove ``path``: a folder with everything in it (never through a link: a link
    is removed itself), or a file."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def pages_refs(root: Path, repo: Repository) -> list[str]:
    """The pages branch (``pages:`` in sortext.yaml; the default name when publishing is
    off: a branch published before) and every remote-tracking copy of it: the refs
    whose whole history is derived, deleted and written again, not rewritten."""
    from sortext.errors import ConfigError
    from sortext.vcs.pages import DEFAULT_BRANCH, PagesSettings

    try:
        branch = PagesSettings.from_config(repo.config.raw.get("pages")).branch
    except ConfigError:
        return []
    branch = branch or DEFAULT_BRANCH
    refs = git.text(root, "for-each-ref", "--format=%(refname)").splitlines()
    return [
        ref
        for ref in refs
        if ref == f"refs/heads/{branch}"
        or (ref.startswith("refs/remotes/") and ref.split("/", 3)[3:] == [branch])
    ]


def pages_tags(root: Path, repo: Repository) -> list[str]:
    """The tags whose commit lies only in the pages branch's history (``pages_refs``),
    not in any other branch's: a tag of derived data.  A history rewrite would keep
    the old pages (every client's next actions, invoices, goals) alive through it, so
    erase deletes it with the branch instead of rewriting it."""
    pages = pages_refs(root, repo)
    if not pages:
        return []
    heads = git.text(root, "for-each-ref", "--format=%(refname)", "refs/heads/").splitlines()
    others = [f"^{h}" for h in heads if h and h not in pages]
    only = set(git.text(root, "rev-list", *pages, *others, "--").split())
    if not only:
        return []
    out = git.text(root, "for-each-ref", "--format=%(refname) %(*objectname) %(objectname)")
    found = []
    for line in out.splitlines():
        parts = line.split()
        if not parts or not parts[0].startswith("refs/tags/"):
            continue
        target = parts[1] if len(parts) == 3 else parts[-1]  # peeled when annotated
        if target in only:
            found.append(parts[0])
    return found


def linked_stores(root: Path) -> list[tuple[str, str]]:
    """The stores of the working tree that erase deletes (``place`` ``tree``, ``remedy``
    ``delete``: ``.sortext``) and that are a link: ``(name, where it leads)``.  Erase
    deletes a store's files, never through a link
    (it could lead anywhere: a home folder, the clients folder), so the derived data at
    the link's target (an index holding every client's notes) would survive it."""
    found: list[tuple[str, str]] = []
    for store in STORES:
        if store.place != "tree" or store.remedy != "delete":
            continue
        for path in sorted(root.glob(store.pattern)):
            if path.is_symlink():
                found.append((path.name, os.path.realpath(path)))
    return found


def linked_store_problem(root: Path) -> str | None:
    """Why an erase must not start in the repository at ``root`` when a store it
    deletes is a link (:func:`linked_stores`), naming where each leads; None otherwise."""
    found = linked_stores(root)
    if not found:
        return None
    name, target = found[0]
    return (
        f"{name} is a link to {target}: erase deletes the derived data of a client, "
        "never through a link, and the files there (the index holds every client's "
        "notes) would keep the client. Check that the folder is sortext's own "
        "(index.sqlite, watch.log, replies/...), delete it and the link (sortext makes a "
        f"fresh {name} folder), then erase"
    )
