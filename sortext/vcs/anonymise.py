"""``sortext anonymise``: keep a client's outcomes for the figures, drop who they were.

The record is replaced by an anonymised one under a new id (``anon-`` and six
hex digits): stage, owner, dates, billing terms, invoice amounts, goals,
measurements and sessions (date, kind, status, score) stay; name, email, phone,
company, links, next action, blockers, free-text session fields, custom fields
and the notes go.  The history is then rewritten exactly as for
:func:`sortext.vcs.erase.erase` (the old record and every identifying value it
ever held leave every commit), the tombstone carries reason ``anonymised``, and
the anonymised record is committed with it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sortext.errors import RecordNotFound, UsageError, hinted
from sortext.record import tombstone
from sortext.repo import Repository
from sortext.vcs.erase import IDENTIFYING, REPLACEMENT, ErasePlan, EraseReport, erase
from sortext.vcs.erasetext import Sentence

KEEP = ("stage", "owner", "dates", "billing", "invoices", "goals", "measurements", "tags")
SESSION_KEEP = ("date", "kind", "status", "score", "review", "duration", "minutes")
BILLING_DROP = ("payment_method",)


def anonymised_data(data: Mapping[str, Any], new_id: str, today: dt.date) -> dict[str, Any]:
    """The kept part of a record's front matter (plain values), with a neutral name."""
    out: dict[str, Any] = {"name": f"Anonymised client {new_id.removeprefix('anon-')}"}
    for key in KEEP:
        if key not in data:
            continue
        value = data[key]
        if key == "billing" and isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if k not in BILLING_DROP}
        out[key] = value
    sessions = [
        {k: v for k, v in s.items() if k in SESSION_KEEP}
        for s in data.get("sessions") or []
        if isinstance(s, Mapping)
    ]
    if sessions:
        out["sessions"] = sessions
    links = data.get("links")
    if isinstance(links, Mapping) and links.get("contract"):
        out["links"] = {"contract": "anonymised"}  # there was one (stage requirements)
    consent: dict[str, Any] = {"data_use": False, "contact": "none"}
    old = data.get("consent")
    if isinstance(old, Mapping) and old.get("retain_until"):
        consent["retain_until"] = old["retain_until"]
    out["consent"] = consent
    return out


def render(data: dict[str, Any], today: dt.date) -> str:
    from sortext.edit.emit import Layout, render_block_mapping

    lines = render_block_mapping(data, 0, Layout())
    return "---\n" + "\n".join(lines) + f"\n---\n\nAnonymised on {today.isoformat()}.\n"


def _scrub(text: str, plan: ErasePlan) -> str:
    for value in plan.values:
        text = re.sub(value.pattern().decode("latin-1"), REPLACEMENT, text)
    return text


def kept_sentences_left_out(repo: Repository, plan: ErasePlan, kept: str) -> list[Sentence]:
    """The sentences to look for after anonymising: ``plan.sentences`` but those the
    anonymised record (``kept``: its text) keeps on purpose, a kept field's own text
    (a goal's title, an invoice's description) that no removed text of any version
    of the record also holds.  A sentence of what anonymise removes (the notes, the
    next action, blockers, session notes, company) that a kept field quotes (a goal
    titled with the notes' sentence naming the client's employer or family) is
    still looked for: the verification then reports the anonymised record's line,
    as erase reports any place still quoting the client."""
    from sortext.vcs.erasetext import texts_of

    data = kept.encode("utf-8")
    in_record = [s for s in plan.sentences if re.search(s.pattern, data)]
    if not in_record:
        return plan.sentences
    skip = frozenset({"id", *IDENTIFYING, *KEEP})
    removed = [
        t for version in record_versions(repo, plan.record_id) for t in texts_of(version, skip)
    ]
    held = "\n\n".join(removed).encode("utf-8")
    for value in plan.values:  # as the sentences were made (the values replaced)
        held = re.sub(value.pattern(), REPLACEMENT.encode(), held)
    own = {s for s in in_record if not re.search(s.pattern, held)}
    return [s for s in plan.sentences if s not in own]


def record_versions(repo: Repository, record_id: str) -> list[str]:
    """Every version of the record's text: the working tree's and each commit's."""
    from sortext.record.source import read_bytes
    from sortext.vcs import git

    rel = repo.relative(repo.record_path(record_id))
    texts: list[str] = []
    raw = read_bytes(str(repo.record_path(record_id)))
    if isinstance(raw, bytes):
        texts.append(raw.decode("utf-8", "replace"))
    for commit in git.text(repo.root, "log", "--all", "--format=%H", "--", rel).split():
        done = git.run_full(repo.root, "show", f"{commit}:{rel}")
        if done.returncode == 0:
            texts.append(done.stdout.decode("utf-8", "replace"))
    return texts


def anonymise(
    repo: Repository,
    plan: ErasePlan,
    today: dt.date,
    push: bool = False,
    remotes: Sequence[str] = (),
    rebuild: Callable[[bool], list[str]] | None = None,
) -> tuple[str, EraseReport]:
    """Anonymise ``plan.record_id``; the new id and the erase report.

    Raises RecordNotFound when the record is not in the working tree (nothing
    to keep), and what :func:`erase` raises."""
    from sortext.record.source import read_bytes

    path = repo.record_path(plan.record_id)
    if not os.path.lexists(path):
        raise hinted(
            RecordNotFound(f"{repo.shown(path)} is not in the working tree: nothing to keep"),
            "erase_instead",
            plan.record_id,
            "erase it instead",
        )
    raw = read_bytes(str(path))  # the record's own entry: never through a link
    if not isinstance(raw, bytes):
        raise UsageError(f"{repo.shown(path)}: {raw.message}")
    data = tombstone.front_matter(raw.decode("utf-8", "replace"))
    new_id = f"anon-{secrets.token_hex(3)}"
    while repo.record_path(new_id).exists():
        new_id = f"anon-{secrets.token_hex(3)}"
    text = _scrub(render(anonymised_data(data, new_id, today), today), plan)
    rel = repo.relative(repo.record_path(new_id))
    plan.sentences = kept_sentences_left_out(repo, plan, text)
    report = erase(
        repo,
        plan,
        today,
        "anonymised",
        push,
        remotes,
        extra={rel: text.encode("utf-8")},
        rebuild=rebuild,
    )
    return new_id, report
