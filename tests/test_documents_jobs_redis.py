"""Document jobs on Redis (glossary/documents/jobs_redis.py): a real `redis-server`, a real
`glossary serve` with GLOSSARY_QUEUE_URL and real `glossary worker` processes (RQ workers),
driven through the DeepL and LibreTranslate APIs as clients would. The tiny model's wording
is nonsense, so a worker's document is compared with the document layer's own translation.

Needs Debian's redis-server (`make redis`; `make test` installs it), else skipped.
"""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import deepl
import docx
import pytest
import requests

from glossary.config import Settings
from glossary.documents.translate import translate_document
from glossary.jobs import KEEP_SECONDS
from glossary.packages import InstalledPackage
from glossary.service import TranslationService
from tests.test_documents_api import with_macros, word_file
from tests.test_jobs_redis import REDIS_SERVER, needs_redis, redis_server, stop, wait_until
from tests.workers import process_env, server_process

pytestmark = [pytest.mark.slow, needs_redis]

# Enough paragraphs that the tiny model (it writes to its length limit) is still at work on
# them after several polls.
LONG = "\n\n".join(f"Der Herrscher Nummer {i} reist heute nach Moskau." for i in range(300))


@dataclass
class Cluster:
    """redis-server and `glossary serve` sharing it; workers started when a test says."""

    base: str
    url: str
    env: dict[str, str]
    terms: Path
    tmp: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def redis(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=10)

    def redis_keys(self, pattern: str = "*") -> list[str]:
        return sorted(k.decode() for k in self.redis().keys(pattern))

    def jobs(self) -> Any:
        """The queue as the web server has it, from this process (for delete and the store)."""
        settings = Settings.from_env(self.env)
        return TranslationService(
            dataclasses.replace(settings, terms_dir=self.terms, queue_url=self.url)
        ).documents

    def start_worker(self, **more: str) -> str:
        """One more `glossary worker` with a state folder of its own (and the environment
        `more`); its log's path."""
        from rq import Worker

        n = len(self.workers)
        log = self.tmp / f"worker-{n}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "glossary.cli", "worker"],
                env=process_env(
                    self.env,
                    GLOSSARY_TERMS_DIR=str(self.terms),
                    GLOSSARY_STATE_DIR=str(self.tmp / f"state-{n}"),
                    **more,
                ),
                cwd=self.tmp,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.workers.append(proc)

        def registered() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited: {log.read_text()}")
            return len(Worker.all(connection=self.redis())) == len(self.workers)

        wait_until("the worker registered with RQ", registered)
        return str(log)


@pytest.fixture
def cluster(
    env: dict[str, str], installed: InstalledPackage, terms_dir: Path, tmp_path: Path
) -> Iterator[Cluster]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed: `make redis` installs Debian's package")
    with redis_server(tmp_path / "redis") as url:
        shared = {**env, "GLOSSARY_QUEUE_URL": url, "GLOSSARY_DEADLINE": "3"}
        running = Cluster("", url, shared, terms_dir, tmp_path)
        try:
            with server_process(shared, terms_dir, tmp_path / "serve.log") as base:
                running.base = base
                yield running
        finally:
            for proc in running.workers:
                stop(proc)


def upload(base: str, name: str, data: bytes, content_type: str | None = None) -> Any:
    file = (name, data) if content_type is None else (name, data, content_type)
    return requests.post(
        f"{base}/v2/document",
        data={"target_lang": "EN-GB", "source_lang": "DE"},
        files={"file": file},
        timeout=30,
    )


def status(base: str, handle: dict[str, str]) -> dict[str, Any]:
    reply = requests.post(
        f"{base}/v2/document/{handle['document_id']}",
        json={"document_key": handle["document_key"]},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def texts(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


def test_deepl_client_docx_is_translated_by_a_worker_and_its_keys_expire(
    cluster: Cluster, settings: Settings, tmp_path: Path
) -> None:
    worker_log = cluster.start_worker()
    source, out = tmp_path / "brief.docx", tmp_path / "brief.en.docx"
    source.write_bytes(word_file())
    translator = deepl.Translator("any-key", server_url=cluster.base)
    with source.open("rb") as in_file, out.open("wb") as out_file:
        done = translator.translate_document(
            in_file, out_file, target_lang="EN-GB", source_lang="DE"
        )
    assert done.done and done.billed_characters == len("Der Herrscher spricht.Der Hund bellt.")

    # What the document layer gives in this process, with the server's default glossary `p`.
    here = TranslationService(dataclasses.replace(settings, terms_dir=cluster.terms))
    expected = translate_document(here, word_file(), "brief.docx", "de", "en", ["p"])
    assert texts(out.read_bytes()) == texts(expected.data)
    assert "ruler" in texts(out.read_bytes())[0]  # Herrscher → ruler, enforced

    # A worker did it; the finished job keeps its hash, file and report for KEEP_SECONDS.
    (job_key,) = cluster.redis_keys("glossary:document:{*}")
    job_id = job_key.split("{")[1].rstrip("}")
    found = cluster.jobs().store.fields(job_id)
    assert found["state"] == "done" and found["worker"] in Path(worker_log).read_text()
    main, upload_key, result, report = cluster.jobs().store.keys(job_id)
    redis = cluster.redis()
    assert redis.exists(upload_key) == 0  # the upload goes once it is done
    for key in (main, result, report):
        assert 0 < redis.ttl(key) <= KEEP_SECONDS, key
    assert cluster.jobs().report(job_id)["summary"] == expected.report_dict()["summary"]
    assert f"document job {job_id}: done on" in Path(worker_log).read_text()


def test_documents_wait_queued_until_a_worker_takes_them(cluster: Cluster) -> None:
    handle = upload(cluster.base, "brief.docx", word_file()).json()
    # The web server does no document work: without a worker the job stays queued.
    give_up = time.monotonic() + 2
    while time.monotonic() < give_up:
        assert status(cluster.base, handle)["status"] == "queued"
        time.sleep(0.1)
    from rq import Queue

    from glossary.documents.jobs_redis import QUEUE

    queue = Queue(QUEUE, connection=cluster.redis())
    assert queue.get_job_ids() == [handle["document_id"]]
    assert Queue("glossary", connection=cluster.redis()).count == 0  # not the text jobs' queue
    assert "worker" not in cluster.jobs().store.fields(handle["document_id"])

    cluster.start_worker()
    body = wait_until(
        "the worker finished the document",
        lambda: (found := status(cluster.base, handle))["status"] == "done" and found,
        seconds=120,
        pause=0.1,
    )
    assert body["billed_characters"] > 0 and body["done"] == body["total"] == 2
    result = requests.post(
        f"{cluster.base}/v2/document/{handle['document_id']}/result",
        json={"document_key": handle["document_key"]},
        timeout=10,
    )
    assert result.status_code == 200 and len(texts(result.content)) == 2
    assert queue.count == 0 and queue.started_job_registry.count == 0

    # With the worker gone (SIGTERM: idle, it exits at once), a new document waits, and its
    # time left comes from the speed the worker left in Redis (characters a second of the
    # documents it did).
    gone = cluster.workers.pop()
    gone.terminate()
    assert gone.wait(timeout=10) == 0
    waiting = upload(cluster.base, "brief.docx", word_file()).json()
    body = status(cluster.base, waiting)
    assert body["status"] == "queued" and isinstance(body["seconds_remaining"], int), body


def test_bad_documents_are_refused_and_nothing_reaches_redis(cluster: Cluster) -> None:
    refused = [
        (("virus.exe", b"MZ\x90\x00"), 415, "not supported"),
        (("a.txt", b"Der Hund.", "image/png"), 415, "image/png"),
        (("a.txt", b"\xff\xfe bad bytes"), 400, "UTF-8"),
        (("a.docx", b"PK\x03\x04 cut short"), 400, "corrupted"),
        (("brief.docx", with_macros(word_file())), 400, "macros"),
    ]
    for file, code, words in refused:
        deepl_reply = upload(cluster.base, *file)
        assert deepl_reply.status_code == code, deepl_reply.text
        assert words in deepl_reply.json()["message"]
        lt_reply = requests.post(
            f"{cluster.base}/translate_file",
            data={"source": "de", "target": "en"},
            files={"file": file},
            timeout=10,
        )
        assert lt_reply.status_code == code and words in lt_reply.json()["error"], lt_reply.text
    assert cluster.redis_keys() == []


def test_delete_removes_every_key_queued_or_running(cluster: Cluster) -> None:
    # /translate_file waits its deadline (3 s here) with no worker, answers 504 and forgets
    # the job: its hash, upload, RQ's job and its place in the queue.
    reply = requests.post(
        f"{cluster.base}/translate_file",
        data={"source": "de", "target": "en"},
        files={"file": ("brief.docx", word_file())},
        timeout=30,
    )
    assert reply.status_code == 504, reply.text
    assert cluster.redis_keys() == ["rq:queues"]  # RQ's list of queue names, no job's

    # A running job deleted: its worker stops, and its last steps bring nothing back.
    log = Path(cluster.start_worker())
    handle = upload(cluster.base, "long.txt", LONG.encode()).json()
    job_id = handle["document_id"]
    under_way = wait_until(
        "the long document under way",
        lambda: (
            (found := status(cluster.base, handle))["status"] == "translating"
            and 0 < found["done"] < found["total"]
            and found
        ),
        seconds=120,
        pause=0.05,
    )
    assert under_way["total"] == 300
    cluster.jobs().delete(job_id)
    from rq import Queue

    from glossary.documents.jobs_redis import QUEUE

    started = Queue(QUEUE, connection=cluster.redis()).started_job_registry
    wait_until("the deleted job's RQ job ended", lambda: started.count == 0, 30)
    wait_until("the worker said so", lambda: f"document job {job_id}: deleted" in log.read_text())
    time.sleep(0.5)
    assert [k for k in cluster.redis_keys() if job_id in k] == []
    gone = requests.post(
        f"{cluster.base}/v2/document/{job_id}",
        json={"document_key": handle["document_key"]},
        timeout=10,
    )
    assert gone.status_code == 404


def test_a_document_past_its_deadline_on_the_worker_fails_with_the_reason(
    cluster: Cluster,
) -> None:
    cluster.start_worker(GLOSSARY_JOB_DEADLINE="1")
    handle = upload(cluster.base, "long.txt", LONG.encode()).json()
    body = wait_until(
        "the document failed",
        lambda: (found := status(cluster.base, handle))["status"] == "error" and found,
        seconds=60,
        pause=0.1,
    )
    assert "deadline" in body["error_message"] and body["done"] < body["total"], body
    result = requests.post(
        f"{cluster.base}/v2/document/{handle['document_id']}/result",
        json={"document_key": handle["document_key"]},
        timeout=10,
    )
    assert result.status_code == 400 and "deadline" in result.json()["detail"], result.text
    main, upload_key, result_key, report = cluster.jobs().store.keys(handle["document_id"])
    redis = cluster.redis()
    assert redis.exists(upload_key, result_key, report) == 0  # nothing half-written is kept
    assert 0 < redis.ttl(main) <= KEEP_SECONDS


def test_store_steps_of_a_deleted_job_never_bring_it_back_and_failures_are_said(
    tmp_path: Path, settings: Settings
) -> None:
    from rq.exceptions import AbandonedJobError
    from rq.timeouts import JobTimeoutException

    from glossary.documents.jobs import DocumentJob
    from glossary.documents.jobs_redis import RedisDocumentStore, failed
    from glossary.documents.model import Limits
    from glossary.documents.translate import TranslatedDocument
    from glossary.jobs_redis import connect

    @dataclass
    class FakeRQJob:
        args: tuple[str, ...]
        id: str = "rq"

    def job() -> DocumentJob:
        return DocumentJob(
            id=f"job{time.monotonic_ns()}",
            owner="alice",
            filename="a.txt",
            format="text",
            source="de",
            target="en",
            glossaries=["p"],
            mode="replace",
            total=3,
            characters=12,
        )

    made = TranslatedDocument(b"The dog.", "a.en.txt", "text/plain", "text", 3, (), 0)
    with redis_server(tmp_path / "redis") as url:
        store = RedisDocumentStore(connect(url))
        first = job()
        store.create(first, b"Der Hund.", Limits(max_bytes=1000))
        assert store.get(first.id) == first
        assert store.fields(first.id)["limits"]["max_bytes"] == 1000
        assert store.claim(first.id, "w1") and not store.claim(first.id, "w2")
        store.progress(first.id, 1, 3)
        running = store.get(first.id)
        assert running is not None and (running.state, running.done) == ("running", 1)
        assert all(store.connection.ttl(k) == -1 for k in store.keys(first.id)[:2])

        store.delete(first.id)
        store.progress(first.id, 2, 3)
        assert not store.claim(first.id, "w3")
        assert not store.publish(first.id, made, b"{}")
        assert not store.fail(first.id, "too late")
        assert store.connection.keys("*") == []

        # RQ's failure callback: a running job is failed with the reason, a done one kept.
        late, orphan = job(), job()
        for one in (late, orphan):
            store.create(one, b"Der Hund.", Limits())
            store.claim(one.id, "w")
        args = (store.connection, JobTimeoutException, JobTimeoutException(), None)
        failed(FakeRQJob((late.id,)), *args)  # type: ignore[arg-type]
        timed_out = store.get(late.id)
        assert timed_out is not None and timed_out.state == "failed"
        assert "time limit" in (timed_out.error or "")
        failed(FakeRQJob((orphan.id,)), store.connection, AbandonedJobError, None, None)  # type: ignore[arg-type]
        assert store.get(orphan.id).error == "the worker working the document stopped"  # type: ignore[union-attr]
        main, upload, result, report = store.keys(late.id)
        assert 0 < store.connection.ttl(main) <= KEEP_SECONDS
        assert store.connection.exists(upload, result, report) == 0  # failed: no files

        done = job()
        store.create(done, b"Der Hund.", Limits())
        store.claim(done.id, "w")
        assert store.publish(done.id, made, b'{"terms": []}')
        failed(FakeRQJob((done.id,)), *args)  # type: ignore[arg-type]
        kept = store.get(done.id)
        assert kept is not None and kept.state == "done" and kept.error is None
        assert store.file(done.id, "result") == b"The dog."
        assert store.file(done.id, "upload") is None

        # An RQ job that failed in a real (burst) worker: the callback fails the document, and
        # delete forgets RQ's record of it too, which RQ keeps for failed jobs.
        from rq import Callback, Queue

        from glossary.documents.jobs_redis import QUEUE, RQDocumentJobs
        from glossary.jobs_redis import GlossaryWorker

        broken = job()
        store.create(broken, b"Der Hund.", Limits())
        queue = Queue(QUEUE, connection=store.connection)
        queue.enqueue(ord, broken.id, job_id=broken.id, on_failure=Callback(failed))

        GlossaryWorker([queue], connection=store.connection).work(burst=True)
        said = store.get(broken.id)
        assert said is not None and (said.state, said.error) == ("failed", "TypeError")
        assert any(broken.id in k.decode() for k in store.connection.keys("rq:job:*"))
        queued = RQDocumentJobs(TranslationService(dataclasses.replace(settings, queue_url=url)))
        queued.delete(broken.id)
        assert [k for k in store.connection.keys("*") if broken.id.encode() in k] == []


def test_a_worker_stopped_twice_fails_its_document_with_the_reason(cluster: Cluster) -> None:
    cluster.start_worker()
    (worker,) = cluster.workers
    handle = upload(cluster.base, "long.txt", LONG.encode()).json()
    wait_until(
        "the long document under way",
        lambda: (
            (found := status(cluster.base, handle))["status"] == "translating" and found["done"] > 0
        ),
        seconds=120,
        pause=0.05,
    )
    worker.terminate()  # warm: it would finish the document first
    time.sleep(1.5)  # RQ ignores a second signal within a second of the first
    assert worker.poll() is None
    worker.terminate()  # cold: now
    assert worker.wait(timeout=10) == 0
    body = status(cluster.base, handle)
    assert body["status"] == "error" and body["done"] < body["total"], body
    assert body["error_message"] == "the worker working the document was stopped before it finished"
    _, upload_key, result_key, report = cluster.jobs().store.keys(handle["document_id"])
    assert cluster.redis().exists(upload_key, result_key, report) == 0  # nothing half-written
