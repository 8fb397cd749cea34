"""The document APIs over real HTTP (waitress on 127.0.0.1): DeepL's /v2/document through the
real `deepl` client and by hand, LibreTranslate's /translate_file and /download_file through
`requests`, and format=html / tag_handling=html through the HTML reader of glossary/documents.

Where the wording matters, a fake engine (PhraseEngine: known words, test names say "fake")
stands in for the model; one end-to-end test per API runs the tiny real model, whose words
are nonsense but whose glossary terms are enforced."""

from __future__ import annotations

import dataclasses
import io
import time
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import deepl
import docx
import pytest
import requests
import schemathesis

from glossary.accounts import Accounts
from glossary.config import Settings
from glossary.documents.model import Limits
from glossary.documents.registry import formats
from glossary.engine import DecodeOptions, Hypothesis
from glossary.engines import EngineRegistry
from glossary.packages import InstalledPackage
from tests.conftest import TEST_CONFIG
from tests.fakes import PhraseEngine
from tests.helpers import live_server
from web.app import create_app
from web.deepl_common import id_for
from web.services import KEY

WORDS = {"der": "the", "herrscher": "lord", "spricht": "speaks", "hund": "dog", "bellt": "barks"}
TXT = b"Der Herrscher spricht.\n\nDer Hund bellt.\n"
HTML = (
    b'<html><head><title>Der Hund</title><script>var x = "Der Hund <p>";</script></head>'
    b'<body><p title="a > b">Der <b>Herrscher</b> spricht.</p></body></html>'
)


class SlowEngine(PhraseEngine):
    """Fake: PhraseEngine that sleeps before every batch, so a job is seen under way."""

    def __init__(self, pause: float) -> None:
        super().__init__(WORDS)
        self.pause = pause

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        time.sleep(self.pause)
        return super().translate_batch(sentences, prefixes, options)


def serve(settings: Settings, engine: PhraseEngine | None = None) -> Any:
    """The real app over the settings; with an engine, that fake for every model."""
    loader = None if engine is None else (lambda package: engine)
    registry = EngineRegistry(settings, loader=loader)
    return live_server(create_app(settings, registry, test_config=dict(TEST_CONFIG)), threads=4)


@pytest.fixture
def fake_settings(settings: Settings, installed: InstalledPackage, terms_dir: Path) -> Settings:
    """The tiny model's package installed (so de→en exists) and `terms_dir` (Herrscher →
    ruler, the pair's default glossary)."""
    return dataclasses.replace(settings, terms_dir=terms_dir)


@pytest.fixture
def fake_server(fake_settings: Settings) -> Iterator[str]:
    with serve(fake_settings, PhraseEngine(WORDS)) as url:
        yield url


def translate_with_client(url: str, path: Path, data: bytes, **options: Any) -> bytes:
    """`translate_document` of the real client from a file on disk into another."""
    path.write_bytes(data)
    translator = deepl.Translator("any-key", server_url=url)
    out = path.with_name(f"out-{path.name}")
    with path.open("rb") as in_file, out.open("wb") as out_file:
        status = translator.translate_document(
            in_file, out_file, target_lang="EN-GB", source_lang="DE", **options
        )
    assert status.done and status.billed_characters and status.billed_characters > 0
    return out.read_bytes()


# --- the real deepl client ------------------------------------------------------------------


def test_fake_deepl_client_translates_a_txt_with_and_without_a_glossary(
    fake_server: str, tmp_path: Path
) -> None:
    # without glossary_id: the pair's default glossary (terms_dir: Herrscher → ruler)
    plain = translate_with_client(fake_server, tmp_path / "news.txt", TXT)
    assert plain == b"The ruler speaks.\n\nThe dog barks.\n"
    translator = deepl.Translator("any-key", server_url=fake_server)
    made = translator.create_glossary("Mine", "DE", "EN", {"Herrscher": "sovereign"})
    named = translate_with_client(fake_server, tmp_path / "news.txt", TXT, glossary=made)
    assert named == b"The sovereign speaks.\n\nThe dog barks.\n"


def test_fake_deepl_client_translates_html_keeping_its_markup(
    fake_server: str, tmp_path: Path
) -> None:
    out = translate_with_client(fake_server, tmp_path / "page.html", HTML).decode()
    assert '<script>var x = "Der Hund <p>";</script>' in out  # copied through untouched
    assert "<title>The dog</title>" in out
    assert '<p title="a > b">The <b>ruler</b> speaks.</p>' in out


def word_file() -> bytes:
    """A DOCX with two paragraphs; "Herrscher" bold in the first."""
    document = docx.Document()
    first = document.add_paragraph("Der ")
    first.add_run("Herrscher").bold = True
    first.add_run(" spricht.")
    document.add_paragraph("Der Hund bellt.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def bold_words(data: bytes) -> list[tuple[str, list[str]]]:
    """Each paragraph's text and its bold runs' text, as python-docx reads them."""
    paragraphs = docx.Document(io.BytesIO(data)).paragraphs
    return [(p.text, [r.text.strip() for r in p.runs if r.bold]) for p in paragraphs]


def test_fake_deepl_client_translates_a_docx_keeping_the_bold_term(
    fake_server: str, tmp_path: Path
) -> None:
    translator = deepl.Translator("any-key", server_url=fake_server)
    made = translator.create_glossary("Mine", "DE", "EN", {"Herrscher": "sovereign"})
    out = translate_with_client(fake_server, tmp_path / "brief.docx", word_file(), glossary=made)
    assert bold_words(out) == [("The sovereign speaks.", ["sovereign"]), ("The dog barks.", [])]


def test_deepl_client_with_the_tiny_model_and_a_glossary_file(
    settings: Settings, installed: InstalledPackage, terms_dir: Path, tmp_path: Path
) -> None:
    """End to end: the real (tiny) model, the glossary file `p` named by its glossary_id."""
    text = b"Der Herrscher spricht heute.\n"
    with serve(dataclasses.replace(settings, terms_dir=terms_dir)) as url:
        out = translate_with_client(url, tmp_path / "a.txt", text, glossary=id_for("p"))
    assert "ruler" in out.decode()


# --- DeepL by hand: status, result, keys, refusals -------------------------------------------


def upload(url: str, files: dict[str, Any], **fields: str) -> requests.Response:
    data = {"target_lang": "EN-GB", "source_lang": "DE", **fields}
    headers = {"Authorization": "DeepL-Auth-Key k"}
    return requests.post(f"{url}/v2/document", data=data, files=files, headers=headers, timeout=30)


def status_of(url: str, handle: dict[str, str], key: str | None = None) -> requests.Response:
    body = {"document_key": key or handle["document_key"]}
    return requests.post(f"{url}/v2/document/{handle['document_id']}", json=body, timeout=10)


def many_paragraphs(count: int) -> bytes:
    return "\n\n".join(f"Der Herrscher Nummer {i} spricht." for i in range(count)).encode()


def test_fake_status_queued_then_translating_with_seconds_remaining(
    fake_settings: Settings,
) -> None:
    with serve(fake_settings, SlowEngine(0.02)) as url:
        warm = upload(url, {"file": ("w.txt", TXT)}).json()  # the runner learns its speed
        while status_of(url, warm).json()["status"] != "done":
            time.sleep(0.02)
        first = upload(url, {"file": ("a.txt", many_paragraphs(600))}).json()
        second = upload(url, {"file": ("b.txt", TXT)}).json()
        # one runner thread: the second waits while the first is under way, and its wait
        # is estimated from the characters ahead of it
        waiting = status_of(url, second).json()
        assert waiting["status"] == "queued" and isinstance(waiting["seconds_remaining"], int)
        seen: dict[str, Any] = {}
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            seen = status_of(url, first).json()
            if seen["status"] == "translating" and seen["done"] > 0:
                break
            time.sleep(0.02)
        assert seen["status"] == "translating", seen
        assert isinstance(seen["seconds_remaining"], int) and seen["seconds_remaining"] >= 0
        assert 0 < seen["done"] < seen["total"] == 600
        early = requests.post(
            f"{url}/v2/document/{first['document_id']}/result",
            json={"document_key": first["document_key"]},
            timeout=10,
        )
        assert early.status_code == 503  # as at DeepL: not done yet
        assert early.json() == {"message": "Document translation is not done"}
        give_up = time.monotonic() + 60
        while status_of(url, first).json()["status"] != "done" and time.monotonic() < give_up:
            time.sleep(0.05)
        done = status_of(url, first).json()
        assert done["status"] == "done" and done["seconds_remaining"] == 0
        assert done["billed_characters"] == sum(
            len(f"Der Herrscher Nummer {i} spricht.") for i in range(600)
        )
        result = requests.post(
            f"{url}/v2/document/{first['document_id']}/result",
            json={"document_key": first["document_key"]},
            timeout=10,
        )
        assert result.status_code == 200
        assert result.content.startswith(b"The ruler Nummer 0 speaks.\n\nThe ruler Nummer 1")
        assert result.headers["Content-Type"].startswith("text/plain")
        assert result.headers["Content-Disposition"] == "attachment; filename=a.en.txt"


def test_fake_wrong_document_key_is_refused(fake_server: str) -> None:
    handle = upload(fake_server, {"file": ("a.txt", TXT)}).json()
    wrong = status_of(fake_server, handle, key="not-the-key")
    assert wrong.status_code == 404 and wrong.json()["message"] == "Document not found"
    download = requests.post(
        f"{fake_server}/v2/document/{handle['document_id']}/result",
        json={"document_key": "not-the-key"},
        timeout=10,
    )
    assert download.status_code == 404
    missing = requests.post(f"{fake_server}/v2/document/{handle['document_id']}", timeout=10)
    assert missing.status_code == 400 and "document_key" in missing.json()["message"]
    translator = deepl.Translator("any-key", server_url=fake_server)
    wrong_handle = deepl.DocumentHandle(handle["document_id"], "not-the-key")
    with pytest.raises(deepl.DeepLException, match="Not found"):
        translator.translate_document_get_status(wrong_handle)


def test_fake_document_of_another_key_is_not_found(fake_settings: Settings) -> None:
    alice_key = Accounts.of(fake_settings).add_key("alice", "reader")
    bob_key = Accounts.of(fake_settings).add_key("bob", "reader")
    with serve(fake_settings, PhraseEngine(WORDS)) as url:
        alice = deepl.Translator(alice_key, server_url=url)
        handle = alice.translate_document_upload(TXT, target_lang="EN-GB", filename="a.txt")
        bob = deepl.Translator(bob_key, server_url=url)
        with pytest.raises(deepl.DeepLException, match="Not found"):
            bob.translate_document_get_status(handle)
        assert alice.translate_document_wait_until_done(handle).done


def document_files(settings: Settings) -> list[str]:
    folder = settings.state_dir / "documents"
    return sorted(p.name for p in folder.glob("*.upload")) if folder.exists() else []


@pytest.mark.parametrize(
    ("file", "status", "words"),
    [
        (("virus.exe", b"MZ\x90\x00"), 415, "not supported"),
        (("a.txt", TXT, "image/png"), 415, "image/png"),
        (("a.txt", b"\xff\xfe bad bytes"), 400, "UTF-8"),
        (("a.docx", b"PK\x03\x04 cut short"), 400, "corrupted"),
    ],
)
def test_fake_bad_documents_are_refused_and_nothing_is_stored(
    fake_settings: Settings, file: tuple[Any, ...], status: int, words: str
) -> None:
    with serve(fake_settings, PhraseEngine(WORDS)) as url:
        deepl_reply = upload(url, {"file": file})
        assert deepl_reply.status_code == status, deepl_reply.text
        assert words in deepl_reply.json()["message"]
        lt_reply = requests.post(
            f"{url}/translate_file",
            data={"source": "de", "target": "en"},
            files={"file": file},
            timeout=10,
        )
        assert lt_reply.status_code == status and words in lt_reply.json()["error"]
    assert document_files(fake_settings) == []


def with_macros(data: bytes) -> bytes:
    """The package with a VBA project added, as a .docm renamed .docx would carry."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for member in source.infolist():
            package.writestr(member, source.read(member))
        package.writestr("word/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


def test_fake_docx_with_macros_is_refused_by_both_apis(fake_settings: Settings) -> None:
    file = ("brief.docx", with_macros(word_file()))
    with serve(fake_settings, PhraseEngine(WORDS)) as url:
        deepl_reply = upload(url, {"file": file})
        assert deepl_reply.status_code == 400 and "macros" in deepl_reply.json()["message"]
        lt_reply = requests.post(
            f"{url}/translate_file",
            data={"source": "de", "target": "en"},
            files={"file": file},
            timeout=10,
        )
        assert lt_reply.status_code == 400 and "macros" in lt_reply.json()["error"]
    assert document_files(fake_settings) == []


def test_fake_too_large_documents_are_413(fake_settings: Settings) -> None:
    large = b"Der Hund bellt. " * 2000  # 32,000 bytes
    with serve(fake_settings, PhraseEngine(WORDS)) as url:
        # the app's own limit (20 MB) admits a body larger than a text request may be
        big = upload(url, {"file": ("big.txt", b"Der Hund bellt.\n" * 80_000)})
        assert big.status_code == 200, big.text
        service = requests.get(f"{url}/health", timeout=5)
        assert service.status_code == 200
    settings = dataclasses.replace(fake_settings, state_dir=fake_settings.state_dir / "small")
    app = create_app(
        settings,
        EngineRegistry(settings, loader=lambda p: PhraseEngine(WORDS)),
        test_config=dict(TEST_CONFIG),
    )
    app.extensions[KEY].documents.limits = Limits(max_bytes=10_000)
    with live_server(app) as url:
        deepl_reply = upload(url, {"file": ("big.txt", large)})
        assert deepl_reply.status_code == 413 and "limit" in deepl_reply.json()["message"]
        lt_reply = requests.post(
            f"{url}/translate_file",
            data={"source": "de", "target": "en"},
            files={"file": ("big.txt", large)},
            timeout=10,
        )
        assert lt_reply.status_code == 413 and "limit" in lt_reply.json()["error"]
    assert document_files(settings) == []


def test_fake_failed_document_reports_error(fake_settings: Settings) -> None:
    settings = dataclasses.replace(fake_settings, job_deadline=0.3)
    with serve(settings, SlowEngine(0.2)) as url:
        handle = upload(url, {"file": ("a.txt", many_paragraphs(300))}).json()
        seen: dict[str, Any] = {}
        give_up = time.monotonic() + 30
        while time.monotonic() < give_up:
            seen = status_of(url, handle).json()
            if seen["status"] == "error":
                break
            time.sleep(0.05)
        assert seen["status"] == "error" and "deadline" in seen["error_message"]
        result = requests.post(
            f"{url}/v2/document/{handle['document_id']}/result",
            json={"document_key": handle["document_key"]},
            timeout=10,
        )
        assert result.status_code == 400 and result.json()["message"] == (
            "Document translation failed"
        )


# --- LibreTranslate ------------------------------------------------------------------------


def test_fake_translate_file_then_download(fake_server: str) -> None:
    reply = requests.post(
        f"{fake_server}/translate_file",
        data={"source": "de", "target": "en"},
        files={"file": ("Bericht über.txt", TXT, "text/plain")},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    url = body["translatedFileUrl"]
    assert url.startswith(f"{fake_server}/download_file/")
    assert url.partition("?")[0].endswith("/Bericht%20%C3%BCber.en.txt")
    assert body["summary"]["enforced"] == 1
    [term] = body["terms"]
    assert term["location"] == "paragraph 1" and term["block"] == 0
    assert term["source"]["start"] == 4 and term["target"]["start"] == 4  # in the block
    download = requests.get(url, timeout=10)
    assert download.status_code == 200
    assert download.content == b"The ruler speaks.\n\nThe dog barks.\n"
    assert download.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "attachment" in download.headers["Content-Disposition"]
    assert "Bericht%20%C3%BCber.en.txt" in download.headers["Content-Disposition"]
    assert (
        requests.get(url.replace("/download_file/", "/download_file/x"), timeout=5).status_code
        == 404
    )


def test_fake_translate_file_longer_than_a_request_may_take_is_504(
    fake_settings: Settings,
) -> None:
    with serve(dataclasses.replace(fake_settings, deadline=1.0), SlowEngine(0.1)) as url:
        reply = requests.post(
            f"{url}/translate_file",
            data={"source": "de", "target": "en"},
            files={"file": ("long.txt", many_paragraphs(400))},
            timeout=30,
        )
    assert reply.status_code == 504 and "/v2/document" in reply.json()["error"]
    assert document_files(fake_settings) == []  # the job was stopped and forgotten


def test_fake_translate_file_docx(fake_server: str) -> None:
    reply = requests.post(
        f"{fake_server}/translate_file",
        data={"source": "de", "target": "en"},
        files={"file": ("brief.docx", word_file())},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["terms"][0]["location"].startswith("paragraph 1")
    download = requests.get(reply.json()["translatedFileUrl"], timeout=10)
    assert download.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert bold_words(download.content) == [
        ("The ruler speaks.", ["ruler"]),
        ("The dog barks.", []),
    ]


def test_fake_translate_file_detects_the_source(fake_server: str) -> None:
    reply = requests.post(
        f"{fake_server}/translate_file",
        data={"source": "auto", "target": "en", "glossaries": ""},
        files={"file": ("page.html", HTML)},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    download = requests.get(reply.json()["translatedFileUrl"], timeout=10)
    assert download.headers["Content-Type"].startswith("text/html")
    assert b"The <b>ruler</b> speaks." in download.content


def test_fake_download_address_carries_the_jobs_key(fake_settings: Settings) -> None:
    """A keyed install: the address /translate_file gives is enough (LibreTranslate's frontend
    fetches it without its API key); without the job's key only its maker gets the file."""
    key = Accounts.of(fake_settings).add_key("alice", "reader")
    keyed = dataclasses.replace(fake_settings, keys_for_translate=True)
    with serve(keyed, PhraseEngine(WORDS)) as url:
        reply = requests.post(
            f"{url}/translate_file",
            data={"source": "de", "target": "en", "api_key": key},
            files={"file": ("a.txt", TXT)},
            timeout=30,
        )
        link = reply.json()["translatedFileUrl"]
        anyone = requests.get(link, timeout=5)
        assert anyone.status_code == 200 and anyone.content.startswith(b"The ruler")
        bare, _, job_key = link.partition("?key=")
        assert len(job_key) >= 32 and key not in link  # the job's key, never the API key
        assert requests.get(bare, timeout=5).status_code == 404  # anonymous is not alice
        wrong = requests.get(bare, params={"key": job_key[:-2] + "xx"}, timeout=5)
        assert wrong.status_code == 404
        mine = requests.get(bare, params={"api_key": key}, timeout=5)
        assert mine.status_code == 200 and mine.content.startswith(b"The ruler")


def test_translate_file_with_the_tiny_model(
    settings: Settings, installed: InstalledPackage, terms_dir: Path
) -> None:
    with serve(dataclasses.replace(settings, terms_dir=terms_dir)) as url:
        reply = requests.post(
            f"{url}/translate_file",
            data={"source": "de", "target": "en", "glossary": "p"},
            files={"file": ("a.txt", b"Der Herrscher spricht heute.\n")},
            timeout=60,
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["terms"][0]["term"]["target"] == "ruler"
        download = requests.get(reply.json()["translatedFileUrl"], timeout=10)
    assert "ruler" in download.content.decode()


def test_frontend_settings_list_the_registry_formats(fake_server: str) -> None:
    front = requests.get(f"{fake_server}/frontend/settings", timeout=5).json()
    assert front["filesTranslation"] is True
    expected = [ext for fmt in formats() for ext in fmt.extensions]
    assert front["supportedFilesFormat"] == expected
    assert {".txt", ".html", ".srt"} <= set(expected)


# --- format=html and tag_handling=html -------------------------------------------------------


def test_fake_format_html_keeps_the_document_whole(fake_server: str) -> None:
    reply = requests.post(
        f"{fake_server}/translate",
        json={"q": HTML.decode(), "source": "de", "target": "en", "format": "html"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    text = reply.json()["translatedText"]
    assert text == HTML.decode().replace("<title>Der Hund", "<title>The dog").replace(
        "Der <b>Herrscher</b> spricht.", "The <b>ruler</b> speaks."
    )
    [term] = reply.json()["terms"]
    assert term["location"].startswith("paragraph 2") and term["block"] == 1
    assert (term["source"]["start"], term["source"]["end"]) == (4, 13)  # "Herrscher" in its block
    assert (term["target"]["start"], term["target"]["end"]) == (4, 9)  # "ruler"


def test_fake_tag_handling_html_keeps_the_markup(fake_server: str) -> None:
    reply = requests.post(
        f"{fake_server}/v2/translate",
        json={
            "text": ["<p>Der <i>Hund</i> bellt.</p><pre>Der Hund</pre>", "Der <b>Hund</b>"],
            "source_lang": "DE",
            "target_lang": "EN-GB",
            "tag_handling": "html",
        },
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    texts = [t["text"] for t in reply.json()["translations"]]
    assert texts == ["<p>The <i>dog</i> barks.</p><pre>Der Hund</pre>", "The <b>dog</b>"]


# --- the documented shapes -------------------------------------------------------------------


def test_fake_document_answers_have_the_documented_shapes(fake_settings: Settings) -> None:
    app = create_app(
        fake_settings,
        EngineRegistry(fake_settings, loader=lambda p: PhraseEngine(WORDS)),
        test_config=dict(TEST_CONFIG),
    )
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    client = app.test_client()
    uploaded = client.post(
        "/v2/document",
        data={"target_lang": "EN-GB", "source_lang": "DE", "file": (io.BytesIO(TXT), "a.txt")},
    )
    schema["/v2/document"]["POST"].validate_response(uploaded)
    handle = uploaded.json
    app.extensions[KEY].documents.wait(handle["document_id"], 30)
    status = client.post(
        f"/v2/document/{handle['document_id']}", json={"document_key": handle["document_key"]}
    )
    assert status.json["status"] == "done"
    schema["/v2/document/{document_id}"]["POST"].validate_response(status)
    filed = client.post(
        "/translate_file",
        data={"source": "de", "target": "en", "file": (io.BytesIO(TXT), "a.txt")},
    )
    assert filed.json["terms"]  # a located term report to check
    schema["/translate_file"]["POST"].validate_response(filed)
    html = client.post(
        "/translate",
        json={"q": HTML.decode(), "source": "de", "target": "en", "format": "html"},
    )
    schema["/translate"]["POST"].validate_response(html)
