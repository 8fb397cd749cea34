"""Document jobs (glossary/documents/jobs.py) without the web: a job's life (queued, running
with progress, done with its file and report), refusals before anything is stored, failures
that leave nothing to serve, delete while running, restart and expiry.

The engine is a fake (PhraseEngine, known words) where the wording is the point, and the tiny
real model once, end to end."""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from glossary.config import Settings
from glossary.documents.jobs import DocumentJob, DocumentJobs
from glossary.documents.model import Limits
from glossary.engine import DecodeOptions, Hypothesis
from glossary.engines import EngineRegistry
from glossary.errors import Busy, DocumentError, NotFoundError
from glossary.jobs import KEEP_SECONDS
from glossary.packages import InstalledPackage
from glossary.service import TranslationService
from tests.fakes import PhraseEngine

WORDS = {"der": "the", "herrscher": "lord", "spricht": "speaks", "hund": "dog", "bellt": "barks"}
TXT = b"Der Herrscher spricht.\n\nDer Hund bellt.\n"


class SlowEngine(PhraseEngine):
    """Fake: sleeps before every batch, so a job is seen while it runs."""

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


def paragraphs(count: int) -> bytes:
    return "\n\n".join(f"Der Herrscher Nummer {i} spricht." for i in range(count)).encode()


@pytest.fixture
def doc_settings(settings: Settings, installed: InstalledPackage, terms_dir: Path) -> Settings:
    return dataclasses.replace(settings, terms_dir=terms_dir)


def fake_service(settings: Settings, engine: PhraseEngine | None = None) -> TranslationService:
    engine = engine or PhraseEngine(WORDS)
    return TranslationService(settings, EngineRegistry(settings, loader=lambda p: engine))


@pytest.fixture
def jobs(doc_settings: Settings) -> Iterator[DocumentJobs]:
    yield fake_service(doc_settings).documents


def folder_files(jobs: DocumentJobs) -> list[str]:
    if not jobs.folder.exists():
        return []
    return sorted(p.name for p in jobs.folder.iterdir() if not p.name.startswith("jobs.sqlite3"))


def until(
    jobs: DocumentJobs, job_id: str, check: Callable[[DocumentJob], bool], seconds: float = 30
) -> DocumentJob:
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        job = jobs.get(job_id)
        assert job is not None
        if check(job):
            return job
        time.sleep(0.01)
    raise AssertionError(f"never reached: {jobs.get(job_id)}")


def test_fake_job_translates_the_file_and_reports_its_terms(
    jobs: DocumentJobs, doc_settings: Settings
) -> None:
    job = jobs.submit("local", TXT, "folder/news.txt", "de", "en")
    assert job.state == "queued" and job.total == 2 and job.done == 0
    assert job.filename == "news.txt" and job.format == "txt"
    assert job.characters == len("Der Herrscher spricht.") + len("Der Hund bellt.")
    done = jobs.wait(job.id, 30)
    assert done.state == "done" and done.done == done.total == 2 and done.error is None
    assert done.result_filename == "news.en.txt" and done.media_type == "text/plain"
    assert done.seconds_remaining() == 0
    assert jobs.result(job.id) == b"The ruler speaks.\n\nThe dog barks.\n"
    report = jobs.report(job.id)
    assert report is not None and report["summary"] == {
        "kept": 0,
        "enforced": 1,
        "missed": 0,
        "forbidden": 0,
    }
    [term] = report["terms"]  # type: ignore[misc]
    assert term["location"] == "paragraph 1" and term["block"] == 0
    assert term["term"]["target"] == "ruler"
    assert (doc_settings.state_dir / "documents" / f"{job.id}.result").exists()
    assert done.to_dict()["seconds_remaining"] == 0 and done.to_dict()["id"] == job.id


def test_fake_job_names_exactly_its_glossaries(jobs: DocumentJobs) -> None:
    job = jobs.submit("local", TXT, "a.txt", "de", "en", glossaries=[])
    assert jobs.wait(job.id, 30).state == "done"
    assert jobs.result(job.id) == b"The lord speaks.\n\nThe dog barks.\n"
    assert jobs.report(job.id)["terms"] == []  # type: ignore[index]


@pytest.mark.parametrize(
    ("data", "name", "content_type", "status"),
    [
        (b"MZ\x90", "setup.exe", None, 415),
        (TXT, "a.txt", "image/png", 415),
        (b"\xff\xfe\x00", "a.txt", None, 400),
        (b"x" * 2000, "a.txt", None, 413),
        (TXT, "", None, 400),
    ],
)
def test_refused_before_anything_is_stored(
    doc_settings: Settings, data: bytes, name: str, content_type: str | None, status: int
) -> None:
    jobs = DocumentJobs(
        fake_service(doc_settings), doc_settings.state_dir / "d", limits=Limits(1000)
    )
    with pytest.raises(DocumentError) as refused:
        jobs.submit("local", data, name, "de", "en", content_type=content_type)
    assert refused.value.http_status == status
    assert folder_files(jobs) == []


def test_unknown_glossary_is_refused_before_anything_is_stored(jobs: DocumentJobs) -> None:
    with pytest.raises(NotFoundError):
        jobs.submit("local", TXT, "a.txt", "de", "en", glossaries=["nope"])
    assert folder_files(jobs) == []


def test_fake_progress_and_seconds_remaining_while_running(doc_settings: Settings) -> None:
    jobs = fake_service(doc_settings, SlowEngine(0.02)).documents
    warm = jobs.submit("local", paragraphs(40), "warm.txt", "de", "en")
    assert jobs.seconds_remaining(warm) is None  # nothing done yet to measure by
    jobs.wait(warm.id, 30)
    job = jobs.submit("local", paragraphs(600), "long.txt", "de", "en")
    second = jobs.submit("local", TXT, "short.txt", "de", "en")
    queued = jobs.get(second.id)
    assert queued is not None and queued.state == "queued"
    assert queued.seconds_remaining() is None  # its own blocks tell nothing yet
    # from the speed of the job done, and the 600 paragraphs ahead of it
    ahead = jobs.seconds_remaining(queued)
    assert isinstance(ahead, int) and ahead >= 0
    running = until(jobs, job.id, lambda j: j.state == "running" and j.done > 0)
    assert running.total == 600 and running.done < 600
    remaining = running.seconds_remaining()
    assert isinstance(remaining, int) and remaining >= 0
    assert jobs.result(job.id) is None and jobs.report(job.id) is None  # nothing half-done
    assert jobs.wait(job.id, 60).state == "done"
    assert jobs.wait(second.id, 30).state == "done"


def test_wait_gives_up_after_its_timeout(doc_settings: Settings) -> None:
    jobs = fake_service(doc_settings, SlowEngine(0.05)).documents
    job = jobs.submit("local", paragraphs(400), "long.txt", "de", "en")
    started = time.monotonic()
    seen = jobs.wait(job.id, 0.2)
    assert seen.state in ("queued", "running") and time.monotonic() - started < 2
    with pytest.raises(NotFoundError):
        jobs.wait("no-such-job", 1)
    started = time.monotonic()
    seen = jobs.wait(job.id, 30, gone=lambda: True)  # whoever waits has hung up
    assert seen.state in ("queued", "running") and time.monotonic() - started < 1


def test_fake_failure_is_reported_and_nothing_is_served(doc_settings: Settings) -> None:
    settings = dataclasses.replace(doc_settings, job_deadline=0.2)
    jobs = fake_service(settings, SlowEngine(0.15)).documents
    job = jobs.submit("local", paragraphs(300), "long.txt", "de", "en")
    failed = jobs.wait(job.id, 30)
    assert failed.state == "failed" and failed.error and "deadline" in failed.error
    assert jobs.result(job.id) is None and jobs.report(job.id) is None
    assert f"{job.id}.result" not in folder_files(jobs)


def test_fake_delete_while_running_stops_and_leaves_nothing(doc_settings: Settings) -> None:
    engine = SlowEngine(0.05)
    jobs = fake_service(doc_settings, engine).documents
    job = jobs.submit("local", paragraphs(800), "long.txt", "de", "en")
    until(jobs, job.id, lambda j: j.state == "running")
    jobs.delete(job.id)
    assert jobs.get(job.id) is None
    time.sleep(1.0)  # the runner notices within a batch
    calls = len(engine.calls)
    time.sleep(0.5)
    assert len(engine.calls) == calls  # stopped
    assert folder_files(jobs) == []
    jobs.delete("../../etc/passwd")  # not an id: nothing happens


def test_fake_jobs_survive_a_restart(doc_settings: Settings) -> None:
    first = fake_service(doc_settings).documents
    done = first.submit("local", TXT, "a.txt", "de", "en")
    assert first.wait(done.id, 30).state == "done"
    # a job the previous process left running goes back to the queue and is worked again
    pending = first.submit("local", TXT, "b.txt", "de", "en")
    first.wait(pending.id, 30)
    with sqlite3.connect(doc_settings.state_dir / "documents" / "jobs.sqlite3") as db:
        db.execute("update documents set state = 'running', done = 1 where id = ?", (pending.id,))
    again = fake_service(doc_settings).documents
    assert again.result(done.id) == b"The ruler speaks.\n\nThe dog barks.\n"
    again.start()
    assert again.wait(pending.id, 30).state == "done"
    assert again.result(pending.id) == b"The ruler speaks.\n\nThe dog barks.\n"


def test_finished_jobs_expire(doc_settings: Settings) -> None:
    first = fake_service(doc_settings).documents
    old = first.submit("local", TXT, "a.txt", "de", "en")
    fresh = first.submit("local", TXT, "b.txt", "de", "en")
    first.wait(old.id, 30)
    first.wait(fresh.id, 30)
    with sqlite3.connect(doc_settings.state_dir / "documents" / "jobs.sqlite3") as db:
        db.execute(
            "update documents set updated = ? where id = ?",
            (time.time() - KEEP_SECONDS - 1, old.id),
        )
    later = fake_service(doc_settings).documents
    later.start()
    assert later.get(old.id) is None and later.get(fresh.id) is not None
    assert not any(name.startswith(old.id) for name in folder_files(later))


def test_too_many_waiting_jobs_is_busy(
    doc_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("glossary.documents.jobs.MAX_WAITING_JOBS", 1)
    jobs = fake_service(doc_settings, SlowEngine(0.05)).documents
    jobs.submit("local", paragraphs(200), "a.txt", "de", "en")
    with pytest.raises(Busy):
        jobs.submit("local", TXT, "b.txt", "de", "en")


def test_tiny_model_document_job(doc_settings: Settings) -> None:
    """End to end with the real (tiny) model: its words are nonsense, its terms enforced."""
    jobs = TranslationService(doc_settings).documents
    page = b"<p>Der <b>Herrscher</b> spricht.</p>\n<p>Heute.</p>\n"
    job = jobs.submit("local", page, "a.html", "de", "en", glossaries=["p"])
    done = jobs.wait(job.id, 120)
    assert done.state == "done", done.error
    out = (jobs.result(job.id) or b"").decode()
    assert out.count("<p>") == 2 and "<b>" in out and "ruler" in out
    assert done.media_type == "text/html"


def test_fake_result_that_cannot_be_written_fails_and_the_runner_goes_on(
    doc_settings: Settings,
) -> None:
    jobs = fake_service(doc_settings, SlowEngine(0.01)).documents
    job = jobs.submit("local", paragraphs(300), "long.txt", "de", "en")
    (jobs.folder / f"{job.id}.result").mkdir()  # where the result would go: a folder
    after = jobs.submit("local", TXT, "next.txt", "de", "en")
    failed = jobs.wait(job.id, 60)
    assert failed.state == "failed" and failed.error == "internal error: IsADirectoryError"
    assert jobs.result(job.id) is None and jobs.report(job.id) is None
    assert jobs.wait(after.id, 30).state == "done"
