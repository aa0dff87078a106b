"""Tombstones: an erasure remembered without the data (``erased.yaml``).

``sortext erase`` removes a client from the files and from all history; what
remains is one line in the committed file ``erased.yaml`` at the repository
root: a salted SHA-256 of the client's id and of their email, the date and a
reason code.  No name, no email, no id in clear.  Every door through which a
client could come back (``sync``, the merge driver, ``import``, ``intake``, the
watcher and ``check``) asks :meth:`Tombstones.match` whether an incoming
record is an erased client and refuses it with :func:`refusal`.

The salt is random per repository and stored in the file (it must travel with
the clones that need to check).  It stops a hash computed for one practice from
being looked up in another's file; it does not make a guessed email unguessable
(whoever has the file and a candidate email can test it), which is why the file
holds hashes of identifiers only, never of notes.

File shape (YAML)::

    # written by sortext erase: ...
    salt: 32 hex digits
    erased:
      - {id: 64 hex, email: 64 hex or '', date: YYYY-MM-DD, reason: request}
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILE_NAME = "erased.yaml"
#: Reason codes an erasure may carry.
REASONS = ("request", "retention", "anonymised", "error")
_HEX = re.compile(r"^[0-9a-f]*$")


def normalise_email(value: str) -> str:
    """Emails compare without case and surrounding blanks."""
    return value.strip().lower()


@dataclass(frozen=True, slots=True)
class Tombstone:
    """One erased client: hashes only (64 hex digits each; email '' when none)."""

    id_hash: str
    email_hash: str
    date: str
    reason: str


@dataclass(slots=True)
class Tombstones:
    """The tombstones of one repository (empty when ``erased.yaml`` is absent)."""

    salt: str = ""
    entries: list[Tombstone] = field(default_factory=list)

    def digest(self, value: str) -> str:
        """SHA-256 (hex) of ``salt:value``."""
        return hashlib.sha256(f"{self.salt}:{value}".encode()).hexdigest()

    def match(self, record_id: str | None, email: str | None = None) -> Tombstone | None:
        """The tombstone whose id or email hash matches, else None."""
        if not self.entries:
            return None
        id_hash = self.digest(record_id) if record_id else None
        email_hash = self.digest(normalise_email(email)) if email and email.strip() else None
        for entry in self.entries:
            if id_hash is not None and entry.id_hash == id_hash:
                return entry
            if email_hash is not None and entry.email_hash and entry.email_hash == email_hash:
                return entry
        return None

    def match_data(self, record_id: str | None, data: Mapping[str, Any] | None) -> Tombstone | None:
        """:meth:`match` with the email taken from record ``data`` (front matter)."""
        email = data.get("email") if isinstance(data, Mapping) else None
        return self.match(record_id, email if isinstance(email, str) else None)

    def match_text(self, stem: str, raw: bytes) -> Tombstone | None:
        """:meth:`match_data` for a record file's bytes (``stem``: file name without .md)."""
        if not self.entries:
            return None
        return self.match_data(stem, front_matter(raw.decode("utf-8", "replace")))

    def add(self, record_id: str, emails: Iterable[str], date: dt.date, reason: str) -> None:
        """Remember one erasure (one entry per email; at least one entry)."""
        if not self.salt:
            import secrets  # (not at the top: every open of the index reads FILE_NAME)

            self.salt = secrets.token_hex(16)
        id_hash = self.digest(record_id)
        hashes = sorted({self.digest(normalise_email(e)) for e in emails if e.strip()}) or [""]
        for email_hash in hashes:
            entry = Tombstone(id_hash, email_hash, date.isoformat(), reason)
            if entry not in self.entries:
                self.entries.append(entry)

    def dumps(self) -> str:
        """The YAML text of ``erased.yaml`` (hex, dates and reason codes only)."""
        lines = [
            "# Clients erased from this repository and its history by 'sortext erase'.",
            "# Salted hashes only: no personal data.  sortext refuses to bring these",
            "# clients back (sync, import, intake, the watcher).  Remove a line only",
            "# when that client returns with fresh consent.",
            f"salt: '{self.salt}'",
            "erased:" if self.entries else "erased: []",
        ]
        for e in self.entries:
            lines.append(
                f"  - {{id: '{e.id_hash}', email: '{e.email_hash}', "
                f"date: '{e.date}', reason: {e.reason}}}"
            )
        return "\n".join(lines) + "\n"


def front_matter(text: str) -> dict[str, Any]:
    """The front matter of a record's text as a mapping ({} when unreadable)."""
    from sortext.record.peek import front_matter as peek

    return peek(text.replace("\r\n", "\n")) or {}


def parse(text: str) -> Tombstones:
    """Read the text of ``erased.yaml``; ValueError (with the reason) when malformed."""
    from sortext.record.diagnostics import Diagnostic
    from sortext.record.yamlread import load_fast

    data = load_fast(text, FILE_NAME) if text.strip() else {}
    if isinstance(data, Diagnostic):
        raise ValueError(f"line {data.line}: {data.message}")
    if not isinstance(data, dict):
        raise ValueError("must be a mapping with 'salt' and 'erased'")
    salt = str(data.get("salt") or "")
    if not _HEX.match(salt):
        raise ValueError("salt: must be hex digits")
    entries: list[Tombstone] = []
    for i, item in enumerate(data.get("erased") or []):
        if not isinstance(item, dict):
            raise ValueError(f"erased[{i}]: must be a mapping")
        id_hash, email_hash = str(item.get("id") or ""), str(item.get("email") or "")
        if len(id_hash) != 64 or not _HEX.match(id_hash) or not _HEX.match(email_hash):
            raise ValueError(f"erased[{i}]: id and email must be SHA-256 hex digests")
        entries.append(
            Tombstone(id_hash, email_hash, str(item.get("date") or ""), str(item.get("reason")))
        )
    return Tombstones(salt, entries)


def load(root: Path) -> Tombstones:
    """The tombstones of the repository at ``root``; empty when there is no file.

    A malformed file is read as *no* tombstones would be unsafe, so it raises
    ValueError naming the file."""
    from sortext.files.plain import read_regular

    try:
        raw = read_regular(root / FILE_NAME)[0]
    except FileNotFoundError:
        return Tombstones()
    except OSError as exc:  # a folder or a pipe there: no tombstones would be unsafe
        raise ValueError(
            f"{FILE_NAME}: cannot read: {exc.strerror or exc}; it holds the salted hashes "
            "of the erased clients: restore it from git (git checkout -- erased.yaml)"
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{FILE_NAME}: not valid UTF-8 ({exc.reason})") from exc
    try:
        return parse(text)
    except ValueError as exc:
        raise ValueError(f"{FILE_NAME}: {exc}") from exc


def refusal(entry: Tombstone, what: str) -> str:
    """The message for a refused resurrection: what happened and what to do."""
    return (
        f"{what}: this client was erased on {entry.date} (reason: {entry.reason}; "
        f"see {FILE_NAME}) and may not come back; drop it from the source you are "
        "bringing in (an old clone, export or spreadsheet). If they returned as a new "
        "client with fresh consent, delete their line from erased.yaml first"
    )
