"""A model removed while the server runs (issue 11): right after its package folder is deleted,
the translate page, the LibreTranslate, DeepL and own APIs all list the same pairs, and every
translate endpoint answers "model not installed" in its own way instead of translating with
the engine still cached in memory."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from glossary.config import Settings
from glossary.packages import InstalledPackage, install_from_file
from web.app import create_app

TEXT = "Der Herrscher spricht."
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
OPTION = re.compile(r'<option value="([a-z]+):([a-z]+)"')
Pairs = set[tuple[str, str]]


@pytest.fixture
def client(
    settings: Settings,
    installed: InstalledPackage,
    terms_dir: Path,
    model_archives: dict[tuple[str, str], Path],
) -> FlaskClient:
    install_from_file(settings.packages_dir, model_archives[("fr", "en")])  # stays installed
    app = create_app(
        dataclasses.replace(settings, terms_dir=terms_dir),
        test_config={"TESTING": True, "SECRET_KEY": "s"},
    )
    return app.test_client()


def listed(client: FlaskClient) -> dict[str, Pairs]:
    """The pairs each surface offers; DeepL lists sources and targets apart, so its pairs are
    every source with every target (enough to see a language vanish)."""
    own = {(p["source"], p["target"]) for p in client.get("/api/languages").json["pairs"]}
    libre = {
        (entry["code"], target)
        for entry in client.get("/languages").json
        for target in entry["targets"]
    }
    sources = {e["language"].lower() for e in client.get("/v2/languages?type=source").json}
    targets = {
        e["language"].split("-")[0].lower() for e in client.get("/v2/languages?type=target").json
    }
    page = set(OPTION.findall(client.get("/").get_data(as_text=True)))
    return {
        "own": own,
        "libretranslate": libre,
        "deepl": {(s, t) for s in sources for t in targets},
        "page": page,
    }


def translate_statuses(client: FlaskClient, source: str) -> dict[str, int]:
    token = TOKEN.search(client.get("/").get_data(as_text=True))
    assert token is not None
    return {
        "own": client.post(
            "/api/translate", json={"text": TEXT, "source": source, "target": "en"}
        ).status_code,
        "libretranslate": client.post(
            "/translate", json={"q": TEXT, "source": source, "target": "en"}
        ).status_code,
        "deepl": client.post(
            "/v2/translate",
            data={"text": TEXT, "source_lang": source.upper(), "target_lang": "EN-US"},
        ).status_code,
        "page": client.post(
            "/",
            data={
                "text": TEXT,
                "pair": f"{source}:en",
                "mode": "off",
                "csrf_token": token.group(1),
            },
        ).status_code,
    }


def test_every_surface_agrees_right_after_a_model_is_removed(
    client: FlaskClient, installed: InstalledPackage
) -> None:
    before = listed(client)
    assert all(pairs == {("de", "en"), ("fr", "en")} for pairs in before.values()), before
    assert translate_statuses(client, "de") == dict.fromkeys(before, 200)  # engines now cached

    shutil.rmtree(installed.path)

    after = listed(client)
    assert all(pairs == {("fr", "en")} for pairs in after.values()), after
    # Each API's existing answer for a missing model: DeepL's client retries every 5xx, so
    # it says 400 there; the others say 503.
    assert translate_statuses(client, "de") == {
        "own": 503,
        "libretranslate": 503,
        "deepl": 400,
        "page": 503,
    }
    assert translate_statuses(client, "fr") == dict.fromkeys(before, 200)


def test_the_missing_model_answer_names_the_pair_and_the_fix(
    client: FlaskClient, installed: InstalledPackage
) -> None:
    assert (
        client.post(
            "/api/translate", json={"text": TEXT, "source": "de", "target": "en"}
        ).status_code
        == 200
    )
    shutil.rmtree(installed.path)
    reply = client.post("/api/translate", json={"text": TEXT, "source": "de", "target": "en"})
    assert reply.status_code == 503
    assert "de→en" in reply.json["error"] and "models install" in reply.json["error"]
    page = client.get("/").get_data(as_text=True)
    assert 'value="de:en"' not in page


def test_a_reinstalled_model_is_used_again(
    client: FlaskClient, installed: InstalledPackage, settings: Settings, tiny_archive: Path
) -> None:
    shutil.rmtree(installed.path)
    assert (
        client.post("/translate", json={"q": TEXT, "source": "de", "target": "en"}).status_code
        == 503
    )
    install_from_file(settings.packages_dir, tiny_archive)
    assert ("de", "en") in listed(client)["own"]
    assert (
        client.post("/translate", json={"q": TEXT, "source": "de", "target": "en"}).status_code
        == 200
    )
