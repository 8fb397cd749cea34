"""The documents page through Flask's test client, with a fake engine of known wording and a
copy of terms/de-en.yaml: upload → job → status JSON → the page with downloads and the term
table; the translated file and the report; other callers get 404; refused files give the
form back with the reason and a 4xx, and nothing is stored; CSRF is required."""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from glossary.accounts import Accounts
from glossary.config import Settings
from glossary.documents.model import Limits
from glossary.engine import DecodeOptions, Hypothesis
from glossary.packages import InstalledPackage
from glossary.service import TranslationService
from tests.conftest import build_app, project_terms
from tests.fakes import PhraseEngine
from tests.test_jobs import fake_engine_app
from tests.test_pages import LEXICON, csrf_token

HTML = (
    "<!doctype html><html><body>\n"
    "<p>Der <b>Kreml-Herrscher</b> reist nach Pjöngjang.</p>\n"
    "<p>Das Gipfeltreffen ist kein Deal.</p>\n"
    "</body></html>\n"
)
LOCATION = re.compile(r"^/documents/([A-Za-z0-9_-]+)$")


@pytest.fixture
def app_settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, terms_dir=project_terms(tmp_path))


@pytest.fixture
def lexicon(installed: InstalledPackage) -> dict[str, str]:
    """The fake engine stands in for the installed de→en model."""
    return LEXICON


def service_of(app: Flask) -> TranslationService:
    found: TranslationService = app.extensions["glossary.service"]
    return found


def upload(
    client: FlaskClient,
    data: bytes,
    filename: str,
    content_type: str = "application/octet-stream",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    form = {
        "csrf_token": csrf_token(client, "/documents/"),
        "pair": "de:en",
        "mode": "constrain",
        "glossary": "de-en",
        "file": (io.BytesIO(data), filename, content_type),
        **fields,
    }
    return client.post(
        "/documents/", data=form, content_type="multipart/form-data", headers=headers or {}
    )


def job_id_of(reply: Any) -> str:
    assert reply.status_code == 303, reply.get_data(as_text=True)
    found = LOCATION.match(reply.headers["Location"])
    assert found, reply.headers["Location"]
    return found.group(1)


def stored(app: Flask) -> list[str]:
    """The files the document jobs keep (uploads, results, reports), less their table."""
    folder = service_of(app).settings.state_dir / "documents"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("jobs.sqlite3"))


def test_fake_engine_form_lists_formats_glossaries_and_is_in_the_navigation(
    client: FlaskClient,
) -> None:
    page = client.get("/documents/").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    accept = re.search(r'<input id="file" name="file" type="file" required accept="([^"]+)"', page)
    assert accept and {".txt", ".html", ".srt", ".md"} <= set(accept.group(1).split(","))
    assert 'name="glossary" value="de-en" checked' in page
    assert '<option value="de:en" selected>' in page
    assert 'href="/documents/"' in client.get("/").get_data(as_text=True)  # the nav link


def test_fake_engine_upload_job_status_page_and_downloads(app: Flask, client: FlaskClient) -> None:
    job_id = job_id_of(upload(client, HTML.encode(), "bericht.html", "text/html"))
    job = service_of(app).documents.wait(job_id, 20)
    assert job.state == "done", job.error

    status = client.get(f"/documents/{job_id}/status")
    assert status.status_code == 200 and status.mimetype == "application/json"
    assert status.json is not None
    assert status.json["state"] == "done" and status.json["done"] == status.json["total"] == 2
    assert status.json["result_filename"] == "bericht.en.html"

    page = client.get(f"/documents/{job_id}").get_data(as_text=True)
    assert f'href="/documents/{job_id}/file"' in page
    assert f'href="/documents/{job_id}/report.json"' in page
    assert 'http-equiv="refresh"' not in page  # finished: no more refreshing
    table = re.search(r'<table class="terms" id="document-terms">.*?</table>', page, re.S)
    assert table, page
    rows = re.findall(
        r"<tr class=\"row-(\w+)\"><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>", table.group()
    )
    assert ("enforced", "Kreml-Herrscher", "Kremlin ruler") in [r[:3] for r in rows]
    assert all(r[3].startswith("paragraph ") for r in rows)
    assert '<strong data-count="enforced">' in page

    got = client.get(f"/documents/{job_id}/file")
    assert got.status_code == 200 and got.mimetype == "text/html"
    assert "attachment" in got.headers["Content-Disposition"]
    assert "bericht.en.html" in got.headers["Content-Disposition"]
    english = got.get_data(as_text=True)
    assert "The <b>Kremlin ruler</b> travels to Pyongyang." in english
    assert "Herrscher" not in english and english.startswith("<!doctype html><html><body>\n")

    report = client.get(f"/documents/{job_id}/report.json")
    assert report.status_code == 200 and "attachment" in report.headers["Content-Disposition"]
    data = json.loads(report.get_data())
    assert data["format"] == "html" and data["summary"]["enforced"] >= 1
    ruler = [t for t in data["terms"] if t["term"]["source"] == "Kreml-Herrscher"]
    assert ruler and ruler[0]["location"].startswith("paragraph 1")


def test_fake_engine_unticked_glossaries_enforce_none(app: Flask, client: FlaskClient) -> None:
    form = {
        "csrf_token": csrf_token(client, "/documents/"),
        "pair": "de:en",
        "mode": "constrain",
        "file": (io.BytesIO(HTML.encode()), "b.html", "text/html"),
    }
    reply = client.post("/documents/", data=form, content_type="multipart/form-data")
    job_id = job_id_of(reply)
    assert service_of(app).documents.wait(job_id, 20).state == "done"
    english = client.get(f"/documents/{job_id}/file").get_data(as_text=True)
    assert "Kremlin lord" in english  # the fake engine's own wording, nothing enforced
    assert "No glossary term was found" in client.get(f"/documents/{job_id}").get_data(True)


class GatedEngine(PhraseEngine):
    """The fake engine, holding every batch until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__(LEXICON)
        self.gate = threading.Event()

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        assert self.gate.wait(20)
        return super().translate_batch(sentences, prefixes, options)


@pytest.fixture
def gated(
    settings: Settings, installed: InstalledPackage, tmp_path: Path
) -> Iterator[tuple[Flask, GatedEngine]]:
    engine = GatedEngine()
    app = fake_engine_app(settings, project_terms(tmp_path), engine)
    yield app, engine
    engine.gate.set()


def test_fake_engine_page_while_running_shows_progress_and_refreshes(
    gated: tuple[Flask, GatedEngine],
) -> None:
    app, engine = gated
    client = app.test_client()
    job_id = job_id_of(upload(client, HTML.encode(), "b.html"))
    page = client.get(f"/documents/{job_id}").get_data(as_text=True)
    assert '<progress id="document-progress" max="2"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert 'src="/static/documents.js"' in page
    assert f'data-status="/documents/{job_id}/status"' in page
    assert 'id="download-file"' not in page
    status = client.get(f"/documents/{job_id}/status").json
    assert status is not None and status["state"] in ("queued", "running")
    assert status["done"] == 0 and status["total"] == 2
    # Not done yet: nothing to download.
    assert client.get(f"/documents/{job_id}/file").status_code == 404
    assert client.get(f"/documents/{job_id}/report.json").status_code == 404
    engine.gate.set()
    assert service_of(app).documents.wait(job_id, 20).state == "done"
    assert client.get(f"/documents/{job_id}/file").status_code == 200


def test_fake_engine_someone_elses_job_is_404(
    app_settings: Settings, lexicon: dict[str, str]
) -> None:
    book = Accounts.of(app_settings)
    as_alice = {"X-API-Key": book.add_key("alice", "reader")}
    as_bob = {"X-API-Key": book.add_key("bob", "reader")}
    app = build_app(app_settings, lexicon)
    client = app.test_client()
    job_id = job_id_of(upload(client, HTML.encode(), "b.html", headers=as_alice))
    assert service_of(app).documents.wait(job_id, 20).state == "done"
    for suffix in ("", "/status", "/file", "/report.json"):
        assert client.get(f"/documents/{job_id}{suffix}", headers=as_alice).status_code == 200
        for who in (as_bob, {}):
            reply = client.get(f"/documents/{job_id}{suffix}", headers=who)
            assert reply.status_code in (303, 404), (suffix, who)  # anonymous: sign in first
            assert b"Kremlin" not in reply.get_data()
    mine = client.get(f"/documents/{job_id}", headers=as_bob).get_data(as_text=True)
    assert "No such document" in mine
    assert client.get("/documents/no-such-job", headers=as_alice).status_code == 404


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "status", "message"),
    [
        (b"MZ\x90\x00", "setup.exe", "application/octet-stream", 415, "not supported"),
        (b"Hallo.", "notes.txt", "image/png", 415, "image/png"),
        (b"<p>Gr\xfc\xdfe</p>", "page.html", "text/html", 400, "not valid UTF-8"),
        (
            b"1\n00:00:01,000 --> nonsense\nText\n",
            "film.srt",
            "application/x-subrip",
            400,
            "line 2",
        ),
    ],
)
def test_fake_engine_refused_file_gives_the_form_back_and_stores_nothing(
    app: Flask,
    client: FlaskClient,
    data: bytes,
    filename: str,
    content_type: str,
    status: int,
    message: str,
) -> None:
    reply = upload(client, data, filename, content_type, mode="replace")
    page = reply.get_data(as_text=True)
    assert reply.status_code == status, page
    assert re.search(r'<p class="error" role="alert">[^<]*' + re.escape(message), page), page
    assert 'id="document-form"' in page and '<option value="replace" selected>' in page
    assert stored(app) == []


def test_fake_engine_file_over_the_limit_is_413(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        service_of(app).documents.limits = Limits(max_bytes=1000)
    reply = upload(client, b"Hallo. " * 200, "big.txt", "text/plain")
    assert reply.status_code == 413
    assert "the limit is 1000" in reply.get_data(as_text=True)
    # Past what the upload's body may be at all: refused before the form is read.
    reply = upload(client, b"x" * 1_000_000, "huge.txt", "text/plain")
    assert reply.status_code == 413
    assert "larger than the limit of 1000 bytes" in reply.get_data(as_text=True)
    assert stored(app) == []


def test_fake_engine_no_file_is_400(client: FlaskClient) -> None:
    token = csrf_token(client, "/documents/")
    reply = client.post("/documents/", data={"csrf_token": token, "pair": "de:en"})
    assert reply.status_code == 400
    assert "Choose a document" in reply.get_data(as_text=True)


def test_fake_engine_upload_without_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    client.get("/documents/")
    form = {"pair": "de:en", "file": (io.BytesIO(HTML.encode()), "b.html", "text/html")}
    reply = client.post("/documents/", data=form, content_type="multipart/form-data")
    assert reply.status_code == 400
    assert "expired or did not come from this site" in reply.get_data(as_text=True)
    forged = {**form, "csrf_token": "forged", "file": (io.BytesIO(b"x"), "b.html", "text/html")}
    assert (
        client.post("/documents/", data=forged, content_type="multipart/form-data").status_code
        == 400
    )
    assert stored(app) == []


def test_without_a_model_the_form_says_so_and_an_upload_is_503(app_settings: Settings) -> None:
    client = build_app(app_settings).test_client()  # no package installed
    page = client.get("/documents/").get_data(as_text=True)
    assert "No translation model is installed." in page
    reply = upload(client, HTML.encode(), "b.html", "text/html")
    assert reply.status_code == 503
    assert "No translation model is installed for de → en." in reply.get_data(as_text=True)


def test_fake_engine_missing_terms_folder_is_said_not_ignored(
    app_settings: Settings, lexicon: dict[str, str], tmp_path: Path
) -> None:
    gone = replace(app_settings, terms_dir=tmp_path / "no-such-folder")
    client = build_app(gone, lexicon).test_client()
    reply = upload(client, HTML.encode(), "b.html", "text/html")
    assert reply.status_code == 503 and "no-such-folder" in reply.get_data(as_text=True)


def test_fake_engine_time_left_is_shown_once_the_speed_is_known(
    gated: tuple[Flask, GatedEngine],
) -> None:
    app, engine = gated
    client = app.test_client()
    engine.gate.set()
    first = job_id_of(upload(client, HTML.encode(), "a.html"))
    assert service_of(app).documents.wait(first, 20).state == "done"
    engine.gate.clear()  # the second is held: its time left comes from the first one's speed
    second = job_id_of(upload(client, HTML.encode(), "b.html"))
    status = client.get(f"/documents/{second}/status").json
    assert status is not None and status["state"] in ("queued", "running")
    assert isinstance(status["seconds_remaining"], int)
    page = client.get(f"/documents/{second}").get_data(as_text=True)
    assert re.search(r"about \d+ seconds left", page), page
    engine.gate.set()
