"""Where an export may be written: never over a record or sortext's or git's own files.

One rule for every export a user or the configuration names (``export csv --out
FILE``, ``export client ID --out FOLDER``, ``exports:`` in sortext.yaml): a file
outside the repository is the user's own place; inside it, not in the clients
folder (``--out clients`` wrote the client's subject-access copy over their
record, ``clients/<id>.md``) and not in a top-level entry sortext or git keep
(``sortext.yaml``, ``erased.yaml``, ``.git/``, ``site/``...).  Names compare
case-folded: on a case-insensitive disk ``SORTEXT.YAML`` is ``sortext.yaml``.
"""

from __future__ import annotations

import os
from pathlib import Path

from sortext.repo import Repository

#: Top-level entries of a records repository an export would replace (casefolded);
#: besides these, every dot-entry (``.git``, ``.sortext``, ``.githooks``...).
OWN_ENTRIES = frozenset(
    {"sortext.yaml", "erased.yaml", "next.md", "site", "templates", "inbox", "inbox.md"}
)
IN_CLIENTS = "is in the clients folder, where a file is a record (or is read as one)"


def output_problem(repo: Repository, target: Path) -> str | None:
    """Why an export may not be written to ``target`` (a file, or a folder an export
    writes files into), or None when it may.  Links are followed (``resolve``) as the
    write would follow them; ``target`` need not exist."""
    root = repo.root.resolve()
    path = target.resolve()
    if path == root:
        return "is the repository itself"
    if root not in path.parents:
        return None
    rel = str(path.relative_to(root)).casefold()
    clients = repo.clients_path.resolve()
    if root in clients.parents:
        inside = str(clients.relative_to(root)).casefold()
        if rel == inside or rel.startswith(inside + os.sep):
            return IN_CLIENTS
    first = path.relative_to(root).parts[0]
    if first.startswith(".") or first.casefold() in OWN_ENTRIES:
        return (
            f"{first} is sortext's or git's own (the configuration, the erasures, hooks, "
            "pages, templates, the inbox): an export would replace it; write it to a "
            "folder of its own, like exports/"
        )
    return None
