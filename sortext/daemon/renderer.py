"""Choose how the daemon renders pages: the page builder when it is installed."""

from __future__ import annotations

from sortext.daemon.pipeline import NoPages, Renderer


def default_renderer() -> Renderer:
    return NoPages()
