"""The client page's render alone: Jinja's compiled template against the plain path.

    python -m bench.render_bench REPO [--rounds 5] [--limit N] [--today 2026-11-23]

Parses REPO's client files (``bench/gen_pages.py`` output: /work/benchdata/r1000),
assesses each and makes its view model once, then renders every page with the
shipped ``client.html.j2`` through Jinja (the build's environment) and through
:class:`sortext.pages.plain.ClientPages`'s plain path, alternated ``--rounds``
times in this process: CPU ms a page (``time.process_time``), medians, and what
the notes (Markdown) and goal charts, which both paths call, cost by themselves.
Every page is compared first: the two paths must give the same bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def views(repo: Path, today: dt.date, limit: int | None) -> list[Any]:
    """The client view model of each record of ``repo`` (its own sortext.yaml)."""
    from sortext.check.load import parse_record
    from sortext.repo import open_repository
    from sortext.rules import findings as rules
    from sortext.store.index import Index
    from sortext.views.dashboard import client_view

    with tempfile.TemporaryDirectory(prefix="render-bench-") as base:
        folder = Path(base)
        (folder / "clients").mkdir()
        shutil.copy(repo / "sortext.yaml", folder / "sortext.yaml")
        made = open_repository(folder)
        with Index.open(made) as index:
            validator = index.validator
        config = made.config
    out = []
    for path in sorted((repo / "clients").glob("*.md"))[:limit]:
        parsed = parse_record(path.read_bytes(), f"clients/{path.name}", validator)
        if parsed.record is None:
            continue
        assessment = rules.assess(parsed.record, config, today)
        out.append(client_view(parsed.record, config, today, parsed.diagnostics, False, assessment))
    return out


def main(argv: list[str] | None = None) -> None:
    from sortext.pages import plain, render
    from sortext.pages.build import LIST_LIMIT

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--today", default="2026-11-23")
    opts = parser.parse_args(argv)
    models = views(opts.repo, dt.date.fromisoformat(opts.today), opts.limit)
    common = {"limit": LIST_LIMIT, "soon_days": 7, "invoice_days": 14}
    env = render.environment(opts.repo / "no-such-folder")  # the shipped templates
    template = env.get_template("client.html.j2")
    pages = plain.ClientPages(env, template)
    if not pages.plain:
        raise SystemExit("the shipped templates are not the plain path's (SHIPPED_DIGEST)")
    for view in models:
        if pages._plain(view) != template.render(c=view, **common):
            raise SystemExit(f"{view.record.path}: the two paths differ")

    def jinja() -> None:
        for view in models:
            template.render(c=view, **common)

    def plain_path() -> None:
        for view in models:
            pages._plain(view)

    def shared() -> None:
        for view in models:
            render.notes_html(view.record.body)
            for goal in view.goals:
                render.goal_chart(goal)

    runs: dict[str, list[float]] = {"Jinja": [], "plain": [], "notes + charts": []}
    for i in range(opts.rounds):
        order = [("Jinja", jinja), ("plain", plain_path), ("notes + charts", shared)]
        for name, work in order if i % 2 == 0 else order[::-1]:
            start = time.process_time()
            work()
            runs[name].append((time.process_time() - start) / len(models) * 1000)
    print(f"{len(models)} client pages, the same bytes both ways; CPU ms a page, medians:")
    for name, values in runs.items():
        shown = " ".join(f"{v:.3f}" for v in values)
        print(f"  {name:15s} {statistics.median(values):.3f}  ({shown})")
    saved = statistics.median(runs["Jinja"]) - statistics.median(runs["plain"])
    print(f"  saved           {saved:.3f} ms a page")


if __name__ == "__main__":
    main()
