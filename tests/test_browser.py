"""The HTML report in a real browser: Debian's headless Chromium driven by Playwright.

The page must load without console errors or any network request, show
every chart with a real size, stay within a phone's width, and show a
hostile log line as text without running any of it. Skipped only when
Chromium is missing outside CI; in CI (``CI`` set) a missing browser fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qoderlog.analysis import analyze
from qoderlog.testing import rule_cases

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = (
    "2025-08-22 10:24:01.000 [error] [uncaught exception in main]: Error: </code></pre>"
    '<script>window.pwned = 1; alert(1)</script> "><img src=x onerror=alert(2)> '
    '<a id="evil" href="javascript:alert(3)">click</a> <iframe src="https://evil.example/"></iframe> '
    "<style>body{display:none}</style> &lt;b&gt;bold&lt;/b&gt; &amp;amp; {{ 7*7 }}"
)

if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip("chromium is not installed (apt-get install chromium); CI installs it", allow_module_level=True)

if os.environ.get("CI"):
    from playwright import sync_api
else:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
    )


def slow_log() -> str:
    return next(c for c in rule_cases() if c.rule == "startup-slow" and "10.2" in c.name).log


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Visit:
    """A page opened on a report file, with everything it asked for and complained about."""

    def __init__(self, browser: Any, path: Path, width: int = 1280) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri(), wait_until="load")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def foreign_requests(self, path: Path) -> list[str]:
        return [url for url in self.requests if url != path.as_uri() and not url.startswith("data:")]


def write_report(folder: Path, log: str) -> Path:
    source = folder / "main.log"
    source.write_text(log, encoding="utf-8")
    report = folder / "report.html"
    report.write_text(analyze([source]).to_html(), encoding="utf-8")
    return report


def assert_not_blank(png: Path) -> None:
    from PIL import Image

    with Image.open(png) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        width, height = image.size
    assert width >= 380 and height > 900
    assert colours is not None and len(colours) > 200, "the screenshot is (nearly) one colour"


def test_slow_start_report_loads_offline_with_visible_charts(browser: Any, tmp_path: Path) -> None:
    report = write_report(tmp_path, slow_log())
    visit = Visit(browser, report)
    page = visit.page
    assert visit.errors == []
    assert visit.foreign_requests(report) == []
    assert "10.2 s to start" in page.locator(".verdict").inner_text()
    assert "Antivirus" in page.locator(".verdict").inner_text()
    images = page.locator(".chart img")
    assert images.count() == 3
    for index in range(3):
        image = images.nth(index)
        box = image.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 80
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert_not_blank(shot)
    page.close()


def test_hostile_log_line_shows_as_text_and_runs_nothing(browser: Any, tmp_path: Path) -> None:
    report = write_report(tmp_path, slow_log() + HOSTILE + "\n")
    visit = Visit(browser, report)
    page = visit.page
    page.wait_for_timeout(200)
    assert visit.dialogs == []
    assert visit.errors == []
    assert visit.foreign_requests(report) == []
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("script").count() == 0
    assert page.locator("iframe").count() == 0
    assert page.locator("#evil").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("img").count() == 3  # the charts, nothing injected
    assert page.locator("body").is_visible()
    evidence = page.locator(".finding .log").all_inner_texts()
    shown = "\n".join(evidence)
    assert '<script>window.pwned = 1; alert(1)</script> "><img src=x onerror=alert(2)>' in shown
    assert "&lt;b&gt;bold&lt;/b&gt; &amp;amp; {{ 7*7 }}" in shown
    page.close()


def test_phone_width_has_no_sideways_scrolling(browser: Any, tmp_path: Path) -> None:
    report = write_report(tmp_path, slow_log())
    visit = Visit(browser, report, width=390)
    page = visit.page
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    box = page.locator(".verdict").bounding_box()
    assert box is not None and box["width"] <= 390
    shot = tmp_path / "phone.png"
    page.screenshot(path=str(shot), full_page=True)
    assert_not_blank(shot)
    page.close()


def test_print_layout_hides_navigation_and_keeps_charts(browser: Any, tmp_path: Path) -> None:
    report = write_report(tmp_path, slow_log())
    visit = Visit(browser, report)
    page = visit.page
    page.emulate_media(media="print")
    assert page.locator(".toc").is_hidden()
    box = page.locator(".chart img").first.bounding_box()
    assert box is not None and box["width"] > 300
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    page.close()
