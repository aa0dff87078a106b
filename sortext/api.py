"""The public Python API: ``sortext.open(path)`` gives a :class:`Practice`.

For people who script around their records::

    import datetime as dt
    import sortext

    practice = sortext.open("~/practice")          # the folder holding sortext.yaml
    for record in practice.records():
        print(record.id, record.view.stage, len(record.view.sessions))
    for item in practice.next_actions(today=dt.date(2026, 3, 2)):
        print(item.status, item.due, item.name, item.what)

Everything here reads; nothing writes a record, the pages or git.  Answers
come from the same index and rules as the ``sortext`` commands, so they agree
with ``sortext next`` and the pages.  Errors are :mod:`sortext.errors` types
(all subclasses of :class:`~sortext.errors.SortextError`), never ``SystemExit``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sortext.check.load import Record
from sortext.errors import RecordNotFound
from sortext.record.diagnostics import Diagnostic
from sortext.record.model import RecordView
from sortext.repo import Repository
from sortext.rules.findings import Finding, NextAction

if TYPE_CHECKING:
    from sortext.vcs.history import HistoryEntry

__all__ = [
    "Diagnostic",
    "Finding",
    "NextAction",
    "Practice",
    "Record",
    "RecordView",
    "open",
]


def open(path: str | os.PathLike[str] | None = None) -> Practice:
    """Open the records repository at ``path`` (or the nearest one above it).

    ``path``: a folder holding ``sortext.yaml``, or any folder below one
    (``~`` is expanded); None means the current directory.
    Returns a :class:`Practice`.
    Raises :class:`~sortext.errors.RepoNotFound` when no ``sortext.yaml`` is
    found there or above, :class:`~sortext.errors.ConfigError` when it is not
    valid (the message gives ``path:line:col: field: message``).
    """
    from sortext.repo import open_repository

    start = Path(path).expanduser() if path is not None else None
    return Practice(open_repository(start))


@dataclass(frozen=True, slots=True)
class Practice:
    """One records repository (a practice's clients), opened by :func:`open`.

    ``root`` is the folder holding ``sortext.yaml``.  Each method refreshes the
    index first (it re-reads only files whose size or time changed), so the
    answers follow edits made meanwhile.
    """

    repository: Repository

    @property
    def root(self) -> Path:
        """The folder holding ``sortext.yaml`` (absolute)."""
        return self.repository.root

    def records(self) -> list[Record]:
        """Every client record, sorted by id.

        Each :class:`~sortext.check.load.Record` has ``id``, ``path`` (relative
        to :attr:`root`, e.g. ``clients/amara-okafor.md``), ``data`` (the front
        matter as JSON values), ``body`` (the Markdown notes) and ``view`` (the
        typed, read-only :class:`~sortext.record.model.RecordView`).  A file
        that does not validate appears with its last valid version, or not at
        all if it never validated: see :meth:`diagnostics`.
        Raises :class:`~sortext.errors.StorageError` when the index cannot be
        written (a read-only folder).
        """
        from sortext.store.index import Index

        with Index.open(self.repository) as index:
            index.refresh()
            found = index.records()
        return sorted(found, key=lambda r: r.id)

    def record(self, record_id: str) -> Record:
        """The record with this id (see :meth:`records` for its shape).

        Raises :class:`~sortext.errors.RecordNotFound` when no record has it.
        """
        for record in self.records():
            if record.id == record_id:
                return record
        raise RecordNotFound(f"no client '{record_id}' in {self.repository.clients_path}")

    def today(self) -> dt.date:
        """The practice's today: the date in ``timezone:`` of ``sortext.yaml`` (the
        local date when it names none) at the clock's instant (``SORTEXT_NOW``, else
        the system's), the day every command takes when not given ``--today``.
        ``SORTEXT_TODAY`` is the CLI's and is not read here: pass ``today``."""
        from sortext.vcs.midnight import practice_day

        return practice_day(self.repository.config.timezone)

    def next_actions(self, today: dt.date | None = None) -> list[NextAction]:
        """Every client's next action relative to ``today`` (default: :meth:`today`),
        in the order of ``sortext next``: overdue, today, soon, missing, later.

        Each :class:`~sortext.rules.findings.NextAction` gives ``id``, ``name``,
        ``what``, ``owner``, ``due`` (ISO date text or None), ``status``,
        ``days`` (due minus today, in days; negative when overdue) and ``path``.
        """
        from sortext.rules.findings import next_actions

        return next_actions(self.records(), self.repository.config, today or self.today())

    def findings(self, today: dt.date | None = None) -> list[Finding]:
        """Everything the rules say needs attention on ``today`` (default:
        :meth:`today`), most severe and soonest first.

        Each :class:`~sortext.rules.findings.Finding` gives ``record_id``,
        ``name``, ``kind`` (e.g. ``invoice_overdue``), ``level`` (``error``,
        ``warning`` or ``info``), ``reason`` (one line), and where they apply
        ``due`` (ISO date), ``owner``, ``amount`` and ``currency``.  The stale-stage
        rule counts time in stage from git when the repository has history.
        """
        from sortext.rules.findings import findings
        from sortext.views.stagetime import stage_since_map

        records = self.records()
        since = stage_since_map(self.repository, records)
        return findings(records, self.repository.config, today or self.today(), since)

    def diagnostics(self) -> list[Diagnostic]:
        """The problems of every record file (what ``sortext check`` reports for
        single files): each has ``path``, ``line``, ``column``, ``field``,
        ``message`` and ``severity``; empty when every file is valid."""
        from sortext.store.index import Index

        with Index.open(self.repository) as index:
            index.refresh()
            return index.diagnostics()

    def history(self, record_id: str, field: str | None = None) -> list[HistoryEntry]:
        """The field-level history of one client from git, oldest first, following
        renames (what ``sortext history`` prints).

        ``field``: only changes to this dotted field path and what is inside it
        (e.g. ``billing`` or ``next_action.due``).  Each entry gives ``date``,
        ``commit``, ``author``, ``field``, ``old``, ``new`` and ``kind``.
        Raises :class:`~sortext.errors.RecordNotFound` when the record's file
        was never committed, :class:`~sortext.errors.GitError` when git fails
        (e.g. the folder is not a git repository).
        """
        from sortext.vcs.history import client_history

        return client_history(self.repository, record_id, field)
