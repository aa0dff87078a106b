"""The parent's SQLite in a cold build, replayed under variants (issue 15, item 3).

    python -m bench.sql_replay REPO [--rounds 3] [--today 2026-11-23]
                               [--variants base,bulk_journal,journal_off]

1. **Capture**: a cold ``sortext build`` of REPO (``.sortext/``, ``site/`` and
   ``NEXT.md`` removed first, as ``bench/report.py`` does), with every call the
   parent makes on ``.sortext/index.sqlite`` recorded (SQL, parameters,
   transactions), in order, to a temporary file.
2. **Replay**: that SQL run again into a new file under each variant, alternated
   ``--rounds`` times; the thread CPU of each replay (user + sys of this thread,
   ``time.thread_time``), medians.  Variants:

   * ``base``: as captured (WAL from the start);
   * ``wal_first``: what ``main`` did before round 9 (the file made WAL at once,
     even for the bulk transaction); the same as ``base`` when the capture ran
     code from before the change;
   * ``bulk_journal``: WAL, but the transaction that stores the notes in rollback-
     journal mode and WAL again after it (what ``Index._bulk_journal`` does);
   * ``journal_off``: no journal and ``synchronous=OFF`` (not crash-safe: the
     floor);
   * ``wal_sync_off``: WAL with ``synchronous=OFF``;
   * ``fts_default``: the notes index's buffer at FTS5's default throughout (the
     capture's ``hashsize`` settings left out: what ``main`` did before round 10);
   * ``fts_hash4`` ... ``fts_merge16`` (:data:`FTS_BULK`): other FTS5 settings for
     the bulk transaction alone (the capture's own left out), set back before it
     commits.

Only SQLite's own work is timed: no parsing, no pickling, no pages.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.repo_args import repo_command

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_pages import remove_derived  # noqa: E402
from bench.query_bench import CHILD_ENV  # noqa: E402

Call = tuple[str, Any, Any]


def _child(repo: Path, out: Path, today: str) -> None:
    """Run a cold build of ``repo`` in this process, recording the parent's SQL."""
    remove_derived(repo)
    os.chdir(repo)
    pid = os.getpid()
    stream = out.open("wb")
    dump = pickle.Pickler(stream, protocol=5).dump

    class Recording(sqlite3.Connection):
        def __init__(self, path: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(path, *args, **kwargs)
            self._log = str(path).endswith("index.sqlite")

        def _note(self, kind: str, sql: Any, args: Any) -> None:
            if self._log and os.getpid() == pid:  # not a forked worker's
                dump((kind, sql, args))

        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            self._note("x", sql, args[0] if args else ())
            return super().execute(sql, *args)

        def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
            rows = list(rows)
            self._note("m", sql, rows)
            return super().executemany(sql, rows)

        def executescript(self, sql: str) -> sqlite3.Cursor:
            self._note("s", sql, None)
            return super().executescript(sql)

        def __enter__(self) -> Recording:
            self._note("enter", None, None)
            return super().__enter__()

        def __exit__(self, *exc: Any) -> Any:
            self._note("exit", None, exc[0] is None)
            return super().__exit__(*exc)

        def commit(self) -> None:
            self._note("commit", None, None)
            super().commit()

    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        kwargs.setdefault("factory", Recording)
        conn: sqlite3.Connection = real(*args, **kwargs)
        return conn

    sqlite3.connect = connect  # type: ignore[assignment]
    sys.argv = ["sortext", "build", "--today", today]
    from sortext.cli import main

    try:
        main(prog_name="sortext")
    except SystemExit:
        pass
    finally:
        stream.close()


def capture(repo: Path, out: Path, today: str) -> list[Call]:
    argv = [sys.executable, "-m", "bench.sql_replay", "--child", str(repo), str(out), today]
    subprocess.run(argv, cwd=ROOT, env=CHILD_ENV, check=True, stdout=subprocess.DEVNULL)
    calls: list[Call] = []
    with out.open("rb") as stream:
        load = pickle.Unpickler(stream).load
        while True:
            try:
                calls.append(load())
            except EOFError:
                break
    remove_derived(repo)
    return calls


SUBSTITUTE: dict[str, dict[str, str]] = {
    "base": {},
    "wal_first": {},
    "bulk_journal": {},
    "journal_off": {
        "PRAGMA journal_mode=WAL": "PRAGMA journal_mode=OFF",
        "PRAGMA synchronous=NORMAL": "PRAGMA synchronous=OFF",
    },
    "wal_sync_off": {"PRAGMA synchronous=NORMAL": "PRAGMA synchronous=OFF"},
}

# FTS5 settings for the notes table during the bulk transaction alone: (config rows set
# after it begins, whether an 'optimize' runs before it commits).  Each is set back to
# FTS5's default before the commit, so the table behaves as before afterwards.
FTS_BULK: dict[str, tuple[dict[str, int], bool]] = {
    "fts_default": ({}, False),
    "fts_hash4": ({"hashsize": 4 << 20}, False),
    "fts_hash8": ({"hashsize": 8 << 20}, False),
    "fts_hash16": ({"hashsize": 16 << 20}, False),
    "fts_hash64": ({"hashsize": 64 << 20}, False),
    "fts_nomerge_opt": ({"automerge": 0, "crisismerge": 1000}, True),
    "fts_hash16_opt": ({"hashsize": 16 << 20, "automerge": 0, "crisismerge": 1000}, True),
    "fts_merge16": ({"automerge": 16}, False),
}
FTS_DEFAULTS = {"hashsize": 1 << 20, "automerge": 4, "crisismerge": 16}


def replay(calls: list[Call], path: Path, variant: str) -> float:
    """Thread CPU seconds of ``calls`` run into a new file at ``path``."""
    from sortext.rules.money import DecimalSum
    from sortext.store.daybook import _ExactSum

    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    subs = SUBSTITUTE.get(variant, {})
    fts = FTS_BULK.get(variant)
    first = next(i for i, c in enumerate(calls) if c[0] == "x" and "INTO notes (" in c[1])
    bulk = max(i for i in range(first) if calls[i][0] == "enter")
    switched = False
    start = time.thread_time()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.isolation_level = "IMMEDIATE"
    conn.create_aggregate("xsum", 1, _ExactSum)  # type: ignore[arg-type]
    conn.create_aggregate("dsum", 1, DecimalSum)  # type: ignore[arg-type]
    for i, (kind, sql, args) in enumerate(calls):
        if kind == "x":
            if variant == "wal_first" and sql == "PRAGMA journal_mode=DELETE":
                continue  # what the code did before: WAL throughout
            if fts is not None and ("'hashsize'" in sql or "notes_config" in sql):
                continue  # the capture's own buffer setting: the variant's alone counts
            sql = str(subs.get(sql, sql))
            cursor = conn.execute(sql, args)
            if sql.lstrip().upper().startswith(("SELECT", "PRAGMA", "WITH")):
                cursor.fetchall()
        elif kind == "m":
            conn.executemany(str(subs.get(sql, sql)), args)
        elif kind == "s":
            for old, new in subs.items():
                sql = sql.replace(old, new)
            conn.executescript(sql)
        elif kind == "enter":
            if variant == "bulk_journal" and i == bulk:
                conn.execute("PRAGMA journal_mode=DELETE").fetchall()
                switched = True
            conn.__enter__()
            if fts is not None and i == bulk:
                for key, value in fts[0].items():
                    conn.execute("INSERT INTO notes (notes, rank) VALUES (?, ?)", (key, value))
        elif kind == "exit":
            if fts is not None and i > first and bulk >= 0:
                if fts[1]:
                    conn.execute("INSERT INTO notes (notes) VALUES ('optimize')")
                for key in fts[0]:
                    conn.execute(
                        "INSERT INTO notes (notes, rank) VALUES (?, ?)", (key, FTS_DEFAULTS[key])
                    )
                bulk = -1
            if args:
                conn.__exit__(None, None, None)
            else:
                conn.__exit__(Exception, Exception(), None)
            if switched and i > first:
                conn.execute("PRAGMA journal_mode=WAL").fetchall()
                switched = False
        elif kind == "commit":
            conn.commit()
    conn.close()
    return time.thread_time() - start


def main(argv: list[str] | None = None) -> None:
    command = repo_command(
        __doc__, argv, lambda rest: _child(Path(rest[0]), Path(rest[1]), rest[2])
    )
    if command is None:
        return
    parser, args = command
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default="base,bulk_journal,journal_off")
    opts = parser.parse_args(args)
    variants = opts.variants.split(",")
    with tempfile.TemporaryDirectory(prefix="sql-replay-") as work:
        calls = capture(opts.repo.resolve(), Path(work) / "calls.pickle", opts.today)
        print(f"{len(calls):,} calls captured from a cold build of {opts.repo}")
        spent: dict[str, list[float]] = {v: [] for v in variants}
        for _ in range(opts.rounds):
            for variant in variants:
                spent[variant].append(replay(calls, Path(work) / f"{variant}.sqlite", variant))
        for variant, values in spent.items():
            shown = " ".join(f"{v:.3f}" for v in values)
            size = (Path(work) / f"{variant}.sqlite").stat().st_size
            conn = sqlite3.connect(Path(work) / f"{variant}.sqlite")
            free = conn.execute("PRAGMA freelist_count").fetchone()[0]
            page = conn.execute("PRAGMA page_size").fetchone()[0]
            conn.close()
            print(
                f"{variant:16s} {statistics.median(values):7.3f} CPU s (median; {shown})"
                f"  {size / 1e6:.2f} MB, {free * page / 1e6:.2f} MB of it free pages"
            )


if __name__ == "__main__":
    main()
