"""``build``: refresh the index, apply the rules, write NEXT.md and the site.

Same input, same bytes: pages depend only on the records, the config, the
templates, the "today" passed in and (the "since last week" section) the git
history up to that day.  Files are written atomically and only
when their content changed, so a rebuild after one edit touches the pages
that changed.  A client page is re-rendered only when its inputs changed
(file hash, today, templates, config); the keys live in the index.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import sqlite3
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sortext.errors import StorageError, UnsafePathError
from sortext.files.slug import (
    MAX_SLUG,
    SLUG_PATTERN,
    confined_folder,
    confined_path,
    is_slug,
    linked_part,
)
from sortext.files.state import StateDir
from sortext.files.write import (
    TEMP_MARKER,
    pid_alive,
    publish_folder,
    temp_path,
    temp_writer,
    write_if_changed,
    write_new,
)
from sortext.pages.plain import ClientPages, page_renderer
from sortext.repo import Repository

if TYPE_CHECKING:  # imported where used: a build loads Jinja2 and the index lazily
    import jinja2

    from sortext.check.load import Preparsed, Record
    from sortext.record.diagnostics import Diagnostic
    from sortext.schema.config import Config
    from sortext.store.board import Rows
    from sortext.store.index import FileRow, Index
    from sortext.views.weekly import WeeklyChanges

SITE_DIR = "site"
NEXT_NAME = "NEXT.md"
LIST_LIMIT = 50  # rows per section on a page; the CLI shows everything
PARALLEL_PAGES = 400  # render client pages in forked workers from this many
TEMPLATE_NAMES = ("NEXT.md.j2", "index.html.j2", "client.html.j2", "owner.html.j2")
OMITTED = ":omitted"  # a page key's suffix: the record's consent keeps it off the pages
BUILD_KEY = "build_key"  # meta: the rules and templates key of the last finished build
BUILD_HEAD = "build_head"  # meta: the git HEAD the last finished build's stage clock came from
PAGES_STAMP = "pages_stamp"  # meta: site/clients as the last finished build left it
#: meta: the index's record generation (Index.generation) the last finished build's
#: pages were planned from; "" when another command stored records during that build
BUILD_GENERATION = "build_generation"
#: meta: :data:`sortext.store.board.QUERY_STORES` as the last finished build read it
#: before planning (a query that stored another day's assessments since moved it)
BUILD_QUERY_STORES = "build_query_stores"
#: meta: what the summary pages (NEXT.md, site/index.html, site/owners/) were last
#: rendered from and the bytes then on disk (see :func:`_summary_key`); "" or missing
#: when they must be rendered
SUMMARY_KEY = "summary_key"
# What every page template gets besides its view model: the list limit and the
# due-soon thresholds in days (``limit``, ``soon_days``, ``invoice_days``).
Context = dict[str, int]


@dataclass(slots=True)
class BuildResult:
    """Repository-relative paths written, left unchanged, and removed; ``unchanged_pages``:
    how many more client pages were left unchanged without being listed (a build that
    looked only at the changed files counts the others: listing 30,000 cost ~20 ms)."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged_pages: int = 0
    parsed: int = 0
    errors: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Job:
    """What one record needs: its assessment stored under ``assess_key``, its page
    written to ``page`` (either may be None: nothing to do there)."""

    path: str
    assess_key: str | None
    page: Path | None


def build(
    repo: Repository,
    today: dt.date,
    changed: Sequence[Path] | None = None,
    ready: Preparsed | None = None,
) -> BuildResult:
    """Write ``NEXT.md``, ``site/index.html`` and ``site/clients/<id>.html`` for ``today``.

    Only records whose file, day, config or templates changed are assessed and
    get their page rendered (in forked workers when there are many); the two
    summary pages are rendered from the assessments the index keeps.
    ``changed`` (record files, from a caller that watches them) limits the look
    for changed files to those; without it every record file's stat is compared.
    ``ready`` (display path -> bytes read and their LoadResult, from the watcher)
    are records already parsed: the index reuses them while the files hold those bytes.
    """
    site = confined_folder(repo.root, repo.root / SITE_DIR)
    # Each folder a build writes into or deletes from, not only site/: a
    # site/clients or site/owners that is a link leaving the repository would
    # take the pages there and the stale-page removal would delete files there.
    pages_dir = confined_folder(repo.root, site / "clients")
    confined_folder(repo.root, site / "owners")
    for folder in (site, site / "clients", site / "owners"):
        if os.path.lexists(folder) and not os.path.isdir(folder):
            raise StorageError(
                f"{folder.relative_to(repo.root).as_posix()}: is a file, not a folder; the "
                "build writes the pages there: move the file away (nothing there is "
                "read: the pages are made from the records)"
            )
    # ... nor a link at all, even one leading inside the repository (site -> clients:
    # the pages and the stale-page removal in the records folder), as for clients_dir
    for rel in (f"{SITE_DIR}/clients", f"{SITE_DIR}/owners"):
        linked = linked_part(repo.root, rel)
        if linked is not None:
            raise UnsafePathError(
                f"{linked.relative_to(repo.root).as_posix()}: is a symbolic link; the pages "
                "are written only into folders of their own: delete the link (the build "
                "makes the folder) or replace it with a folder"
            )
    staging = _Staging.start(repo.root, site, pages_dir)
    try:
        return _build(repo, today, changed, ready, pages_dir, staging)
    finally:
        if staging is not None:
            staging.discard()  # a build that failed before its pages were published


def _build(
    repo: Repository,
    today: dt.date,
    changed: Sequence[Path] | None,
    ready: Preparsed | None,
    pages_dir: Path,
    staging: _Staging | None,
) -> BuildResult:
    from sortext.pages.render import environment, templates_fingerprint
    from sortext.store import board
    from sortext.store import clock as clockstore
    from sortext.store.index import PARALLEL_THRESHOLD, Index
    from sortext.store.pagekeys import page_keys

    result = BuildResult()
    config = repo.config
    # resolved once: each page then costs an lstat (the staging folder, when there is
    # one, is renamed to this path: the pages' real path is the same)
    real_pages = os.path.realpath(pages_dir)
    written_into = pages_dir if staging is None else staging.folder
    if staging is None:
        try:
            pages_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"{pages_dir}: cannot create: {exc.strerror}") from exc
    made: list[jinja2.Environment] = []

    def env() -> jinja2.Environment:
        """The template environment, made when first needed (a build that renders
        nothing never imports Jinja)."""
        if not made:
            made.append(environment(repo.root, StateDir(repo.root).template_cache))
        return made[0]

    common = {
        "limit": LIST_LIMIT,
        "soon_days": config.threshold("due_soon_days"),
        "invoice_days": config.threshold("invoice_due_soon_days"),
    }
    rules_key = board.rules_key(today, config)
    base_key = f"{rules_key}|{templates_fingerprint(repo.root, TEMPLATE_NAMES)}"
    owned = _owned_digests(config)
    # What the last build must have been built under for a list of changed files to
    # suffice: the same rules, templates and owners' sources (sources/*.json).
    build_mark = base_key if not owned else f"{base_key}|owned:{_digest_of(owned)}"
    with Index.open(repo) as index:
        names = _record_names(repo, changed)
        generation = index.generation()
        query_stores = board.query_stores(index.conn)
        behind = (
            index.meta(BUILD_GENERATION) != str(generation)
            or index.meta(BUILD_QUERY_STORES) != query_stores
        )
        if behind:
            # Another command stored or removed records since the last build finished (a
            # query's refresh), or stored assessments for its own day (list --at-risk):
            # the index holds them, so no stat pass or list of changed files says which
            # pages are behind; every record is planned.
            names = None
        if names is not None and index.meta(BUILD_KEY) is None:
            # No build finished on this index (new, emptied, or its layout changed): it
            # may hold only some records, so a list of changed files cannot be trusted.
            names = None
        head = _head(repo)
        looked = (
            names is None and not behind and _same_as_last_build(index, build_mark, head, pages_dir)
        )
        if looked:
            # Only record files can have changed since the last build (same rules,
            # templates, sources, stage clock; no page added or removed by hand): one
            # stat pass says which, and only their records are planned.  Made even
            # while a watcher vouches for its index: a record hard-linked elsewhere
            # and edited through the other name raised no event the watcher saw, and
            # a build must show what the files hold (~25 ms at 10,000 records).
            names = index.stat_changes()
        clock = _stage_clock(repo, index, names)
        if names is None or len(names) >= PARALLEL_THRESHOLD:
            # records may be parsed in forked workers: loaded once here, inherited by them
            # (a few files are parsed in this process, which loads it if one is parsed)
            page_renderer(env())
        fresh = _FreshRecords(
            repo.root, env, config, today, common, rules_key, base_key, clock, real_pages
        )
        fresh.owned = owned
        fresh.staging = None if staging is None else staging.folder
        # Until this build finishes, the next one plans every record (this one may stop
        # after the refresh stored new files and before their pages were redone).
        index.set_meta(PAGES_STAMP, "")
        folder = repo.relative(repo.clients_path).rstrip("/")
        changed_paths = [f"{folder}/{name}" for name in names or ()]
        # Records whose time in stage a clock stored since the last build moved (a commit
        # made outside this build: their files unchanged) are redone with the changed.
        moved = clockstore.moved(index.conn)
        ids_before = index.record_ids(changed_paths) | (moved or set())
        # The summary pages as rendered before this build, if current: with the rows of
        # the records it may change, compared after it stored them (see _reusable).
        sources = _SummarySources(repo, index, build_mark, head, common, today)
        before = (
            _Before.take(sources, changed_paths, ids_before)
            if names is not None
            and not behind
            and moved is not None
            and index.meta(BUILD_KEY) == build_mark
            else None
        )
        if names is None:  # every file is looked at: maybe parsed in forked workers
            _import_record_work()
        stats = index.refresh(fresh, names, ready)
        # the generation this build's plan covers: only if no other command stored
        # records between the reading above and the end of this refresh
        mine = generation + (1 if stats.parsed or stats.removed else 0)
        planned = str(mine) if index.generation() == mine else ""
        result.parsed = stats.parsed
        result.written.extend(fresh.written)
        result.unchanged.extend(fresh.unchanged)
        result.removed.extend(fresh.removed)
        if (
            names is not None
            and not behind
            and not stats.rebuilt
            and moved is not None
            and index.meta(BUILD_KEY) == build_mark
        ):
            # Nothing but these files changed since the last build: only the records
            # holding their ids (before and after) can need work.
            ids = ids_before | index.record_ids(changed_paths)
            rows = index.rows(ids)
            assessed = board.keys(index.conn, [r.path for r in rows] + changed_paths)
            old_keys = page_keys(index.conn, (f"{SITE_DIR}/clients/{rid}.html" for rid in ids))
            present = {f"{rid}.html" for rid in ids if (written_into / f"{rid}.html").exists()}
            listed: set[str] = set()
            narrowed = True
        else:
            narrowed = False
            rows = index.rows()
            assessed = board.keys(index.conn)
            old_keys = page_keys(index.conn)
            present = listed = set(os.listdir(written_into))
        plan = _plan(
            repo,
            rows,
            assessed,
            old_keys,
            present,
            rules_key,
            base_key,
            set(fresh.written) | set(fresh.unchanged),
            result,
            clock,
            owned,
            real_pages,
        )
        forgotten = sorted(set(assessed) - plan.usable)
        quiet = not (plan.jobs or forgotten or stats.parsed or stats.removed or stats.rebuilt)
        with index.conn:
            if not quiet:  # the board changes: the summary pages are rendered again
                index.conn.execute("DELETE FROM meta WHERE key = ?", (SUMMARY_KEY,))
            if len(plan.jobs) > board.COUNT_DELTA_LIMIT:
                # many records redone (a cold build, a new day): their batches do not
                # keep the lists' counts one by one; counted once below instead
                board.drop_counts(index.conn)
            board.forget(index.conn, forgotten)
            board.forget_day(index.conn, forgotten)
            if plan.jobs:  # loaded before the workers fork: each inherits it
                page_renderer(env())
            jobs = (
                _run_jobs(index, env(), config, today, plan.jobs, common, clock, fresh.staging)
                if plan.jobs
                else iter(())
            )
            for batch in jobs:
                stored_rows = [stored for stored, _ in batch if stored is not None]
                board.store(index.conn, stored_rows)
                board.store_day(index.conn, stored_rows)
                for _, page_done in batch:
                    if page_done is not None:
                        target, written = page_done
                        rel = target.relative_to(repo.root).as_posix()
                        if written is None:  # withheld by consent: no page
                            plan.page_keys[rel] += OMITTED
                            _drop_page(target, rel, result)
                        else:
                            (result.written if written else result.unchanged).append(rel)
            board.keep_counts(index.conn)  # no-op while kept: the pages read them
        if staging is not None:  # every client page is written: all appear at once
            staging.publish()
        # read before rendering: a query storing meanwhile moves what the next build reads
        summary_key = _summary_key(sources)
        kept_text = index.meta(SUMMARY_KEY)
        if not (quiet and _summary_kept(repo, kept_text, summary_key, result)):
            warned = len(result.warnings)
            reuse = (
                None
                if before is None
                or stats.rebuilt
                or planned != str(index.generation())
                or board.query_stores(index.conn) != query_stores
                else before.reusable(repo, index, changed_paths, ids_before, result)
            )
            if reuse is None or reuse.owner_pages is None:
                emitted = _summary_pages(
                    repo,
                    index,
                    env(),
                    today,
                    common,
                    result,
                    head,
                    None if reuse is None else reuse.kept,
                )
            else:  # nothing any summary page reads changed: all as they were
                emitted = reuse.owner_pages
            _keep_summary(index, summary_key, emitted, result, warned)
        result.written = [p for p in result.written if p not in result.removed]
        gone = sorted(set(old_keys) - set(plan.page_keys))
        # A full look also removes the client pages no record names that no page key
        # names either (the index emptied by a schema change, erasure or damage while a
        # record file was deleted or renamed): a cold build never writes them.
        orphans = {f"{SITE_DIR}/clients/{name}" for name in listed} - set(plan.page_keys)
        for rel in [*gone, *sorted(orphans - set(gone))]:
            if _page_id(rel) is None:
                continue  # not a page this build names (an old index's key): leave it
            if rel in orphans and (repo.root / rel).is_dir():
                continue  # a folder named like a page: not one this build wrote
            try:
                (repo.root / rel).unlink()
                result.removed.append(rel)
            except FileNotFoundError:
                pass
        with index.conn:
            changed_keys = {k: v for k, v in plan.page_keys.items() if old_keys.get(k) != v}
            _set_page_keys(index.conn, changed_keys, gone)
            clockstore.forget_moved(index.conn, moved if narrowed else None)
        if looked:  # the pages left as they were, counted (a full look lists them)
            named = {*result.removed, *result.written, *result.unchanged}
            result.unchanged_pages = _client_page_count(index) - len(
                _client_pages(index, sorted(named))
            )
        index.set_meta(BUILD_KEY, build_mark)
        index.set_meta(BUILD_GENERATION, planned)
        index.set_meta(BUILD_QUERY_STORES, query_stores)
        index.set_meta(BUILD_HEAD, head)
        index.set_meta(PAGES_STAMP, _stamp(pages_dir))
    done = set(result.written)
    result.written = list(dict.fromkeys(result.written))
    result.unchanged = [p for p in dict.fromkeys(result.unchanged) if p not in done]
    return result


def _import_record_work() -> None:
    """Import what a record's parse, rules, rows and page use, before the parse workers
    are forked: each worker imported them again (~8 ms of CPU a worker, as many again
    in this process for the summary pages)."""
    import comrak  # noqa: F401  (the notes' Markdown)

    import sortext.record.split
    import sortext.rules.agenda
    import sortext.rules.money
    import sortext.views.dashboard  # noqa: F401


def _head(repo: Repository) -> str:
    """The commit HEAD names (with git's shallow boundary, if any), "-" outside git or
    before the first commit (the stage clock is a function of them)."""
    from sortext.vcs.headref import NO_REPOSITORY, UNBORN, head_id, shallow_suffix

    read = head_id(repo.root)
    if read == NO_REPOSITORY:  # no .git here or above, nor GIT_DIR set
        return "-"  # (the git layer is not even imported: ~4 ms)
    if read is not None and read != UNBORN:
        # what the git layer's head_from_files and shallow_mark read, without importing
        # it (and subprocess: ~3 ms a build) when the files say
        mark = shallow_suffix(repo.root)
        if mark is not None:
            return read + mark
    from sortext.errors import GitError
    from sortext.vcs import git as gitlayer

    found = gitlayer.head_from_files(repo.root)  # no process in the usual layouts
    if found is None:
        try:
            done = gitlayer.run_full(repo.root, "rev-parse", "-q", "--verify", "HEAD^{commit}")
        except (GitError, OSError):
            return "-"
        if done.returncode != 0:
            return "-"
        found = done.stdout.decode().strip()
    # a deepened shallow clone keeps HEAD but not its stage clock
    return found + gitlayer.shallow_mark(repo.root)


def _stamp(folder: Path) -> str:
    """What changes when a file is added to, removed from or renamed in ``folder``."""
    try:
        st = os.stat(folder)
    except OSError:
        return "-"
    return f"{st.st_dev}:{st.st_ino}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def _same_as_last_build(index: Index, build_mark: str, head: str, pages_dir: Path) -> bool:
    """Whether the last finished build used the same rules, templates, sources and stage
    clock, and left ``site/clients`` as it is now."""
    return (
        index.meta(BUILD_KEY) == build_mark
        and index.meta(BUILD_HEAD) == head
        and index.meta(PAGES_STAMP) == _stamp(pages_dir)
    )


def _client_pages(index: Index, among: Sequence[str] | None = None) -> list[str]:
    """Every client page the stored page keys say is written (not withheld); of the
    paths ``among`` only, if given."""
    from sortext.store.sqlbatch import select_in

    query = "SELECT path FROM pages WHERE substr(key, -length(?)) != ?"
    if among is None:
        rows = index.conn.execute(query, (OMITTED, OMITTED)).fetchall()
    else:
        rows = select_in(
            index.conn, query.replace("?", "'" + OMITTED + "'") + " AND path IN ({})", among
        )
    is_page = _PAGE_NAME.fullmatch  # _page_id(rel) is not None, in one match a page
    return [rel for (rel,) in rows if is_page(rel)]


# _PAGE_NAME in SQL: the first character, no other outside [a-z0-9-], the length limit
_PAGE_GLOB = (
    f"path GLOB '{SITE_DIR}/clients/[a-z0-9]*.html' "
    f"AND path NOT GLOB '{SITE_DIR}/clients/*[^a-z0-9-]*.html' "
    f"AND length(path) <= {len(SITE_DIR) + len('/clients/') + MAX_SLUG + len('.html')}"
)


#: meta: ``len(_client_pages(index))``, kept current by :func:`_set_page_keys`
PAGE_COUNT = "client_pages"
#: Page keys set at once past which the kept count is dropped (counted again when read).
PAGE_COUNT_DELTA_LIMIT = 200


def _client_page_count(index: Index) -> int:
    """``len(_client_pages(index))``: the count kept in the index's meta, or counted by
    SQLite (no row comes to Python) and kept."""
    kept = index.meta(PAGE_COUNT)
    if kept is not None and kept.isascii() and kept.isdigit() and len(kept) < 16:
        return int(kept)
    # Counted and kept in one statement of one write transaction: counted first and kept
    # after, a page key another build set in between was left out of the kept count.
    with index.conn:
        index.conn.execute(
            "INSERT OR REPLACE INTO meta SELECT ?, CAST(count(*) AS TEXT) FROM pages "
            f"WHERE substr(key, -length(?)) != ? AND {_PAGE_GLOB}",
            (PAGE_COUNT, OMITTED, OMITTED),
        )
        row = index.conn.execute("SELECT value FROM meta WHERE key = ?", (PAGE_COUNT,))
        return int(row.fetchone()[0])


def _counted(path: str, key: str | None) -> int:
    """1 when the page key ``key`` of ``path`` is one :func:`_client_pages` lists."""
    return int(key is not None and not key.endswith(OMITTED) and bool(_PAGE_NAME.fullmatch(path)))


def _set_page_keys(
    conn: sqlite3.Connection, keys: Mapping[str, str], removed: Sequence[str] = ()
) -> None:
    """:func:`sortext.store.pagekeys.set_page_keys`, keeping :data:`PAGE_COUNT` current
    (the pages' keys before and after; dropped when many change at once)."""
    from sortext.store.pagekeys import page_keys, set_page_keys

    paths = sorted({*keys, *removed})
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (PAGE_COUNT,)).fetchone()
    kept = str(row[0]) if row is not None else ""
    if not paths:
        return
    if len(paths) > PAGE_COUNT_DELTA_LIMIT or not (kept.isascii() and kept.isdigit()):
        set_page_keys(conn, keys, removed)
        conn.execute("DELETE FROM meta WHERE key = ?", (PAGE_COUNT,))
        return
    before = page_keys(conn, paths)
    set_page_keys(conn, keys, removed)
    after = page_keys(conn, paths)
    count = int(kept) + sum(_counted(p, after.get(p)) - _counted(p, before.get(p)) for p in paths)
    if count < 0:  # out of step: counted again when next read
        conn.execute("DELETE FROM meta WHERE key = ?", (PAGE_COUNT,))
    else:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (PAGE_COUNT, str(count)))


# Record id -> (committed stage, the day it entered it), from git (empty outside git).
Clock = Mapping[str, tuple[str, dt.date]]


def _stage_clock(repo: Repository, index: Index, names: Sequence[str] | None = None) -> Clock:
    """Time in stage for the rules and pages (``stage_facts``); {} when git cannot say.
    Kept in the index for HEAD's commit (:func:`sortext.views.stagetime.stage_clock`),
    so the queries after a watcher's save read it from there.  With a few changed
    files ``names`` (parsed in this process), only the records redone read their entry
    (:func:`sortext.views.stagetime.stage_clock_lookup`), not every client's."""
    from sortext.store.index import PARALLEL_THRESHOLD
    from sortext.views.stagetime import stage_clock, stage_clock_lookup

    if names is not None and len(names) < PARALLEL_THRESHOLD:
        found = stage_clock_lookup(repo, index.conn)
        if found is not None:
            return found
    return stage_clock(repo, index.conn)


def _clock_part(clock: Clock, record_id: str) -> str:
    """What a record's assessment and page take from the clock (part of their keys:
    only the record whose stage moved is redone)."""
    fact = clock.get(record_id)
    return f"{fact[0]}@{fact[1].isoformat()}" if fact is not None else "-"


def _owned_digests(config: Config) -> dict[str, str]:
    """Record id -> a digest of what its owners last supplied (``sources/<source>.json``:
    the client page shows where the record differs); {} when no field is owned."""
    if not config.raw.get("owned_fields"):  # as owned_patterns reads it: none (~6 ms of
        return {}  # imports spared, the field paths' parser among them)
    from sortext.check.owned import OwnedStores

    stores = OwnedStores(config=config)
    if not stores.patterns:
        return {}
    ids = {rid for store in stores.stores.values() for rid in store}
    return {rid: _digest_of(stores.entries(rid)) for rid in sorted(ids)}


def _digest_of(value: object) -> str:
    import json

    text = json.dumps(value, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _page_part(clock: Clock, owned: dict[str, str], record_id: str) -> str:
    """What a client page takes from outside its file: time in stage, and what the
    record's owners last supplied (no suffix when nothing: keys stay as they were)."""
    part = _clock_part(clock, record_id)
    digest = owned.get(record_id)
    return part if digest is None else f"{part}|owned:{digest}"


def _since(clock: Clock, record: Record) -> dt.date | None:
    """The day ``record`` entered its current stage, if git's stage is the record's."""
    fact = clock.get(record.id)
    return fact[1] if fact is not None and fact[0] == record.stage else None


@dataclass(slots=True)
class _Plan:
    """What a build must redo: jobs per record, the page key of every page, and the
    records the rules may use (valid, or stale with a last valid version)."""

    jobs: list[_Job] = field(default_factory=list)
    page_keys: dict[str, str] = field(default_factory=dict)
    usable: set[str] = field(default_factory=set)


def _plan(
    repo: Repository,
    rows: Sequence[FileRow],
    assessed: dict[str, str],
    old_keys: dict[str, str],
    present: set[str],
    rules_key: str,
    base_key: str,
    done_now: set[str],
    result: BuildResult,
    clock: Clock | None = None,
    owned: dict[str, str] | None = None,
    real_pages: str | None = None,
) -> _Plan:
    """Compare each record's keys with the stored ones (``present``: the page files that
    exist): a job where either changed."""
    plan = _Plan()
    base = hashlib.sha256(base_key.encode()).hexdigest()[:20]
    clock = clock if clock is not None else {}
    for row in rows:
        assess_key = None
        part = _clock_part(clock, row.record_id)
        if row.usable:
            plan.usable.add(row.path)
            key = f"{rules_key}|{row.hash}|{row.stale}|{part}"
            assess_key = key if assessed.get(row.path) != key else None
        rel = f"{SITE_DIR}/clients/{row.record_id}.html"
        page = None
        if rel not in plan.page_keys:  # a duplicate id: check reports it; the first file wins
            page_part = _page_part(clock, owned or {}, row.record_id)
            page_key = _page_key(
                base, f"{row.hash}|{page_part}", row.stale, row.ok, row.has_diagnostics
            )
            plan.page_keys[rel] = page_key
            if old_keys.get(rel) == page_key + OMITTED:  # withheld, and still the same record
                plan.page_keys[rel] = page_key + OMITTED
            elif old_keys.get(rel) != page_key or f"{row.record_id}.html" not in present:
                page = _page_path(repo.root, row.record_id, real_pages)
            elif rel not in done_now:
                result.unchanged.append(rel)
        if assess_key is not None or page is not None:
            plan.jobs.append(_Job(row.path, assess_key, page))
    return plan


_PAGE_REL = re.compile(rf"{SITE_DIR}/clients/({SLUG_PATTERN})\.html")


# The same paths, the slug's length limit included (is_slug's rule, in the pattern).
_PAGE_NAME = re.compile(rf"{SITE_DIR}/clients/[a-z0-9][a-z0-9-]{{0,{MAX_SLUG - 1}}}\.html")


def _page_id(rel: str) -> str | None:
    """The record id of a client page's repository-relative path, if it is one."""
    match = _PAGE_REL.fullmatch(rel)
    return match.group(1) if match and is_slug(match.group(1)) else None


def _page_path(
    root: Path, record_id: str, real_folder: str | None = None, staged: bool = False
) -> Path | None:
    """``site/clients/<id>.html`` when ``record_id`` is a slug and the path stays in
    that folder; None (no page) otherwise.  ``real_folder``: that folder resolved
    (once per build: then each page costs one ``lstat``, not a walk of the path).
    ``staged``: the build creates its pages in a staging folder (:class:`_Staging`,
    made because ``site/clients`` was not there) and publishes them by renaming that
    folder, so the page is never opened at this path and only the slug is checked
    (a cold build's ``lstat`` of a path in a folder that is not there, and its
    ``FileNotFoundError``, ~1% of the build)."""
    if staged:
        return root / SITE_DIR / "clients" / f"{record_id}.html" if is_slug(record_id) else None
    try:
        return confined_path(root / SITE_DIR / "clients", record_id, ".html", real_folder)
    except UnsafePathError:
        return None


def _summary_pages(
    repo: Repository,
    index: Index,
    env: jinja2.Environment,
    today: dt.date,
    common: Context,
    result: BuildResult,
    head: str = "-",
    kept: dict[str, str] | None = None,
) -> list[tuple[str, str]]:
    """NEXT.md, site/index.html and site/owners/<person>.html, from the assessments
    the index holds (this week and money: its day book); returns each page's path
    (repository-relative) and the digest of the bytes it now holds, in order.
    ``kept``: owner pages (path -> digest of the bytes on disk) that hold what a
    rendering would write now (no row of their owner changed): counted unchanged, not
    rendered."""
    from sortext.pages.render import render
    from sortext.rules.wording import count
    from sortext.store import board
    from sortext.views.dashboard import error_items, from_board
    from sortext.views.day import day_from_index, unfiled_count

    hidden_paths: set[str] = set()
    hidden_ids: set[str] = set()
    if repo.config.consented_only("pages"):
        hidden_paths, hidden_ids = index.withheld()
    entries = index.entries_with_errors()
    errors = error_items([e for e in entries if e.path not in hidden_paths])
    result.errors = len(entries)
    d = from_board(index.conn, today.isoformat(), errors, LIST_LIMIT)
    paths = index.record_paths()
    sections = [
        ("overdue", "Overdue"),
        ("today", "Due today"),
        ("soon", f"Due within {count(common['soon_days'], 'day')}"),
        ("missing", "Open clients with no next action"),
    ]
    groups = {status: board.next_top(index.conn, LIST_LIMIT, status) for status, _ in sections}
    weekly = _without(_weekly(repo, today, result, head), hidden_ids)
    unfiled = unfiled_count(repo.root)
    day = day_from_index(index.conn, repo.config, today, unfiled)
    emitted: list[tuple[str, str]] = []
    _emit(
        result,
        repo,
        repo.root / NEXT_NAME,
        render(
            env,
            "NEXT.md.j2",
            d=d,
            paths=paths,
            sections=sections,
            groups=groups,
            weekly=weekly,
            day=day,
            **common,
        ),
        True,
        emitted,
    )
    _emit(
        result,
        repo,
        repo.root / SITE_DIR / "index.html",
        render(env, "index.html.j2", d=d, weekly=weekly, day=day, **common),
        True,
        emitted,
    )
    owners_dir = repo.root / SITE_DIR / "owners"
    wanted = set()
    for person, slug in day.owners:
        wanted.add(f"{slug}.html")
        rel = f"{SITE_DIR}/owners/{slug}.html"
        if kept is not None and rel in kept:
            emitted.append((rel, kept[rel]))
            result.unchanged.append(rel)
            continue
        mine = day_from_index(index.conn, repo.config, today, unfiled, person, None, LIST_LIMIT)
        owners_dir.mkdir(exist_ok=True)
        _emit(
            result,
            repo,
            owners_dir / f"{slug}.html",
            render(env, "owner.html.j2", day=mine, **common),
            True,
            emitted,
        )
    _remove_others(repo, owners_dir, wanted, result)
    return emitted


SUMMARY_FORMAT = "2"  # part of the summary key: raised when what it covers changes
INBOX_DIR, INBOX_FILE = "inbox", "inbox.md"  # sortext.views.day's (a test holds them equal)


@dataclass(frozen=True)
class _SummarySources:
    """What a build's summary key is worked out from (see :func:`_summary_key`): the
    repository and its index, the build's rules-and-templates mark (``build_mark``),
    git's HEAD as :func:`_head` reads it, the page context and the build's day."""

    repo: Repository
    index: Index
    build_mark: str
    head: str
    common: Context
    today: dt.date


def _summary_key(sources: _SummarySources) -> str:
    """A digest (hex SHA-256) of everything the summary pages are rendered from, besides
    the index's board, which only builds and queries store (a build that changes it
    renders them; a query's store moves :data:`sortext.store.board.QUERY_STORES`; a
    stored record moves the index's generation): the rules' key (today, the
    configuration, sortext's version), the templates, the owners' sources, git's HEAD
    ("since last week"), the page limits, the bounds of "since last week" (midnights
    in the practice's time zone: sortext.yaml's ``timezone:``, else the local one) and
    the notes waiting in the inbox (their count is shown); read from the index and
    the inbox now, not when ``sources`` was made."""
    from sortext.store import board
    from sortext.vcs.midnight import window_bounds

    repo, index, today = sources.repo, sources.index, sources.today
    build_mark, head, common = sources.build_mark, sources.head, sources.common
    digest = hashlib.sha256()
    parts = (
        SUMMARY_FORMAT,
        build_mark,
        head,
        str(index.generation()),
        board.query_stores(index.conn),
        repr(sorted(common.items())),
        repr(window_bounds(today, repo.config.timezone)),
    )
    for part in parts:
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    try:  # what unfiled_count counts: each file name and whether it is a file now
        with os.scandir(repo.root / INBOX_DIR) as entries:
            found = sorted((e.name, e.is_file()) for e in entries)
        for name, is_file in found:
            digest.update(f"{name}\0{is_file:d}\0".encode("utf-8", "surrogateescape"))
    except OSError:
        digest.update(b"-\0")
    try:
        digest.update(b"\1" + (repo.root / INBOX_FILE).read_bytes())
    except OSError:
        digest.update(b"\2")
    return digest.hexdigest()


def _page_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def _digest_on_disk(path: Path) -> str | None:
    """The digest of the regular file at ``path`` (not followed if a link), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            return _page_digest(handle.read())
    except OSError:
        return None
    finally:
        os.close(fd)


def _summary_kept(repo: Repository, kept_text: str | None, key: str, result: BuildResult) -> bool:
    """Whether the summary pages on disk are those the last rendering under ``key``
    wrote (``kept_text``, the index's :data:`SUMMARY_KEY`: same key; each page holds
    the bytes written then; no other page in site/owners); if so, they are counted as
    unchanged in ``result``, as a rendering would have found them.  A missing or
    damaged record is False (render them)."""
    found = _pages_as_kept(repo, kept_text, key)
    if found is None:
        return False
    files, errors = found
    result.unchanged.extend(rel for rel, _ in files)
    result.errors = errors
    return True


def _pages_as_kept(
    repo: Repository, kept_text: str | None, key: str
) -> tuple[list[tuple[str, str]], int] | None:
    """(page, digest) of each summary page and the error count, if the pages on disk
    are those the rendering ``kept_text`` records wrote under ``key``; else None."""
    import json

    try:
        kept = json.loads(kept_text or "null")
        if not isinstance(kept, dict) or kept.get("key") != key:
            return None
        files = [(str(rel), str(digest)) for rel, digest in kept["files"]]
        errors = int(kept["errors"])
    except (ValueError, TypeError, KeyError):
        return None
    owners = f"{SITE_DIR}/owners/"
    mine = {rel[len(owners) :] for rel, _ in files if rel.startswith(owners)}
    try:
        listed = {n for n in os.listdir(repo.root / owners) if n.endswith(".html")}
    except (FileNotFoundError, NotADirectoryError):
        listed = set()
    except OSError:
        return None
    if listed != mine:
        return None
    named = {NEXT_NAME, f"{SITE_DIR}/index.html", *(owners + name for name in listed)}
    for rel, digest in files:  # only pages a rendering writes are read (not a planted path)
        if rel not in named or _digest_on_disk(repo.root / rel) != digest:
            return None
    return files, errors


@dataclass
class _Reuse:
    """What of the summary pages on disk a build can keep: ``owner_pages`` every page
    as kept (path, digest; nothing any page reads changed), else ``kept``: the owner
    pages of owners no changed row names (path -> digest)."""

    owner_pages: list[tuple[str, str]] | None
    kept: dict[str, str]


@dataclass
class _Before:
    """The summary pages' state before a build of a few changed files: the rendering
    the index recorded (its :data:`SUMMARY_KEY` text, current under ``key``) and the
    rows (:func:`sortext.store.summary_rows.rows_of`) of ``paths``."""

    kept_text: str
    key: str
    paths: set[str]
    rows: dict[str, list[tuple[object, ...]]]

    @classmethod
    def take(
        cls, sources: _SummarySources, changed_paths: Sequence[str], ids: set[str]
    ) -> _Before | None:
        from sortext.store import summary_rows

        repo, index = sources.repo, sources.index
        kept_text = index.meta(SUMMARY_KEY)
        if not kept_text:
            return None
        key = _summary_key(sources)
        if _pages_as_kept(repo, kept_text, key) is None:
            return None  # the pages on disk are not those of the last rendering
        paths = summary_rows.paths_of(index.conn, changed_paths, ids)
        return cls(kept_text, key, paths, summary_rows.rows_of(index.conn, paths))

    def reusable(
        self,
        repo: Repository,
        index: Index,
        changed_paths: Sequence[str],
        ids_before: set[str],
        result: BuildResult,
    ) -> _Reuse | None:
        """What the pages on disk still hold correctly after the build stored the
        changed records, or None (render every page): only when the records whose rows
        can have changed are those whose rows were taken (no other file holds an id
        the changed files hold now)."""
        from sortext.store import summary_rows

        ids = ids_before | index.record_ids(changed_paths)
        if summary_rows.paths_of(index.conn, changed_paths, ids) != self.paths:
            return None
        found = _pages_as_kept(repo, self.kept_text, self.key)
        if found is None:
            return None
        files, errors = found
        rows = summary_rows.rows_of(index.conn, self.paths)
        if rows == self.rows:
            result.unchanged.extend(rel for rel, _ in files)
            result.errors = errors
            return _Reuse(files, {})
        touched = summary_rows.owners_in(rows) | summary_rows.owners_in(self.rows)
        from sortext.views.day import _owners

        slugs = {slug for person, slug in _owners(repo.config) if person not in touched}
        owners = f"{SITE_DIR}/owners/"
        kept = {
            rel: digest
            for rel, digest in files
            if rel.startswith(owners) and rel[len(owners) :].removesuffix(".html") in slugs
        }
        return _Reuse(None, kept)


def _keep_summary(
    index: Index, key: str, emitted: list[tuple[str, str]], result: BuildResult, warned: int
) -> None:
    """Store what the summary pages were just rendered from (see :func:`_summary_kept`);
    nothing when the rendering warned (git failed for "since last week": the next build
    renders them again, with the section if git answers then)."""
    import json

    if len(result.warnings) > warned:
        index.set_meta(SUMMARY_KEY, "")
        return
    kept = {"key": key, "files": emitted, "errors": result.errors}
    index.set_meta(SUMMARY_KEY, json.dumps(kept))


def _without(weekly: WeeklyChanges | None, ids: set[str]) -> WeeklyChanges | None:
    """``weekly`` without the lines about the records ``ids`` (withheld from the pages)."""
    if weekly is None or not ids:
        return weekly
    from dataclasses import replace

    groups = []
    for group in weekly.groups:
        lines = tuple(line for line in group.lines if line.record_id not in ids)
        if lines or group.more:
            groups.append(replace(group, lines=lines))
    return replace(weekly, groups=tuple(groups))


def _remove_others(repo: Repository, folder: Path, wanted: set[str], result: BuildResult) -> None:
    """Delete the per-owner pages of people no longer in sortext.yaml."""
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in sorted(names):
        if name.endswith(".html") and name not in wanted:
            try:
                (folder / name).unlink()
                result.removed.append(repo.relative(folder / name))
            except OSError:
                pass


def _weekly(
    repo: Repository, today: dt.date, result: BuildResult, head: str = "-"
) -> WeeklyChanges | None:
    """The "since last week" section, or None without git history (``head`` "-": this
    build found no commit).  A git failure leaves the section out (and says why)
    rather than the pages unwritten."""
    if head == "-":
        return None
    from sortext.errors import GitError
    from sortext.views.weekly import recent_changes

    try:
        return recent_changes(repo, today, head)
    except GitError as exc:
        result.warnings.append(f"'since last week' left out: {exc}")
        return None


def _record_names(repo: Repository, paths: Sequence[Path] | None) -> list[str] | None:
    """File names of ``paths`` in the clients folder; None (look at every file) when
    not given or when one lies elsewhere."""
    if paths is None:
        return None
    folder = repo.clients_path.resolve()
    names = []
    for path in paths:
        absolute = Path(os.path.abspath(path))
        if absolute.parent.resolve() != folder:
            return None
        names.append(absolute.name)
    return names


def _page_key(base: str, digest: str, stale: bool, ok: bool, has_diagnostics: bool) -> str:
    """What a client page depends on: ``base`` (a hash of the rules' inputs and the
    templates), the file's bytes and its state, hashed to 32 hex digits (128 bits; the
    key is only compared, and the whole text cost ~110 bytes a client in the index)."""
    whole = f"{base}:{digest}:{stale:d}{ok:d}{has_diagnostics:d}"
    return hashlib.blake2b(whole.encode(), digest_size=16).hexdigest()


class _FreshRecords:
    """The index's RecordHook for a build: assess each freshly parsed record and write
    its page in the process that parsed it (a cold build then reads no record back).

    Two files claiming one id both get a page written here; the build's pass over
    the rows then re-renders the page of the first by path, whose key differs."""

    def __init__(
        self,
        root: Path,
        env: Callable[[], jinja2.Environment],
        config: Config,
        today: dt.date,
        common: Context,
        rules_key: str,
        base_key: str,
        clock: Clock | None = None,
        real_pages: str | None = None,
    ) -> None:
        self.root, self.env, self.config, self.today = root, env, config, today
        self.real_pages = real_pages
        self.clock = clock if clock is not None else {}
        self.common, self.rules_key = common, rules_key
        self.base = hashlib.sha256(base_key.encode()).hexdigest()[:20]
        self.pages: ClientPages | None = None
        self.owned: dict[str, str] = {}  # record id -> what its owners supplied (digest)
        self.written: list[str] = []
        self.unchanged: list[str] = []
        self.removed: list[str] = []  # pages of records withheld by consent, deleted
        #: the build's staging folder (see _Staging): pages are created there, not in
        #: site/clients, until the build publishes them
        self.staging: Path | None = None

    def work(self, path: str, digest: str, record: Record, diagnostics: list[Diagnostic]) -> _Fresh:
        from sortext.record.diagnostics import has_errors

        ok = not has_errors(diagnostics)
        rel = f"{SITE_DIR}/clients/{record.id}.html"
        page = _page_path(self.root, record.id, self.real_pages, self.staging is not None)
        part = _clock_part(self.clock, record.id)
        # told to store(), which runs in the build's process: this may be a forked
        # worker, whose lists the build never sees (the watcher publishes what the
        # build reports removed: a withheld client's page must leave the branch too)
        removed = page is not None and withheld(self.config, record) and page.exists()
        if self.pages is None:  # looked up once: each lookup stats the template files
            self.pages = page_renderer(self.env())
        stored, done = _assess_and_render(
            path,
            record,
            diagnostics,
            False,
            f"{self.rules_key}|{digest}|False|{part}" if ok else None,
            page,
            self.pages,
            self.config,
            self.today,
            self.common,
            _since(self.clock, record),
            self.staging,
        )
        if done is None:  # no safe page path (a link leading out of site/clients): no page
            return stored, rel, "", False, removed
        page_part = _page_part(self.clock, self.owned, record.id)
        key = _page_key(self.base, f"{digest}|{page_part}", False, ok, bool(diagnostics))
        if done[1] is None:  # withheld by consent: no page, and the key says so
            return stored, rel, key + OMITTED, False, removed
        return stored, rel, key, done[1], removed

    def store(self, conn: sqlite3.Connection, done: list[_Fresh]) -> None:
        from sortext.store import board

        stored_rows = [stored for stored, _, _, _, _ in done if stored is not None]
        board.store(conn, stored_rows)
        board.store_day(conn, stored_rows)
        _set_page_keys(conn, {rel: key for _, rel, key, _, _ in done if key})
        for _, rel, key, written, removed in done:
            if removed:
                self.removed.append(rel)
            if key and not key.endswith(OMITTED):
                (self.written if written else self.unchanged).append(rel)


# (board rows or None, (page, written; None: withheld and removed) or None)
_Done = tuple["Rows | None", tuple[Path, bool | None] | None]
# A freshly parsed record's work: (board rows or None, page path, page key, written,
# whether a page of the record withheld by consent was there and is removed).
_Fresh = tuple["Rows | None", str, str, bool, bool]


@dataclass(frozen=True, slots=True)
class _Shared:
    """What every job of one build needs (forked workers inherit it)."""

    env: jinja2.Environment
    config: Config
    today: dt.date
    jobs: list[_Job]
    common: Context
    database: str  # the index file, for a worker's own connection
    clock: Clock
    staging: Path | None = None  # the build's staging folder (see _Staging)


_job: _Shared | None = None


def _assess_and_render(
    path: str,
    record: Record,
    diagnostics: Sequence[Diagnostic],
    stale: bool,
    assess_key: str | None,
    page: Path | None,
    pages: ClientPages,
    config: Config,
    today: dt.date,
    common: Context,
    stage_since: dt.date | None = None,
    staging: Path | None = None,
) -> _Done:
    """One record's work, with its rules run once: the board rows of its assessment
    (when ``assess_key`` is given) and its page written (when ``page`` is given; into
    ``staging`` under its name, when the build has a staging folder)."""
    from sortext.rules import findings as rules
    from sortext.store import board, daybook
    from sortext.views.dashboard import client_view

    if withheld(config, record):
        return _withheld_rows(path, assess_key, record), _withhold_page(page, staging)
    assessment = rules.assess(record, config, today, stage_since)
    if page is not None:
        from sortext.check.owned import owned_for_page

        diagnostics = [*diagnostics, *owned_for_page(config, record.id, record.path)]
    stored = None
    if assess_key is not None:
        stored = board.to_rows(path, assess_key, assessment, rules.is_open(record, config))
        stored.day = daybook.to_rows(record, config, today)
    done = None
    if page is not None:
        view = client_view(record, config, today, diagnostics, stale, assessment, stage_since)
        text = pages.render(record.path or path, view, **common)
        done = (page, _write_page(page, text.encode("utf-8"), staging))
    return stored, done


def withheld(config: Config, record: Record) -> bool:
    """True when ``record`` stays off every page: ``privacy: {pages: consented}`` is set
    and its ``consent.data_use`` is false."""
    return config.consented_only("pages") and record.view.consent.data_use is False


def _withheld_rows(path: str, assess_key: str | None, record: Record) -> Rows | None:
    """The board rows of a withheld record: counted as a client (open or not is not
    shown), but no name, next action, finding, goal, agenda item or invoice."""
    if assess_key is None:
        return None
    from sortext.store import board, daybook

    assessed = (path, assess_key, record.id, "", "", None, 0, 0, 0)
    return board.Rows(path, assessed, None, [], [], daybook.DayRows())


def _withhold_page(
    page: Path | None, staging: Path | None = None
) -> tuple[Path, bool | None] | None:
    """Remove a withheld record's page (it may have been written before consent changed;
    with a staging folder, by this build under the same id)."""
    if page is None:
        return None
    for there in (page,) if staging is None else (page, staging / page.name):
        try:
            there.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:  # named as the user knows it, never the staging folder
            raise StorageError(f"{page}: cannot remove a withheld page: {exc.strerror}") from exc
    return page, None


def _write_page(page: Path, data: bytes, staging: Path | None) -> bool:
    """Write a client page; True when written (False: it held these bytes already).

    With a staging folder the page is created there under its own name: no page can be
    there yet but one this build wrote (two files claiming one id), which is replaced
    as site/clients would have it replaced."""
    if staging is None:
        return write_if_changed(page, data, durable=False)
    target = staging / page.name
    try:
        write_new(target, data, shown=page)  # an error names site/clients/<id>.html
    except FileExistsError:
        return write_if_changed(target, data, durable=False, shown=page)
    return True


def _drop_page(target: Path, rel: str, result: BuildResult) -> None:
    """Note a withheld page as removed (the job deleted the file)."""
    if rel not in result.removed:
        result.removed.append(rel)


def _do_jobs(conn: sqlite3.Connection, span: tuple[int, int]) -> list[_Done]:
    """Assess and render ``jobs[start:stop]``: each record read once from the index."""
    from sortext.store.index import read_entry

    assert _job is not None
    shared = _job
    pages = page_renderer(shared.env)
    out: list[_Done] = []
    for job in shared.jobs[span[0] : span[1]]:
        if _parent is not None and os.getppid() != _parent and os.getpid() != _parent:
            os._exit(1)  # a forked worker whose build was killed: no page for nobody
        entry = read_entry(conn, job.path)
        if entry.record is None:  # pragma: no cover - rows() lists only files with data
            out.append((None, None))
            continue
        out.append(
            _assess_and_render(
                job.path,
                entry.record,
                entry.diagnostics,
                entry.stale,
                job.assess_key,
                job.page,
                pages,
                shared.config,
                shared.today,
                shared.common,
                _since(shared.clock, entry.record),
                shared.staging,
            )
        )
    return out


def _worker_span(span: tuple[int, int]) -> list[_Done]:
    assert _job is not None
    conn = sqlite3.connect(_job.database)
    try:
        return _do_jobs(conn, span)
    finally:
        conn.close()


def _run_jobs(
    index: Index,
    env: jinja2.Environment,
    config: Config,
    today: dt.date,
    jobs: list[_Job],
    common: Context,
    clock: Clock | None = None,
    staging: Path | None = None,
) -> Iterator[list[_Done]]:
    """Batches of finished jobs, in order; many jobs run in forked workers (CPU-bound),
    each reading its records from the index through its own connection."""
    global _job, _parent
    from dataclasses import replace

    from sortext.check.many import bulk_gc
    from sortext.store.clock import Lookup
    from sortext.store.index import spans

    _job = _Shared(
        env,
        config,
        today,
        jobs,
        common,
        str(index.path),
        clock if clock is not None else {},
        staging,
    )
    try:
        workers = min(os.cpu_count() or 1, 8)
        if len(jobs) < PARALLEL_PAGES or workers < 2:
            if jobs:
                with bulk_gc() if len(jobs) >= PARALLEL_PAGES else contextlib.nullcontext():
                    yield _do_jobs(index.conn, (0, len(jobs)))
            return
        index.conn.commit()  # workers must see what the refresh stored
        if isinstance(_job.clock, Lookup):  # read through this process's connection
            _job = replace(_job, clock=_job.clock.whole())
        _parent = os.getpid()
        from concurrent.futures.process import BrokenProcessPool

        from sortext.check.many import fork_executor

        todo = spans(len(jobs), workers)
        back = 0
        # concurrent.futures, not multiprocessing.Pool: a worker that dies (the
        # out-of-memory killer, a kill of the wrong pid) breaks the pool, where Pool
        # replaced it and waited for ever for the span it held (the build hung,
        # holding the index); the spans not given back are rendered here (a page the
        # dead worker created is written again: see _write_page).  Made before
        # bulk_gc: what it imports is frozen with the rest (the workers fork at the
        # first span).
        executor = fork_executor(workers)
        with bulk_gc():
            try:
                try:
                    for done in executor.map(_worker_span, todo):
                        back += 1
                        yield done
                except BrokenProcessPool:
                    for span in todo[back:]:
                        yield _do_jobs(index.conn, span)
            finally:
                executor.shutdown(wait=True, cancel_futures=True)
    finally:
        _job = None
        _parent = None


#: The build process whose forked workers render pages (None: no workers running).
_parent: int | None = None


class _Staging:
    """Where a build creates the client pages when ``site/clients`` does not exist yet
    (a cold build, the site deleted): ``site/.clients.sortext-tmp-<pid>-<hex>``, renamed
    to ``site/clients`` once every page is written, so nothing half-written is ever
    visible and all the pages appear at once.  Each page is then one file created under
    its own name (no temporary name and rename per page, no look for an old page that
    cannot exist): 4 system calls a page instead of 11.

    The folder is a sortext temporary name (the watcher ignores it); a build that fails
    removes it, and one that was killed leaves it for the next build to remove (its
    writer's process gone)."""

    def __init__(self, root: Path, folder: Path, target: Path, fd: int | None = None) -> None:
        self.root, self.folder, self.target = root, folder, target
        self.done = False
        #: the folder held open and locked while this build fills it (see _holds)
        self.fd = fd

    @classmethod
    def start(cls, root: Path, site: Path, pages_dir: Path) -> _Staging | None:
        """A new staging folder for ``pages_dir``; None when ``pages_dir`` exists (or is
        anything at all: a file or a link there is the usual path's to report).  Raises
        StorageError."""
        try:
            if os.path.isdir(site):
                _remove_stale_staging(site)
            if os.path.lexists(pages_dir):
                return None
            site.mkdir(parents=True, exist_ok=True)
            folder = temp_path(pages_dir)
            folder.mkdir()
            flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(folder / STAGING_LOCK, flags, 0o600)
        except OSError as exc:
            raise StorageError(f"{pages_dir}: cannot create: {exc.strerror}") from exc
        _holds(fd)
        _ours.add(folder)
        return cls(root, folder, pages_dir, fd)

    def publish(self) -> None:
        """Put the pages at ``site/clients``: one rename; when something appeared there
        meanwhile (another build), each page is written into it as a build writes it.
        Raises StorageError."""
        if publish_folder(self.folder, self.target):
            with contextlib.suppress(OSError):
                os.unlink(self.target / STAGING_LOCK)
        else:
            self._merge()
        self.done = True
        self._release()

    def _release(self) -> None:
        _ours.discard(self.folder)
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _merge(self) -> None:
        target = confined_folder(self.root, self.target)
        try:
            target.mkdir(parents=True, exist_ok=True)
            names = sorted(os.listdir(self.folder))
            for name in names:
                page = _page_path(self.root, name.removesuffix(".html"))
                if page is not None:
                    write_if_changed(page, (self.folder / name).read_bytes(), durable=False)
        except OSError as exc:
            raise StorageError(f"{target}: cannot write the pages: {exc.strerror}") from exc
        self.discard()

    def discard(self) -> None:
        """Remove the staging folder unless it was published."""
        if not self.done:
            import shutil  # only when staging is given up: shutil imports bz2 and lzma

            shutil.rmtree(self.folder, ignore_errors=True)
            self.done = True
        self._release()


#: How old (seconds, by its ctime) a staging folder must be before a build that finds
#: it unlocked removes it although the pid in its name runs: a build locks its folder
#: the moment it has made it, so only that instant is spared.
STAGING_GRACE_S = 60.0
#: The file in a staging folder its build holds a lock on while it fills it.
STAGING_LOCK = ".lock"
#: The staging folders of the builds running in this process (a lock does not stand
#: between two threads of one process).
_ours: set[Path] = set()


def _holds(fd: int) -> bool:
    """Lock the file open as ``fd`` (a POSIX record lock, exclusive, without waiting);
    True when taken.  The kernel drops the lock when its process ends however it
    ends (killed too), and a forked worker never inherits it: so a staging folder
    whose lock nobody holds belongs to no running build, whatever process now has the
    pid in its name (a container's builds all run as the same pid; a killed build's
    pid is reused)."""
    import fcntl

    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _remove_stale_staging(site: Path) -> None:
    """Remove the staging folders (see _Staging) no running build holds: its writer's
    process gone, or (the pid reused, by this very process too) nobody holding its lock
    for longer than :data:`STAGING_GRACE_S`.  A link is left alone."""
    import time

    prefix = ".clients" + TEMP_MARKER
    for name in os.listdir(site):
        writer = temp_writer(name) if name.startswith(prefix) else None
        folder = site / name
        if writer is None or folder in _ours:
            continue
        try:
            info = os.lstat(folder)
            if not stat.S_ISDIR(info.st_mode):
                continue  # a link or a file: left alone
            fd: int | None = os.open(folder / STAGING_LOCK, os.O_RDWR | os.O_NOFOLLOW)
        except FileNotFoundError:
            fd = None  # no lock (yet, or a folder of a sortext before the lock)
        except OSError:
            continue
        try:
            if fd is not None and not _holds(fd):
                continue  # a running build fills it
            if pid_alive(writer) and time.time() - info.st_ctime < STAGING_GRACE_S:
                continue  # made an instant ago: its build may not have locked it yet
            import shutil  # here only: shutil imports bz2 and lzma

            for _ in range(3):  # a killed build's worker may add a last page meanwhile
                shutil.rmtree(folder, ignore_errors=True)
                if not os.path.lexists(folder):
                    break
        finally:
            if fd is not None:
                os.close(fd)


def _emit(
    result: BuildResult,
    repo: Repository,
    path: Path,
    text: str,
    durable: bool,
    emitted: list[tuple[str, str]] | None = None,
) -> None:
    rel = path.relative_to(repo.root).as_posix()
    confined_folder(repo.root, path)  # NEXT.md or a page that is a link leading out: refused
    data = text.encode("utf-8")
    if emitted is not None:
        emitted.append((rel, _page_digest(data)))
    if write_if_changed(path, data, durable):
        result.written.append(rel)
    else:
        result.unchanged.append(rel)
