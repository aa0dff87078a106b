"""Rules: pure functions of (records, config, today) that say what needs attention.

Each rule reads a record's typed view (:class:`~sortext.record.model.RecordView`:
dates as ISO text, numbers as float) and returns
findings: a kind, a severity and a one-line reason a person can act on.  No
rule reads files, the clock or the environment, so each one is unit-tested
with small inline records.  Data that the schema would reject is skipped
quietly here; ``sortext check`` is where it gets reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Literal

from sortext.check.load import Record
from sortext.record.model import Session
from sortext.rules import wording
from sortext.rules.memo import day_of, facts, iso_day
from sortext.rules.wording import days_phrase, figure, money
from sortext.schema.config import Config

Level = Literal["error", "warning", "info"]
NextStatus = Literal["overdue", "today", "soon", "missing", "later"]

# The order of the next-actions list, on every page and in ``sortext next``.
NEXT_ORDER: tuple[NextStatus, ...] = ("overdue", "today", "soon", "missing", "later")
LEVEL_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}
MISSED = frozenset({"cancelled", "rescheduled", "no-show"})
ATTENDANCE = MISSED | {"held"}
# Findings that make an open client "at risk" (the product's definition).
AT_RISK_KINDS = frozenset(
    {
        "next_overdue",
        "next_missing",
        "missed_sessions",
        "checkin_due",
        "invoice_overdue",
        "stale_stage",
        "goal_stuck",
    }
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing that needs attention for one client."""

    record_id: str
    name: str
    kind: str
    level: Level
    reason: str
    due: str | None = None
    owner: str | None = None
    amount: float | None = None
    currency: str | None = None
    ref: str | None = None  # what the finding is about inside the record (an invoice id)

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (LEVEL_ORDER[self.level], self.due or "9999-99-99", self.name.casefold(), self.kind)


@dataclass(frozen=True, slots=True)
class NextAction:
    """A client's next committed action (or the lack of one) relative to today."""

    id: str
    name: str
    what: str | None
    owner: str | None
    due: str | None
    status: NextStatus
    days: int | None  # due - today, in days (negative when overdue)
    stage: str
    path: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "what": self.what,
            "owner": self.owner,
            "due": self.due,
            "status": self.status,
            "days": self.days,
            "stage": self.stage,
            "path": self.path,
        }


@dataclass(frozen=True, slots=True)
class GoalStatus:
    """Where one goal stands: its measurements and the share of the way to target."""

    record_id: str
    name: str
    goal_id: str
    title: str
    measure: str
    baseline: float | None
    target: float | None
    by: str | None
    points: tuple[tuple[str, float], ...]
    percent: float | None  # of the way from baseline to target (may be < 0 or > 100)
    # "paused": the client is in a side stage (paused): its goals are neither
    # progressing nor stuck on the dashboard until the client comes back.
    state: Literal["achieved", "progressing", "stuck", "behind", "no data", "closed", "paused"]
    reason: str


@dataclass(slots=True)
class ClientRisk:
    """An open client at risk of dropping off, with the findings that say why."""

    record_id: str
    name: str
    owner: str | None
    reasons: list[Finding] = field(default_factory=list)


# -- small helpers ---------------------------------------------------------------


def is_open(record: Record, config: Config) -> bool:
    """Whether the record's stage needs a next action (cached per config: called per rule)."""
    return record.stage in facts(config).open


def record_owner(record: Record) -> str | None:
    return record.view.owner


def _stale_days(config: Config, stage: str) -> int | None:
    kept = facts(config).stale
    if stage in kept:
        return kept[stage]
    table = config.threshold("stale_days")
    if not isinstance(table, Mapping):
        return None
    value = table.get(stage)
    days = int(value) if isinstance(value, int) and not isinstance(value, bool) else None
    kept[stage] = days
    return days


def _int(config: Config, name: str) -> int:
    kept = facts(config).ints
    value = kept.get(name)
    if value is None:
        value = kept[name] = int(config.threshold(name))
    return value


def _stage(config: Config, name: str) -> Any:
    """``config.stage(name)``, looked up once per config."""
    kept = facts(config).stages
    if name in kept:
        return kept[name]
    found = kept[name] = config.stage(name)
    return found


# -- next actions ---------------------------------------------------------------


def next_action(record: Record, config: Config, today: dt.date) -> NextAction | None:
    """The record's next action classified against today; ``missing`` for an open
    client without one; None for a closed client without one."""
    action = record.view.next_action
    what = action.what
    owner = action.owner if action.owner is not None else record_owner(record)
    due_text = action.due
    due = day_of(due_text)
    if not what:
        if not is_open(record, config):
            return None
        return NextAction(
            record.id,
            record.name,
            None,
            record_owner(record),
            None,
            "missing",
            None,
            record.stage,
            record.path,
        )
    status: NextStatus
    days = (due - today).days if due else None
    if days is None:
        status = "later"
    elif days < 0:
        status = "overdue"
    elif days == 0:
        status = "today"
    elif days <= _int(config, "due_soon_days"):
        status = "soon"
    else:
        status = "later"
    return NextAction(
        record.id,
        record.name,
        what,
        owner,
        due_text if due else None,
        status,
        days,
        record.stage,
        record.path,
    )


def next_sort_key(item: NextAction) -> tuple[int, str, str]:
    return (NEXT_ORDER.index(item.status), item.due or "9999-99-99", item.name.casefold())


def next_actions(records: Iterable[Record], config: Config, today: dt.date) -> list[NextAction]:
    """Every client's next action, in page order: overdue, today, soon, missing, later."""
    found = (next_action(r, config, today) for r in records)
    return sorted((n for n in found if n is not None), key=next_sort_key)


def next_action_findings(record: Record, config: Config, today: dt.date) -> list[Finding]:
    return _next_findings(record, next_action(record, config, today))


def _next_findings(record: Record, item: NextAction | None) -> list[Finding]:
    if item is None or item.status == "later":
        return []
    if item.status == "missing":
        return [
            Finding(
                record.id,
                record.name,
                "next_missing",
                "error",
                f"open client ({record.stage}) has no next action",
                owner=item.owner,
            )
        ]
    assert item.days is not None
    kind, level = {
        "overdue": ("next_overdue", "error"),
        "today": ("next_today", "warning"),
        "soon": ("next_soon", "info"),
    }[item.status]
    when = (
        f"overdue by {wording.count(-item.days, 'day')}"
        if item.days < 0
        else f"due {days_phrase(item.days)}"
    )
    reason = f"next action {when}: {item.what}"
    return [Finding(record.id, record.name, kind, level, reason, item.due, item.owner)]  # type: ignore[arg-type]


# -- money ----------------------------------------------------------------------


def invoice_findings(record: Record, config: Config, today: dt.date) -> list[Finding]:
    """Overdue invoices (marked overdue, or sent and past due) and sent ones due soon."""
    out = []
    view = record.view
    soon = _int(config, "invoice_due_soon_days")
    for inv in view.invoices:
        status = inv.status
        due = day_of(inv.due)
        amount = float(inv.amount) if inv.amount is not None else None
        currency = view.invoice_currency(inv)
        label = inv.id or "invoice"
        shown = money(amount, currency)
        if status == "overdue" or (status == "sent" and due is not None and due < today):
            late = (
                f", due {inv.due} ({wording.count((today - due).days, 'day')} late)" if due else ""
            )
            out.append(
                Finding(
                    record.id,
                    record.name,
                    "invoice_overdue",
                    "error",
                    f"invoice {label} {shown} overdue{late}".replace("  ", " "),
                    inv.due if due else None,
                    record_owner(record),
                    amount,
                    currency,
                    label,
                )
            )
        elif status == "sent" and due is not None and (due - today).days <= soon:
            out.append(
                Finding(
                    record.id,
                    record.name,
                    "invoice_due",
                    "info",
                    f"invoice {label} {shown} due {days_phrase((due - today).days)}",
                    inv.due,
                    record_owner(record),
                    amount,
                    currency,
                    label,
                )
            )
    return out


# -- sessions -------------------------------------------------------------------


# Five rules ask for the same record's past sessions in a row (``assess``): the
# last answer is kept, keyed by the record object and the day (records are not
# changed once loaded).
_last_past: tuple[Record | None, dt.date | None, list[tuple[dt.date, Session]]] = (None, None, [])


def _past_sessions(record: Record, today: dt.date) -> list[tuple[dt.date, Session]]:
    """Attended or missed sessions on or before ``today``, oldest first (do not change
    the list: it is shared)."""
    global _last_past
    kept, day, found = _last_past
    if kept is record and day == today:
        return found
    found = _sessions_until(record, today)
    _last_past = (record, today, found)
    return found


_first = itemgetter(0)


def _sessions_until(record: Record, today: dt.date) -> list[tuple[dt.date, Session]]:
    out = []
    for s in record.view.sessions:
        when = day_of(s.date)
        if when is not None and when <= today and s.status in ATTENDANCE:
            out.append((when, s))
    out.sort(key=_first)  # by date only: a stable sort keeps file order within a day
    return out


def last_held(record: Record, today: dt.date) -> dt.date | None:
    held = [d for d, s in _past_sessions(record, today) if s.status == "held"]
    return held[-1] if held else None


def missed_sessions_findings(record: Record, config: Config, today: dt.date) -> list[Finding]:
    """K of the last L sessions cancelled, rescheduled or no-show."""
    if not is_open(record, config):
        return []
    window = _int(config, "at_risk_window")
    limit = _int(config, "at_risk_missed")
    recent = _past_sessions(record, today)[-window:]
    missed = [(d, s) for d, s in recent if s.status in MISSED]
    if window <= 0 or len(missed) < limit:
        return []
    kinds = ", ".join(f"{s.status} {d.isoformat()}" for d, s in missed)
    return [
        Finding(
            record.id,
            record.name,
            "missed_sessions",
            "warning",
            f"{len(missed)} of the last {wording.count(len(recent), 'session')} missed ({kinds})",
            owner=record_owner(record),
        )
    ]


def checkin_findings(record: Record, config: Config, today: dt.date) -> list[Finding]:
    """An active client with no held session in ``checkin_days`` (none when consent
    forbids contact)."""
    if record.stage != "active" or record.view.consent.no_contact:
        return []
    limit = _int(config, "checkin_days")
    last = last_held(record, today)
    since = last or day_of(record.view.dates.started)
    if since is None or (today - since).days < limit:
        return []
    what = f"last session {since.isoformat()}" if last else f"started {since.isoformat()}"
    due = since + dt.timedelta(days=limit)
    return [
        Finding(
            record.id,
            record.name,
            "checkin_due",
            "warning",
            f"check-in due: no session in {wording.count((today - since).days, 'day')} ({what})",
            due.isoformat(),
            record_owner(record),
        )
    ]


def review_findings(record: Record, config: Config, today: dt.date) -> list[Finding]:
    """Outcome review due: every N held sessions or M days, or the planned date is near.

    Side stages (paused, lost) are skipped: no review is owed while work is on hold."""
    stage = _stage(config, record.stage)
    if not is_open(record, config) or stage is None or stage.side:
        return []
    if record.view.consent.no_contact:
        return []  # a review proposes contact
    dates = record.view.dates
    past = _past_sessions(record, today)
    held = [(d, s) for d, s in past if s.status == "held"]
    reviews = [d for d, s in held if s.review]
    last_review_field = day_of(dates.last_review)
    if last_review_field:
        reviews.append(last_review_field)
    last_review = max(reviews) if reviews else None
    planned = day_of(dates.next_review)
    soon = _int(config, "due_soon_days")
    reasons: list[str] = []
    due: dt.date | None = None
    if (
        planned is not None
        and (planned - today).days <= soon
        and (last_review is None or last_review < planned)
    ):
        reasons.append(f"review planned {days_phrase((planned - today).days)} ({planned})")
        due = planned
    if held:
        since = last_review or held[0][0]
        count = sum(1 for d, _ in held if d > since) if last_review else len(held)
        every_n = _int(config, "review_every_sessions")
        every_days = _int(config, "review_every_days")
        if every_n > 0 and count >= every_n:
            reasons.append(f"{wording.count(count, 'session')} since the last review")
        elif every_days > 0 and (today - since).days >= every_days:
            what = "last review" if last_review else "first session"
            reasons.append(f"{wording.count((today - since).days, 'day')} since the {what}")
            due = due or since + dt.timedelta(days=every_days)
    if not reasons:
        return []
    return [
        Finding(
            record.id,
            record.name,
            "review_due",
            "warning",
            "outcome review due: " + "; ".join(reasons),
            due.isoformat() if due else None,
            record_owner(record),
        )
    ]


# -- dates ----------------------------------------------------------------------


def renewal_findings(record: Record, config: Config, today: dt.date) -> list[Finding]:
    if not is_open(record, config):
        return []
    view = record.view
    text = view.billing.renewal or view.dates.renewal
    when = day_of(text)
    if when is None or view.consent.no_contact:
        return []
    days = (when - today).days
    if days > _int(config, "renewal_days"):
        return []
    plan = view.billing.plan
    what = f" ({plan})" if plan is not None else ""
    phrase = (
        f"renewal date passed {wording.count(-days, 'day')} ago"
        if days < 0
        else f"renewal {days_phrase(days)}"
    )
    return [
        Finding(
            record.id,
            record.name,
            "renewal_due",
            "error" if days < 0 else "warning",
            f"{phrase}: {when.isoformat()}{what}",
            when.isoformat(),
            record_owner(record),
        )
    ]


def retention_policy_date(record: Record, config: Config, today: dt.date) -> dt.date | None:
    """The date the ``retention:`` rule of sortext.yaml gives this record's stage
    (``{completed: 7y, lost: 1y}``: N d/w/m/y after the client's last date: ended,
    else the last session on or before ``today`` that was held or missed (a session
    still to come is not contact had), else started or first contact), or None."""
    period = (config.raw.get("retention") or {}).get(record.stage or "")
    if not isinstance(period, str) or len(period) < 2 or not period[:-1].isdigit():
        return None
    view = record.view
    past = _past_sessions(record, today)
    base = day_of(view.dates.ended) or (past[-1][0] if past else None)
    base = base or day_of(view.dates.started) or day_of(view.dates.first_contact)
    if base is None:
        return None
    n, unit = int(period[:-1]), period[-1]
    if unit in "dw":
        return base + dt.timedelta(days=n * (7 if unit == "w" else 1))
    months = base.month - 1 + n * (12 if unit == "y" else 1)
    year, month = base.year + months // 12, months % 12 + 1
    day = min(base.day, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)
    return dt.date(year, month, day)


def retention_findings(record: Record, config: Config, today: dt.date) -> list[Finding]:
    """Data kept past its retention date (any stage): ``consent.retain_until``, else
    the ``retention:`` policy of sortext.yaml.  The reason names the exact commands;
    a record with no date but a policy gets the date to fill in."""
    written = day_of(record.view.consent.retain_until)
    policy = retention_policy_date(record, config, today) if written is None else None
    when = written or policy
    if when is None:
        return []
    rid = record.id
    if when >= today:
        if policy is None:
            return []
        return [
            Finding(
                rid,
                record.name,
                "retention_unset",
                "info",
                f"no consent.retain_until: the retention policy for '{record.stage}' gives "
                f"{when.isoformat()}; sortext set {rid} consent.retain_until={when.isoformat()}",
                when.isoformat(),
                record_owner(record),
            )
        ]
    source = "retention date" if policy is None else f"retention policy for '{record.stage}'"
    return [
        Finding(
            rid,
            record.name,
            "retention_expired",
            "error",
            f"{source} passed on {when.isoformat()}: erase with 'sortext erase {rid} --push', "
            f"or keep the figures with 'sortext anonymise {rid} --push'",
            when.isoformat(),
            record_owner(record),
        )
    ]


def blocker_findings(record: Record, config: Config, today: dt.date) -> list[Finding]:
    if not is_open(record, config):
        return []
    out = []
    for b in record.view.blockers:
        what = b.what
        if not b.detailed or what is None:  # the one-line form is shown, not judged
            continue
        extra = []
        if b.waiting_on is not None:
            extra.append(f"waiting on {b.waiting_on}")
        since = day_of(b.since)
        if since:
            extra.append(f"since {since.isoformat()}, {wording.count((today - since).days, 'day')}")
        tail = f" ({'; '.join(extra)})" if extra else ""
        out.append(
            Finding(
                record.id,
                record.name,
                "blocked",
                "info",
                f"blocked: {what}{tail}",
                since.isoformat() if since else None,
                record_owner(record),
            )
        )
    return out


def last_activity(record: Record, today: dt.date) -> dt.date | None:
    """The latest dated event on or before today (sessions, key dates, blockers)."""
    seen: list[dt.date] = [d for d, _ in _past_sessions(record, today)]
    for value in record.view.dates.values.values():
        d = day_of(value)
        if d and d <= today:
            seen.append(d)
    for inv in record.view.invoices:
        d = day_of(inv.issued)
        if d and d <= today:
            seen.append(d)
    return max(seen) if seen else None


def stale_stage_findings(
    record: Record, config: Config, today: dt.date, stage_since: dt.date | None = None
) -> list[Finding]:
    """A client sitting in a stage longer than ``stale_days[stage]``.

    ``stage_since`` is the day the client entered its current stage, derived
    from git by the caller (:func:`sortext.views.stagetime.stage_since_map`)
    and passed in as data: the rule stays pure.  When it is known the rule
    counts time in stage (a client who sat in ``contracted`` for 60 days is
    60 days, whatever was typed since); without git history it falls back to
    the latest dated event in the record.
    """
    limit = _stale_days(config, record.stage)
    if limit is None or not is_open(record, config):
        return []
    if stage_since is not None and stage_since <= today:
        days = (today - stage_since).days
        if days <= limit:
            return []
        reason = (
            f"in {record.stage} for {wording.count(days, 'day')} (since {stage_since.isoformat()})"
        )
    else:
        last = last_activity(record, today)
        if last is None or (today - last).days < limit:
            return []
        reason = (
            f"in {record.stage} with nothing new for {wording.count((today - last).days, 'day')} "
            f"(since {last.isoformat()})"
        )
    return [
        Finding(
            record.id,
            record.name,
            "stale_stage",
            "warning",
            reason,
            None,
            record_owner(record),
        )
    ]


# -- goals ----------------------------------------------------------------------


def _closer(a: float, b: float, target: float | None, baseline: float | None) -> bool:
    """True when ``a`` is strictly nearer the target than ``b``, in the goal's direction."""
    if target is not None and baseline is not None and target < baseline:
        return a < b
    return a > b


def goal_statuses(record: Record, config: Config) -> list[GoalStatus]:
    """Each goal's measurements, % of the way from baseline to target, and its state."""
    k = max(2, _int(config, "stuck_measurements"))
    points_by_goal: dict[str, list[tuple[str, float]]] = {}
    view = record.view
    for m in view.measurements:
        if m.value is None:
            continue
        value = float(m.value)
        if m.goal is None:
            continue
        when = iso_day(m.date)
        if when is not None:
            points_by_goal.setdefault(m.goal, []).append((when, value))
    # Per record, not per goal: the record's stage and whether it is open.
    stage = _stage(config, record.stage)
    closed = not is_open(record, config)
    side = stage is not None and stage.side
    rid, name = record.id, record.name
    out = []
    for goal in view.goals:
        gid = goal.id
        if gid is None:
            continue
        baseline = float(goal.baseline) if goal.baseline is not None else None
        target = float(goal.target) if goal.target is not None else None
        points = tuple(sorted(points_by_goal.get(gid, [])))
        values = [v for _, v in points]
        percent = None
        if values and baseline is not None and target is not None and target != baseline:
            percent = (values[-1] - baseline) / (target - baseline) * 100
        state: Any
        measure = goal.measure or ""
        if goal.status in ("achieved", "dropped") or closed:
            state, reason = "closed", f"goal {goal.status or 'closed'}"
        elif side:
            state, reason = "paused", f"client {record.stage}: not measured while {record.stage}"
        elif not values:
            state, reason = "no data", "no measurements yet"
        elif percent is not None and percent >= 100:
            state, reason = "achieved", f"target {figure(target)} reached ({figure(values[-1])})"
        elif len(values) >= k and not any(
            _closer(v, values[-k], target, baseline) for v in values[-k + 1 :]
        ):
            shown = ", ".join(figure(v) for v in values[-k:])
            reason = f"no improvement over the last {k} measurements ({shown})"
            state = "stuck"
        elif percent is not None and percent > 0:
            state = "progressing"
            reason = f"{percent:.0f}% of the way from {figure(baseline)} to {figure(target)}"
        else:
            state = "behind"
            reason = f"not yet moving toward {figure(target)} (now {figure(values[-1])})"
        out.append(
            GoalStatus(
                rid,
                name,
                gid,
                goal.title or gid,
                measure,
                baseline,
                target,
                goal.by,
                points,
                percent,
                state,
                reason,
            )
        )
    return out


def goal_findings(record: Record, config: Config, today: dt.date) -> list[Finding]:
    return _goal_findings(record, goal_statuses(record, config))


def _goal_findings(record: Record, goals: Iterable[GoalStatus]) -> list[Finding]:
    out = []
    for g in goals:
        if g.state == "stuck":
            out.append(
                Finding(
                    record.id,
                    record.name,
                    "goal_stuck",
                    "warning",
                    f"goal '{g.title}' stuck: {g.reason}",
                    g.by,
                    record_owner(record),
                )
            )
        elif g.state == "progressing":
            out.append(
                Finding(
                    record.id,
                    record.name,
                    "goal_progressing",
                    "info",
                    f"goal '{g.title}': {g.reason}",
                    g.by,
                    record_owner(record),
                )
            )
        elif g.state == "achieved":
            out.append(
                Finding(
                    record.id,
                    record.name,
                    "goal_achieved",
                    "info",
                    f"goal '{g.title}': {g.reason}",
                    g.by,
                    record_owner(record),
                )
            )
    return out


PACKAGE_WARN_LEFT = 2  # remind when this many sessions of a package are left


# -- packages ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PackageStatus:
    """A prepaid package: ``used`` held sessions (on or after ``started``, up to today)
    of ``total``."""

    total: int
    used: int
    started: str | None

    @property
    def left(self) -> int:
        return max(0, self.total - self.used)

    @property
    def phrase(self) -> str:
        """``"session 7 of 12 (5 left)"``, ``"used up: 12 of 12"``, ``"not started: 0 of 12"``."""
        if self.used == 0:
            return f"not started: 0 of {self.total}"
        if self.used >= self.total:
            return f"used up: {self.used} of {self.total}"
        return f"session {self.used} of {self.total} ({self.left} left)"


def package_status(record: Record, today: dt.date) -> PackageStatus | None:
    """The record's ``billing.package`` against its held sessions; None without one."""
    package = record.view.billing.values.get("package")
    if not isinstance(package, dict):
        return None
    total = package.get("sessions")
    if total.__class__ is not int or total < 1:
        return None
    started = package.get("started")
    start = day_of(started)
    used = 0
    for s in record.view.sessions:
        when = day_of(s.date)
        if s.status != "held" or when is None or when > today:
            continue
        if start is None or when >= start:
            used += 1
    return PackageStatus(total, used, started if isinstance(started, str) else None)


def package_findings(record: Record, config: Config, today: dt.date) -> list[Finding]:
    """The package reminder: a warning when it is used up, info when two or fewer are left."""
    status = package_status(record, today)
    if status is None or not is_open(record, config):
        return []
    level: Level
    if status.used >= status.total:
        level, reason = (
            "warning",
            f"package used up ({status.used} of {wording.count(status.total, 'session')})",
        )
    elif status.left <= PACKAGE_WARN_LEFT:
        level = "info"
        plural = "s" if status.left != 1 else ""
        reason = f"package: {status.left} session{plural} left ({status.used} of {status.total})"
    else:
        return []
    return [
        Finding(
            record.id,
            record.name,
            "package_low",
            level,
            reason,
            None,
            record_owner(record),
        )
    ]


# -- all together -----------------------------------------------------------------

Rule = Callable[[Record, Config, dt.date], list[Finding]]

RULES: tuple[Rule, ...] = (
    next_action_findings,
    invoice_findings,
    missed_sessions_findings,
    checkin_findings,
    review_findings,
    renewal_findings,
    retention_findings,
    blocker_findings,
    stale_stage_findings,
    goal_findings,
    package_findings,
)


# The rules that need nothing computed elsewhere (next action and goals are
# computed once per record by ``assess`` and shared with the pages).
_PLAIN_RULES = tuple(
    r for r in RULES if r not in (next_action_findings, goal_findings, stale_stage_findings)
)


@dataclass(slots=True)
class Assessment:
    """Everything the rules say about one record, each piece computed once."""

    record: Record
    next: NextAction | None
    goals: list[GoalStatus]
    findings: list[Finding]


def assess(
    record: Record, config: Config, today: dt.date, stage_since: dt.date | None = None
) -> Assessment:
    """Every rule over one record.  ``stage_since``: the day it entered its stage
    (from git, see :func:`stale_stage_findings`), None when unknown."""
    item = next_action(record, config, today)
    goals = goal_statuses(record, config)
    found = _next_findings(record, item)
    for rule in _PLAIN_RULES:
        found.extend(rule(record, config, today))
    found.extend(stale_stage_findings(record, config, today, stage_since))
    found.extend(_goal_findings(record, goals))
    return Assessment(record, item, goals, found)


def findings(
    records: Iterable[Record],
    config: Config,
    today: dt.date,
    stage_since: Mapping[str, dt.date] | None = None,
) -> list[Finding]:
    """Every rule over every record, most severe and soonest first.

    ``stage_since``: record id -> the day it entered its current stage (from git)."""
    since = stage_since or {}
    out = [f for r in records for f in assess(r, config, today, since.get(r.id)).findings]
    return sorted(out, key=lambda f: f.sort_key)


def at_risk(
    records: Sequence[Record], found: Iterable[Finding], config: Config
) -> list[ClientRisk]:
    """Open clients with at least one at-risk finding, most reasons first."""
    open_ids = {r.id: r for r in records if is_open(r, config)}
    by_id: dict[str, ClientRisk] = {}
    for f in found:
        if f.kind in AT_RISK_KINDS and f.record_id in open_ids:
            rec = open_ids[f.record_id]
            risk = by_id.setdefault(f.record_id, ClientRisk(rec.id, rec.name, record_owner(rec)))
            risk.reasons.append(f)
    ranked = sorted(
        by_id.values(),
        key=lambda c: (
            -sum(1 for f in c.reasons if f.level == "error"),
            -len(c.reasons),
            c.name.casefold(),
            c.record_id,
        ),
    )
    return ranked


def assessment_to_json(a: Assessment) -> dict[str, Any]:
    """A JSON form of an assessment (without the record), for the index's cache."""
    from dataclasses import asdict

    return {
        "next": a.next.to_json() if a.next else None,
        "goals": [asdict(g) for g in a.goals],
        "findings": [asdict(f) for f in a.findings],
    }


def assessment_from_json(data: Mapping[str, Any], record: Record) -> Assessment:
    goals = []
    for g in data["goals"]:
        g = dict(g)
        g["points"] = tuple((str(d), float(v)) for d, v in g["points"])
        goals.append(GoalStatus(**g))
    return Assessment(
        record,
        NextAction(**data["next"]) if data["next"] else None,
        goals,
        [Finding(**f) for f in data["findings"]],
    )
