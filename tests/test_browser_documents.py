"""The documents page in a real browser (issue 13): Debian's headless Chromium driven by
Playwright against waitress on 127.0.0.1. A DOCX built with python-docx is uploaded through
the page's form; the job page shows its progress while the fake engine is held, its script
notices the end and reloads; the translation and the term report are downloaded (Playwright's
expect_download) and the DOCX opened with python-docx: English, with the bold German term's
English bold. Without JavaScript the job page refreshes itself until the download is there."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from glossary.config import Settings
from glossary.packages import InstalledPackage
from tests.conftest import project_terms
from tests.helpers import live_server
from tests.test_browser import SCREENSHOTS, chromium_page
from tests.test_browser_jobs import page  # noqa: F401  (the fixture: script errors fail the test)
from tests.test_documents_pages import GatedEngine
from tests.test_jobs import fake_engine_app

docx = pytest.importorskip("docx")


@pytest.fixture
def engine() -> Iterator[GatedEngine]:
    held = GatedEngine()
    yield held
    held.gate.set()


@pytest.fixture
def base_url(
    settings: Settings, installed: InstalledPackage, tmp_path: Path, engine: GatedEngine
) -> Iterator[str]:
    app = fake_engine_app(settings, project_terms(tmp_path), engine)
    with live_server(app, threads=4) as url:
        yield url


def german_docx(path: Path) -> Path:
    document = docx.Document()
    first = document.add_paragraph()
    first.add_run("Der ")
    first.add_run("Kreml-Herrscher").bold = True
    first.add_run(" reist nach Pjöngjang.")
    document.add_paragraph("Das Gipfeltreffen ist kein Deal.")
    document.save(str(path))
    return path


def test_upload_docx_watch_progress_and_download_the_english(
    page: Any,  # noqa: F811
    base_url: str,
    engine: GatedEngine,
    tmp_path: Path,
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{base_url}/")
    page.get_by_role("link", name="Documents").click()
    page.wait_for_selector("#document-form")
    page.set_input_files("#file", str(german_docx(tmp_path / "bericht.docx")))
    assert page.locator('input[name="glossary"][value="de-en"]').is_checked()
    page.click("#upload")
    page.wait_for_url(re.compile(r"/documents/[A-Za-z0-9_-]+$"))

    # Held by the engine: the progress view, with a labelled bar and a polite status line.
    progress = page.get_by_label("Translation progress")
    assert progress.evaluate("el => el.tagName") == "PROGRESS"
    assert progress.get_attribute("max") == "2"
    status = page.locator("#document-status")
    assert status.get_attribute("role") == "status"
    assert re.fullmatch(r"Waiting in the queue…|0 of 2 blocks translated", status.inner_text())
    assert page.locator("#download-file").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "documents-running.png"), full_page=True)

    engine.gate.set()  # the script's next poll sees it done and reloads the page
    page.wait_for_selector("#download-file")
    assert "Done: 2 blocks translated." in page.locator("#document-status").inner_text()
    row = page.locator("#document-terms tr.row-enforced", has_text="Kreml-Herrscher")
    assert "Kremlin ruler" in row.inner_text() and "paragraph 1" in row.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "documents-done.png"), full_page=True)

    with page.expect_download() as downloading:
        page.click("#download-file")
    download = downloading.value
    assert download.suggested_filename == "bericht.en.docx"
    english = docx.Document(download.path())
    texts = [p.text for p in english.paragraphs]
    assert texts == ["The Kremlin ruler travels to Pyongyang.", "The top meeting is no deal."]
    bold = [r.text for p in english.paragraphs for r in p.runs if r.bold]
    assert bold == ["Kremlin ruler"]

    with page.expect_download() as downloading:
        page.click("#download-report")
    report = json.loads(Path(downloading.value.path()).read_text(encoding="utf-8"))
    assert report["format"] == "docx" and report["blocks"] == 2
    found = {t["term"]["target"]: t["location"] for t in report["terms"]}
    assert found["Kremlin ruler"].startswith("paragraph 1")


@contextmanager
def page_without_script() -> Iterator[Any]:
    """A Chromium page with JavaScript switched off (skipped as tests/test_browser.py skips)."""
    with chromium_page() as opened:
        context = opened.context.browser.new_context(locale="en-GB", java_script_enabled=False)
        context.set_default_timeout(20_000)
        yield context.new_page()
        context.close()


def test_without_script_the_job_page_refreshes_itself_until_done(
    base_url: str, engine: GatedEngine, tmp_path: Path
) -> None:
    with page_without_script() as plain:
        plain.goto(f"{base_url}/documents/")
        plain.set_input_files("#file", str(german_docx(tmp_path / "bericht.docx")))
        plain.click("#upload")
        plain.wait_for_url(re.compile(r"/documents/[A-Za-z0-9_-]+$"))
        assert plain.locator("#document-progress").count() == 1
        # Parsed as elements only where scripting is off: this page is the script-less one.
        assert plain.locator('noscript meta[http-equiv="refresh"]').count() == 1
        engine.gate.set()
        plain.wait_for_selector("#download-file")  # the meta refresh brought the result
        with plain.expect_download() as downloading:
            plain.click("#download-file")
        english = docx.Document(downloading.value.path())
        assert english.paragraphs[0].text == "The Kremlin ruler travels to Pyongyang."
