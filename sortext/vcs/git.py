"""The one way sortext talks to git: one environment, one timeout, one error type.

Two doors, one policy:

* :func:`repository` opens a short-lived GitPython ``Repo`` (``repo.git`` for
  commands, GitPython's ref reading, ``Repo.init``, ``Repo.clone_from``,
  ``config_writer``, remotes).  GitPython is imported here, lazily, on the first
  call: query commands (``next``, ``show``, ``list``, ``search``, plain
  ``check``) never import it.  :func:`command` runs ``repo.git`` commands under
  the policy.
* :func:`run`, :func:`run_full` and :func:`popen` start a plain ``git`` process,
  for the hot paths where GitPython's machinery costs measurable time (the
  watcher's save -> commit plumbing in :mod:`sortext.vcs.commit`, the
  ``cat-file --batch`` and ``log`` streams in :mod:`sortext.vcs.log`).

The policy, for every call through either door:

* never prompt: ``GIT_TERMINAL_PROMPT=0`` and ``GIT_SSH_COMMAND`` with
  ``BatchMode=yes`` (unless the user set their own ``GIT_SSH_COMMAND``), and a
  stalled HTTP transfer is abandoned (``GIT_HTTP_LOW_SPEED_*``);
* a timeout: :data:`TIMEOUT` seconds (:data:`NETWORK_TIMEOUT` for fetch, push,
  clone, ls-remote);
* one error: :class:`sortext.errors.GitError` whose message quotes git and says
  what to do (``IndexLocked`` when ``index.lock`` is held).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sortext.errors import GitError, hinted
from sortext.lazyre import Lazy

if TYPE_CHECKING:
    from git import Repo

#: Seconds any local git command may take before it is stopped.
TIMEOUT = 60.0
#: Seconds a command that talks to a remote (fetch, push, clone, ls-remote) may take.
NETWORK_TIMEOUT = 120.0
NETWORK_COMMANDS = frozenset({"fetch", "push", "clone", "ls-remote", "pull"})

NOT_INSTALLED = "git is not installed; install git and try again"


class GitBusy(GitError):
    """The user is in the middle of a git operation; the daemon commits later."""


class IndexLocked(GitError):
    """Another git process holds index.lock; the daemon retries later."""


class NotARepository(GitError):
    """The folder is not inside a git repository."""


def environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """``os.environ`` without ``GIT_DIFF_OPTS`` and the user's pathspec settings, plus
    literal pathspecs and the no-prompt settings, plus ``extra`` (str -> str)."""
    env = dict(os.environ)
    # GIT_DIFF_OPTS=-u3 would give every patch sortext asks for with -U0 three lines
    # of context (it overrides the command line): what git prints is sortext's choice
    env.pop("GIT_DIFF_OPTS", None)
    # every path sortext hands git is a file or folder name, never a pattern: a
    # clients folder named 'c*' or ':(icase)x' must not match other files (and git
    # refuses literal pathspecs alongside a user's other pathspec settings)
    for variable in ("GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS", "GIT_ICASE_PATHSPECS"):
        env.pop(variable, None)
    env["GIT_LITERAL_PATHSPECS"] = "1"
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=30")
    env.setdefault("GIT_HTTP_LOW_SPEED_LIMIT", "1000")  # bytes/s ...
    env.setdefault("GIT_HTTP_LOW_SPEED_TIME", "60")  # ... for this many seconds: give up
    if extra:
        env.update(extra)
    return env


def timeout_for(args: Sequence[str]) -> float:
    """Seconds allowed for ``git <args>``."""
    return NETWORK_TIMEOUT if args and args[0] in NETWORK_COMMANDS else TIMEOUT


#: Lines of git's stderr that are progress or advice, never the reason a command failed.
_NOT_A_CAUSE = (
    "hint:",
    "warning:",
    "To ",
    "From ",
    "Cloning into",
    "Auto-merging",
    "Enumerating objects",
    "Counting objects",
    "Compressing objects",
    "Writing objects",
    "Receiving objects",
    "Resolving deltas",
    "Unpacking objects",
    "Delta compression",
    "Total ",
    "remote: Enumerating",
    "remote: Counting",
    "remote: Compressing",
    "remote: Total",
    "remote: Resolving",
)

#: A ref push's line for a ref that was updated (``+ a1...b2 pages -> pages (forced
#: update)``, ``a1..b2  main -> main``, ``* [new branch] x -> x``): not a cause; a
#: refused one starts with ``!``.
_REF_UPDATED = Lazy(r"[+*=-]?\s*(\[[a-z ]+\]|[0-9a-f]+\.\.\.?[0-9a-f]+)\s+\S.* -> \S")

#: At most this many lines of cause, each cut to this many characters.
_CAUSE_LINES, _CAUSE_CHARS = 3, 200


def _verdict(message: str) -> tuple[str, str]:
    """git's stderr ``message`` as ``(verdict, why)``: its first ``fatal:``/``error:``
    line (else its first line), and the lines before it that say why, joined by "; "
    (at most :data:`_CAUSE_LINES`; "" when none): ``! [rejected] main -> main (fetch
    first)`` before ``error: failed to push some refs``, a hook's own words, a server's
    ``remote:`` lines, ssh's ``Permission denied (publickey)``; and the refs refused
    after it (``! ...``, at most two)."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    at = next((n for n, line in enumerate(lines) if line.startswith(("fatal:", "error:"))), None)
    if at is None:
        return (lines or [""])[0], ""
    why = [
        " ".join(line.split())
        for line in lines[:at]
        if not line.startswith(_NOT_A_CAUSE) and not _REF_UPDATED().match(line)
    ][-_CAUSE_LINES:]
    # a refused ref is a cause wherever git prints it (an atomic push says "atomic push
    # failed for ref ..." first, the refs it refused after)
    why += [" ".join(line.split()) for line in lines[at + 1 :] if line.startswith("! ")][:2]
    why = [w if len(w) <= _CAUSE_CHARS else w[: _CAUSE_CHARS - 1] + "…" for w in why]
    return lines[at], "; ".join(why)


def failure(args: Sequence[str], message: str, root: Path | None = None) -> GitError:
    """The GitError for a failed ``git <args>`` whose stderr was ``message``: one line,
    git's verdict followed in brackets by the lines naming its cause (:func:`_verdict`):
    ``git push --quiet origin failed: error: failed to push some refs to 'URL' (!
    [rejected] main -> main (fetch first))``."""
    verdict, why = _verdict(message)
    message = f"{verdict} ({why})" if why else verdict
    what = f"git {' '.join(args[:3])}"
    if "index.lock" in verdict:
        return IndexLocked(f"{what} failed: {message}")
    if "not a git repository" in verdict.lower():
        where = f" {root}" if root is not None else ""
        return hinted(
            NotARepository(f"{where.strip() or 'this folder'} is not in a git repository"),
            "git_init_here",
            text="run 'git init' there, or open the records repository",
        )
    if "could not read username" in message.lower() or "permission denied" in message.lower():
        return GitError(
            f"{what} failed: {message} (git may not prompt for a password here: "
            "set up an SSH key or a credential helper for this remote)"
        )
    return GitError(f"{what} failed: {message}" if message else f"{what} failed")


def _timed_out(args: Sequence[str], seconds: float) -> GitError:
    return GitError(
        f"git {' '.join(args[:3])} did not finish within {seconds:.0f} s; "
        "check the network and the remote, then try again"
    )


class Done(NamedTuple):
    """A finished git process: exit status and its output (bytes)."""

    returncode: int
    stdout: bytes
    stderr: bytes


class _Watchdog:
    """Kills git processes that outlive their timeout: one thread polls twice a
    second (timeouts are a minute or more) and exits after 5 s with nothing to
    watch.  ``subprocess.run(timeout=...)`` would instead poll ``waitpid`` with
    sleeps after every call, ~1.2 ms each: a dozen of those per watcher save."""

    POLL = 0.5
    IDLE = 5.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watched: dict[int, tuple[float, subprocess.Popen[bytes]]] = {}
        self._killed: set[int] = set()
        self._thread: threading.Thread | None = None

    def watch(self, proc: subprocess.Popen[bytes], seconds: float) -> None:
        with self._lock:
            self._watched[id(proc)] = (time.monotonic() + seconds, proc)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sortext-git-watchdog")
                self._thread.daemon = True
                self._thread.start()

    def release(self, proc: subprocess.Popen[bytes]) -> bool:
        """Stop watching ``proc``; True when the watchdog killed it."""
        with self._lock:
            self._watched.pop(id(proc), None)
            if id(proc) in self._killed:
                self._killed.discard(id(proc))
                return True
            return False

    def _run(self) -> None:
        idle_since = time.monotonic()
        while True:
            time.sleep(self.POLL)
            now = time.monotonic()
            with self._lock:
                for key, (deadline, proc) in list(self._watched.items()):
                    if now >= deadline:
                        _kill(proc)
                        self._killed.add(key)
                        del self._watched[key]
                if self._watched:
                    idle_since = now
                elif now - idle_since >= self.IDLE:
                    self._thread = None
                    return


_WATCHDOG = _Watchdog()


#: Whether each git :func:`run_full` starts leads a process group of its own (so that
#: a timeout also ends what it started: ssh, hooks, credential helpers).  False once
#: :func:`share_group` was called: git then stays in this process's group.
_OWN_GROUP = True


def share_group() -> None:
    """Start every later git in this process's own process group instead of one of its
    own, for a process whose parent kills that whole group when it ends (the watcher's
    refresh child, ``sortext.commands.watch``): its git, and what git starts, then die
    with it, even when it is killed by SIGKILL, instead of running on as orphans.  A
    timeout then kills git alone (what it started is ended with the group)."""
    global _OWN_GROUP
    _OWN_GROUP = False


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill git and what it started (ssh, credential helpers): its process group
    (git alone when it shares this process's group: :func:`share_group`)."""
    with contextlib.suppress(OSError):
        if _OWN_GROUP:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()


def run_full(
    root: Path,
    *args: str,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    spool: bool = False,
) -> Done:
    """Run ``git <args>`` in ``root`` whatever its exit status; GitError only when git
    cannot be started, ``root`` is missing or the timeout passes.

    ``spool``: git writes its output into an anonymous file, read once it has
    finished, instead of a pipe (for megabytes of output, such as ``log -p``: a
    pipe wakes this process for every few hundred bytes git writes, ~10 ms of
    CPU per megabyte on each side)."""
    seconds = timeout if timeout is not None else timeout_for(args)
    with _output_file(spool) as out:
        try:
            proc = subprocess.Popen(
                ["git", *args],
                cwd=root,
                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                stdout=out if out is not None else subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=environment(env),
                # a group of its own, so a timeout also ends the ssh git started
                # (or this process's, which its parent kills whole: share_group)
                process_group=0 if _OWN_GROUP else None,
            )
        except FileNotFoundError as exc:
            if not Path(root).is_dir():
                raise GitError(f"{root} does not exist") from exc
            raise GitError(NOT_INSTALLED) from exc
        except OSError as exc:
            raise GitError(f"cannot run git in {root}: {exc}") from exc
        _WATCHDOG.watch(proc, seconds)
        try:
            stdout, stderr = proc.communicate(input)
        except BaseException:  # Ctrl-C included: git is in its own group, end it too
            _kill(proc)
            proc.wait()
            raise
        finally:
            killed = _WATCHDOG.release(proc)
        if killed:
            raise _timed_out(args, seconds)
        if out is not None:
            stdout = _read_all(out)
    return Done(proc.returncode, stdout, stderr)


@contextmanager
def _output_file(spool: bool) -> Iterator[int | None]:
    """An anonymous file descriptor for a child's output (None: use a pipe)."""
    if not spool:
        yield None
        return
    try:
        fd = os.memfd_create("sortext-git", os.MFD_CLOEXEC)
    except (AttributeError, OSError):  # (not Linux)
        import tempfile

        with tempfile.TemporaryFile() as file:
            fd = os.dup(file.fileno())
    try:
        yield fd
    finally:
        os.close(fd)


def _read_all(fd: int) -> bytes:
    """Everything written into ``fd`` (from its start)."""
    size = os.fstat(fd).st_size
    data = os.pread(fd, size, 0) if size else b""
    while len(data) < size:  # (a short read)
        more = os.pread(fd, size - len(data), len(data))
        if not more:
            break
        data += more
    return data


def back_to_a_branch(root: Path) -> str:
    """How to leave a detached HEAD here, naming the branches there are (not the pages'
    own): ``git switch master``; ``git switch -, or one of: main, maya`` when several."""
    heads = text(root, "for-each-ref", "--format=%(refname:short)", "refs/heads/", check=False)
    named = [h for h in heads.split() if h != "sortext-pages"]
    if len(named) == 1:
        return f"git switch {named[0]}"
    return "git switch -" + (f", or one of: {', '.join(named[:5])}" if named else "")


def push(root: Path, remote: str, *refspecs: str, timeout: float | None = None) -> Done:
    """``git push --quiet --atomic REMOTE REFSPEC...``, whatever its exit status (as
    :func:`run_full`).  Atomic: the records branch and the pages branch go together or
    not at all, so a records push the remote rejects (another machine pushed first)
    never leaves that remote with pages of a records commit its branch does not have.
    A remote that cannot take an atomic push (git says so) is pushed to one refspec at
    a time, in the order given, stopping at the first refused (its result is returned):
    a plain push of them all would update every ref it can, the force-pushed pages
    beside refused records.  So the records' refspec comes first."""
    done = run_full(root, "push", "--quiet", "--atomic", remote, *refspecs, timeout=timeout)
    if done.returncode != 0 and b"support --atomic" in done.stderr:
        for refspec in refspecs:
            done = run_full(root, "push", "--quiet", remote, refspec, timeout=timeout)
            if done.returncode != 0:
                break
    return done


def run(
    root: Path,
    *args: str,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    ok_codes: Sequence[int] = (0,),
    check: bool = True,
    timeout: float | None = None,
    spool: bool = False,
) -> bytes:
    """``git <args>`` in ``root``; its stdout (bytes).  ``spool``: see :func:`run_full`.

    Raises GitError (IndexLocked, NotARepository) when the exit status is not in
    ``ok_codes`` and ``check`` is true."""
    done = run_full(root, *args, input=input, env=env, timeout=timeout, spool=spool)
    if check and done.returncode not in ok_codes:
        raise failure(args, done.stderr.decode("utf-8", "replace"), root)
    return done.stdout


def text(root: Path, *args: str, check: bool = True) -> str:
    """:func:`run`, decoded as UTF-8 (undecodable bytes replaced)."""
    return run(root, *args, check=check).decode("utf-8", "replace")


def names(out: bytes) -> list[str]:
    """File names from git output written with ``-z`` (``ls-files -z``, ``diff
    --name-only -z``, ``ls-tree --name-only -z``): one per NUL, as they are (no C
    quoting, spaces, newlines and leading dashes kept), decoded as file names are
    (:func:`os.fsdecode`: bytes that are not UTF-8 survive as surrogates, so a name
    passed back to git is the same name)."""
    return [os.fsdecode(name) for name in out.split(b"\0") if name]


def listed(root: Path, *args: str) -> list[str]:
    """:func:`names` of ``git ARGS`` run with ``-z`` (put before ``--``): the one way
    sortext reads a list of file names from git."""
    cut = args.index("--") if "--" in args else len(args)
    return names(run(root, *args[:cut], "-z", *args[cut:]))


def status_paths(root: Path, *args: str) -> list[str]:
    """The paths ``git status --porcelain=v1 -z ARGS`` lists (the path each entry is
    about; a rename's or copy's source, the token after it, is skipped)."""
    cut = args.index("--") if "--" in args else len(args)
    out = run(root, "status", "--porcelain=v1", "-z", *args[:cut], *args[cut:])
    tokens = out.split(b"\0")
    found: list[str] = []
    i = 0
    while i < len(tokens):
        entry = tokens[i]
        i += 1
        if len(entry) < 4:
            continue
        found.append(os.fsdecode(entry[3:]))
        if entry[:1] in (b"R", b"C") or entry[1:2] in (b"R", b"C"):
            i += 1  # the source path of a rename or copy
    return found


def popen(root: Path, *args: str, stdin: bool = False) -> subprocess.Popen[bytes]:
    """A streaming ``git <args>`` process (stdout piped; stdin piped when asked).

    The caller owns it: read, then ``wait``/``communicate`` (with a timeout)."""
    try:
        return subprocess.Popen(
            ["git", *args],
            cwd=root,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if not stdin else subprocess.DEVNULL,
            env=environment(),
        )
    except FileNotFoundError as exc:
        raise GitError(NOT_INSTALLED) from exc
    except OSError as exc:
        raise GitError(f"cannot run git in {root}: {exc}") from exc


def finish(proc: subprocess.Popen[bytes], args: Sequence[str]) -> bytes:
    """Wait for a :func:`popen` process (timeout as for :func:`run`); its stdout."""
    seconds = timeout_for(args)
    _WATCHDOG.watch(proc, seconds)
    try:
        out, err = proc.communicate()
    finally:
        killed = _WATCHDOG.release(proc)
    if killed:
        raise _timed_out(args, seconds)
    if proc.returncode != 0:
        raise failure(args, (err or b"").decode("utf-8", "replace"))
    return out


# --- GitPython -----------------------------------------------------------------------


def _gitpython() -> Any:
    """Import GitPython (here only, on first use); GitError when it cannot run git."""
    try:
        import git
    except ImportError as exc:  # GitPython raises ImportError when git is missing
        raise GitError(NOT_INSTALLED) from exc
    return git


def open_repo(root: Path) -> Repo:
    """A GitPython ``Repo`` for the work tree at ``root`` (not its parents), with the
    no-prompt environment.  Close it (or use :func:`repository`).

    Raises NotARepository when ``root`` is not a git work tree."""
    git = _gitpython()
    try:
        repo: Repo = git.Repo(root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise hinted(
            NotARepository(f"{root} is not a git repository"),
            "git_init",
            text="run 'git init' there",
        ) from exc
    repo.git.update_environment(**_policy_env())
    return repo


def _policy_env() -> dict[str, str]:
    base = environment()
    return {k: v for k, v in base.items() if k.startswith(("GIT_TERMINAL", "GIT_SSH", "GIT_HTTP"))}


@contextmanager
def repository(root: Path) -> Iterator[Repo]:
    """``with repository(root) as repo:`` a short-lived ``Repo``, closed on exit."""
    repo = open_repo(root)
    try:
        yield repo
    finally:
        repo.close()


def command(repo: Repo, *args: str, strip: bool = True) -> str:
    """``git <args>`` through ``repo.git`` under the policy (timeout, no prompt);
    its stdout as text.  Raises GitError (with git's message and a hint)."""
    git = _gitpython()
    seconds = timeout_for(args)
    try:
        out: str = repo.git.execute(
            ["git", *args], kill_after_timeout=seconds, strip_newline_in_stdout=strip
        )
    except git.GitCommandError as exc:
        stderr = str(exc.stderr or "").strip()
        if "timed out" in stderr or "kill_after_timeout" in stderr:
            raise _timed_out(args, seconds) from exc
        if stderr.startswith("stderr: '"):
            stderr = stderr[len("stderr: '") :].rstrip("'").strip()
        raise failure(args, stderr, Path(repo.working_dir or ".")) from exc
    except git.GitCommandNotFound as exc:
        raise GitError(NOT_INSTALLED) from exc
    return out


def init(directory: Path) -> None:
    """``git init`` in ``directory`` (GitPython's ``Repo.init``)."""
    git = _gitpython()
    try:
        git.Repo.init(directory).close()
    except git.GitCommandError as exc:
        raise failure(["init"], str(exc.stderr or exc), directory) from exc


def clone(url: str, to: Path, branch: str) -> Repo:
    """``Repo.clone_from`` with objects copied (``--no-local``), under the no-prompt
    environment; the caller closes the returned ``Repo``.  ``gcrypt::`` URLs (the
    encrypted backups sortext configures) are allowed through GitPython's guard."""
    git = _gitpython()
    try:
        repo: Repo = git.Repo.clone_from(
            url,
            to,
            env=environment(),
            multi_options=["--no-local", f"--branch={branch}"],
            # the one remote helper sortext configures itself (encrypted backups)
            allow_unsafe_protocols=url.startswith("gcrypt::"),
        )
    except git.GitCommandError as exc:
        raise failure(["clone", url], str(exc.stderr or exc)) from exc
    return repo


def set_config(root: Path, settings: Mapping[str, str]) -> None:
    """Write ``section.key`` (or ``section.sub.key``) values into ``root``'s
    ``.git/config`` through GitPython's ``config_writer``."""
    with repository(root) as repo, repo.config_writer("repository") as writer:
        for key, value in settings.items():
            section, _, option = key.rpartition(".")
            if "." in section:
                head, _, sub = section.partition(".")
                section = f'{head} "{sub}"'
            writer.set_value(section, option, value)


def git_dir(root: Path) -> Path:
    """The absolute git directory of the work tree at ``root`` (GitPython's
    ``Repo.git_dir``; a worktree's own folder).  Raises NotARepository."""
    with repository(root) as repo:
        return Path(repo.git_dir).resolve()


def get_config(root: Path, key: str) -> str:
    """The value of ``key`` as git sees it (all config levels, includes, keys matched
    case-insensitively: ``git config --get``, which GitPython's case-sensitive reader
    is not), or '' when unset."""
    return text(root, "config", "--get", key, check=False).strip()


def remote_names(root: Path) -> list[str]:
    """The names of the repository's git remotes (GitPython's remotes), in git's order."""
    with repository(root) as repo:
        return [str(r.name) for r in repo.remotes]


def remote_url(root: Path, name: str) -> str:
    """The URL of remote ``name`` (GitPython's remotes); GitError when there is none,
    naming the remotes the repository does have."""
    with repository(root) as repo:
        try:
            remote = repo.remote(name)
        except ValueError as exc:
            names = [str(r.name) for r in repo.remotes]
            there = ", ".join(f"'{n}'" for n in names) if names else "none"
            raise GitError(
                f"no git remote named '{name}' (remotes here: {there}): "
                f"add it with git remote add {name} URL"
            ) from exc
        return str(remote.url)


def head_commit(root: Path) -> str | None:
    """HEAD's commit id, read by GitPython from the ref files (loose, packed, in
    worktrees) without starting git; None outside a repository or before the first
    commit."""
    git = _gitpython()
    try:
        repo = git.Repo(root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, OSError):
        return None
    try:
        sha: str = git.SymbolicReference.dereference_recursive(repo, "HEAD")
    except (ValueError, OSError, TypeError):
        return None
    finally:
        repo.close()
    return sha


def head_from_files(root: Path) -> str | None:
    """HEAD's commit id read straight from the ref files, without starting git or
    importing GitPython (tens of microseconds: for cache keys on query paths; the
    reading is :func:`sortext.vcs.headref.head_id`, which the quickest paths import
    without this module).

    ``.git`` a folder or a ``gitdir:`` file (a linked worktree), at ``root`` or
    above; ``HEAD`` detached or naming a loose ref or one in ``packed-refs``.
    Anything else (no repository, ``GIT_DIR`` set, reftable, an unborn branch, a
    ref that is not an object id) gives None, and the caller asks git
    (``rev-parse``), so an unusual layout is slower, never wrong."""
    from sortext.vcs.headref import NO_REPOSITORY, UNBORN, head_id

    found = head_id(root)
    return None if found in (NO_REPOSITORY, UNBORN) else found


def shallow_mark(root: Path) -> str:
    """What bounds or rewrites the history this clone shows: ``""`` for the whole
    history as committed, else a digest of git's ``shallow`` file (its boundary
    commits, which ``git fetch --unshallow`` or ``--deepen`` changes while HEAD stays),
    ``info/grafts`` and the replace refs (``git replace``) with whether git honours them
    (``core.useReplaceRefs``, ``GIT_NO_REPLACE_OBJECTS``).  For keys of caches derived
    from the whole history.  Read from the files in the plain layouts
    (:func:`sortext.vcs.headref.shallow_suffix`), else asked of git."""
    import hashlib

    from sortext.vcs.headref import shallow_suffix

    found = shallow_suffix(root)
    if found is not None:
        return found
    digest = hashlib.sha256()
    seen = False
    try:
        for name in ("shallow", "info/grafts"):
            # (--git-path gives GIT_GRAFT_FILE for info/grafts, not GIT_SHALLOW_FILE)
            where = (os.environ.get("GIT_SHALLOW_FILE") if name == "shallow" else None) or text(
                root, "rev-parse", "--path-format=absolute", "--git-path", name
            )
            try:
                data = Path(where.strip()).read_bytes()
            except FileNotFoundError:
                continue
            if data.strip():
                seen = True
                digest.update(name.encode() + b"\0" + data + b"\0")
        # the prefix git reads replace refs under (GIT_REPLACE_REF_BASE moves it)
        base = os.environ.get("GIT_REPLACE_REF_BASE") or "refs/replace/"
        replaced = text(root, "for-each-ref", "--format=%(refname) %(objectname)", base)
    except (OSError, ValueError, GitError) as exc:
        return f"unreadable: {type(exc).__name__}"
    if replaced.strip():  # as shallow_suffix lists them: "<ref> <id>", sorted
        seen = True
        digest.update(b"replace\0" + "\n".join(sorted(replaced.splitlines())).encode())
        digest.update(b"\0")
        # honoured or not: core.useReplaceRefs from any config file, an include, or
        # ``git -c`` (GIT_CONFIG_PARAMETERS, GIT_CONFIG_COUNT), as git itself reads it
        try:
            honoured = text(root, "config", "--bool", "--get", "core.useReplaceRefs", check=False)
        except (OSError, GitError) as exc:
            return f"unreadable: {type(exc).__name__}"
        digest.update(f"core.useReplaceRefs={honoured.strip()}\0".encode())
    for variable in ("GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE"):
        value = os.environ.get(variable)
        if value is not None:
            seen = True
            digest.update(f"{variable}={value}\0".encode("utf-8", "surrogateescape"))
    return "~" + digest.hexdigest()[:16] if seen else ""


def in_repository(root: Path) -> bool:
    """Whether ``root`` is inside a git work tree."""
    return text(root, "rev-parse", "--git-dir", check=False).strip() != ""


# --- history rewriting (sortext erase only) ------------------------------------------

#: Seconds a history rewrite (git filter-repo, gc) may take.
REWRITE_TIMEOUT = 1800.0


def filter_repo_dir() -> Path:
    """The folder holding the ``git-filter-repo`` script (the PyPI package installs it
    beside the Python that runs sortext); GitError when it is not installed."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / "git-filter-repo"
    if beside.is_file():
        return beside.parent
    found = shutil.which("git-filter-repo")
    if found:
        return Path(found).parent
    raise GitError(
        "git-filter-repo is not installed: pip install git-filter-repo (it comes with "
        "sortext's dependencies; reinstall sortext)"
    )


def filter_repo(root: Path, *args: str) -> Done:
    """``git filter-repo <args>`` in ``root`` (the one history rewrite sortext makes).

    Runs under the usual policy with :data:`REWRITE_TIMEOUT`; raises GitError when
    git-filter-repo is missing or fails (its last words quoted)."""
    path = f"{filter_repo_dir()}{os.pathsep}{os.environ.get('PATH', '')}"
    done = run_full(root, "filter-repo", *args, env={"PATH": path}, timeout=REWRITE_TIMEOUT)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git filter-repo failed: {said[-1] if said else 'no output'}")
    return done


def all_objects(root: Path) -> Iterator[tuple[str, str, bytes]]:
    """Every object in the repository at ``root`` (reachable or not, loose or packed):
    ``(object id, type, content)``, from ``git cat-file --batch-all-objects --batch``."""
    proc = popen(root, "cat-file", "--batch-all-objects", "--batch", "--unordered")
    assert proc.stdout is not None
    _WATCHDOG.watch(proc, REWRITE_TIMEOUT)
    try:
        out = proc.stdout
        while True:
            header = out.readline()
            if not header:
                break
            oid, kind, size = header.decode().split()
            data = out.read(int(size))
            out.read(1)  # the newline after each object
            yield oid, kind, data
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        killed = _WATCHDOG.release(proc)
    if killed:
        raise _timed_out(["cat-file", "--batch-all-objects"], REWRITE_TIMEOUT)
    if proc.returncode != 0:
        raise GitError("git cat-file --batch-all-objects failed")
