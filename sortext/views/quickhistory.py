"""``sortext history ID [--json] [--repo DIR]`` answered before Click is imported.

A cold history of 2,000 commits spends ~15-20 ms of its CPU importing Click and the
command line's modules, which print nothing of it.  :mod:`sortext.__main__` hands a
command line whose first word is ``history`` to :func:`answer_line` first; it answers
exactly these command lines (the words in any order, each at most once):

* ``history ID`` with ``ID`` a client id (:func:`sortext.files.slug.slug_problem`);
* ``--json``;
* ``--repo DIR`` or ``--repo=DIR`` with ``DIR`` an existing readable folder (what
  Click's ``click.Path(file_okay=False)`` takes without a usage error).

It writes what the Click command writes, byte for byte: the same text
(:mod:`sortext.views.historytext`), through the same inert filter over the same
streams (:class:`sortext.files.inert.InertStream` over
:func:`sortext.files.inert.text_target`, colour as ``--color auto`` decides it:
``NO_COLOR``, else whether stdout is a terminal), in one write, exit status 0.

Anything else is left to Click (None is returned, nothing written): any other word
(``--field``, ``--help``, ``--color``, a second id, ``--``), an id Click would refuse,
shell completion, a standard stream closed before sortext started, and every failure
while the answer is worked out (not a repository, an unknown id, no history, a git or
storage error, an internal error): Click then works it out again and reports it as it
always does.  Text holding an ESC without colour is left to Click too: ``click.echo``
strips what it takes for colour codes there, by its own rules.  A failure while
writing is reported as the command line reports it: a reader that went away is a
quiet exit 1, any other write error ``sortext: cannot write the output: ...`` and
exit 2; an interrupt is Click's ``Aborted!`` and exit 1.

May import: :mod:`sortext.repo`, :mod:`sortext.vcs.history` (and what it imports),
:mod:`sortext.views.historytext`, :mod:`sortext.files`, :mod:`sortext.errors`; never
Click.
"""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False  # typing is not imported here (see files.state)
if TYPE_CHECKING:
    from typing import Any

    from sortext.files.inert import InertStream

#: The first word of the command lines answered here.
COMMAND = "history"


def parse(argv: list[str]) -> tuple[str, bool, str | None] | None:
    """(client id, ``--json``, ``--repo``'s folder or None) of the command line
    ``argv`` (``sys.argv[1:]``) when it is one :func:`answer_line` answers, else None
    (Click's to parse: see the module's docstring)."""
    if not argv or argv[0] != COMMAND:
        return None
    record_id: str | None = None
    as_json = False
    repo: str | None = None
    rest = argv[1:]
    at = 0
    while at < len(rest):
        word = rest[at]
        if word == "--json":
            if as_json:
                return None
            as_json = True
        elif word == "--repo" or word.startswith("--repo="):
            if repo is not None:
                return None
            if word == "--repo":
                at += 1
                if at >= len(rest):
                    return None
                value = rest[at]
            else:
                value = word.removeprefix("--repo=")
            if not _plain_folder(value):
                return None
            repo = value
        elif word.startswith("-") or record_id is not None:
            return None
        else:
            record_id = word
        at += 1
    if record_id is None:
        return None
    from sortext.files.slug import slug_problem

    if slug_problem(record_id) is not None:
        return None  # Click's usage error says why
    return record_id, as_json, repo


def _plain_folder(value: str) -> bool:
    """Whether Click's ``click.Path(file_okay=False)`` (readable, need not exist) takes
    ``value`` without a word and it names a folder that is there: anything else
    (missing, a file, unreadable, looking like an option) is left to Click."""
    if not value or value.startswith("-"):
        return False
    try:
        found = os.stat(value)
    except (OSError, ValueError):
        return False
    return stat.S_ISDIR(found.st_mode) and os.access(value, os.R_OK)


def _completing() -> bool:
    """Whether a shell asks Click for completions (``_SORTEXT_COMPLETE`` and kin)."""
    return any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ)


def answer_line(argv: list[str]) -> int | None:
    """Print the history the command line ``argv`` (``sys.argv[1:]``) asks for and
    return the exit status, or None, having written nothing, when Click is to answer
    it (see the module's docstring).  Never raises but what the interpreter's own
    streams raise."""
    asked = parse(argv)
    if asked is None or _completing():
        return None
    out, err = sys.stdout, sys.stderr
    if out is None or err is None:  # a closed stream: Click's ClosedStream reports it
        return None
    try:
        return _answer(asked, out, err)
    except KeyboardInterrupt:  # as click's main: an empty line, "Aborted!", exit 1
        err.write("\nAborted!\n")
        err.flush()
        return 1


def _answer(asked: tuple[str, bool, str | None], out: Any, err: Any) -> int | None:
    """:func:`answer_line` for a parsed command line, between the process's streams
    ``out`` and ``err`` (restored on return)."""
    from sortext.files.inert import InertStream, text_target

    record_id, as_json, repo_dir = asked
    # sortext.commands.style.use_colour without --color: NO_COLOR, else a terminal
    colour = False if os.environ.get("NO_COLOR") else out.isatty()
    inert_out = InertStream(text_target(out), colour)
    inert_err = InertStream(text_target(err), colour)
    sys.stdout, sys.stderr = inert_out, inert_err  # (as the Click group installs them)
    try:
        text = _text(record_id, as_json, repo_dir, getattr(inert_out, "encoding", None))
        if text is None or (not colour and "\x1b" in text):
            return None
        return _write(text, inert_out, inert_err)
    finally:
        sys.stdout, sys.stderr = out, err


def _text(record_id: str, as_json: bool, repo_dir: str | None, encoding: str | None) -> str | None:
    """What the command prints for this question (``encoding``: stdout's, for
    ``--json``), or None when working it out failed in any way (Click then does it
    again and reports it)."""
    try:
        from pathlib import Path

        from sortext.repo import open_repository
        from sortext.vcs.history import client_history
        from sortext.views.historytext import history_json, history_lines

        repo = open_repository(Path(repo_dir) if repo_dir is not None else None)
        entries = client_history(repo, record_id)
        if as_json:
            return history_json(entries, encoding) + "\n"
        return history_lines(entries, repo.config.timezone)
    except Exception:  # every failure: Click's path works it out again and reports it
        return None


def _write(text: str, out: InertStream, err: InertStream) -> int:
    """Write ``text`` to ``out`` in one piece and flush it, as ``click.echo`` and the
    command group do; the exit status (see the module's docstring)."""
    from sortext.errors import OutputError

    try:
        if text:
            out.write(text)
        out.flush()
    except OutputError as exc:
        from sortext.files.inert import clean

        # (the command line's wording: an OutputError carries no hint, its text is all)
        message = "\n".join(clean(line) for line in str(exc).split("\n"))
        try:
            err.write(f"sortext: {message}\n")
            err.flush()
        except (OSError, OutputError):  # standard error itself may be gone
            pass
        exc.abandon()
        return 2
    except BrokenPipeError:
        # The reader went away (`sortext history ID | head -1`): a quiet exit 1, as
        # Click's main makes it, with nothing left for the final flush to complain about.
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, out.fileno())
            os.close(null)
        except (OSError, ValueError):
            pass
        return 1
    return 0
