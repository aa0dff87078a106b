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
    from sortext.commands.options import PracticeZone, open_repo, resolve_today
    from sortext.daemon.pipeline import NoPages
    from sortext.daemon.renderer import default_renderer
    from sortext.daemon.service import WatchService, setup_logging

    repo = open_repo(repo_dir)
    zone = PracticeZone(repo.root)
    resolve_today(today, zone())  # reject a bad --today (or SORTEXT_NOW) before starting
    setup_logging(repo.root)
    refresh = RefreshChild()
    service = WatchService(
        repo,
        default_renderer() if pages else NoPages(),
        lambda: resolve_today(today, zone()),
        poll=poll,
        debounce=debounce_ms / 1000,
        refresh=refresh,
    )
    refresh.stopping = service.stopping  # a child dying of the watcher's own stop
    service.run()


#: How many of the questions command lines asked today a watcher works out again after
#: each save (the newest; each costs the watcher what the query costs).
ASKED = 8

#: The child process :func:`refresh_in_child` runs (the repository's root is its
#: argument).
#: Its first lines (:data:`SENTRY`) tell who stops it: SIGTERM and SIGINT are blocked
#: and a thread takes them with ``sigwaitinfo``, writes the sender's pid on standard
#: error (:data:`KILLED_BY`), and lets the signal kill the child as it would have.  A
#: process the child forks (a parsing pool's worker) takes them as usual, and so does
#: a program it runs (git, and what git runs: ssh, hooks, helpers): a signal mask
#: survives fork and exec, and ``subprocess`` forks in C, running no at-fork hook, so
#: the thread starting one unblocks the two while it does (a git that hung would
#: otherwise outlive a killed child, deaf to ``kill``, to a service manager's SIGTERM
#: and to Ctrl-C: SIGKILL alone ended it).  A stop arriving in that moment (the time
#: to fork and exec) may kill the child before its sentry names the sender: the
#: sender is then unknown, which :meth:`RefreshChild._stopped_with_watcher` allows for.
#: The git the child starts stays in the child's process group (:data:`SHARE_GROUP`),
#: which the watcher kills whole once the child has ended (:func:`_end_group`): a child
#: killed by SIGKILL leaves no git running.
SENTRY = (
    "import os, signal, sys, threading\n"
    "_stops = {signal.SIGTERM, signal.SIGINT}\n"
    "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
    "signal.pthread_sigmask(signal.SIG_BLOCK, _stops)\n"
    "_free = lambda: signal.pthread_sigmask(signal.SIG_UNBLOCK, _stops)\n"
    "os.register_at_fork(after_in_child=_free)\n"
    "import subprocess\n"
    "_popen_init = subprocess.Popen.__init__\n"
    "def _popen_free(self, *args, **kwargs):\n"
    "    kept = signal.pthread_sigmask(signal.SIG_UNBLOCK, _stops)\n"
    "    try:\n"
    "        _popen_init(self, *args, **kwargs)\n"
    "    finally:\n"
    "        signal.pthread_sigmask(signal.SIG_SETMASK, kept)\n"
    "subprocess.Popen.__init__ = _popen_free\n"
    "def _sentry():\n"
    "    info = signal.sigwaitinfo(_stops)\n"
    "    os.write(2, b'\\n%s %d %d\\n' % (sys.argv[3].encode(), info.si_signo, info.si_pid))\n"
    "    signal.pthread_sigmask(signal.SIG_UNBLOCK, _stops)\n"
    "    os.kill(os.getpid(), info.si_signo)\n"
    "threading.Thread(target=_sentry, daemon=True).start()\n"
)
#: The word before "SIGNAL PID" in the line :data:`SENTRY` writes.
KILLED_BY = "sortext-refresh-stopped-by"
#: Lines that keep every git the child starts in the child's process group (see
#: :func:`_end_group`): run after the source tree is on ``sys.path``.
SHARE_GROUP = "from sortext.vcs.git import share_group\nshare_group()\n"
_CHILD = SENTRY + (
    "if sys.argv[2]:\n"
    "    sys.path.insert(0, sys.argv[2])\n" + SHARE_GROUP + "from pathlib import Path\n"
    "from sortext.commands.watch import refresh_replies\n"
    "refresh_replies(Path(sys.argv[1]), lambda: False)\n"
)
#: Seconds between two looks at ``hurry`` while the child works.
_LOOK = 0.02
#: How much of the child's standard error a warning quotes (its last line).
_QUOTED = 300
#: Seconds a child killed by a stop signal waits to be seen as the watcher's own stop
#: (:meth:`RefreshChild._stopped_with_watcher`): more than the watcher's loop takes to
#: run its signal handler (one TICK when the signal reached another of its threads).
STOP_GRACE = 3.0


class RefreshChild:
    """:func:`refresh_replies` in a process of its own, so that working the questions
    out never holds the watcher's interpreter (a save's commit would wait for it: at
    10,000 clients save -> commit went from a median of 65 to 205 ms with the pass on
    the page thread), and is stopped (killed) the moment ``hurry()`` says a change is
    waiting: its replies would be under a key no query makes again.  What it was
    writing is safe to cut: the index is SQLite (the transaction is rolled back), a long
    reply's file is written by the one writer (a temp file, renamed; a killed writer's
    temp file is removed here).  The child is sortext as a command line runs it, so its
    build identity is that of the code it runs.

    No child is started when no question was asked since the last finished refresh
    (:func:`sortext.views.recall.questions` with ``pending``): a save nobody asks after
    costs one read of the index.  A child that fails (exits non-zero, or is killed by
    anything but this watcher: an import error, the kernel's out-of-memory killer) is
    logged as a warning with the last line of its standard error, once per cause for the
    life of this object (one watcher), and the next save tries again.

    A child killed by SIGTERM or SIGINT while the watcher is stopping died of the same
    stop (a service manager signalling the whole control group, systemd's default
    KillMode): not a failure, never told.  ``stopping`` says whether the watcher is
    stopping (:meth:`sortext.daemon.service.WatchService.stopping`; None: never); the
    two signals arrive together but the watcher's handler may run after the child's
    death is seen, so such a death waits up to :data:`STOP_GRACE` seconds for it.  The
    same signal sent to the child alone while the watcher keeps running is told."""

    def __init__(self, stopping: Callable[[], bool] | None = None) -> None:
        #: the causes of failure already told (see :meth:`__call__`)
        self.told: set[str] = set()
        #: whether the watcher running this refresh is stopping (None: never)
        self.stopping = stopping

    def __call__(self, root: Path, hurry: Callable[[], bool]) -> int | None:
        """Returns the child's exit status (0 when none was needed), None when it was
        stopped."""
        import subprocess
        import sys
        import tempfile
        import time

        from sortext.views.recall import questions

        if not questions(root, ASKED, pending=True):
            return 0
        if hurry():
            # a change is already waiting (or the watcher is stopping): a child started
            # now would be stopped at its first look, or, failing faster than that
            # look, be told as a failure of the refresh that was never wanted
            return None
        with tempfile.TemporaryFile() as errors:
            # -P: no working folder on sys.path (python -c would put it first: a
            # click.py or sortext/ in the folder the watcher was started in would run as
            # its child)
            proc = subprocess.Popen(
                [sys.executable, "-P", "-c", _CHILD, str(root), _source_tree(), KILLED_BY],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                close_fds=True,
                # a session of its own: the stop signals a terminal sends its foreground
                # process group (Ctrl-C, its closing) reach the watcher only, which
                # then stops the child itself (hurry), a stop it never tells as a failure
                start_new_session=True,
            )
            try:
                while not _ended(proc):
                    if hurry():
                        _stop_child(proc, root)
                        return None
                    time.sleep(_LOOK)
                code = _end_group(proc)
            except BaseException:
                _stop_child(proc, root)
                raise
            if code != 0:
                _remove_temp_replies(root)  # killed by another hand: maybe mid-write
                errors.seek(0)
                said = errors.read()[-64 * 1024 :]
                sender = _sender(said, code)
                if self._stopped_with_watcher(code, sender):
                    return None
                self._tell(code, said, sender)
        return code

    def _stopped_with_watcher(self, code: int, sender: int | None = None) -> bool:
        """Whether the child's exit status ``code`` is a death by a stop signal that
        stopped the watcher too.

        ``sender``: the pid that sent the signal (the child's :data:`SENTRY` says it;
        None when it died before it could).  A signal from a process that is not one of
        the watcher's ancestors (a ``kill`` typed in another terminal) was sent to the
        child alone: told at once, even while the watcher stops (the watcher's own stop
        never signals its child: it kills it).  One from an ancestor (the service
        manager that stops the watcher's whole control group, the shell running it), or
        from an unknown sender, is the watcher's own stop when the watcher is seen
        stopping within :data:`STOP_GRACE` seconds."""
        import os
        import signal
        import time

        if self.stopping is None or -code not in (signal.SIGTERM, signal.SIGINT):
            return False
        if sender is not None and sender not in _ancestors(os.getpid()):
            return False
        deadline = time.monotonic() + STOP_GRACE
        while not self.stopping():
            if time.monotonic() >= deadline:
                return False
            time.sleep(_LOOK)
        return True

    def _tell(self, code: int, stderr: bytes, sender: int | None = None) -> None:
        """Log the child's failure once per cause: killed by a signal (``sender``: the
        pid that sent it, when known), or the last line its standard error holds (the
        exception a traceback ends with), else its exit status."""
        import signal

        from sortext.files.inert import clean

        lines = [
            line
            for line in stderr.decode("utf-8", "replace").splitlines()
            if line.strip() and not line.startswith(KILLED_BY + " ")
        ]
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            cause = f"killed by {name}" + (" (out of memory?)" if -code == signal.SIGKILL else "")
            if sender is not None:
                cause += f" from process {sender}"
        elif lines:
            cause = clean(lines[-1].strip())[:_QUOTED]
        else:
            cause = f"exit status {code}"
        if cause in self.told:
            return
        self.told.add(cause)
        logging.getLogger("sortext.watch").warning(
            "the replies to the questions asked today were not worked out again after "
            "this save: its process failed: %s (the first query after a save works its "
            "answer out; still watching; said once)",
            cause,
        )


#: The refresh ``sortext watch`` runs after each save it vouches for (each watcher
#: makes its own :class:`RefreshChild`; this one is for callers that need no memory of
#: what was told).
refresh_in_child = RefreshChild()


def _sender(stderr: bytes, code: int) -> int | None:
    """The pid that sent the signal ``-code`` to the child, from the line its
    :data:`SENTRY` wrote (the last such line); None when it wrote none."""
    import re

    found = re.findall(rb"^%s (\d+) (\d+)$" % KILLED_BY.encode(), stderr, re.MULTILINE)
    if not found:
        return None
    signo, pid = (int(x) for x in found[-1])
    return pid if signo == -code else None


def _ancestors(pid: int) -> set[int]:
    """``pid``'s parent, its parent's parent... up to the first process (``/proc``;
    where there is none, the parent alone)."""
    import os

    found: set[int] = set()
    here = pid
    while here > 1 and here not in found:
        try:
            with open(f"/proc/{here}/stat", "rb") as f:
                stat = f.read()
            parent = int(stat[stat.rfind(b")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            if here == pid:
                found.add(os.getppid())
            break
        found.add(parent)
        here = parent
    found.discard(pid)
    return found


def _source_tree() -> str:
    """The folder holding the watcher's ``sortext`` package when it runs from a source
    tree (``python -m sortext`` in a checkout: the child, without the working folder
    on its path, would not find it), else "" (installed: the child's interpreter finds
    the same one)."""
    import os

    import sortext
    from sortext.files.codestamp import installed

    package = os.path.dirname(os.path.abspath(sortext.__file__ or ""))
    return "" if installed(package) else os.path.dirname(package)


def _stop_child(proc: subprocess.Popen[bytes], root: Path) -> None:
    """Kill the child and every process of its group (the git it started), and remove
    the long reply's temp file it may have been writing (a watcher runs for weeks: its
    start is too late to find them)."""
    _end_group(proc)
    _remove_temp_replies(root)


def _ended(proc: subprocess.Popen[bytes]) -> bool:
    """Whether the child has exited, without reaping it (``waitid`` with ``WNOWAIT``):
    until :func:`_end_group` reaps it, its pid, and so its process group's id, stays
    its own and cannot be given to another process."""
    import os

    if proc.returncode is not None:
        return True
    try:
        seen = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True  # reaped already (by proc.poll elsewhere): wait() returns its status
    return seen is not None


def _end_group(proc: subprocess.Popen[bytes]) -> int:
    """SIGKILL the child's whole process group (the child leads it: ``start_new_session``),
    then reap the child; its exit status.  The git the child started is in that group
    (:data:`SHARE_GROUP`), so a child killed by anyone, SIGKILL included, or stopped by
    the watcher leaves no git running as an orphan.  Called before the child is reaped
    (a zombie still holds its group id), so the signal reaches no other group."""
    import contextlib
    import os
    import signal

    if proc.returncode is None:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.wait()


def _remove_temp_replies(root: Path) -> None:
    """Remove the temp files of long replies a killed child was writing."""
    from sortext.daemon.leftovers import remove_leftovers
    from sortext.errors import SortextError
    from sortext.files.state import StateDir

    try:
        folder = StateDir(root).replies
    except (SortextError, OSError):
        return  # a link leading out: the child wrote no file there either
    remove_leftovers([folder])


def refresh_replies(root: Path, hurry: Callable[[], bool]) -> int:
    """After a save the watcher vouches for: work out again the newest :data:`ASKED`
    questions that ``next`` and ``list`` command lines asked today since the last
    finished refresh (a question not asked again is left stale: worked out when next
    asked, which marks it asked), and remember their replies under the key those
    command lines compute (:class:`sortext.views.recall.Refresh`), so that the first such
    query after a save is a replay.  Stops before the next question when ``hurry()``
    says a change is waiting (the refresh is then not noted as finished: the next one
    works out these questions again).  A question that cannot be answered (an owner no
    longer known, a damaged row) is skipped: the command line reports it.  Returns how
    many replies were kept."""
    import time

    from sortext.views.recall import questions, refreshed

    began = time.time_ns()
    asked = questions(root, ASKED, pending=True)
    if not asked:
        return 0
    from sortext.commands import list as list_command
    from sortext.commands import next as next_command
    from sortext.views.queries import shared_reads

    askers = {"next": next_command.ask, "list": list_command.ask}
    with shared_reads():  # the summaries, next actions and clock read once for all
        kept, done = _refresh(root, hurry, askers, asked)
    if done:
        refreshed(root, began, asked)
    return kept


def _refresh(
    root: Path,
    hurry: Callable[[], bool],
    askers: dict[str, Callable[..., None]],
    asked: list[dict[str, Any]],
) -> tuple[int, bool]:
    """(replies kept, whether every question was seen to: not stopped by ``hurry``)."""
    from sortext.repo import open_repository
    from sortext.views.recall import Refresh

    kept = 0
    done = True
    for question in asked:
        if hurry():
            return kept, False
        parts = question["parts"]
        ask = askers.get(parts[0])
        if ask is None:
            continue
        recall = Refresh(root, question)
        if recall.key is None:  # not vouched for now (a change pending): not seen to
            done = False
            continue
        if not recall.wanted:
            continue
        try:
            repo = open_repository(root)
            ask(recall, repo, parts)
        except Exception as exc:  # the command line says what is wrong with it
            logging.getLogger("sortext.watch").debug("reply not refreshed: %s", exc)
            continue
        recall.keep(repo)
        kept += 1
    return kept, done
