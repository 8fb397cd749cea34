"""Real answers of the own API have the shapes /openapi.json gives (schemathesis validates
them): a translation with its term report, and a finished job with its results. The fuzzing
in tests/test_fuzz.py reaches these only by chance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from flask import Flask

from glossary.config import Settings
from glossary.packages import InstalledPackage
from tests.fakes import PhraseEngine
from tests.test_jobs import fake_engine_app, wait_for

BODY = {"text": "Der Herrscher spricht. Der Herrscher.", "source": "de", "target": "en"}


@pytest.fixture
def shaped_app(settings: Settings, installed: InstalledPackage, terms_dir: Path) -> Flask:
    engine = PhraseEngine({"der": "the", "herrscher": "lord", "spricht": "speaks"})
    return fake_engine_app(settings, terms_dir, engine)


def _operation(app: Flask, path: str, method: str) -> schemathesis.APIOperation:
    return schemathesis.openapi.from_wsgi("/openapi.json", app)[path][method]


def test_translate_answer_has_the_documented_shape(shaped_app: Flask) -> None:
    response = shaped_app.test_client().post("/api/translate", json=BODY)
    assert response.status_code == 200
    assert {t["status"] for t in response.json["terms"]} == {"enforced"}  # a report to check
    _operation(shaped_app, "/api/translate", "POST").validate_response(response)


def test_job_answers_have_the_documented_shape(shaped_app: Flask) -> None:
    client = shaped_app.test_client()
    started = client.post("/api/jobs", json=BODY)
    assert started.status_code == 202
    _operation(shaped_app, "/api/jobs", "POST").validate_response(started)
    wait_for(client, started.headers["Location"], ("done",))
    done = client.get(started.headers["Location"])
    assert done.json["terms"]
    _operation(shaped_app, "/api/jobs/{job_id}", "GET").validate_response(done)


def test_a_wrong_shape_is_caught(shaped_app: Flask) -> None:
    response = shaped_app.test_client().post("/api/translate", json=BODY)
    data = response.json
    data["summary"]["kept"] = "none"
    response.set_data(json.dumps(data))
    with pytest.raises(AssertionError, match="violates schema"):  # schemathesis: a Failure
        _operation(shaped_app, "/api/translate", "POST").validate_response(response)
