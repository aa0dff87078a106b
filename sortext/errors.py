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


class RecordNotFound(SortextError):
    """No client record with that id."""


class UsageError(SortextError):
    """The command was called with arguments that cannot work."""
