"""``sortext watch``: validate, render and commit every save, in the foreground."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sortext.commands.options import repo_option, today_option

if TYPE_CHECKING:
    import subprocess


@click.command("watch")
@repo_option
@click.option("--poll", is_flag=True, help="Poll for changes (network drives, containers).")
@click.option(
    "--debounce",
    "debounce_ms",
    type=click.IntRange(0, 60_000),
    default=300,
    show_default=True,
    metavar="MS",
    help="Wait until a file has been quiet this long before reading it.",
)
@click.option(
    "--pages/--no-pages",
    default=True,
    show_default=True,
    help="Regenerate NEXT.md and site/ after each commit and publish them on the pages branch.",
)
@today_option
def command(
    repo_dir: Path | None, poll: bool, debounce_ms: int, pages: bool, today: str | None
) -> None:
    """Watch the clients folder and act on every save.

    Each saved record is validated; a valid one is committed to git with a
    message naming the changed fields, then the index and the pages
    (NEXT.md, site/: git-ignored, written to the working tree) are updated
    from that commit and published on their own branch (sortext-pages;
    'pages:' in sortext.yaml).  An invalid one is reported as path:line:col
    and left uncommitted.  Changes made while no watcher ran are committed
    at start.  Logs go to stderr and .sortext/watch.log.  Ctrl-C stops it.

    \b
    Examples:
      sortext watch
      sortext watch --poll --debounce 1000
    """
    from sortext.commands.options import open_repo, resolve_today
    from sortext.daemon.pipeline import NoPages
    from sortext.daemon.renderer import default_renderer
    from sortext.daemon.service import WatchService, setup_logging

    repo = open_repo(repo_dir)
    resolve_today(today)  # reject a bad --today before starting
    setup_logging(repo.root)
    service = WatchService(
        repo,
        default_renderer() if pages else NoPages(),
        lambda: resolve_today(today),
        poll=poll,
        debounce=debounce_ms / 1000,
        refresh=refresh_in_child,
    )
    service.run()


#: How many of the questions command lines asked today a watcher works out again after
#: each save (the newest; each costs the watcher what the query costs).
ASKED = 8

#: The child process :func:`refresh_in_child` runs (the repository's root is its
#: argument).
_CHILD = (
    "import sys\n"
    "if sys.argv[2]:\n"
    "    sys.path.insert(0, sys.argv[2])\n"
    "from pathlib import Path\n"
    "from sortext.commands.watch import refresh_replies\n"
    "refresh_replies(Path(sys.argv[1]), lambda: False)\n"
)
#: Seconds between two looks at ``hurry`` while the child works.
_LOOK = 0.02


def refresh_in_child(root: Path, hurry: Callable[[], bool]) -> int | None:
    """:func:`refresh_replies` in a process of its own, so that working the questions
    out never holds the watcher's interpreter (a save's commit would wait for it: at
    10,000 clients save -> commit went from a median of 65 to 205 ms with the pass on
    the page thread), and is stopped (killed) the moment ``hurry()`` says a change is
    waiting: its replies would be under a key no query makes again.  What it was
    writing is safe to cut: the index is SQLite (the transaction is rolled back), a long
    reply's file is written by the one writer (a temp file, renamed; a killed writer's
    temp file is removed at the watcher's next start).  The child is sortext as a
    command line runs it, so its build identity is that of the code it runs.  Returns
    the child's exit status, None when it was stopped."""
    import subprocess
    import sys

    # -P: no working folder on sys.path (python -c would put it first: a click.py or
    # sortext/ in the folder the watcher was started in would run as its child)
    proc = subprocess.Popen(
        [sys.executable, "-P", "-c", _CHILD, str(root), _source_tree()],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
    )
    try:
        while True:
            try:
                return proc.wait(timeout=_LOOK)
            except subprocess.TimeoutExpired:
                if hurry():
                    _stop_child(proc, root)
                    return None
    except BaseException:
        _stop_child(proc, root)
        raise


def _source_tree() -> str:
    """The folder holding the watcher's ``sortext`` package when it runs from a source
    tree (``python -m sortext`` in a checkout: the child, without the working folder
    on its path, would not find it), else "" (installed: the child's interpreter finds
    the same one)."""
    import os

    import sortext
    from sortext.views.recall import installed

    package = os.path.dirname(os.path.abspath(sortext.__file__ or ""))
    return "" if installed(package) else os.path.dirname(package)


def _stop_child(proc: subprocess.Popen[bytes], root: Path) -> None:
    """Kill the child and remove the long reply's temp file it may have been writing
    (a watcher runs for weeks: its start is too late to find them)."""
    from sortext.daemon.leftovers import remove_leftovers
    from sortext.errors import SortextError
    from sortext.files.state import StateDir

    proc.kill()
    proc.wait()
    try:
        folder = StateDir(root).replies
    except (SortextError, OSError):
        return  # a link leading out: the child wrote no file there either
    remove_leftovers([folder])


def refresh_replies(root: Path, hurry: Callable[[], bool]) -> int:
    """After a save the watcher vouches for: work out again the newest :data:`ASKED`
    questions that ``next`` and ``list`` command lines asked today, and remember their
    replies under the key those command lines compute (:class:`sortext.views.recall.
    Refresh`), so that the first such query after a save is a replay.  Stops before
    the next question when ``hurry()`` says a change is waiting.  A question that
    cannot be answered (an owner no longer known, a damaged row) is skipped: the
    command line reports it.  Returns how many replies were kept."""
    from sortext.commands import list as list_command
    from sortext.commands import next as next_command
    from sortext.views.queries import shared_reads
    from sortext.views.recall import questions

    askers = {"next": next_command.ask, "list": list_command.ask}
    with shared_reads():  # the summaries, next actions and clock read once for all
        return _refresh(root, hurry, askers, questions(root, ASKED))


def _refresh(
    root: Path,
    hurry: Callable[[], bool],
    askers: dict[str, Callable[..., None]],
    asked: list[dict[str, Any]],
) -> int:
    from sortext.repo import open_repository
    from sortext.views.recall import Refresh

    kept = 0
    for question in asked:
        if hurry():
            break
        parts = question["parts"]
        ask = askers.get(parts[0])
        if ask is None:
            continue
        recall = Refresh(root, question)
        if not recall.wanted:
            continue
        try:
            repo = open_repository(root)
            ask(recall, repo, parts)
        except Exception as exc:  # the command line says what is wrong with it
            logging.getLogger("sortext.watch").debug("reply not refreshed: %s", exc)
            continue
        recall.keep(repo.clients_path)
        kept += 1
    return kept
