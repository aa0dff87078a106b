"""Branch names sortext.yaml may give (``pages.branch``, ``pages.from``,
``backup.branch``): git's ref-name rules, said plainly.

A name is usable when ``git check-ref-format --branch NAME`` accepts it and it
keeps to letters, digits, ``.``, ``_``, ``/`` and ``-`` starting with a letter or
digit (each name goes on git's command line, so never a ``-`` first: an option).
"""

from __future__ import annotations

import re

#: The pages branch when ``pages.branch`` is not given.
PAGES_BRANCH = "sortext-pages"
#: What the config schema's pattern says of a branch name.
BRANCH_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._/-]*$"
_OTHER = re.compile(r"[^A-Za-z0-9._/-]")


def branch_problem(name: str) -> str | None:
    """Why ``name`` cannot be a branch name, or None when it can.

    The rules of ``git check-ref-format --branch`` (git-check-ref-format(1)):
    no ``..``, no ``//``, no ``/`` first or last, no part starting with ``.`` or
    ending with ``.lock``, no ``.`` last, not ``HEAD``; and sortext's own: only
    letters, digits, ``.``, ``_``, ``/``, ``-`` (so no blank, control character,
    ``~^:?*[\\``, ``@{``), a letter or digit first."""
    if not name:
        return "a branch name cannot be empty"
    other = _OTHER.search(name)
    if other is not None:
        char = other.group()
        shown = repr(char) if char.isprintable() and char != " " else f"U+{ord(char):04X}"
        return f"{shown} cannot be in a branch name: use letters, digits, '.', '_', '/', '-'"
    if name.startswith("-"):
        return "a branch name cannot start with '-' (git would read it as an option)"
    if ".." in name:
        return "a branch name cannot hold '..'"
    if "//" in name:
        return "a branch name cannot hold '//'"
    if name.startswith("/") or name.endswith("/"):
        return "a branch name cannot start or end with '/'"
    if name.endswith("."):
        return "a branch name cannot end with '.'"
    for part in name.split("/"):
        which = f" ('{part}')" if part != name else ""
        if part.startswith("."):
            return f"a branch name or a part of it cannot start with '.'{which}"
        if part.endswith(".lock"):
            return f"a branch name or a part of it cannot end with '.lock'{which}"
    if name == "HEAD":
        return "HEAD is not a branch name"
    if not name[0].isascii() or not name[0].isalnum():
        return "a branch name starts with a letter or a digit"
    return None
