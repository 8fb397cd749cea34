"""Hot reload with several worker processes: two `glossary serve` processes (two ports, one
GLOSSARY_TERMS_DIR) stand for the worker processes of a deployment. An edit made through one
worker's API is used by every worker's very next translation, with no restart or signal:
each worker's GlossaryStore sees the file change and reloads it. The tiny model's wording is
nonsense, but the term report and the enforced English term are exact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from glossary.packages import InstalledPackage
from tests.conftest import REPO
from tests.workers import call, copy_terms, server_process

TEXT = "Der Kreml-Herrscher bringt Hunger nach Moskau."
NEW_SOURCE, FIRST_TARGET, SECOND_TARGET = "Hunger", "hunger crisis", "famine"


@pytest.fixture
def workers(
    env: dict[str, str], installed: InstalledPackage, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    terms = tmp_path / "terms"
    copy_terms(REPO / "terms" / "de-en.yaml", terms)
    with (
        server_process(env, terms, tmp_path / "a.log") as a,
        server_process(env, terms, tmp_path / "b.log") as b,
    ):
        yield a, b


def _translate(base: str) -> dict[str, Any]:
    reply = call(
        base, "POST", "/translate", {"q": TEXT, "source": "de", "target": "en", "glossary": "de-en"}
    )
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.json()
    return body


def _reported(body: dict[str, Any], source: str) -> list[dict[str, Any]]:
    return [t for t in body["terms"] if t["term"]["source"] == source]


def _new_term(body: dict[str, Any], base: str) -> dict[str, Any]:
    found = _reported(body, NEW_SOURCE)
    assert len(found) == 1, f"{base} did not use the edited glossary: {body['terms']}"
    return found[0]


def _edit(base: str, method: str, path: str, target: str) -> None:
    etag = call(base, "GET", "/api/glossaries/de-en").etag
    reply = call(
        base, method, path, {"source": NEW_SOURCE, "target": target}, {"If-Match": f'"{etag}"'}
    )
    assert reply.status in (200, 201), reply.body


def test_edit_through_one_worker_is_used_by_every_worker(workers: tuple[str, str]) -> None:
    a, b = workers
    for base in (a, b):  # both workers have the glossary loaded, without the new term
        body = _translate(base)
        assert _reported(body, "Kreml-Herrscher") and not _reported(body, NEW_SOURCE)

    _edit(a, "POST", "/api/glossaries/de-en/terms", FIRST_TARGET)
    for base in (b, a):
        body = _translate(base)
        term = _new_term(body, base)
        assert term["status"] == "enforced" and term["term"]["target"] == FIRST_TARGET
        assert FIRST_TARGET in body["translatedText"]

    _edit(b, "PUT", f"/api/glossaries/de-en/terms/{NEW_SOURCE}", SECOND_TARGET)
    for base in (a, b):
        body = _translate(base)
        term = _new_term(body, base)
        assert term["status"] == "enforced" and term["term"]["target"] == SECOND_TARGET
        assert (
            SECOND_TARGET in body["translatedText"] and FIRST_TARGET not in body["translatedText"]
        )
