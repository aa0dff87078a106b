"""Operational failures (git, storage, config, usage) as one exception tree.

Problems *in records* are :class:`sortext.record.diagnostics.Diagnostic` values, not
exceptions.  These exceptions are for things that stop a command; the CLI turns
each into a one-line message (exit status 2) that says how to fix it.
"""

from __future__ import annotations


class SortextError(Exception):
    """Base class: a failure the user can act on; ``str(e)`` says how."""


class RepoNotFound(SortextError):
    """No sortext.yaml found in the directory or its parents."""


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


class UnknownValue(UsageError):
    """A filter value nobody uses (``next --owner zed``): names the option, the value
    and the known values, so a typo is not answered with an empty list."""

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
        hint = f"; did you mean '{one_line(close)}'?" if close else ""
        listed = ", ".join(one_line(k) for k in known) if known else "none yet"
        super().__init__(f"{option}: unknown {kind} '{one_line(value)}' (known: {listed}){hint}")


def one_line(text: str) -> str:
    """``text`` with its line breaks (``\\n``, ``\\r``) as the visible escapes
    ``\\x0a`` and ``\\x0d`` that :func:`sortext.files.inert.clean` writes: a value
    quoted in a message (a record's tag, a typed argument) must not start a line of its
    own, which the CLI's per-line cleaning would keep."""
    return text.replace("\r", "\\x0d").replace("\n", "\\x0a")
