"""``sortext serve`` in a real headless Chromium: the page loads, the search box and
owner filter answer from the index, and a save in the records folder shows up in the
open page without a manual reload (waiting on the page, never on a fixed sleep)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.conftest import SAMPLE_TODAY
from tests.test_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def server(records_repo: Path) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sortext", "serve", "--port", "0", "--today", SAMPLE_TODAY],
        cwd=records_repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # printed once the port is bound and listening
    assert " at http://127.0.0.1:" in line, line + (proc.stderr.read() if proc.stderr else "")
    url = line.split(" at ", 1)[1].split()[0]
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_save_shows_up_in_the_open_page(
    browser: Any,  # noqa: F811
    server: str,
    records_repo: Path,
) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(server)
    assert page.locator("#next tr.overdue", has_text="Amara Okafor").is_visible()
    page.wait_for_function("document.querySelectorAll('#live-owner option').length > 1")

    page.fill("#live-q", "delegation")
    results = page.locator("#live-results li")
    results.filter(has_text="Amara Okafor").wait_for()
    assert results.filter(has_text="Bruno Castellanos").count() == 0

    page.fill("#live-q", "")
    page.select_option("#live-owner", "theo")
    results.filter(has_text="Bruno Castellanos").wait_for()
    page.wait_for_function(
        "[...document.querySelectorAll('#live-results li')]"
        ".every(li => li.textContent.includes('[theo]'))"
    )

    path = records_repo / "clients" / "amara-okafor.md"
    text = path.read_text(encoding="utf-8")
    old = "Send session 7 prep notes and the delegation worksheet"
    assert old in text
    started = time.monotonic()
    path.write_text(text.replace(old, "Send the revised pricing sheet"), encoding="utf-8")
    page.locator("#next tr", has_text="Send the revised pricing sheet").wait_for(timeout=15_000)
    took = time.monotonic() - started
    print(f"save -> page shows it: {took:.2f}s")
    assert page.locator("#next tr", has_text=old).count() == 0
    page.close()


def test_only_loopback_unless_asked(cli: Callable[..., Result], records_repo: Path) -> None:
    refused = cli("serve", "--repo", str(records_repo), "--host", "0.0.0.0")
    assert refused.exit_code == 2
    assert "--allow-remote" in refused.output


def test_search_answer_filters_by_owner(records_repo: Path) -> None:
    import datetime as dt

    from sortext.daemon.serve import clients_answer
    from sortext.repo import open_repository

    repo = open_repository(records_repo)
    today = dt.date.fromisoformat(SAMPLE_TODAY)
    everyone = clients_answer(repo, today, "", "")
    assert everyone["owners"] == ["maya", "theo"]
    assert len(everyone["clients"]) == 11
    theo = clients_answer(repo, today, "", "theo")["clients"]
    assert theo and all(c["owner"] == "theo" for c in theo)
    hit = clients_answer(repo, today, "delegation", "")["clients"]
    assert "amara-okafor" in [c["id"] for c in hit]
    assert clients_answer(repo, today, "delegation", "theo")["clients"] == []


def test_inject_puts_the_panel_after_body() -> None:
    from sortext.daemon.serve import inject

    out = inject(b"<html><body class='x'><p>hi</p></body></html>", 7, "../")
    assert out.index(b"<body class='x'>") < out.index(b'id="live"') < out.index(b"<p>hi</p>")
    assert b"served = 7" in out and b'root = "../"' in out
