"""The invoice ids a practice has given: a new invoice's id must be none of them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sortext.files.write import folder_lock

if TYPE_CHECKING:
    from sortext.repo import Repository


@contextmanager
def numbering(repo: Repository) -> Iterator[None]:
    """Hold the practice's invoice-numbering lock (an ``flock`` on the repository
    folder, blocking) for the block: read the ids, pick one and write it inside it.

    Without it two ``sortext invoice`` runs at once (two clients, two terminals or
    an assistant over MCP) both read the ids before either wrote and both give the
    same next id.  The records' own writer lock is on ``clients/``, a different
    folder, so a checked write inside the block does not wait on this one.
    """
    with folder_lock(repo.root):
        yield


def other_invoice_ids(repo: Repository, record_id: str) -> list[object]:
    """The invoice ids of every record but ``record_id`` (from the refreshed index; the
    record being billed is read from its file by the edit itself).  Call it inside
    :func:`numbering` when the id picked from them is written."""
    from sortext.store.index import Index

    with Index.open(repo) as index:
        index.refresh()
        return [
            item.get("id")
            for record in index.records()
            if record.id != record_id
            for item in (record.data.get("invoices") or [])
            if isinstance(item, dict)
        ]
