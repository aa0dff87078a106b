"""One file changed, then ``sortext build``, with the edit chosen (issue 15).

``note``: :func:`bench.report.one_file_figures` itself (a note added: nothing the
summary pages show changes).  ``due``: the same measurement with the next action's
due date moved (the record's rows change: NEXT.md, the dashboard and its owner's
page are rendered).  Prints the medians as JSON (CPU s of the child; the anchor is
``python -c pass``).  Run it on a copy of a ``bench.query_bench.prepare`` repository::

    python -m bench.one_file_edits due /tmp/copy-of-records-10000 10000

Alternating two versions of the code: run it with ``PYTHONPATH`` at each one's tree
(``git archive``), each on its own copy of the repository, round by round.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path

from bench.query_bench import child_run
from bench.report import DAY, _sortext, one_file_figures


def due_figures(repo: Path, size: int, runs: int = 3) -> dict[str, float]:
    """As :func:`bench.report.one_file_figures`, the edit moving the first ``due:`` of a
    nested mapping (the next action's) to 2026-11-25."""
    child_run(_sortext("build", "--today", DAY), repo)
    ones, nones, anchors = [], [], []
    for i in range(max(3, runs)):
        path = repo / "clients" / f"client-{(42 + i * 997) % size:05d}.md"
        original = path.read_bytes()
        moved = re.sub(rb"(?m)^(  due: )\S+", rb"\g<1>2026-11-25", original, count=1)
        path.write_bytes(moved)
        ones.append(child_run(_sortext("build", "--today", DAY), repo)[:2])
        nones.append(child_run(_sortext("build", "--today", DAY), repo)[:2])
        anchors.append(child_run([sys.executable, "-c", "pass"], repo)[0])
        path.write_bytes(original)
    child_run(_sortext("build", "--today", DAY), repo)
    return {
        "one_cpu": statistics.median(c for c, _ in ones),
        "one_wall": statistics.median(w for _, w in ones),
        "none_cpu": statistics.median(c for c, _ in nones),
        "none_wall": statistics.median(w for _, w in nones),
        "anchor_cpu": statistics.median(anchors),
    }


def main(argv: list[str]) -> None:
    edit, repo, size = argv[0], Path(argv[1]), int(argv[2])
    measure = one_file_figures if edit == "note" else due_figures
    print(json.dumps(measure(repo, size, 3)))


if __name__ == "__main__":
    main(sys.argv[1:])
