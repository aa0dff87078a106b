"""Where a cold build's CPU goes per record, stage by stage, without a profiler.

    python -m bench.cold_stages REPO [--records 300] [--today 2026-11-23]

REPO is a records repository (``bench/gen_pages.py`` output, built once so the
index exists).  For the first ``--records`` files it times, in this process
(CPU seconds, best of 3 passes, per record): parsing and validating, the
sha256 of the bytes, the JSON and zlib the index stores, the search text, the
rules, the board and day-book rows, the page's view model, the Jinja render
and its UTF-8 encoding.  What it leaves out is the kernel's part (reading the
record, creating the page file) and the parent's (SQLite inserts, the summary
pages): compare the total with a cold build's CPU per record.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--today", default="2026-11-23")
    args = parser.parse_args(argv)

    from sortext.check.load import parse_record
    from sortext.pages.build import LIST_LIMIT
    from sortext.pages.render import environment
    from sortext.repo import open_repository
    from sortext.rules import findings as rules
    from sortext.store import board, daybook
    from sortext.store.index import Index, _data_json, _pack_doc, searchable
    from sortext.views.dashboard import client_view

    repo = open_repository(args.repo)
    today = dt.date.fromisoformat(args.today)
    files = sorted((repo.clients_path).glob("*.md"))[: args.records]
    raws = [f.read_bytes() for f in files]
    with Index.open(repo) as index:
        validator = index.validator
    validator.prepare()
    template = environment(repo.root).get_template("client.html.j2")
    common = {
        "limit": LIST_LIMIT,
        "soon_days": repo.config.threshold("due_soon_days"),
        "invoice_days": repo.config.threshold("invoice_due_soon_days"),
    }
    best: dict[str, float] = {}

    def stage(name: str, work: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        start = time.process_time()
        out = [work(item) for item in items]
        spent = time.process_time() - start
        best[name] = min(best.get(name, spent), spent)
        return out

    def parse(item: tuple[bytes, Path]) -> Any:
        return parse_record(item[0], f"clients/{item[1].name}", validator)

    def stored(r: Any) -> bytes:
        return _pack_doc(_data_json(r.data), r.body)

    def rows(item: tuple[Any, Any]) -> Any:
        r, a = item
        return board.to_rows(r.path, "k", a, True), daybook.to_rows(r, repo.config, today)

    def view(item: tuple[Any, Any, Any]) -> Any:
        r, p, a = item
        return client_view(r, repo.config, today, p.diagnostics, False, a)

    for _ in range(3):
        parsed = stage("parse and validate", parse, list(zip(raws, files, strict=True)))
        records = [p.record for p in parsed]
        stage("sha256", lambda raw: hashlib.sha256(raw).hexdigest(), raws)
        stage("index JSON + zlib", stored, records)
        stage("search text", lambda r: searchable(r.body, r.data), records)
        assessed = stage("rules", lambda r: rules.assess(r, repo.config, today), records)
        stage("board + day-book rows", rows, list(zip(records, assessed, strict=True)))
        views = stage("page view model", view, list(zip(records, parsed, assessed, strict=True)))
        pages = stage("render", lambda v: template.render(c=v, **common), views)
        stage("encode", lambda page: page.encode("utf-8"), pages)
    count = len(files)
    for name, spent in best.items():
        print(f"{name:22s} {1000 * spent / count:6.3f} ms a record")
    print(f"{'total':22s} {1000 * sum(best.values()) / count:6.3f} ms a record")


if __name__ == "__main__":
    main()
