"""Local midnights as instants: the "since last week" window's bounds.

The window runs from a day's 00:00 to another's, in the practice's time zone: the
``timezone:`` of ``sortext.yaml`` (an IANA name) when it has one, so that a watcher
and a command line run under different ``TZ`` settings render the same window; else
the local time zone (``TZ``, as git and the C library read it).  Computed here once,
as seconds since the epoch, they are what git is asked (``--before=@<seconds>``) and
what the caches of the window and of the summary pages are keyed by: the same
``--today`` in another time zone is another window.  Imports only the standard
library (a build's summary key computes them on every build).
"""

from __future__ import annotations

import datetime as dt
import time


def midnight(day: dt.date, zone: str | None = None) -> int:
    """``day`` 00:00 in ``zone`` (an IANA name; None: local time), in whole seconds
    since the epoch (the earlier instant when a clock change makes it ambiguous, as
    ``mktime`` picks).  A zone the configuration check let through but this system
    does not know (no tz database) falls back to local time."""
    if zone is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            where = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            where = None
        if where is not None:
            return int(dt.datetime(day.year, day.month, day.day, tzinfo=where).timestamp())
    return int(time.mktime((day.year, day.month, day.day, 0, 0, 0, 0, 0, -1)))


def practice_day(zone: str | None = None, now: float | None = None) -> dt.date:
    """The date in ``zone`` (an IANA name, the practice's ``timezone:``; None, or a
    zone this system does not know: local time) at ``now`` (seconds since the
    epoch; None: the current time).  The day every process takes for "today" when
    not told one, so that two processes under different ``TZ`` render the same
    window: ``midnight(day, zone) <= now < midnight(day + 1 day, zone)``."""
    moment = time.time() if now is None else now
    if zone is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return dt.datetime.fromtimestamp(moment, ZoneInfo(zone)).date()
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return dt.date.fromtimestamp(moment)


#: The window's length: it starts ``today`` - WINDOW_DAYS, 00:00.
WINDOW_DAYS = 7


def window_bounds(today: dt.date, zone: str | None = None) -> tuple[int, int]:
    """The window for ``today``: (``today`` - :data:`WINDOW_DAYS` 00:00, the end of
    ``today``) in ``zone`` (None: local time), in seconds since the epoch."""
    start = midnight(today - dt.timedelta(days=WINDOW_DAYS), zone)
    return start, midnight(today + dt.timedelta(days=1), zone)
