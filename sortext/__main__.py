"""``python -m sortext`` and the ``sortext`` command: a remembered reply to this very
command line is printed before Click is imported (:func:`sortext.views.recall.replay_line`),
as is ``sortext history ID [--json]`` (:func:`sortext.views.quickhistory.answer_line`);
anything else runs the Click command line (:mod:`sortext.cli`)."""

from __future__ import annotations

import sys


def run() -> None:
    """The ``sortext`` console script."""
    argv = sys.argv[1:]
    if argv[:1] == ["history"]:
        # history remembers no reply (nor the question of a command line), so there is
        # nothing to replay: its own quick path, else Click
        from sortext.views.quickhistory import answer_line

        code = answer_line(argv)
    else:
        from sortext.views.recall import replay_line

        code = replay_line(argv)
    if code is not None:
        raise SystemExit(code)
    from sortext.cli import main

    main()


if __name__ == "__main__":
    run()
