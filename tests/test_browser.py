"""The page in a real browser: Debian's headless Chromium driven by Playwright, against the
app served by waitress on 127.0.0.1 with a fake engine of known wording. Paste text and see a
term marked; add a term on the terms page and see it enforced; switch the interface to German.
Screenshots go to var/screenshots/ (printed). Chromium missing: skipped locally, failed in CI."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from glossary.config import Settings
from glossary.packages import InstalledPackage
from tests.conftest import REPO
from tests.helpers import live_server
from tests.test_pages import make_app

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "var" / "screenshots"
TEXT = "Der Kreml-Herrscher reist nach Pjöngjang.\n\nDas Gipfeltreffen ist kein Deal."


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; `make browser` installs it")
    pytest.skip(f"{reason}; run `make browser` to install it")


@pytest.fixture
def base_url(settings: Settings, installed: InstalledPackage, tmp_path: Path) -> Iterator[str]:
    with live_server(make_app(settings, tmp_path), threads=4) as url:
        yield url


@contextmanager
def chromium_page() -> Iterator[Any]:
    """A page in Debian's headless Chromium (skipped, or failed in CI, when it is missing)."""
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which("chromium")):
        _unavailable(f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(20_000)
        yield context.new_page()
        browser.close()


@pytest.fixture
def page(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    with chromium_page() as opened:
        yield opened
    with capsys.disabled():
        print(f"\nbrowser screenshots: {SCREENSHOTS}/")


def translate(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/")
    page.fill("#text", TEXT)
    page.click("#translate")
    page.wait_for_selector("#result")


def test_translate_add_term_and_german_interface(page: Any, base_url: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    translate(page, base_url)
    ruler = page.locator('#result mark[data-term="Kreml-Herrscher"]')
    assert ruler.inner_text() == "Kremlin ruler"
    assert "term-enforced" in (ruler.get_attribute("class") or "")
    assert page.locator('#source-marked mark[data-term="Kreml-Herrscher"]').count() == 1
    assert page.locator('mark[data-term="Gipfeltreffen"]').count() == 0
    ruler.focus()  # the tooltip shows on focus as well as on hover
    assert "Kremlin ruler" in (ruler.get_attribute("title") or "")
    page.screenshot(path=str(SCREENSHOTS / "translate-marked.png"), full_page=True)

    page.goto(f"{base_url}/terms/de-en/new")
    page.fill("#source", "Gipfeltreffen")
    page.fill("#target", "summit")
    page.click("#save")
    page.wait_for_selector("text=Saved Gipfeltreffen.")

    translate(page, base_url)
    summit = page.locator('#result mark[data-term="Gipfeltreffen"]')
    assert summit.inner_text() == "summit"
    assert "term-enforced" in (summit.get_attribute("class") or "")
    assert "The summit is no deal." in page.locator("#result").inner_text()
    assert page.locator('[data-count="enforced"]').inner_text() == "2"
    page.screenshot(path=str(SCREENSHOTS / "translate-new-term.png"), full_page=True)

    page.click('a[hreflang="de"]')
    page.wait_for_selector('html[lang="de"]')
    assert page.locator("#translate").inner_text() == "Übersetzen"
    assert "Begriffe" in page.locator("header nav").first.inner_text()
    page.goto(f"{base_url}/terms/")  # the choice sticks (cookie)
    assert page.locator("h1").inner_text() == "Glossare"
    page.screenshot(path=str(SCREENSHOTS / "terms-german.png"), full_page=True)
