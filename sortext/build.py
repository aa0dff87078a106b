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

from sortext import __version__
from sortext.errors import StorageError
from sortext.repo import Repository

SITE_DIR = "site"
NEXT_NAME = "NEXT.md"
LIST_LIMIT = 50  # rows per section on a page; the CLI shows everything
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
    from sortext import rules
    from sortext.dashboard import assemble, client_view
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
        entries = index.entries()
        records = [e.record for e in entries if e.record is not None and (e.ok or e.stale)]
        found = rules.findings(records, config, today)
        board = assemble(records, entries, config, today, found)
        result.errors = len(board.errors)
        common = {
            "limit": LIST_LIMIT,
            "soon_days": config.threshold("due_soon_days"),
            "invoice_days": config.threshold("invoice_due_soon_days"),
        }
        paths = {r.id: r.path for r in records}
        sections = [("overdue", "Overdue"), ("today", "Due today"),
                    ("soon", f"Due within {common['soon_days']} days"),
                    ("missing", "Open clients with no next action")]
        _emit(result, repo, repo.root / NEXT_NAME,
              render(env, "NEXT.md.j2", d=board, paths=paths, sections=sections, **common), True)
        _emit(result, repo, site / "index.html",
              render(env, "index.html.j2", d=board, **common), True)

        base_key = "|".join([today.isoformat(), templates_fingerprint(repo.root, TEMPLATE_NAMES),
                             config.fingerprint, __version__])
        old_keys = index.page_keys()
        new_keys: dict[str, str] = {}
        template = env.get_template("client.html.j2")
        for entry in entries:
            rec = entry.record
            if rec is None:
                continue
            rel = f"{SITE_DIR}/clients/{rec.id}.html"
            if rel in new_keys:
                continue  # a duplicate id: check reports it; the first file wins
            key = hashlib.sha256(
                f"{base_key}|{entry.hash}|{entry.stale}|{entry.ok}".encode()
            ).hexdigest()
            new_keys[rel] = key
            target = repo.root / rel
            if old_keys.get(rel) == key and target.exists():
                result.unchanged.append(rel)
                continue
            view = client_view(rec, config, today, entry.diagnostics, entry.stale)
            _emit(result, repo, target, template.render(c=view, **common), False)
        gone = sorted(set(old_keys) - set(new_keys))
        for rel in gone:
            try:
                (repo.root / rel).unlink()
                result.removed.append(rel)
            except FileNotFoundError:
                pass
        index.set_page_keys({k: v for k, v in new_keys.items() if old_keys.get(k) != v}, gone)
    return result


def _emit(result: BuildResult, repo: Repository, path: Path, text: str, durable: bool) -> None:
    rel = path.relative_to(repo.root).as_posix()
    if write_if_changed(path, text.encode("utf-8"), durable):
        result.written.append(rel)
    else:
        result.unchanged.append(rel)
