"""Render the pages for the daemon: ``sortext.pages.build`` plus configured exports.

``build`` is itself incremental (the index re-parses only files whose stat
changed; a client page is re-rendered only when its inputs changed; files
are replaced only when their bytes differ), so one call serves both a full
rebuild and a single save; on a save it is told which record files changed,
so it does not stat the others.  It returns the pages it wrote or removed: those
go into the same commit as the record.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sortext.daemon.pipeline import NoPages, Renderer
from sortext.repo import Repository

if TYPE_CHECKING:
    from sortext.check.load import Preparsed

log = logging.getLogger("sortext.watch")


class PagesRenderer:
    """NEXT.md, site/index.html, site/clients/<id>.html, then the exports."""

    keeps_index = True  # every batch refreshes the index (queries may trust it)

    def rebuild(self, repo: Repository, today: dt.date) -> list[Path]:
        return self._build(repo, today, None)

    def update(
        self,
        repo: Repository,
        records: Sequence[Path],
        today: dt.date,
        ready: Preparsed | None = None,
    ) -> list[Path]:
        return self._build(repo, today, records, ready)

    def _build(
        self,
        repo: Repository,
        today: dt.date,
        records: Sequence[Path] | None,
        ready: Preparsed | None = None,
    ) -> list[Path]:
        from sortext.pages.build import build

        result = build(repo, today, records, ready)
        for warning in result.warnings:
            log.warning("%s", warning)
        paths = [repo.root / p for p in (*result.written, *result.removed)]
        paths.extend(self._exports(repo, today))
        return paths

    @staticmethod
    def _exports(repo: Repository, today: dt.date) -> list[Path]:
        """One-way exports (calendar, spreadsheet), when that module is installed."""
        try:
            module = importlib.import_module("sortext.io.export")
        except ImportError:
            return []
        write = getattr(module, "write_configured_exports", None)
        if write is None:
            return []
        try:
            written = write(repo, today, index_fresh=True)
        except Exception as exc:  # an export must never stop commits
            log.warning("exports not written: %s", exc)
            return []
        if not written:
            return []
        return [p if isinstance(p, Path) else repo.root / str(p) for p in written]


def default_renderer() -> Renderer:
    """The page builder when this installation has it, else validation + commits only."""
    try:
        importlib.import_module("sortext.pages.build")
    except ImportError:
        return NoPages()
    return PagesRenderer()
