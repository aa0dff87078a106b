"""``build``: refresh the index, apply the rules, write NEXT.md and the site.

Same input, same bytes: pages depend only on the records, the config, the
templates and the "today" passed in.  Files are written atomically and only
when their content changed, so a rebuild after one edit touches the pages
that changed.  A client page is re-rendered only when its inputs changed
(file hash, today, templates, config); the keys live in the index.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sortext import __version__
from sortext.errors import StorageError
from sortext.repo import Repository

SITE_DIR = "site"
NEXT_NAME = "NEXT.md"
LIST_LIMIT = 50  # rows per section on a page; the CLI shows everything
PARALLEL_PAGES = 400  # render client pages in forked workers from this many
TEMPLATE_NAMES = ("NEXT.md.j2", "index.html.j2", "client.html.j2")


@dataclass(slots=True)
class BuildResult:
    """Repository-relative paths written, left unchanged, and removed."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    parsed: int = 0
    errors: int = 0


def write_if_changed(path: Path, data: bytes, durable: bool = True) -> bool:
    """Atomically replace ``path`` with ``data`` unless it already holds exactly that.

    ``durable`` fsyncs the file and its folder; client pages skip it (derived
    data, rebuilt on demand) so a cold build of thousands stays fast; the
    rename still guarantees a reader never sees a half-written page.
    """
    try:
        with open(path, "rb") as existing:
            if existing.read() == data:
                return False
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise StorageError(f"{path}: cannot read: {exc.strerror}") from exc
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(tmp, path)
        if durable:
            _fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StorageError(f"{path}: cannot write: {exc.strerror}") from exc
    return True


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def build(repo: Repository, today: dt.date) -> BuildResult:
    """Write ``NEXT.md``, ``site/index.html`` and ``site/clients/<id>.html`` for ``today``."""
    from sortext.dashboard import assemble, error_items
    from sortext.index import Index
    from sortext.render import environment, render, templates_fingerprint

    result = BuildResult()
    config = repo.config
    site = repo.root / SITE_DIR
    pages_dir = site / "clients"
    try:
        pages_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"{pages_dir}: cannot create: {exc.strerror}") from exc
    env = environment(repo.root)
    with Index.open(repo) as index:
        stats = index.refresh()
        result.parsed = stats.parsed
        rows = index.rows()
        rules_key = "|".join([today.isoformat(), config.fingerprint, __version__])
        assessed = _assessments(index, rows, rules_key, config, today)
        errors = error_items(index.entries_with_errors())
        board = assemble(assessed, errors, config, today)
        result.errors = len(board.errors)
        common = {
            "limit": LIST_LIMIT,
            "soon_days": config.threshold("due_soon_days"),
            "invoice_days": config.threshold("invoice_due_soon_days"),
        }
        paths = {r.record_id: r.path for r in rows}
        sections = [("overdue", "Overdue"), ("today", "Due today"),
                    ("soon", f"Due within {common['soon_days']} days"),
                    ("missing", "Open clients with no next action")]
        _emit(result, repo, repo.root / NEXT_NAME,
              render(env, "NEXT.md.j2", d=board, paths=paths, sections=sections, **common), True)
        _emit(result, repo, site / "index.html",
              render(env, "index.html.j2", d=board, **common), True)

        base_key = f"{rules_key}|{templates_fingerprint(repo.root, TEMPLATE_NAMES)}"
        old_keys = index.page_keys()
        new_keys: dict[str, str] = {}
        todo: list[tuple[Path, Any]] = []
        for row in rows:
            rel = f"{SITE_DIR}/clients/{row.record_id}.html"
            if rel in new_keys:
                continue  # a duplicate id: check reports it; the first file wins
            key = hashlib.sha256(
                f"{base_key}|{row.hash}|{row.stale}|{row.ok}|{row.has_diagnostics}".encode()
            ).hexdigest()
            new_keys[rel] = key
            target = repo.root / rel
            if old_keys.get(rel) == key and target.exists():
                result.unchanged.append(rel)
                continue
            todo.append((target, index.entry_at(row.path)))
        for target, written in _client_pages(env, config, today, todo, common):
            rel = target.relative_to(repo.root).as_posix()
            (result.written if written else result.unchanged).append(rel)
        gone = sorted(set(old_keys) - set(new_keys))
        for rel in gone:
            try:
                (repo.root / rel).unlink()
                result.removed.append(rel)
            except FileNotFoundError:
                pass
        index.set_page_keys({k: v for k, v in new_keys.items() if old_keys.get(k) != v}, gone)
    return result


def _assessments(
    index: Any, rows: list[Any], rules_key: str, config: Any, today: dt.date
) -> list[Any]:
    """Each usable record's assessment: from the index when its file and today are the
    same as last time, else computed (and stored) from the full record."""
    import json

    from sortext import rules

    stored = index.stored_assessments()
    out = []
    fresh: list[tuple[str, str, str]] = []
    keep: set[str] = set()
    for row in rows:
        if not row.usable:
            continue
        key = f"{rules_key}|{row.hash}|{row.stale}"
        keep.add(row.path)
        cached = stored.get(row.path)
        if cached is not None and cached[0] == key:
            out.append(rules.assessment_from_json(json.loads(cached[1]), row.summary))
            continue
        entry = index.entry_at(row.path)
        done = rules.assess(entry.record, config, today)
        fresh.append((row.path, key, json.dumps(rules.assessment_to_json(done))))
        out.append(rules.Assessment(row.summary, done.next, done.goals, done.findings))
    if fresh or len(keep) != len(stored):
        index.store_assessments(fresh, keep)
    return out


_job: tuple[Any, ...] | None = None  # what forked page renderers inherit


def _render_pages(span: tuple[int, int]) -> list[tuple[Path, bool]]:
    """Render and write the client pages ``todo[start:stop]`` (in this process)."""
    from sortext.dashboard import client_view

    assert _job is not None
    env, config, today, todo, common = _job
    template = env.get_template("client.html.j2")
    out = []
    for target, entry in todo[span[0] : span[1]]:
        view = client_view(entry.record, config, today, entry.diagnostics, entry.stale)
        text = template.render(c=view, **common)
        out.append((target, write_if_changed(target, text.encode("utf-8"), durable=False)))
    return out


def _client_pages(
    env: Any, config: Any, today: dt.date, todo: list[tuple[Path, Any]], common: dict[str, Any]
) -> list[tuple[Path, bool]]:
    """Render pages; a cold build of many forks workers (rendering is CPU-bound)."""
    global _job
    _job = (env, config, today, todo, common)
    try:
        workers = min(os.cpu_count() or 1, 8)
        if len(todo) < PARALLEL_PAGES or workers < 2:
            return _render_pages((0, len(todo)))
        import multiprocessing

        size = max(64, len(todo) // (workers * 4))
        spans = [(i, min(i + size, len(todo))) for i in range(0, len(todo), size)]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_render_pages, spans)
        return [item for part in parts for item in part]
    finally:
        _job = None


def _emit(result: BuildResult, repo: Repository, path: Path, text: str, durable: bool) -> None:
    rel = path.relative_to(repo.root).as_posix()
    if write_if_changed(path, text.encode("utf-8"), durable):
        result.written.append(rel)
    else:
        result.unchanged.append(rel)
