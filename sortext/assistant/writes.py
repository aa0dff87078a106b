"""Preview -> token -> apply: how an assistant changes a record.

A preview computes the change on the file's current bytes through the same
path as the CLI (:func:`sortext.edit.update.plan_update`, which validates and
refuses a change that would add errors, with the diagnostics) and writes
nothing.  It returns the exact unified diff, the warnings of the result and a
token: an HMAC (key random per server process) of the file's path, the SHA-256
of its current bytes and the SHA-256 of the new bytes.  Applying needs that
token; the server keeps the previewed bytes under it, so what is written is
exactly what was shown.  Applying refuses (nothing written) when the file's
bytes are no longer the previewed ones (an editor saved meanwhile), when the
result is no longer valid (``sortext.yaml`` changed), or when the token is
unknown, used or expired.  An applied change is committed as one git
commit with the field-level message of :mod:`sortext.vcs.messages` and the
assistant's author, then written atomically (:mod:`sortext.files.write`): in
that order a running watcher finds git already holding the new bytes and
commits nothing (were it the other way round, a watcher quicker than the
assistant's commit would commit the change under its own name).  A change can
consume a second file (:class:`Consumes`: an inbox note filed into the record):
its bytes are bound into the token too, the change is refused when they
changed, and it is taken away only after the record was written.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sortext.edit.update import PlannedUpdate, apply_update, check_edit
from sortext.errors import ConflictError, GitError, SortextError
from sortext.record.diagnostics import Diagnostic
from sortext.repo import Repository

#: How long a preview's token can be applied (seconds).
TOKEN_SECONDS = 15 * 60
MAX_PENDING = 64


class TokenRefused(SortextError):
    """The token is not one this server gave, was used already, or expired."""


@dataclass(slots=True)
class Consumes:
    """A file the change takes its content from (an inbox note): the change applies only
    while ``path`` still holds ``raw``; ``done`` runs after the record is written and
    takes the content away (None), or says why it stayed."""

    display: str
    path: Path
    raw: bytes
    done: Callable[[], str | None]


@dataclass(slots=True)
class Pending:
    """A write an assistant proposed and the user has yet to confirm."""

    plan: PlannedUpdate
    what: str
    consumes: Consumes | None = None
    created: float = field(default_factory=time.monotonic)


def unified_diff(display: str, old: bytes | None, new: bytes) -> str:
    """The change as a unified diff of the file's text (``/dev/null`` for a new file)."""
    before = (old or b"").decode("utf-8", "replace").splitlines(keepends=True)
    after = new.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(
        difflib.unified_diff(
            before,
            after,
            fromfile=f"a/{display}" if old is not None else "/dev/null",
            tofile=f"b/{display}",
        )
    )


class ChangeDesk:
    """The previews one server has handed out, by token, and the apply step."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self._key = secrets.token_bytes(32)
        self._pending: dict[str, Pending] = {}
        self._lock = threading.Lock()

    @property
    def author(self) -> str:
        """The commits' author: ``assistant.author`` in the current sortext.yaml."""
        from sortext.assistant.guard import author

        return author(self.repo)

    def token_for(self, plan: PlannedUpdate, consumes: Consumes | None = None) -> str:
        """HMAC-SHA256 of (path, sha256 of the current bytes, sha256 of the new bytes,
        and the consumed file's name and sha256, if any)."""
        before = hashlib.sha256(plan.snapshot.raw or b"").hexdigest()
        exists = "file" if plan.snapshot.raw is not None else "none"
        after = hashlib.sha256(plan.new).hexdigest()
        message = f"{plan.display}\0{exists}\0{before}\0{after}".encode()
        if consumes is not None:
            source = hashlib.sha256(consumes.raw).hexdigest()
            message += f"\0{consumes.display}\0{source}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def preview(
        self, plan: PlannedUpdate, what: str, consumes: Consumes | None = None
    ) -> dict[str, Any]:
        """Remember ``plan`` and describe it: {token, path, what, changed, diff,
        diagnostics, notes, expires_in_seconds} (``notes``: changed values whose line
        keeps a trailing comment that may be about the old value); token is null
        when nothing would change (and nothing is consumed).
        ``consumes``: the file the change takes away once applied (an inbox note)."""
        result: dict[str, Any] = {
            "path": plan.display,
            "what": what,
            "changed": plan.changed,
            "diff": unified_diff(plan.display, plan.snapshot.raw, plan.new),
            "diagnostics": [d.to_json() for d in plan.warnings],
            "notes": list(plan.notes),
            "token": None,
            "expires_in_seconds": None,
        }
        if not plan.changed and consumes is None:  # a note filed before is still taken away
            return result
        token = self.token_for(plan, consumes)
        with self._lock:
            self._expire()
            self._pending[token] = Pending(plan, what, consumes)
        result["token"] = token
        result["expires_in_seconds"] = TOKEN_SECONDS
        return result

    def _expire(self) -> None:
        now = time.monotonic()
        for token in [t for t, p in self._pending.items() if now - p.created > TOKEN_SECONDS]:
            del self._pending[token]
        while len(self._pending) >= MAX_PENDING:
            del self._pending[next(iter(self._pending))]

    def apply(self, token: str) -> dict[str, Any]:
        """Write and commit the change previewed under ``token``.

        Returns {path, what, commit, message, author, diagnostics}; ``commit`` is
        null (with ``note``) when the repository has no git or the commit could not
        be made (the file is written: the watcher or the next commit takes it);
        with a consumed file, also ``consumed``: {path, removed, kept (why it stayed)}.
        Raises TokenRefused, ConflictError (changed since the preview; nothing
        written), EditRefused (the result is no longer valid; nothing written),
        StorageError.
        """
        with self._lock:
            self._expire()
            pending = self._pending.pop(token, None) if isinstance(token, str) else None
            if pending is None or not hmac.compare_digest(
                self.token_for(pending.plan, pending.consumes), token
            ):
                raise TokenRefused(
                    "unknown, used or expired token: preview the change again "
                    "and apply the new token"
                )
            plan = pending.plan
            from sortext.files.write import read_for_update
            from sortext.repo import open_repository

            self.repo = open_repository(self.repo.root)  # sortext.yaml may have changed

            current = read_for_update(plan.path).raw
            if current != plan.snapshot.raw:
                raise ConflictError(
                    f"{plan.display} changed since the preview (saved from an editor?); "
                    "nothing was written: preview the change again"
                )
            consumes = pending.consumes
            if consumes is not None and _bytes_of(consumes.path) != consumes.raw:
                raise ConflictError(
                    f"{consumes.display} changed since the preview; nothing was written "
                    "and it stays: preview the change again"
                )
            warnings = check_edit(self.repo, plan.display, plan.snapshot.raw, plan.new)
            # Commit first, then write: when the file appears, git already holds its
            # bytes, so a running watcher finds nothing to commit (one commit, ours).
            committed = self._commit(plan)
            try:
                written = apply_update(plan)
            except ConflictError as exc:
                if committed.get("commit"):
                    raise ConflictError(
                        f"{plan.display} was saved by someone else while the change was "
                        f"being applied; the file is as they saved it, commit "
                        f"{committed['commit'][:12]} holds the assistant's version and the "
                        "next commit (the watcher's or yours) records the saved file"
                    ) from exc
                raise
            outcome: dict[str, Any] = {
                "path": plan.display,
                "what": pending.what,
                "commit": None,
                "message": None,
                "author": self.author,
                "diagnostics": [d.to_json() for d in _unique(warnings + written.warnings)],
            }
            outcome.update(committed)
            if consumes is not None:
                kept = consumes.done()
                outcome["consumed"] = {
                    "path": consumes.display,
                    "removed": kept is None,
                    "kept": kept,
                }
            return outcome

    def _commit(self, plan: PlannedUpdate) -> dict[str, Any]:
        """One commit of exactly ``plan.new`` (about to be written), with the field-level
        message and the assistant's author.  No git, or git busy (a merge in progress,
        a held index.lock): {note} only, and the file is still written."""
        from sortext.schema.validate import RecordValidator
        from sortext.vcs.commit import GitRepo
        from sortext.vcs.messages import commit_message

        try:
            git = GitRepo.open(self.repo.root)
            try:
                old = git.head_versions([plan.display]).get(plan.display)
                message = commit_message(
                    RecordValidator(self.repo.config),
                    {plan.display: plan.new},
                    {plan.display: old},
                    {},
                )
                commit = git.commit({plan.display: plan.new}, message, self.author)
            finally:
                git.close()
        except GitError as exc:
            return {"note": f"written; not committed: {exc}"}
        if commit is None:
            return {"message": message, "note": "git already had these bytes"}
        return {"commit": commit, "message": message}


def _bytes_of(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _unique(items: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for d in items:
        key = (d.line, d.column, d.field, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out
