"""sortext: a plain-text system of record for solo service businesses.

The Python API is one entry point, :func:`sortext.open` (see :mod:`sortext.api`)::

    import sortext
    practice = sortext.open("~/practice")
    practice.next_actions()

It is loaded on first use, so ``import sortext`` stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__", "open"]

TYPE_CHECKING = False  # not imported from typing: importing typing costs ~2 ms
if TYPE_CHECKING:
    from sortext.api import open


def __getattr__(name: str) -> object:
    """``sortext.open`` imports :mod:`sortext.api` the first time it is read."""
    if name == "open":
        from sortext.api import open

        return open
    raise AttributeError(f"module 'sortext' has no attribute {name!r}")
