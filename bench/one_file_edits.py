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
import sys
from pathlib import Path

from bench.report import add_note, one_file_figures


def move_due(text: bytes) -> bytes:
    """The first ``due:`` of a nested mapping (the next action's) moved to 2026-11-25."""
    return re.sub(rb"(?m)^(  due: )\S+", rb"\g<1>2026-11-25", text, count=1)


def main(argv: list[str]) -> None:
    edit, repo, size = argv[0], Path(argv[1]), int(argv[2])
    change = add_note if edit == "note" else move_due
    print(json.dumps(one_file_figures(repo, size, 3, change)))


if __name__ == "__main__":
    main(sys.argv[1:])
