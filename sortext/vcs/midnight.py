"""Local midnights as instants: the "since last week" window's bounds.

The window runs from a day's 00:00 to another's, in the local time zone (``TZ``, as
git and the C library read it).  Computed here once, as seconds since the epoch,
they are what git is asked (``--before=@<seconds>``) and what the caches of the
window and of the summary pages are keyed by: the same ``--today`` in another time
zone is another window.  Imports only the standard library (a build's summary key
computes them on every build).
"""

from __future__ import annotations

import datetime as dt
import time


def midnight(day: dt.date) -> int:
    """``day`` 00:00 local time, in whole seconds since the epoch (the earlier instant
    when a clock change makes it ambiguous, as ``mktime`` picks)."""
    return int(time.mktime((day.year, day.month, day.day, 0, 0, 0, 0, 0, -1)))


#: The window's length: it starts ``today`` - WINDOW_DAYS, 00:00.
WINDOW_DAYS = 7


def window_bounds(today: dt.date) -> tuple[int, int]:
    """The window for ``today``: (``today`` - :data:`WINDOW_DAYS` 00:00, the end of
    ``today``) local time, in seconds since the epoch."""
    return midnight(today - dt.timedelta(days=WINDOW_DAYS)), midnight(today + dt.timedelta(days=1))
