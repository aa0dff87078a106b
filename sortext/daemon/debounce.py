"""Wait until a path has been quiet for a while before acting on it.

An editor's save is several events (truncate, write, rename, chmod); acting
on the first one would read a half-written file.  Every event pushes the
path's deadline back; a path is *due* once nothing happened to it for the
whole window.  The clock is injectable so the logic is tested without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class Debouncer(Generic[K]):
    """Per-key quiet windows.  Not thread-safe: one thread owns it."""

    def __init__(self, window: float = 0.3, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._deadlines: dict[K, float] = {}

    def touch(self, key: K, delay: float | None = None) -> None:
        """Something happened to ``key``: restart its quiet window."""
        self._deadlines[key] = self.clock() + (self.window if delay is None else delay)

    def due(self) -> list[K]:
        """Keys whose window has passed, removed from the waiting set, oldest first."""
        now = self.clock()
        ready = sorted((t, i, k) for i, (k, t) in enumerate(self._deadlines.items()) if t <= now)
        for _, _, key in ready:
            del self._deadlines[key]
        return [key for _, _, key in ready]

    def take(self, key: K) -> bool:
        """Remove ``key`` from the waiting set now (due or not); whether it was there."""
        return self._deadlines.pop(key, None) is not None

    def next_deadline(self) -> float | None:
        """When the earliest waiting key becomes due (None when nothing waits)."""
        return min(self._deadlines.values(), default=None)

    def __len__(self) -> int:
        return len(self._deadlines)

    def __contains__(self, key: object) -> bool:
        return key in self._deadlines
