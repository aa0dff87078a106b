"""SIGKILL the watcher during bursts of edits; after each restart nothing is lost.

The same harness runs 200+ kills in ``bench/crash_harness.py``; here a dozen.
"""

from __future__ import annotations

from pathlib import Path

from bench.crash_harness import run


def test_random_kills_during_bursts_lose_nothing(tmp_path: Path) -> None:
    figures = run(kills=12, seed=11, extra_records=12, base=tmp_path)
    assert figures.kills == 12
    assert figures.restarts_checked == 12  # 11 restarts after the first + the final one
    assert figures.edits >= 36
    assert figures.failures == []
