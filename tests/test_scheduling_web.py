"""The scheduler through the web layer (issue 12): a full queue is a 429 with Retry-After in
each API's own shape (and a page, not JSON, for the translate page); a request past its
deadline stops with a 504; /health is answered while the translator is busy. The engine is a
fake that sleeps per batch (slow_fake_engine): the point is the scheduling, not the wording."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from glossary.config import Settings
from glossary.engine import DecodeOptions, Hypothesis
from glossary.engines import EngineRegistry
from glossary.packages import InstalledPackage
from tests.fakes import PhraseEngine
from web.app import create_app


class SlowEngine(PhraseEngine):
    def __init__(self, pause: float) -> None:
        super().__init__({"hund": "dog"})
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


def slow_app(settings: Settings, terms_dir: Path, engine: SlowEngine, **changes: Any) -> Flask:
    registry = EngineRegistry(settings, loader=lambda package: engine)
    changed = dataclasses.replace(settings, terms_dir=terms_dir, **changes)
    return create_app(changed, registry, test_config={"TESTING": True, "SECRET_KEY": "s"})


CALLS = [
    ("/api/translate", {"json": {"text": "Hund.", "source": "de", "target": "en"}}, "error"),
    ("/translate", {"data": {"q": "Hund.", "source": "de", "target": "en"}}, "error"),
    (
        "/v2/translate",
        {"json": {"text": ["Hund."], "target_lang": "EN", "source_lang": "DE"}},
        "message",
    ),
]


def test_slow_fake_engine_full_queue_is_429_in_each_apis_shape(
    settings: Settings,
    installed: InstalledPackage,
    terms_dir: Path,
) -> None:
    engine = SlowEngine(pause=0.6)
    app = slow_app(settings, terms_dir, engine, max_requests=1)
    busy = threading.Thread(target=lambda: app.test_client().post(*CALLS[0][:1], **CALLS[0][1]))
    busy.start()
    time.sleep(0.2)
    try:
        for path, args, field in CALLS:
            reply = app.test_client().post(path, **args)
            assert reply.status_code == 429, (path, reply.get_data(as_text=True))
            assert "busy" in reply.json[field]
            assert int(reply.headers["Retry-After"]) >= 1
        page = app.test_client().post("/", data={"text": "Hund.", "pair": "de:en"})
        assert page.status_code == 429 and page.mimetype == "text/html"
        assert "busy" in page.get_data(as_text=True)
        assert app.test_client().get("/health").status_code == 200  # never queued
    finally:
        busy.join(10)
    assert app.test_client().post(CALLS[0][0], **CALLS[0][1]).status_code == 200


def test_slow_fake_engine_deadline_stops_a_long_request(
    settings: Settings,
    installed: InstalledPackage,
    terms_dir: Path,
) -> None:
    engine = SlowEngine(pause=0.3)
    app = slow_app(settings, terms_dir, engine, deadline=1.0, batch_size=1)
    text = " ".join(f"Der Hund Nummer {i} bellt." for i in range(40))
    started = time.monotonic()
    reply = app.test_client().post(
        "/api/translate", json={"text": text, "source": "de", "target": "en"}
    )
    assert reply.status_code == 504, reply.json
    assert "deadline" in reply.json["error"]
    assert time.monotonic() - started < 3
    done = engine.batches
    time.sleep(0.8)
    assert engine.batches <= done + 1  # the work stopped within one batch
    assert engine.batches < 40


@pytest.mark.parametrize("path", ["/health", "/api/languages", "/terms/"])
def test_slow_fake_engine_other_routes_do_not_wait_for_the_translator(
    settings: Settings,
    installed: InstalledPackage,
    terms_dir: Path,
    path: str,
) -> None:
    engine = SlowEngine(pause=1.0)
    app = slow_app(settings, terms_dir, engine)
    text = " ".join(f"Der Hund Nummer {i} bellt." for i in range(3))
    busy = threading.Thread(
        target=lambda: app.test_client().post(
            "/api/translate", json={"text": text, "source": "de", "target": "en"}
        )
    )
    busy.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert app.test_client().get(path).status_code == 200
    assert time.monotonic() - started < 0.5
    busy.join(10)
