"""The translate page through Flask's test client, with a fake engine of known wording and a
copy of terms/de-en.yaml: marking in both texts, escaping, summary, errors, CSRF, languages."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from glossary.accounts import Accounts
from glossary.config import Settings
from glossary.jobs import JobRequest
from glossary.owners import owner_id
from glossary.packages import InstalledPackage
from tests.conftest import REPO, build_app, project_terms

LEXICON = {
    "der": "the",
    "die": "the",
    "das": "the",
    "ist": "is",
    "kein": "no",
    "deal": "deal",
    "reist": "travels",
    "nach": "to",
    "und": "and",
    "pjöngjang": "Pyongyang",
    "kreml-herrscher": "Kremlin lord",
    "gipfeltreffen": "top meeting",
}
SENTENCE = "Der Kreml-Herrscher reist nach Pjöngjang."
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(settings: Settings, tmp_path: Path, *, engine: bool = True) -> Flask:
    """This module's app, for modules that build it themselves: the project's glossary,
    copied, and the fake engine (or, without `engine`, the real engines)."""
    return build_app(
        replace(settings, terms_dir=project_terms(tmp_path)), LEXICON if engine else None
    )


@pytest.fixture
def app_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The project's own glossary, copied, so that the page shows real entries."""
    return replace(settings, terms_dir=project_terms(tmp_path))


@pytest.fixture
def lexicon(installed: InstalledPackage) -> dict[str, str]:
    """The fake engine stands in for the installed de→en model."""
    return LEXICON


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    found = TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, "no CSRF token in the form"
    return found.group(1)


def post_text(client: FlaskClient, text: str, **fields: object) -> tuple[int, str]:
    data = {
        "csrf_token": csrf_token(client),
        "text": text,
        "pair": "de:en",
        "mode": "constrain",
        "glossary": "de-en",
        **fields,
    }
    response = client.post("/", data=data)
    return response.status_code, response.get_data(as_text=True)


def test_page_shows_form_pairs_and_glossaries(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert '<textarea id="text" name="text"' in page
    assert 'value="de:en"' in page and "German → English" in page
    assert 'name="glossary" value="de-en" checked' in page
    for mode in ("constrain", "replace", "off"):
        assert f'<option value="{mode}"' in page


def test_term_marked_in_both_texts(client: FlaskClient) -> None:
    status, page = post_text(client, SENTENCE)
    assert status == 200
    assert "The Kremlin ruler travels to Pyongyang." in re.sub(r"<[^>]+>", "", page)
    source = re.search(r'<div id="source-marked".*?</div>', page, re.S)
    target = re.search(r'<div id="result".*?</div>', page, re.S)
    assert source and target
    assert re.search(
        r'<mark class="term term-enforced[^"]*" data-term="Kreml-Herrscher"'
        r'[^>]*tabindex="0">Kreml-Herrscher</mark>',
        source.group(),
    )
    assert re.search(r'class="term term-enforced[^>]*>Kremlin ruler</mark>', target.group())
    assert re.search(r'class="term term-kept[^>]*>Pyongyang</mark>', target.group())
    title = re.search(r'data-term="Kreml-Herrscher"[^>]*title="([^"]*)"', target.group())
    assert title and "Kremlin ruler" in title.group(1) and "enforced" in title.group(1)


def test_summary_counts(client: FlaskClient) -> None:
    _status, page = post_text(client, SENTENCE)
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page))
    assert counts == {"kept": "1", "enforced": "1", "missed": "0", "forbidden": "0"}


@pytest.mark.parametrize("mode, status", [("off", "missed"), ("replace", "enforced")])
def test_modes(client: FlaskClient, mode: str, status: str) -> None:
    _status, page = post_text(client, SENTENCE, mode=mode)
    assert re.search(rf'class="term term-{status}[^"]*" data-term="Kreml-Herrscher"', page)


def test_no_glossary_ticked_marks_nothing(client: FlaskClient) -> None:
    data = {
        "csrf_token": csrf_token(client),
        "text": SENTENCE,
        "pair": "de:en",
        "mode": "constrain",
    }
    page = client.post("/", data=data).get_data(as_text=True)
    assert "Kremlin lord" in page and "<mark" not in page


def test_html_in_input_is_text(client: FlaskClient) -> None:
    _status, page = post_text(client, "<script>alert(1)</script> Der Kreml-Herrscher <b>x</b>")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>x</b>" not in page


def test_html_in_term_note_is_text(app: Flask, app_settings: Settings) -> None:
    path = app_settings.terms_dir / "de-en.yaml"
    text = path.read_text(encoding="utf-8")
    note = re.search(r"(?<=\n    note: )German commentary's epithet[^\n]*", text)
    assert note
    text = text.replace(note.group(), "'<script>alert(\"x\")</script>'")
    path.write_text(text, encoding="utf-8")
    status, page = post_text(app.test_client(), SENTENCE)
    assert status == 200, page
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_txt_upload(client: FlaskClient) -> None:
    from io import BytesIO

    data = {
        "csrf_token": csrf_token(client),
        "text": "",
        "pair": "de:en",
        "mode": "constrain",
        "glossary": "de-en",
        "file": (BytesIO(SENTENCE.encode()), "in.txt"),
    }
    page = client.post("/", data=data, content_type="multipart/form-data").get_data(True)
    assert "Kremlin ruler" in page


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Enter some text"),
        ("x" * 51, "The text has 51 characters; the limit is 50."),
    ],
)
def test_input_errors(
    app_settings: Settings, lexicon: dict[str, str], text: str, message: str
) -> None:
    client = build_app(replace(app_settings, max_chars=50), lexicon).test_client()
    status, page = post_text(client, text)
    assert status == 400 and message in page and "Traceback" not in page


def test_no_model_says_how_to_install(app_settings: Settings) -> None:
    client = build_app(app_settings).test_client()  # the real engines, and none installed
    assert "No translation model is installed" in client.get("/").get_data(as_text=True)
    status, page = post_text(client, SENTENCE)
    assert status == 503
    assert "glossary models install de en" in page and "Traceback" not in page


def test_post_without_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/", data={"text": SENTENCE, "pair": "de:en"})
    assert response.status_code == 400
    assert "Kremlin" not in response.get_data(as_text=True)
    response = client.post("/", data={"text": SENTENCE, "csrf_token": "forged"})
    assert response.status_code == 400


@pytest.mark.parametrize("how", ["header", "query", "cookie"])
def test_german_interface(client: FlaskClient, how: str) -> None:
    if how == "header":
        page = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    elif how == "query":
        page = client.get("/?lang=de", headers={"Accept-Language": "en"})
    else:
        client.get("/?lang=de")
        page = client.get("/", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert '<html lang="de">' in text
    assert "Übersetzen" in text and "Deutsch → Englisch" in text


def test_english_by_default(client: FlaskClient) -> None:
    text = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en">' in text and ">Translate<" in text


def test_health_unchanged(client: FlaskClient) -> None:
    assert client.get("/health").get_json() == {"status": "ok"}


def _finished(client: FlaskClient, job_id: str) -> None:
    give_up = time.monotonic() + 20
    while client.get(f"/api/jobs/{job_id}").json["state"] != "done":
        assert time.monotonic() < give_up, "the job never finished"
        time.sleep(0.05)


def test_job_page_shows_the_result_as_a_posted_form_does(client: FlaskClient) -> None:
    """The page's script sends long texts as jobs and then shows /jobs/<id>: the same marks,
    notice and summary as the no-script POST, from the job's stored results."""
    text = f"{SENTENCE} <b>x</b>\n\n" * 3 + "Das Gipfeltreffen ist kein Deal."
    reply = client.post(
        "/api/jobs",
        json={
            "text": text,
            "source": "de",
            "target": "en",
            "glossaries": ["de-en"],
            "mode": "constrain",
        },
    )
    assert reply.status_code == 202, reply.json
    _finished(client, reply.json["id"])
    shown = client.get(f"/jobs/{reply.json['id']}")
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    _status, posted = post_text(client, text)
    for part in (
        r'<textarea id="text".*?</textarea>',
        r'<div id="source-marked".*?</div>',
        r'<div id="result".*?</div>',
        r'<section id="summary".*?</section>',
    ):
        here, there = re.search(part, page, re.S), re.search(part, posted, re.S)
        assert here and there and here.group() == there.group(), part
    assert page.count('data-term="Kreml-Herrscher"') == 6 and "<b>x</b>" not in page
    assert "data-job=" not in page and 'id="job-notice"' not in page


def test_job_page_running_failed_and_not_yours(
    settings: Settings, app_settings: Settings, lexicon: dict[str, str]
) -> None:
    book = Accounts.of(settings)
    alice, bob = book.add_key("alice", "reader"), book.add_key("bob", "reader")
    as_alice, as_bob = {"X-API-Key": alice}, {"X-API-Key": bob}
    principal = book.for_key(alice)
    assert principal is not None
    mine = owner_id(principal)
    app = build_app(app_settings, lexicon)
    client = app.test_client()
    store = app.extensions["glossary.service"].jobs.store  # no runner started: jobs stay
    running = store.create(mine, JobRequest(SENTENCE, "de", "en", ["de-en"], "replace"))
    page = client.get(f"/jobs/{running.id}", headers=as_alice).get_data(as_text=True)
    assert f'data-job="{running.id}"' in page and 'id="job-notice"' in page  # the script goes on
    assert f"{SENTENCE}</textarea>" in page and '<option value="replace" selected>' in page
    assert 'id="result"' not in page

    failed = store.create(mine, JobRequest(SENTENCE, "de", "en"))
    store.finish(failed.id, "failed", "the <model> broke")
    page = client.get(f"/jobs/{failed.id}", headers=as_alice).get_data(as_text=True)
    assert "The translation failed: the &lt;model&gt; broke" in page
    assert "data-job=" not in page and f"{SENTENCE}</textarea>" in page

    for job_id, who in ((running.id, as_bob), (running.id, {}), ("no-such-job", as_alice)):
        reply = client.get(f"/jobs/{job_id}", headers=who)
        assert reply.status_code == 404, (job_id, who)
        assert "No such translation" in reply.get_data(as_text=True)


CATALOG = REPO / "web" / "translations" / "de" / "LC_MESSAGES"


def test_german_catalogue_complete_and_compiled() -> None:
    """Every UI string is translated, and the committed .mo is the compiled .po."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    methods = [("**.py", "python"), ("templates/**.html", "jinja2")]
    used = {message for _file, _line, message, *_ in extract_from_dir(REPO / "web", methods)}
    with (CATALOG / "messages.po").open("rb") as po_file:
        po = read_po(po_file)
    with (CATALOG / "messages.mo").open("rb") as mo_file:
        mo = read_mo(mo_file)
    untranslated = sorted(m.id for m in po if m.id and not m.string)
    missing = sorted(m for m in used if isinstance(m, str) and m not in po)
    assert not untranslated and not missing
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}
