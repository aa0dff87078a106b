"""What changed across all clients since a date, from git history.

``changes_since`` compares every record as it was at the start of the window
(the last commit before it) with HEAD: one ``git diff --name-status``, one
batched blob read, then a pure classification of each pair of versions.
Pages (NEXT.md, the dashboard) call it for their "since last week" section.

``stage_facts``, ``StageFacts`` and ``staleness`` live in
:mod:`sortext.vcs.stagefacts` and are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sortext.check.load import stem_of
from sortext.errors import ParameterError, one_line
from sortext.record.copies import is_record_name
from sortext.record.fielddiff import keyed_items
from sortext.repo import Repository
from sortext.vcs import git
from sortext.vcs.log import Commit, has_commits, read_blobs, rev_before, start_log
from sortext.vcs.midnight import commit_day, midnight
from sortext.vcs.stagefacts import StageFacts, stage_facts, staleness
from sortext.vcs.versions import Version, parse_version

ChangeKind = Literal[
    "new_client",
    "stage_moved",
    "next_action_done",
    "next_action_added",
    "next_action_moved",
    "session_logged",
    "measurement_added",
    "invoice_paid",
    "invoice_overdue",
    "renamed",
    "deleted",
    "unreadable",
]

#: Display order and headings for reports.
KIND_TITLES: dict[str, str] = {
    "new_client": "New clients",
    "stage_moved": "Stage moves",
    "next_action_done": "Next actions done",
    "next_action_added": "Next actions added",
    "next_action_moved": "Next actions moved",
    "session_logged": "Sessions logged",
    "measurement_added": "Measurements added",
    "invoice_paid": "Invoices paid",
    "invoice_overdue": "Invoices gone overdue",
    "renamed": "Renamed records",
    "deleted": "Deleted records",
    "unreadable": "Records that no longer parse",
}


@dataclass(frozen=True, slots=True)
class Change:
    """One noteworthy change to one client.  ``when``/``author``: the newest
    commit in the window that made this change (a stage move is dated by the
    commit that changed ``stage``, as ``history`` does, not by a later
    unrelated edit); the newest commit touching the record only when no single
    commit made it."""

    record_id: str
    kind: ChangeKind
    summary: str
    old: Any = None
    new: Any = None
    when: str = ""
    author: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class ChangeReport:
    """Changes between ``base`` (None: empty history) and ``head``."""

    since: dt.date
    today: dt.date
    base: str | None
    head: str | None
    changes: list[Change] = field(default_factory=list)

    def by_kind(self) -> dict[str, list[Change]]:
        """Changes grouped in KIND_TITLES order (empty kinds left out)."""
        out: dict[str, list[Change]] = {}
        for kind in KIND_TITLES:
            items = [c for c in self.changes if c.kind == kind]
            if items:
                out[kind] = items
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "today": self.today.isoformat(),
            "base": self.base,
            "head": self.head,
            "changes": [c.to_json() for c in self.changes],
        }


_RELATIVE = re.compile(r"^(\d{1,9})([dw])$")


def parse_since(text: str, today: dt.date) -> dt.date:
    """``7d``, ``2w`` or ``YYYY-MM-DD`` -> the first day of the window."""
    m = _RELATIVE.match(text.strip())
    if m:
        days = int(m.group(1)) * (7 if m.group(2) == "w" else 1)
        if days > (today - dt.date.min).days:
            raise ParameterError(
                "since",
                f"'{one_line(text[:40])}': that reaches before year 1; "
                f"give at most {(today - dt.date.min).days}d or a date",
            )
        return today - dt.timedelta(days=days)
    from sortext.record.values import ISO_DATE, iso_day

    day = text.strip()
    if not ISO_DATE.fullmatch(day):  # (not 20261101, not a week date: YYYY-MM-DD only)
        raise ParameterError(
            "since", f"'{one_line(text[:40])}': give a number of days (7d), weeks (2w) or a date"
        )
    try:
        return iso_day(day)
    except ValueError as exc:
        raise ParameterError("since", f"'{one_line(text[:40])}' {exc}") from None


# --- classifying one record's change ------------------------------------------------


def _what(action: Any) -> str:
    return str(action.get("what", "")) if isinstance(action, dict) else ""


def classify(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    since: dt.date,
    today: dt.date,
) -> list[tuple[ChangeKind, str, Any, Any]]:
    """Noteworthy changes between two versions of one record's data (pure)."""
    out: list[tuple[ChangeKind, str, Any, Any]] = []
    if old is None and new is None:
        return out
    if new is None:
        assert old is not None
        return [("deleted", f"deleted ({old.get('stage', '?')})", old.get("stage"), None)]
    if old is None:
        out.append(("new_client", f"new client in {new.get('stage', '?')}", None, new.get("stage")))
        old = {}
    elif old.get("stage") != new.get("stage"):
        out.append(
            (
                "stage_moved",
                f"stage {old.get('stage')} -> {new.get('stage')}",
                old.get("stage"),
                new.get("stage"),
            )
        )
    out.extend(_next_action(old.get("next_action"), new.get("next_action")))
    out.extend(_added(old, new, "sessions", _session_text, "session_logged"))
    out.extend(_added(old, new, "measurements", _measurement_text, "measurement_added"))
    out.extend(_invoices(old.get("invoices"), new.get("invoices"), since, today))
    return out


def _next_action(old: Any, new: Any) -> list[tuple[ChangeKind, str, Any, Any]]:
    if old == new:
        return []
    out: list[tuple[ChangeKind, str, Any, Any]] = []
    if old and (not new or _what(old) != _what(new)):
        out.append(("next_action_done", f"done: {_what(old)}", old, None))
    if new and (not old or _what(old) != _what(new)):
        due = new.get("due", "?") if isinstance(new, dict) else "?"
        out.append(("next_action_added", f"next: {_what(new)} (due {due})", None, new))
    elif (
        isinstance(old, dict)
        and isinstance(new, dict)
        and (old.get("due"), old.get("owner")) != (new.get("due"), new.get("owner"))
    ):
        text = f"moved: {_what(new)} due {old.get('due')} -> {new.get('due')}"
        if old.get("owner") != new.get("owner"):
            text += f", owner {old.get('owner')} -> {new.get('owner')}"
        out.append(("next_action_moved", text, old, new))
    return out


def _session_text(s: Mapping[str, Any]) -> str:
    parts = [str(s.get("date")), str(s.get("kind", "session")), str(s.get("status", ""))]
    focus = f": {s['focus']}" if s.get("focus") else ""
    return " ".join(p for p in parts if p) + focus


def _measurement_text(m: Mapping[str, Any]) -> str:
    return f"{m.get('goal')}: {m.get('value')} on {m.get('date')}"


def _added(
    old: Mapping[str, Any], new: Mapping[str, Any], name: str, text: Any, kind: ChangeKind
) -> list[tuple[ChangeKind, str, Any, Any]]:
    before = keyed_items(name, old.get(name) or []) if isinstance(old.get(name) or [], list) else {}
    after = keyed_items(name, new.get(name) or []) if isinstance(new.get(name) or [], list) else {}
    if after is None:
        return []
    before = before or {}
    return [(kind, text(item), None, item) for label, item in after.items() if label not in before]


def _invoices(
    old: Any, new: Any, since: dt.date, today: dt.date
) -> list[tuple[ChangeKind, str, Any, Any]]:
    before = (keyed_items("invoices", old) if isinstance(old, list) else None) or {}
    after = (keyed_items("invoices", new) if isinstance(new, list) else None) or {}
    out: list[tuple[ChangeKind, str, Any, Any]] = []
    for label, inv in after.items():
        prior = before.get(label) or {}
        status, was = inv.get("status"), prior.get("status")
        amount = f" ({inv['amount']})" if "amount" in inv else ""
        if status == "paid" and was != "paid":
            out.append(("invoice_paid", f"{label} paid{amount}", was, status))
        elif status == "overdue" and was != "overdue":
            out.append(("invoice_overdue", f"{label} overdue{amount}", was, status))
        elif status == "sent" and _due_between(inv.get("due"), since, today):
            out.append(
                ("invoice_overdue", f"{label} due {inv['due']}, still unpaid{amount}", None, status)
            )
    return out


def _due_between(due: Any, since: dt.date, today: dt.date) -> bool:
    try:
        day = dt.date.fromisoformat(str(due))
    except ValueError:
        return False
    return since <= day < today


# --- reading the two states from git -------------------------------------------------


def _clients_prefix(repo: Repository) -> str:
    return repo.relative(repo.clients_path).rstrip("/") + "/"


def _is_record(path: str, prefix: str) -> bool:
    rest = path[len(prefix) :]
    return path.startswith(prefix) and "/" not in rest and is_record_name(rest)


def changes_since(repo: Repository, since: dt.date, today: dt.date) -> ChangeReport:
    """Every noteworthy change to any client from ``since`` (inclusive, from its 00:00
    in the practice's ``timezone:``, else local time: :func:`midnight`) to HEAD, each
    dated by its commit's day in that zone (:func:`commit_day`)."""
    root = repo.root
    if not has_commits(root):
        return ChangeReport(since, today, None, None)
    zone = repo.config.timezone
    head = git.text(root, "rev-parse", "HEAD").strip()
    start = midnight(since, zone)  # (git would read a bare date in the process's TZ)
    base = rev_before(root, f"@{start}")
    report = ChangeReport(since, today, base, head)
    prefix = _clients_prefix(repo)
    window_log = start_log(root, f"--since=@{start}", "-M", paths=[prefix])
    pairs = _changed_paths(repo, base, prefix)
    specs: list[str] = []
    for old_path, new_path in pairs:
        if old_path:
            specs.append(f"{base}:{old_path}")
        if new_path:
            specs.append(f"{head}:{new_path}")
    blobs = iter(read_blobs(root, specs))
    parsed = [
        (
            old_path,
            new_path,
            parse_version(next(blobs), old_path) if old_path else None,
            parse_version(next(blobs), new_path) if new_path else None,
        )
        for old_path, new_path in pairs
    ]
    window = window_log()  # the log ran while we parsed
    touched = _last_commits(window, zone)
    steps = _step_changes(root, window, parsed, since, today, zone)
    for old_path, new_path, old_v, new_v in parsed:
        record_id = stem_of(new_path or old_path or "")
        when, author = touched.get(new_path or old_path or "", ("", ""))

        found: list[tuple[ChangeKind, str, Any, Any]] = []
        if old_path and new_path and old_path != new_path:
            found.append(("renamed", f"renamed from {old_path}", old_path, new_path))
        if new_path and new_v is None:
            found.append(
                ("unreadable", "front matter does not parse (run sortext check)", None, None)
            )
        else:
            if old_path and old_v is None:
                old_v = Version({}, "")
            found.extend(
                classify(old_v.data if old_v else None, new_v.data if new_v else None, since, today)
            )
        made = steps.get(new_path or old_path or "", [])
        for kind, summary, old, new in found:
            dated = next((who for k, n, who in made if k == kind and n == new), (when, author))
            report.changes.append(Change(record_id, kind, summary, old, new, *dated))
    report.changes.sort(key=lambda c: (list(KIND_TITLES).index(c.kind), c.record_id))
    return report


def _changed_paths(
    repo: Repository, base: str | None, prefix: str
) -> list[tuple[str | None, str | None]]:
    """(path at base, path at HEAD) of every record that differs; None: absent."""
    root = repo.root
    if base is None:
        names = git.listed(root, "ls-tree", "-r", "--name-only", "HEAD", "--", prefix)
        return [(None, n) for n in names if _is_record(n, prefix)]
    out = git.text(root, "diff", "--name-status", "-z", "-M", base, "HEAD", "--", prefix)
    tokens = out.split("\0")
    pairs: list[tuple[str | None, str | None]] = []
    i = 0
    while i < len(tokens) and tokens[i]:
        status = tokens[i][0]
        if status in "RC":
            old, new = tokens[i + 1], tokens[i + 2]
            i += 3
        else:
            old = new = tokens[i + 1]
            i += 2
        before = old if status != "A" and _is_record(old, prefix) else None
        after = new if status != "D" and _is_record(new, prefix) else None
        if before or after:
            pairs.append((before, after))
    return pairs


def _step_changes(
    root: Any,
    window: list[Commit],
    parsed: list[tuple[str | None, str | None, Version | None, Version | None]],
    since: dt.date,
    today: dt.date,
    zone: str | None = None,
) -> dict[str, list[tuple[ChangeKind, Any, tuple[str, str]]]]:
    """Final path -> (kind, new value, (date, author)) of each change made by
    one commit of the window, newest commit first.

    Each record's versions in the window are read in one batch and compared
    commit by commit, so a change is dated by the commit that made it."""
    chains: dict[str, list[tuple[Commit, str | None]]] = {}
    for old_path, new_path, _, _ in parsed:
        final = new_path or old_path or ""
        name: str | None = final
        chain: list[tuple[Commit, str | None]] = []
        for commit in window:  # newest first
            entry = next((fc for fc in commit.files if fc.path == name), None)
            if entry is None:
                continue
            chain.append((commit, None if entry.status.startswith("D") else name))
            if entry.status.startswith("R") and entry.old_path:
                name = entry.old_path
        if len(chain) > 1:  # one commit: it made every change, the fallback is right
            chains[final] = chain
    specs = [f"{c.sha}:{p}" for chain in chains.values() for c, p in reversed(chain) if p]
    blobs = iter(read_blobs(root, specs))
    out: dict[str, list[tuple[ChangeKind, Any, tuple[str, str]]]] = {}
    base_of = {new_path or old_path or "": old_v for old_path, _, old_v, _ in parsed}
    for final, chain in chains.items():
        versions = [
            parse_version(next(blobs), path) if path else None for _, path in reversed(chain)
        ]
        prev = base_of.get(final)
        made: list[tuple[ChangeKind, Any, tuple[str, str]]] = []
        for (commit, _), version in zip(reversed(chain), versions, strict=True):
            for kind, _, _, new in classify(
                prev.data if prev else None, version.data if version else None, since, today
            ):
                made.append((kind, new, (commit_day(commit.date, zone), commit.author)))
            prev = version if version is not None else prev
        out[final] = made[::-1]
    return out


def _last_commits(commits: list[Commit], zone: str | None = None) -> dict[str, tuple[str, str]]:
    """Path -> (date in ``zone``: :func:`commit_day`, author) of the newest commit (of
    ``commits``) touching it."""
    out: dict[str, tuple[str, str]] = {}
    for commit in commits:
        for fc in commit.files:
            out.setdefault(fc.path, (commit_day(commit.date, zone), commit.author))
    return out


__all__ = [
    "KIND_TITLES",
    "Change",
    "ChangeReport",
    "StageFacts",
    "changes_since",
    "classify",
    "parse_since",
    "stage_facts",
    "staleness",
]
