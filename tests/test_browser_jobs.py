"""The translate page with a long text in a real browser (issue 12): the script sends it as a
job, shows a progress bar and the translation as it comes, then the finished page with every
term marked (rendered by the server, as after a posted form); Cancel stops the job, forgets
it, and gives the form back with the text in it. Debian's headless Chromium driven by
Playwright against waitress on 127.0.0.1, with a fake engine that sleeps per batch."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from glossary.config import Settings
from glossary.engine import DecodeOptions, Hypothesis
from glossary.packages import InstalledPackage
from tests.conftest import REPO
from tests.fakes import PhraseEngine
from tests.helpers import live_server
from tests.test_browser import SCREENSHOTS, chromium_page
from tests.test_jobs import fake_engine_app
from tests.test_pages import LEXICON

SENTENCE = "Der Kreml-Herrscher reist nach Pjöngjang."
COUNT = 40  # 5 steps of 8 sentences (glossary.jobs.PROGRESS_SENTENCES), each 2 slow batches
TEXT = "\n\n".join(" ".join([SENTENCE] * 5) for _ in range(COUNT // 5))
PAUSE = 0.3  # seconds per batch of 4 sentences: the job takes about 3 s
# What the page's script shows, read in one go (None when the element is not there).
READ_PAGE = """() => {
  const bar = document.getElementById("job-progress");
  const out = document.getElementById("job-output");
  const status = document.getElementById("job-status");
  return {
    value: bar && bar.hasAttribute("value") ? bar.value : null,
    max: bar ? bar.max : null,
    text: out && !out.hidden ? out.textContent : "",
    status: status ? status.textContent : "",
    finished: document.querySelector("#result mark") !== null,
  };
}"""
MIDWAY = """() => {
  const bar = document.getElementById("job-progress");
  return bar.hasAttribute("value") && bar.value > 0 && bar.value < bar.max;
}"""


class SlowPhraseEngine(PhraseEngine):
    """The page's fake engine, sleeping before each batch: a job long enough to watch."""

    def __init__(self, pause: float) -> None:
        super().__init__(LEXICON)
        self.pause = pause
        self.batches = 0

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        time.sleep(self.pause)
        self.batches += 1
        return super().translate_batch(sentences, prefixes, options)


@pytest.fixture
def engine() -> SlowPhraseEngine:
    return SlowPhraseEngine(PAUSE)


@pytest.fixture
def base_url(
    settings: Settings, installed: InstalledPackage, tmp_path: Path, engine: SlowPhraseEngine
) -> Iterator[str]:
    terms = tmp_path / "terms"
    terms.mkdir()
    shutil.copy(REPO / "terms" / "de-en.yaml", terms / "de-en.yaml")
    app = fake_engine_app(settings, terms, engine, batch_size=4)
    with live_server(app, threads=4) as url:
        yield url


@pytest.fixture
def page(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """A browser page whose script errors and policy violations (CSP) fail the test."""
    with chromium_page() as opened:
        problems: list[str] = []

        def complain(msg: Any) -> None:
            # Chromium logs every 4xx/5xx answer too; the tests check those themselves.
            if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
                problems.append(f"{msg.text} ({msg.location.get('url', '')})")

        opened.on("pageerror", lambda error: problems.append(str(error)))
        opened.on("console", complain)
        yield opened
        assert not problems, problems
    with capsys.disabled():
        print(f"\nbrowser screenshots: {SCREENSHOTS}/")


def submit_long_text(page: Any, base_url: str) -> str:
    """Paste TEXT and press Translate; the job's id, from the script's POST /api/jobs."""
    page.goto(f"{base_url}/")
    page.fill("#text", TEXT)
    with page.expect_response(
        lambda r: r.url == f"{base_url}/api/jobs" and r.request.method == "POST"
    ) as created:
        page.click("#translate")
    assert created.value.status == 202
    job_id: str = created.value.json()["id"]
    return job_id


def watch(page: Any, seconds: float = 30) -> list[dict[str, Any]]:
    """What the page showed, every 50 ms, until the finished result is there."""
    from playwright.sync_api import Error

    seen: list[dict[str, Any]] = []
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        try:
            now = page.evaluate(READ_PAGE)
        except Error:  # the page is being replaced by the result
            time.sleep(0.05)
            continue
        if now["finished"]:
            return seen
        seen.append(now)
        time.sleep(0.05)
    raise AssertionError(f"no result after {seconds} s; seen: {seen[-3:]}")


def test_slow_fake_engine_long_text_shows_progress_then_the_marked_result(
    page: Any, base_url: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert len(TEXT) > 600  # the page sends texts this long as jobs
    job_id = submit_long_text(page, base_url)
    # While it runs: a labelled progress bar, a real Cancel button, a polite status region.
    progress = page.get_by_label("Translation progress")
    assert progress.evaluate("el => el.tagName") == "PROGRESS"
    assert page.get_by_role("button", name="Cancel").is_visible()
    status = page.locator("#job-status")
    assert status.get_attribute("role") == "status"
    assert status.get_attribute("aria-live") == "polite"
    page.wait_for_function(MIDWAY)
    page.screenshot(path=str(SCREENSHOTS / "translate-job-progress.png"), full_page=True)

    seen = watch(page)
    values = [s["value"] for s in seen if s["value"] is not None]
    assert values == sorted(values), values  # the bar only goes forward
    midway = [s for s in seen if s["value"] is not None and 0 < s["value"] < s["max"]]
    assert len({s["value"] for s in midway}) >= 2, seen  # it went up while we watched
    for s in midway:  # the translation so far: the sentences done, and only those
        assert s["max"] == COUNT
        assert s["text"].count("Kremlin ruler") == s["value"], s
        assert s["status"] == f"{int(s['value'])} of {COUNT} sentences translated"

    # Done: the server's page for the job, marked as after a posted form.
    assert page.url == f"{base_url}/jobs/{job_id}"
    rulers = page.locator('#result mark[data-term="Kreml-Herrscher"]')
    assert rulers.count() == COUNT
    assert rulers.first.inner_text() == "Kremlin ruler"
    assert "term-enforced" in (rulers.first.get_attribute("class") or "")
    assert page.locator('#source-marked mark[data-term="Kreml-Herrscher"]').count() == COUNT
    assert page.locator('[data-count="enforced"]').inner_text() == str(COUNT)
    assert page.input_value("#text") == TEXT
    assert page.locator("#job").is_hidden() and page.locator("#translate").is_enabled()
    page.screenshot(path=str(SCREENSHOTS / "translate-job-done.png"), full_page=True)


def test_slow_fake_engine_cancel_forgets_the_job_and_gives_the_form_back(
    page: Any, base_url: str, engine: SlowPhraseEngine
) -> None:
    job_id = submit_long_text(page, base_url)
    page.wait_for_function(MIDWAY)
    assert page.locator("#job-output").inner_text().count("Kremlin ruler") > 0
    assert page.locator("#text").evaluate("el => el.readOnly")  # kept as sent while it runs
    assert page.locator("#translate").is_disabled()

    page.get_by_role("button", name="Cancel").click()
    page.wait_for_selector("#job", state="hidden")
    assert page.locator("#job-status").inner_text() == "Cancelled. Your text is still in the box."
    stopped = engine.batches
    assert page.request.get(f"{base_url}/api/jobs/{job_id}").status == 404
    assert page.request.get(f"{base_url}/jobs/{job_id}").status == 404

    # The form as before: the text in it, editable, every control back, nothing half done.
    assert page.input_value("#text") == TEXT
    assert not page.locator("#text").evaluate("el => el.readOnly")
    assert page.locator("#text").evaluate("el => el === document.activeElement")
    assert page.locator("#translate").is_enabled()
    assert page.locator('input[name="glossary"][value="de-en"]').is_checked()
    assert page.locator("#job-output").is_hidden()
    assert page.get_by_text("The translation appears here.").is_visible()
    assert page.url == f"{base_url}/"
    time.sleep(1.0)
    assert engine.batches <= stopped + 1  # the work stopped within one batch

    # ...and it translates again (a short text: the form is posted as without the script).
    page.fill("#text", SENTENCE)
    page.click("#translate")
    page.wait_for_selector('#result mark[data-term="Kreml-Herrscher"]')
    assert page.url == f"{base_url}/"


def test_slow_fake_engine_errors_are_said_and_the_text_is_kept(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/")
    page.fill("#text", TEXT)
    alert = page.get_by_role("alert")

    # A full queue (the server's 429 and Retry-After, as a busy server would answer).
    page.route(
        f"{base_url}/api/jobs",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "7"},
            content_type="application/json",
            body='{"error": "too many requests"}',
        ),
    )
    page.click("#translate")
    page.wait_for_selector("#job-error.error")
    assert alert.inner_text() == "The server is busy; your text is kept. Try again in 7 seconds."
    assert page.input_value("#text") == TEXT and page.locator("#translate").is_enabled()
    assert page.locator("#job").is_hidden()

    # The server cannot be reached.
    page.unroute(f"{base_url}/api/jobs")
    page.route(f"{base_url}/api/jobs", lambda route: route.abort())
    page.click("#translate")
    page.wait_for_function(
        "() => document.getElementById('job-error').textContent"
        ".startsWith('The server could not be reached')"
    )
    assert page.input_value("#text") == TEXT and page.locator("#translate").is_enabled()
    page.unroute(f"{base_url}/api/jobs")

    # A real refusal with the API's JSON error: a glossary that is not there.
    page.locator('input[name="glossary"]').first.evaluate("box => { box.value = 'nope'; }")
    page.click("#translate")
    page.wait_for_function(
        "() => document.getElementById('job-error').textContent"
        ".startsWith('The translation failed: ')"
    )
    assert "nope" in alert.inner_text()
    assert page.input_value("#text") == TEXT and page.locator("#translate").is_enabled()
    assert page.url == f"{base_url}/"


def test_slow_fake_engine_reload_mid_job_follows_it_on(page: Any, base_url: str) -> None:
    job_id = submit_long_text(page, base_url)
    page.wait_for_function(MIDWAY)
    assert page.url == f"{base_url}/jobs/{job_id}"  # what a reload shows: this job
    page.reload()
    assert page.input_value("#text") == TEXT  # the text is the job's, not lost
    assert page.locator("#job-notice").is_hidden()  # the script shows the progress instead
    seen = watch(page)
    assert any(s["value"] for s in seen), seen
    assert page.locator('#result mark[data-term="Kreml-Herrscher"]').count() == COUNT
