"""Read history out of git quickly: one ``git log`` per question, blobs in one batch.

Spawning git once per commit is what makes naive history slow; here every
question is a single ``git log`` whose output we parse, and file contents come
through one long-lived ``git cat-file --batch`` process.  These streams stay plain
processes (started by :mod:`sortext.vcs.git`, under its environment policy):
GitPython's object database would add a Python object per blob.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

from sortext.errors import GitError
from sortext.vcs import git

#: Starts each commit's header; the header's fields are one a line: no field can hold
#: a newline (git keeps a name, an email and a subject on one line each), where a
#: name or a subject may hold any other control character (``\x01``, ``\x1f``).
_COMMIT = "\x01"
_FIELD = "\n"
LOG_FORMAT = f"{_COMMIT}%H{_FIELD}%aI{_FIELD}%an{_FIELD}%ae{_FIELD}%ct{_FIELD}%s"
#: What user config could otherwise change in what ``git log`` lists: ``log.showRoot
#: = false`` leaves out the files of the root commit (where a record was created),
#: ``i18n.logOutputEncoding`` re-encodes names and subjects away from UTF-8, and
#: ``log.showSignature`` writes each signed commit's check ("Good signature...")
#: before its header.
LOG_OPTIONS = ("--root", "--encoding=UTF-8", "--no-show-signature")


def is_git_repo(root: Path) -> bool:
    return git.in_repository(root)


def has_commits(root: Path) -> bool:
    return git.text(root, "rev-parse", "--verify", "-q", "HEAD", check=False).strip() != ""


class FileChange(NamedTuple):
    """One entry of ``--name-status`` or ``--raw``: status letter, old path (renames),
    new path, and with ``--raw`` the new blob id (None for a deletion)."""

    status: str
    old_path: str | None
    path: str
    blob: str | None = None


class Commit:
    """One commit of a record's history, with the files it changed: ``sha`` (40 hex
    digits), ``date`` (ISO 8601 with offset), ``author``, ``email``, ``timestamp``
    (seconds since the epoch), ``subject``, ``files`` (in git's order)."""

    __slots__ = ("author", "date", "email", "files", "sha", "subject", "timestamp")

    def __init__(
        self,
        sha: str,
        date: str,
        author: str,
        email: str,
        timestamp: int,
        subject: str,
        files: list[FileChange] | None = None,
    ) -> None:
        self.sha = sha
        self.date = date
        self.author = author
        self.email = email
        self.timestamp = timestamp
        self.subject = subject
        self.files: list[FileChange] = [] if files is None else files

    def __eq__(self, other: object) -> bool:
        return type(other) is Commit and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable

    def __repr__(self) -> str:
        return f"Commit({self.sha!r}, {self.subject!r}, files={self.files!r})"

    @property
    def short(self) -> str:
        return self.sha[:10]


_NO_BLOB = frozenset("0")


def parse_log(output: str) -> list[Commit]:
    """Parse ``git log --format=LOG_FORMAT --name-status -z`` output (or ``--raw
    --no-abbrev -z``: each entry then carries its new blob id), newest first.

    Read token by token (``-z``: each header, status and path ends with a NUL): a
    header is a token that starts with ``\x01`` where a status is expected, and each
    status is followed by its one or two paths, so a path or a subject holding
    ``\x01`` is read as the text it is."""
    commits: list[Commit] = []
    tokens = output.split("\x00")
    i, end = 0, len(tokens)
    while i < end:
        token = tokens[i].lstrip("\n")
        i += 1
        if token.startswith(_COMMIT):
            sha, date, author, email, ts, subject = token[1:].split(_FIELD, 5)
            commits.append(Commit(sha, date, author, email, int(ts), subject))
            continue
        status = token.rstrip("\n")
        if not status or not commits:
            continue
        blob = None
        if status[0] == ":":  # --raw: ":mode mode old-id new-id STATUS"
            fields = status.split(" ")
            status, new_id = fields[-1], fields[-2]
            blob = None if set(new_id) <= _NO_BLOB else new_id
        if status[0] in "RC":
            commits[-1].files.append(FileChange(status[0], tokens[i], tokens[i + 1], blob))
            i += 2
        else:
            commits[-1].files.append(FileChange(status[0], None, tokens[i], blob))
            i += 1
    return commits


def log(root: Path, *args: str, paths: Sequence[str] = (), raw: bool = False) -> list[Commit]:
    """``git log`` with our format and ``--name-status -z`` (``raw``: ``--raw
    --no-abbrev -z``, so each entry knows its blob); ``args`` add options."""
    if not has_commits(root):
        return []
    listing = ("--raw", "--no-abbrev") if raw else ("--name-status",)
    out = git.text(
        root, "log", *LOG_OPTIONS, f"--format={LOG_FORMAT}", *listing, "-z", *args, "--", *paths
    )
    return parse_log(out)


def start_log(root: Path, *args: str, paths: Sequence[str] = ()) -> Callable[[], list[Commit]]:
    """Start ``log`` in the background; call the result to wait and parse.

    Lets a slow log (tree diffs of a 10,000-file folder) run while Python
    does other work on the second core."""
    if not has_commits(root):
        return list
    command = [
        "log",
        *LOG_OPTIONS,  # (first: an error names them, not the format's control characters)
        f"--format={LOG_FORMAT}",
        "--name-status",
        "-z",
        *args,
        "--",
        *paths,
    ]
    proc = git.popen(root, *command)

    def finish() -> list[Commit]:
        return parse_log(git.finish(proc, command).decode("utf-8", "replace"))

    return finish


def file_log(root: Path, path: str, raw: bool = False) -> list[Commit]:
    """Commits touching ``path`` (newest first), following renames back in time.

    Each commit carries exactly the entry for this file under its name at that
    time, so the caller knows which path to read the blob from (``raw``: and
    the blob id itself).
    """
    return log(root, "--follow", "-M", paths=[path], raw=raw)


class BlobReader:
    """One ``git cat-file --batch`` process answering many ``rev:path`` reads."""

    def __init__(self, root: Path) -> None:
        self._proc = git.popen(root, "cat-file", "--batch", stdin=True)

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._proc.stdin:
            with contextlib.suppress(OSError):  # git already gone (see read_many)
                self._proc.stdin.close()
        self._proc.wait()

    def read(self, spec: str) -> bytes | None:
        """The contents of ``spec`` (``sha:path`` or a blob id), or None if missing."""
        return self.read_many([spec])[0]

    def read_many(self, specs: Iterable[str]) -> list[bytes | None]:
        """Read many objects: all requests are written before answers are read.

        Raises GitError when git stops before answering them all (a partial clone
        fetches a version it lacks from its remote, and exits when it cannot)."""
        wanted = list(specs)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        import threading

        payload = "".join(f"{s}\n" for s in wanted).encode()
        stdin = self._proc.stdin

        def feed() -> None:
            with contextlib.suppress(OSError):  # git exited early: told by its output
                stdin.write(payload)
                stdin.flush()

        writer = threading.Thread(target=feed)
        writer.start()
        out: list[bytes | None] = []
        stdout = self._proc.stdout
        for _ in wanted:
            header = stdout.readline()
            if header.endswith(b" missing\n") or header.endswith(b" ambiguous\n"):
                out.append(None)
                continue
            fields = header.split()
            size = int(fields[2]) if len(fields) == 3 and fields[2].isdigit() else -1
            data = stdout.read(size) if size >= 0 else b""
            if len(data) != size:  # git ended (or wrote what no reader expects)
                self._proc.kill()
                writer.join()
                raise GitError(_STOPPED)
            stdout.read(1)
            out.append(data)
        writer.join()
        return out


#: Why a ``cat-file --batch`` read failed when git ended before answering.
_STOPPED = (
    "git cat-file --batch stopped before it gave every version asked for (in a partial "
    "clone git fetches the versions it lacks from the remote): check that the remote "
    "can be reached, then try again"
)


def read_blobs(root: Path, specs: Sequence[str]) -> list[bytes | None]:
    """Contents of many ``rev:path`` specs through one git process."""
    if not specs:
        return []
    with BlobReader(root) as reader:
        return reader.read_many(specs)


def iter_versions(root: Path, path: str) -> Iterator[tuple[Commit, FileChange]]:
    """Each commit touching ``path`` (renames followed) with its entry, oldest first."""
    for commit in reversed(file_log(root, path)):
        if commit.files:
            yield commit, commit.files[-1]


def rev_before(root: Path, when: str, ref: str = "HEAD") -> str | None:
    """The newest commit on ``ref`` committed before ``when`` (a date git understands)."""
    out = git.text(root, "rev-list", "-1", f"--before={when}", ref, check=False).strip()
    return out or None
