"""The jobs API with the embedded SQLite queue (issue 12): progress and partial results while a
job runs, cancel within one batch, results that survive a restart, jobs private to their
maker. Engines are fakes (PhraseEngine; a slow one sleeps per batch): the point is the job's
life, not the wording."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from glossary.accounts import Accounts
from glossary.config import Settings
from glossary.engine import DecodeOptions, Hypothesis
from glossary.engines import EngineRegistry
from glossary.packages import InstalledPackage
from tests.fakes import PhraseEngine
from web.app import create_app

TEXT = " ".join(f"Der Herrscher Nummer {i} spricht." for i in range(40))
BODY = {"text": TEXT, "source": "de", "target": "en"}


class SlowEngine(PhraseEngine):
    def __init__(self, pause: float) -> None:
        super().__init__({"der": "the", "herrscher": "lord", "spricht": "speaks"})
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


def fake_engine_app(
    settings: Settings, terms_dir: Path, engine: PhraseEngine, **changes: Any
) -> Flask:
    registry = EngineRegistry(settings, loader=lambda package: engine)
    changed = dataclasses.replace(settings, terms_dir=terms_dir, **changes)
    return create_app(changed, registry, test_config={"TESTING": True, "SECRET_KEY": "s"})


def wait_for(
    client: FlaskClient,
    location: str,
    states: tuple[str, ...],
    headers: dict[str, str] | None = None,
    seconds: float = 20,
) -> dict[str, Any]:
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        job: dict[str, Any] = client.get(location, headers=headers or {}).json
        if job["state"] in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job never reached {states}: {job}")


def test_fake_engine_job_gives_what_translate_gives(
    settings: Settings, installed: InstalledPackage, terms_dir: Path
) -> None:
    client = fake_engine_app(settings, terms_dir, SlowEngine(0)).test_client()
    reply = client.post("/api/jobs", json=BODY)
    assert reply.status_code == 202, reply.json
    assert reply.json["state"] == "queued" and reply.headers["Location"].endswith(reply.json["id"])
    job = wait_for(client, reply.headers["Location"], ("done",))
    direct = client.post("/api/translate", json=BODY).json
    assert job["done"] == job["total"] == len(direct["sentences"]) == 40
    assert job["text"] == direct["text"]
    assert job["sentences"] == direct["sentences"]
    assert job["terms"] == direct["terms"] and job["summary"] == direct["summary"]


def test_slow_fake_engine_progress_and_partial_results(
    settings: Settings, installed: InstalledPackage, terms_dir: Path
) -> None:
    engine = SlowEngine(0.15)
    client = fake_engine_app(settings, terms_dir, engine, batch_size=4).test_client()
    location = client.post("/api/jobs", json=BODY).headers["Location"]
    seen = []
    while (job := client.get(location).json)["state"] != "done":
        seen.append((job["done"], job["total"], job["text"]))
        time.sleep(0.1)
    partial = [s for s in seen if s[1] and 0 < s[0] < s[1]]
    assert partial, seen
    done, _total, text = partial[0]
    assert text and text.count("ruler") == done  # the sentences done so far, and only those
    assert job["text"].startswith(text)


def test_slow_fake_engine_cancel_stops_within_one_batch(
    settings: Settings, installed: InstalledPackage, terms_dir: Path
) -> None:
    engine = SlowEngine(0.2)
    client = fake_engine_app(settings, terms_dir, engine, batch_size=2).test_client()
    location = client.post("/api/jobs", json=BODY).headers["Location"]
    wait_for(client, location, ("running",))
    time.sleep(0.5)
    assert client.delete(location).status_code == 204
    stopped = engine.batches
    time.sleep(1.0)
    assert engine.batches <= stopped + 1, (stopped, engine.batches)
    assert engine.batches < 20
    assert client.get(location).status_code == 404


def test_fake_engine_results_survive_a_restart(
    settings: Settings, installed: InstalledPackage, terms_dir: Path
) -> None:
    first = fake_engine_app(settings, terms_dir, SlowEngine(0)).test_client()
    location = first.post("/api/jobs", json=BODY).headers["Location"]
    done = wait_for(first, location, ("done",))
    again = fake_engine_app(settings, terms_dir, SlowEngine(0)).test_client()  # a new process
    assert again.get(location).json == done


def test_fake_engine_unfinished_job_runs_again_after_a_restart(
    settings: Settings,
    installed: InstalledPackage,
    terms_dir: Path,
) -> None:
    app = fake_engine_app(settings, terms_dir, SlowEngine(0))
    store = app.extensions["glossary.service"].jobs.store
    from glossary.jobs import JobRequest

    job = store.create("local", JobRequest(TEXT, "de", "en"))
    store.start(job.id, 40)  # as a process that died while working it would leave it
    restarted = fake_engine_app(settings, terms_dir, SlowEngine(0))
    restarted.extensions["glossary.service"].jobs.start()  # what `glossary serve` does
    result = wait_for(restarted.test_client(), f"/api/jobs/{job.id}", ("done",))
    assert result["done"] == 40 and result["text"].count("ruler") == 40


def test_fake_engine_jobs_are_private_to_their_maker(
    settings: Settings, installed: InstalledPackage, terms_dir: Path
) -> None:
    book = Accounts.of(settings)
    alice, bob = book.add_key("alice", "reader"), book.add_key("bob", "reader")
    root = book.add_key("root", "admin")
    client = fake_engine_app(settings, terms_dir, SlowEngine(0)).test_client()
    location = client.post("/api/jobs", json=BODY, headers={"X-API-Key": alice}).headers["Location"]
    for other in ({"X-API-Key": bob}, {}):
        assert client.get(location, headers=other).status_code == 404
        assert client.delete(location, headers=other).status_code == 404
    assert client.get(location, headers={"X-API-Key": root}).status_code == 200
    wait_for(client, location, ("done",), headers={"X-API-Key": alice})


def test_fake_engine_bad_jobs_are_refused_at_once(
    settings: Settings, installed: InstalledPackage, terms_dir: Path
) -> None:
    client = fake_engine_app(settings, terms_dir, SlowEngine(0), max_chars=100).test_client()
    assert client.post("/api/jobs", json=BODY).status_code == 413
    assert (
        client.post("/api/jobs", json={**BODY, "text": "x", "glossaries": ["nope"]}).status_code
        == 404
    )
    assert client.post("/api/jobs", json={"text": "x"}).status_code == 400
    assert client.post("/api/jobs", data={"text": "x"}).status_code == 415


def test_fake_engine_a_full_job_queue_is_a_429(
    settings: Settings,
    installed: InstalledPackage,
    terms_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("glossary.jobs.MAX_WAITING_JOBS", 2)
    engine = SlowEngine(0.5)
    client = fake_engine_app(settings, terms_dir, engine).test_client()
    replies = [client.post("/api/jobs", json=BODY) for _ in range(3)]
    assert [r.status_code for r in replies] == [202, 202, 429]
    assert int(replies[2].headers["Retry-After"]) >= 1 and "waiting" in replies[2].json["error"]
    for reply in replies[:2]:
        assert client.delete(reply.headers["Location"]).status_code == 204
