"""The command line of the benchmarks that take a records repository
(``bench/sql_replay.py``, ``bench/cold_account.py``): ``--child ...`` is the
benchmark's own child process; anything else is parsed by the caller, which adds
its options to a parser that already takes the repository and ``--today``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def repo_command(
    doc: str | None, argv: list[str] | None, child: Callable[[list[str]], None]
) -> tuple[argparse.ArgumentParser, list[str]] | None:
    """``argv`` (None: this process's arguments): when it starts with ``--child``, runs
    ``child`` with the words after it and returns None; else (a parser described by
    the first line of ``doc``, taking ``repo`` and ``--today``, the words to parse)."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"]:
        child(args[1:])
        return None
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--today", default="2026-11-23")
    return parser, args
