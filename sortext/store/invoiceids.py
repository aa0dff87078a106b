"""The invoice ids a practice has given: a new invoice's id must be none of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sortext.repo import Repository


def other_invoice_ids(repo: Repository, record_id: str) -> list[object]:
    """The invoice ids of every record but ``record_id`` (from the refreshed index; the
    record being billed is read from its file by the edit itself)."""
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
