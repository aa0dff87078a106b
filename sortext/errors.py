"""Operational failures (git, storage, config, usage) as one exception tree.

Problems *in records* are :class:`sortext.record.diagnostics.Diagnostic` values, not
exceptions.  These exceptions are for things that stop a command; the CLI turns
each into a one-line message (exit status 2) that says how to fix it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported on the quick query path (see files.state)

if TYPE_CHECKING:
    from pathlib import Path
    from typing import TypeVar

    _E = TypeVar("_E", bound="SortextError")


class Hint:
    """A way out of an error, named by what it does, not in a front end's words.

    ``action``: one of :data:`ACTIONS`; ``subject``: what it acts on (a record id, a
    verb), ``""`` when nothing; ``text``: how the library says it (``str(error)``, so
    a script or the assistant reads it), ``""`` when the library has no such way.  The
    command line words each action itself (``sortext.commands.hints``): a core message
    never names a command or an option."""

    __slots__ = ("action", "subject", "text")

    action: str
    subject: str
    text: str

    def __init__(self, action: str, subject: str = "", text: str = "") -> None:
        object.__setattr__(self, "action", action)
        object.__setattr__(self, "subject", subject)
        object.__setattr__(self, "text", text)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Hint is immutable: cannot set {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Hint):
            return NotImplemented
        return (self.action, self.subject, self.text) == (other.action, other.subject, other.text)

    def __hash__(self) -> int:
        return hash((self.action, self.subject, self.text))

    def __repr__(self) -> str:
        return f"Hint(action={self.action!r}, subject={self.subject!r}, text={self.text!r})"


#: The actions a :class:`Hint` can name (each has the command line's wording).
ACTIONS = frozenset(
    {
        "create_repository",  # make a records repository (or name the folder of one)
        "again_anyway",  # the same entry once more, on purpose (subject: the verb)
        "next_and_due",  # a new next action needs its text and its due date
        "new_record",  # make the missing client
        "list_ids",  # see the ids there are
        "check_record",  # see a file's problems (subject: its path)
        "condition_syntax",  # how a filter condition is written
        "git_init",  # make the folder a git repository
        "git_init_here",  # the same, or work inside the records repository
        "export_columns",  # where the export's column names are listed
        "earlier_version",  # name the version to bring back (a commit or a date)
        "erase_instead",  # nothing to keep: erase the client (subject: the record id)
    }
)


class SortextError(Exception):
    """Base class: a failure the user can act on; ``str(e)`` says how.

    ``hint``: a way out named as a :class:`Hint` (None: the message says it all);
    ``str(e)`` is :attr:`bare` followed by the hint's library wording."""

    hint: Hint | None = None

    @property
    def bare(self) -> str:
        """The message without its hint."""
        return super().__str__()

    def __str__(self) -> str:
        bare = self.bare
        return f"{bare}; {self.hint.text}" if self.hint and self.hint.text else bare


def hinted(error: _E, action: str, subject: str = "", text: str = "") -> _E:
    """``error`` with a :class:`Hint` (``action`` one of :data:`ACTIONS`; ValueError
    otherwise, a mistake in sortext's code)."""
    if action not in ACTIONS:
        raise ValueError(f"no such hint action: {action}")
    error.hint = Hint(action, subject, text)
    return error


class RepoNotFound(SortextError):
    """No sortext.yaml found in the directory or its parents (``start``: the folder the
    search began in)."""

    def __init__(self, message: str, start: Path | None = None) -> None:
        super().__init__(message)
        self.start = start


class ConfigError(SortextError):
    """sortext.yaml is invalid; carries the diagnostics."""

    def __init__(self, message: str, diagnostics: list[object] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


class GitError(SortextError):
    """A git command failed."""


class StorageError(SortextError):
    """A file could not be read or written safely."""


class ConflictError(StorageError):
    """The file changed on disk since it was read; refusing to overwrite it."""


class UnsafePathError(StorageError):
    """A path would be built from text that is not a slug, or would leave its folder."""


class OutputError(SortextError):
    """Standard output (or error) could not be written: a full disk, a stream closed
    before sortext started (``sortext list >&-``), an I/O error.  (A reader that went
    away, ``sortext list | head -1``, is no error: a quiet exit as Click makes it.)
    ``fd``: the stream's file descriptor, when it has one (see :meth:`abandon`)."""

    def __init__(self, message: str, fd: int | None = None) -> None:
        super().__init__(message)
        self.fd = fd

    def abandon(self) -> None:
        """Point the failed stream's descriptor at the null device, so that the
        interpreter's last flush of what is still buffered finds nothing to fail on."""
        import os

        if self.fd is None:
            return
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self.fd)
            os.close(null)
        except OSError:
            pass


class TemplateProblem(SortextError):
    """A page template failed: ``templates/x.html.j2:LINE: message (while rendering
    what)`` (a syntax error, or a value the template cannot use)."""


class RecordNotFound(SortextError):
    """No client record with that id."""


class UsageError(SortextError):
    """The command was called with arguments that cannot work."""


class ParameterError(UsageError):
    """A parameter's value that cannot work, the parameter named as the library calls
    it (``option``: ``since``, ``owner``), never a front end's spelling of it: the
    command line writes ``--since`` (:meth:`worded`)."""

    def __init__(self, option: str, detail: str) -> None:
        self.option, self.detail = option, detail
        super().__init__(self.worded(option))

    def worded(self, name: str) -> str:
        """The message with the parameter called ``name``."""
        return f"{name} {self.detail}"


class UnknownValue(ParameterError):
    """A filter value nobody uses (``next --owner zed``): names the parameter, the value
    and the known values, so a typo is not answered with an empty list.

    ``option``: the parameter's name as the library calls it (``owner``, ``sort``),
    never a front end's spelling of it: the command line writes ``--owner``
    (:meth:`worded`)."""

    def __init__(
        self, option: str, kind: str, value: str, known: list[str], close: str | None = None
    ) -> None:
        """``close``: the known value to suggest (default: the nearest spelling)."""
        import difflib

        self.option, self.kind, self.value, self.known = option, kind, value, known
        if close is None:  # the nearest spelling, letter case aside ('MAYA' is 'maya')
            folded = {k.casefold(): k for k in reversed(known)}
            found = difflib.get_close_matches(value.casefold(), list(folded), n=1)
            close = folded[found[0]] if found else None
        self.close = close
        UsageError.__init__(self, self.worded(option))

    def worded(self, name: str) -> str:
        """The message with the parameter called ``name``."""
        hint = f"; did you mean '{one_line(self.close)}'?" if self.close else ""
        listed = ", ".join(one_line(k) for k in self.known) if self.known else "none yet"
        return f"{name}: unknown {self.kind} '{one_line(self.value)}' (known: {listed}){hint}"


def one_line(text: str) -> str:
    """``text`` with its line breaks (``\\n``, ``\\r``) as the visible escapes
    ``\\x0a`` and ``\\x0d`` that :func:`sortext.files.inert.clean` writes: a value
    quoted in a message (a record's tag, a typed argument) must not start a line of its
    own, which the CLI's per-line cleaning would keep."""
    return text.replace("\r", "\\x0d").replace("\n", "\\x0a")
