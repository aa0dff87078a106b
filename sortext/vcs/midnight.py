"""The practice's clock: what "now" and "today" are for every command, and local
midnights as instants (the "since last week" window's bounds).

This is the one module that asks the system for the time of day to turn into a
date or an instant (``tests/test_practice_today.py`` fails on a ``date.today()``,
``datetime.now()``, ``datetime.today()``, ``datetime.utcnow()`` or
``time.localtime()`` anywhere else in ``sortext/``): :func:`now` (the instant, or
``SORTEXT_NOW``), :func:`utc_now`, :func:`practice_day` (the date in the practice's
``timezone:``) and :func:`day_span` (the instants a practice day covers, which a
quick query may keep so that it needs no time zone database to tell the day).

The window runs from a day's 00:00 to another's, in the practice's time zone: the
``timezone:`` of ``sortext.yaml`` (an IANA name) when it has one, so that a watcher
and a command line run under different ``TZ`` settings render the same window; else
the local time zone (``TZ``, as git and the C library read it).  Computed here once,
as seconds since the epoch, they are what git is asked (``--before=@<seconds>``) and
what the caches of the window and of the summary pages are keyed by: the same
``--today`` in another time zone is another window.  Imports only the standard
library and :mod:`sortext.errors` (a build's summary key computes them on every
build, a quick query's replay tells its day here); zoneinfo only for a zone, and
:mod:`sortext.record.values` only to check ``SORTEXT_NOW``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import time

from sortext.errors import UsageError

#: The environment variable that sets the clock (tests, demonstrations): seconds since
#: the epoch, or an ISO 8601 instant with its offset (``2026-12-01T23:30:00-05:00``).
#: Every default "today" and "now" follows it; ``--today``/``SORTEXT_TODAY`` still win
#: for the day.
NOW_VARIABLE = "SORTEXT_NOW"


def now() -> float:
    """Seconds since the epoch: ``$SORTEXT_NOW`` when set, else the system clock.

    Raises :class:`~sortext.errors.UsageError` naming the variable when it is set to
    something that is not an instant (a number, or ISO 8601 with an offset)."""
    text = os.environ.get(NOW_VARIABLE)
    if not text:
        return time.time()
    return parse_instant(text)


def parse_instant(text: str) -> float:
    """``text`` as seconds since the epoch (a number, or an ISO 8601 date and time
    with its UTC offset or ``Z``) in the years records may hold, a day's margin at
    each end so that every zone's date is in them (from ``MIN_YEAR``-01-02 to
    ``MAX_YEAR``-12-30 00:00 UTC, both included, :data:`sortext.record.values`);
    UsageError, naming those two instants, otherwise."""
    from sortext.record.values import MAX_YEAR, MIN_YEAR

    value: float | None
    try:
        value = float(text)
    except ValueError:
        moment = None
        # the day as a record's dates are written: datetime.fromisoformat alone also
        # reads 20261203T12:00Z and the week date 2026-W49-3T12:00Z (the 2nd, not the 3rd)
        if _INSTANT_DAY.match(text.strip()):
            with contextlib.suppress(ValueError):
                moment = dt.datetime.fromisoformat(text.strip())
        value = moment.timestamp() if moment is not None and moment.tzinfo else None
    low = dt.datetime(MIN_YEAR, 1, 2, tzinfo=dt.UTC).timestamp()
    high = dt.datetime(MAX_YEAR, 12, 30, tzinfo=dt.UTC).timestamp()
    if value is None or not low <= value <= high:  # (NaN compares false)
        raise UsageError(
            f"{NOW_VARIABLE} (environment variable): {text[:40]!r} is not an instant "
            f"from {MIN_YEAR}-01-02T00:00:00Z to {MAX_YEAR}-12-30T00:00:00Z (seconds "
            "since 1970, or YYYY-MM-DDTHH:MM:SS with its offset, like +01:00 or Z)"
        )
    return value


#: How an instant's text begins: ``YYYY-MM-DD`` (ASCII digits), then its time of day.
_INSTANT_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]")


#: :func:`now` under a name the functions taking a ``now`` argument can reach.
_clock = now


def utc_now() -> dt.datetime:
    """:func:`now` as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(now(), dt.UTC)


def known_zone(zone: str | None) -> dt.tzinfo | None:
    """The ``ZoneInfo`` of ``zone`` (an IANA name); None for None, or for a zone the
    configuration check let through but this system does not know (no tz database):
    the callers then take local time."""
    if zone is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def midnight(day: dt.date, zone: str | None = None) -> int:
    """``day`` 00:00 in ``zone`` (an IANA name; None: local time), in whole seconds
    since the epoch (the earlier instant when a clock change makes it ambiguous, as
    ``mktime`` picks).  A zone the configuration check let through but this system
    does not know (no tz database) falls back to local time."""
    where = known_zone(zone)
    if where is not None:
        return int(dt.datetime(day.year, day.month, day.day, tzinfo=where).timestamp())
    return int(time.mktime((day.year, day.month, day.day, 0, 0, 0, 0, 0, -1)))


def practice_day(zone: str | None = None, now: float | None = None) -> dt.date:
    """The date in ``zone`` (an IANA name, the practice's ``timezone:``; None, or a
    zone this system does not know: local time) at ``now`` (seconds since the
    epoch; None: the current time).  The day every process takes for "today" when
    not told one, so that two processes under different ``TZ`` render the same
    window: ``midnight(day, zone) <= now < midnight(day + 1 day, zone)``."""
    moment = _clock() if now is None else now
    where = known_zone(zone)
    if where is not None:
        with contextlib.suppress(ValueError, OSError, OverflowError):
            return dt.datetime.fromtimestamp(moment, where).date()
    return dt.date.fromtimestamp(moment)


def commit_day(text: str, zone: str | None) -> str:
    """The day (``YYYY-MM-DD``) of a commit whose author date git prints as ``text``
    (``%aI``: ISO 8601 with the offset the author's machine had): its date in ``zone``
    (the practice's ``timezone:``, :func:`sortext.vcs.midnight.practice_day`), so a
    watcher under another ``TZ`` dates a move by the practice's day; without a zone
    (or a date git printed oddly), the author's own date."""
    return instant_day(text, zone)  # (git's %aI always carries the offset)


def instant_day(text: str, zone: str | None) -> str:
    """The day (``YYYY-MM-DD``, the first ten characters of ``text`` when there is no
    other answer) of an ISO 8601 date and time ``text`` (``2026-11-24T00:30:00+01:00``,
    ``2026-11-23 23:30Z``): when it carries its UTC offset and ``zone`` (the practice's
    ``timezone:``) is set, the date in ``zone`` at that instant; otherwise the date as
    written (a time without an offset is the writer's own clock, and a practice
    without a ``timezone:`` keeps floating dates).

    One rule for every date and time handed in from outside: a commit's author date,
    an imported cell (a form service's ``Z`` timestamp: 23:30 UTC is the next morning
    in Berlin), an inbox note's ``date:``; the calendar import converts its events'
    starts the same way (:mod:`sortext.io.calendar`)."""
    if zone is None:
        return text[:10]
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return text[:10]
    return moment_day(moment, zone).isoformat()


def moment_day(moment: dt.datetime, zone: str | None) -> dt.date:
    """The date of ``moment`` in ``zone`` when both say where they are (``moment``
    aware and ``zone`` set: :func:`practice_day` at that instant, local time for a
    zone this system does not know); else its own date (see :func:`instant_day`)."""
    if zone is None or moment.utcoffset() is None:
        return moment.date()
    try:
        return practice_day(zone, moment.timestamp())
    except (OverflowError, OSError, ValueError):  # (outside the years time can say)
        return moment.date()


#: The window's length: it starts ``today`` - WINDOW_DAYS, 00:00.
WINDOW_DAYS = 7


def window_bounds(today: dt.date, zone: str | None = None) -> tuple[int, int]:
    """The window for ``today``: (``today`` - :data:`WINDOW_DAYS` 00:00, the end of
    ``today``) in ``zone`` (None: local time), in seconds since the epoch."""
    start = midnight(today - dt.timedelta(days=WINDOW_DAYS), zone)
    return start, midnight(today + dt.timedelta(days=1), zone)


#: The length of a day without a change of UTC offset, in seconds.
DAY_SECONDS = 86400


def day_span(day: dt.date, zone: str | None = None) -> tuple[int, int] | None:
    """``(start, end)``, the instants (seconds since the epoch) between which
    :func:`practice_day` in ``zone`` is ``day``: ``start <= t < end`` gives ``day``
    for every ``t``.  None when ``day`` holds a change of UTC offset (its length is
    not :data:`DAY_SECONDS`, or the offsets at its two ends differ): then no span is
    promised and the caller asks :func:`practice_day` (a clock change at midnight can
    make a date come twice)."""
    start = midnight(day, zone)
    end = midnight(day + dt.timedelta(days=1), zone)
    if end - start != DAY_SECONDS or _offset(start, zone) != _offset(end - 1, zone):
        return None
    if practice_day(zone, start) != day or practice_day(zone, end - 1) != day:
        return None
    return start, end


def _offset(moment: float, zone: str | None) -> float | None:
    """The UTC offset (seconds) in ``zone`` at ``moment`` (None: local time)."""
    where = known_zone(zone)
    if where is not None:
        shift = dt.datetime.fromtimestamp(moment, where).utcoffset()
        return None if shift is None else shift.total_seconds()
    return float(time.localtime(moment).tm_gmtoff)
