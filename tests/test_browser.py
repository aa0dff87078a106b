"""The built pages in a real headless Chromium: what a coach sees on the first screen."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("SORTEXT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (install the Debian package 'chromium')")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def site(records_repo: Path) -> Path:
    from sortext.pages.build import build
    from sortext.repo import open_repository

    build(open_repository(records_repo), dt.date.fromisoformat(SAMPLE_TODAY))
    return records_repo / "site"


def _in_first_screen(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] + box["height"] <= VIEWPORT["height"] and box["y"] >= 0


def test_dashboard_first_screen(browser: Any, site: Path) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((site / "index.html").as_uri())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"))
    page.screenshot(path=str(ARTIFACTS / "dashboard-full.png"), full_page=True)

    overdue = page.locator("#next tr.overdue", has_text="Amara Okafor")
    assert overdue.is_visible()
    assert "2026-11-19" in overdue.inner_text()
    missing = page.locator("#next tr.missing", has_text="Greta Lindholm")
    invoice = page.locator("#money tr.overdue", has_text="INV-2026-058")
    stuck = page.locator("#stuck .goal", has_text="Delegate client admin")
    for item in (overdue, missing, invoice, stuck):
        assert item.is_visible()
        assert _in_first_screen(page, item), item
    assert stuck.locator("svg polyline").is_visible()
    risk = page.locator("#at-risk li", has_text="2 of the last 4 sessions missed")
    assert risk.first.is_visible()
    assert page.locator("#progressing svg.spark").count() >= 3
    assert page.locator("#this-week .time", has_text="11:00-11:45").is_visible()
    assert page.locator("#money-glance th", has_text="GBP").is_visible()
    weekly = page.locator("#since-last-week h2")
    assert weekly.is_visible()
    assert "Since last week (2026-11-16 – 2026-11-23)" in weekly.inner_text()
    # Self-contained: nothing but the file itself was requested.
    assert all(url.startswith("file://") for url in requests), requests
    page.close()


def test_client_page(browser: Any, site: Path) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    page.goto((site / "clients" / "amara-okafor.html").as_uri())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "client-amara-okafor.png"), full_page=True)
    assert page.locator("#next", has_text="Send session 7 prep notes").is_visible()
    chart = page.locator("#goals svg.chart.stuck")
    assert chart.is_visible()
    assert chart.locator("text.target").first.text_content() == "target 2"
    assert page.locator("#since", has_text="cancelled").is_visible()
    assert page.locator("#billing tr.overdue", has_text="INV-2026-058").is_visible()
    assert page.locator("#notes h2", has_text="mid-point review").is_visible()
    page.close()
