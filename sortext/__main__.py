"""``python -m sortext`` and the ``sortext`` command: a remembered reply to this very
command line is printed before Click is imported (:func:`sortext.views.recall.replay_line`),
as is ``sortext history ID [--json]`` (:func:`sortext.views.quickhistory.answer_line`);
anything else runs the Click command line (:mod:`sortext.cli`)."""

from __future__ import annotations

import sys


def run() -> None:
    """The ``sortext`` console script."""
    from sortext.views.recall import replay_line

    code = replay_line(sys.argv[1:])
    if code is not None:
        raise SystemExit(code)
    if sys.argv[1:2] == ["history"]:
        from sortext.views.quickhistory import answer_line

        code = answer_line(sys.argv[1:])
        if code is not None:
            raise SystemExit(code)
    from sortext.cli import main

    main()


if __name__ == "__main__":
    run()
