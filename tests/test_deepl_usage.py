"""/v2/usage counts the characters /v2/translate translated, per app: the count lives in the
app (web.deepl.Usage, built by create_app), not in the module, so two apps never share it."""

from __future__ import annotations

from flask import Flask

from glossary.config import Settings
from glossary.packages import InstalledPackage
from tests.conftest import build_app

AUTH = {"Authorization": "DeepL-Auth-Key anything"}
LEXICON = {"der": "the", "hund": "dog", "ist": "is"}


def _count(app: Flask) -> int:
    count: int = app.test_client().get("/v2/usage", headers=AUTH).json["character_count"]
    return count


def _translate(app: Flask, *texts: str) -> None:
    body = {"text": list(texts), "target_lang": "EN", "source_lang": "DE"}
    reply = app.test_client().post("/v2/translate", json=body, headers=AUTH)
    assert reply.status_code == 200, reply.json


def test_each_app_counts_its_own_characters(
    app_settings: Settings, installed: InstalledPackage
) -> None:
    one, two = build_app(app_settings, LEXICON), build_app(app_settings, LEXICON)
    assert _count(one) == _count(two) == 0
    _translate(one, "Der Hund ist.", "Hund")
    assert _count(one) == len("Der Hund ist.") + len("Hund")
    assert _count(two) == 0
    _translate(two, "Hund")
    assert (_count(one), _count(two)) == (17, 4)
