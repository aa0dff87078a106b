"""Whose name is in a commit's header: the erased client's, or the practice's own.

An author, committer or tagger is a ``name <email>`` pair.  Replacing every name
that matches the client's (what erase did) rewrote the user's own commits to
``(erased)`` when the user and the client share a name.  The evidence used here:

1. an identity whose email is one of the practice's own (``git config user.email``
   of the repository, the ``git: {author}`` of sortext.yaml, the watcher's fallback
   ``sortext@localhost``) is the practice's: never rewritten, whatever its name;
2. an identity whose email is one the client's record ever held is the client's:
   name and email both become ``(erased)`` (whatever name they committed under);
3. an identity whose name is one of the practice's own names, under an email that
   is neither, is the practice's (the user's older address): kept;
4. any other identity has the client's values replaced in its name and email, as in
   files (the client committing from their own machine under another address).

:func:`own_identity` and :func:`fix_identity` are plain functions using only ``re``
and builtins: their source is put as it is into the git-filter-repo callbacks
(:func:`identity_callbacks`), so the rewrite and the verification (which ignores
the practice's own identities, see :func:`own_header_lines`) apply the same rule.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: The watcher's identity when git has none (sortext/vcs/commit.py).
WATCHER = ("sortext watch", "sortext@localhost")


@dataclass(frozen=True, slots=True)
class Identities:
    """``own_emails``: the practice's emails, lower-cased bytes; ``own_names``: its names,
    blanks collapsed and case-folded; ``client_emails``: regexes (bytes) of the
    client's emails; ``values``: regexes of every value replaced (as in files)."""

    own_emails: frozenset[bytes] = frozenset()
    own_names: frozenset[str] = frozenset()
    client_emails: tuple[bytes, ...] = ()
    values: tuple[bytes, ...] = ()
    #: what the plan says when the practice's identity collides with the client's
    notes: tuple[str, ...] = field(default=())


def own_identity(
    name: bytes | None,
    email: bytes | None,
    own_emails: frozenset[bytes],
    own_names: frozenset[str],
    client_emails: tuple[bytes, ...],
) -> bool:
    """The identity ``name <email>`` is the practice's own (rules 1 and 3)."""
    address = (email or b"").strip().lower()
    if address and address in own_emails:
        return True
    if any(re.search(p, email or b"") for p in client_emails):
        return False
    folded = " ".join((name or b"").decode("utf-8", "replace").split()).casefold()
    return bool(folded) and folded in own_names


def fix_identity(
    name: bytes | None,
    email: bytes | None,
    own_emails: frozenset[bytes],
    own_names: frozenset[str],
    client_emails: tuple[bytes, ...],
    values: tuple[bytes, ...],
    replacement: bytes,
) -> tuple[bytes | None, bytes | None]:
    """``(name, email)`` as the rewrite leaves it (rules 1 to 4)."""
    if own_identity(name, email, own_emails, own_names, client_emails):
        return name, email
    if any(re.search(p, email or b"") for p in client_emails):
        return replacement, replacement
    for rule in values:
        name = None if name is None else re.sub(rule, replacement, name)
        email = None if email is None else re.sub(rule, replacement, email)
    return name, email


def practice_identities(root: Path, author: object) -> list[tuple[str, str]]:
    """The practice's own ``(name, email)`` identities: git's ``user.name`` and
    ``user.email`` as the repository sees them (every config level), the ``git:
    {author: "Name <email>"}`` of sortext.yaml (``author``), the watcher's fallback."""
    from sortext.vcs import git

    found = [(git.get_config(root, "user.name"), git.get_config(root, "user.email"))]
    if isinstance(author, str):
        match = re.fullmatch(r"\s*(.*?)\s*<([^<>]*)>\s*", author)
        if match:
            found.append((match.group(1), match.group(2).strip()))
    found.append(WATCHER)
    return [(n, e) for n, e in dict.fromkeys(found) if n or e]


def identities(
    own: Sequence[tuple[str, str]],
    client_emails: Sequence[bytes],
    values: Sequence[bytes],
    client_names: Sequence[bytes],
) -> Identities:
    """The rules for a rewrite: ``own`` identities, the client's email regexes, every
    value's regex, and the client's name regexes (to say when names collide)."""
    notes: list[str] = []
    for name, email in own:
        said = f"{name} <{email}>"
        if any(re.search(p, email.encode("utf-8")) for p in client_emails):
            notes.append(
                f"your git identity ({said}) has the client's email: commits made as you "
                "are kept as yours (name and email); only commits under other addresses "
                "lose the client's values"
            )
        elif any(re.search(p, name.encode("utf-8")) for p in client_names):
            notes.append(
                f"your git identity ({said}) has the client's name: commits made as you "
                "keep your name and email (the name stays in their author and committer "
                "lines); commits made with the client's email lose theirs; elsewhere "
                "(files, messages) the name is replaced like any value"
            )
    return Identities(
        own_emails=frozenset(e.strip().lower().encode("utf-8") for _, e in own if e.strip()),
        own_names=frozenset(" ".join(n.split()).casefold() for n, _ in own if n.strip()),
        client_emails=tuple(client_emails),
        values=tuple(values),
        notes=tuple(notes),
    )


def identity_callbacks(rules: Identities, replacement: bytes) -> tuple[str, str]:
    """The bodies of git-filter-repo's ``--commit-callback`` (author and committer) and
    ``--tag-callback`` (tagger), applying :func:`fix_identity` with ``rules``."""
    source = inspect.getsource(own_identity) + "\n" + inspect.getsource(fix_identity)
    args = (
        f"frozenset({sorted(rules.own_emails)!r})",
        f"frozenset({sorted(rules.own_names)!r})",
        repr(rules.client_emails),
        repr(rules.values),
        repr(replacement),
    )
    tail = ", ".join(args)

    def call(obj: str, who: str) -> str:
        return (
            f"{obj}.{who}_name, {obj}.{who}_email = fix_identity("
            f"{obj}.{who}_name, {obj}.{who}_email, {tail})\n"
        )

    commit = source + call("commit", "author") + call("commit", "committer")
    tag = source + "if tag.tagger_name is not None or tag.tagger_email is not None:\n"
    tag += "    " + call("tag", "tagger")
    return commit, tag


#: An identity as git writes it: in a commit's or tag's header (``author NAME <EMAIL>
#: TIME ZONE``) and in a reflog line (``OLD NEW NAME <EMAIL> TIME ZONE\tmessage``).
_IDENTITY = re.compile(
    rb"(?m)^((?:author|committer|tagger) |[0-9a-f]{40,64} [0-9a-f]{40,64} )"
    rb"([^\n<>]*) <([^<>\n]*)> (-?\d+ [+-]\d{4})"
)


def without_own_identities(data: bytes, rules: Identities) -> bytes:
    """``data`` (a commit, a tag, a reflog) with each identity git wrote that is the
    practice's own (kept by the rewrite on purpose) blanked: the verification must not
    count the user's own name, shared with the client, as the client's."""

    def blank(match: re.Match[bytes]) -> bytes:
        args = (rules.own_emails, rules.own_names, rules.client_emails)
        if own_identity(match.group(2), match.group(3), *args):
            return match.group(1) + b"<own identity> " + match.group(4)
        return match.group(0)

    return _IDENTITY.sub(blank, data)


_CONFIG_IDENTITY = re.compile(rb"(?m)^([ \t]*(?:name|email)[ \t]*=[ \t]*)(.*?)[ \t]*$")


def without_own_config(data: bytes, rules: Identities) -> bytes:
    """A git config file with the values of its ``name`` and ``email`` keys blanked when
    they are the practice's own (``user.name`` shared with the client stays there)."""

    def blank(match: re.Match[bytes]) -> bytes:
        value = match.group(2).strip(b'"')
        folded = " ".join(value.decode("utf-8", "replace").split()).casefold()
        if value.lower() in rules.own_emails or folded in rules.own_names:
            return match.group(1) + b"<own identity>"
        return match.group(0)

    return _CONFIG_IDENTITY.sub(blank, data)
