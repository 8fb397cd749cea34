"""The jobs API on Redis (issue 12, scale-out): a real `redis-server`, a real `glossary serve`
with GLOSSARY_QUEUE_URL, and two real `glossary worker` processes (RQ workers) sharing one
terms folder and one package directory, driven through HTTP as a client would. The tiny model's
wording is nonsense, so results are compared with /api/translate's, not with English.

Needs Debian's redis-server (`make redis`; `make test` installs it). Without it these tests are
skipped with that message; the tests of `glossary worker`'s errors and of the 503 run anyway.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from glossary.config import Settings
from glossary.jobs import KEEP_SECONDS, JobRequest
from glossary.packages import InstalledPackage
from glossary.term import Term
from glossary.termwrite import create_glossary
from tests.helpers import run_glossary
from tests.workers import call, free_port, process_env, server_process
from web.app import create_app

REDIS_SERVER = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(
    REDIS_SERVER is None,
    reason="redis-server is not installed: `make redis` installs Debian's package "
    "(`make test` does it first)",
)

SHORT = "Der Herrscher reist nach Moskau. Der Kreml-Herrscher spricht mit dem Volk."
# Long enough that a job is still running after several polls (the tiny model writes up to
# its length limit for every sentence), and that two of them keep both workers busy at once.
LONG = " ".join(f"Der Herrscher Nummer {i} reist heute nach Moskau." for i in range(400))


def wait_until(
    what: str, check: Callable[[], Any], seconds: float = 60, pause: float = 0.05
) -> Any:
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        if found := check():
            return found
        time.sleep(pause)
    raise AssertionError(f"{what}: not within {seconds} s")


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A real redis-server on a free port of 127.0.0.1, nothing saved to disk; its URL."""
    import redis

    assert REDIS_SERVER is not None
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with (directory / "redis.log").open("wb") as out:
        proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)

        def up() -> bool:
            if proc.poll() is not None:
                raise RuntimeError((directory / "redis.log").read_text())
            with contextlib.suppress(redis.exceptions.ConnectionError):
                return bool(client.ping())
            return False

        wait_until("redis-server answers", up, seconds=20)
        client.close()
        yield url
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@dataclass
class Cluster:
    base: str  # the web server
    url: str  # the queue
    workers: list[subprocess.Popen[bytes]]
    logs: list[Path]
    terms: Path

    def redis(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=10)

    def store(self) -> Any:
        from glossary.jobs_redis import RedisJobStore

        return RedisJobStore(self.redis())

    def worker_names(self) -> set[str]:
        from rq import Worker

        return {w.name for w in Worker.all(connection=self.redis())}

    def submit(self, text: str, **more: Any) -> str:
        reply = call(
            self.base, "POST", "/api/jobs", {"text": text, "source": "de", "target": "en", **more}
        )
        assert reply.status == 202, reply.body
        location: str = reply.headers["location"]
        return location

    def job(self, location: str) -> dict[str, Any]:
        reply = call(self.base, "GET", location)
        assert reply.status == 200, reply.body
        body: dict[str, Any] = reply.json()
        return body

    def finished(self, location: str, seconds: float = 120) -> dict[str, Any]:
        def ended() -> dict[str, Any] | None:
            job = self.job(location)
            return job if job["state"] in ("done", "failed", "cancelled") else None

        job: dict[str, Any] = wait_until(f"job {location} finished", ended, seconds, 0.1)
        return job


@pytest.fixture
def cluster(
    env: dict[str, str], installed: InstalledPackage, terms_dir: Path, tmp_path: Path
) -> Iterator[Cluster]:
    """redis-server, `glossary serve` and two `glossary worker`s, all with one terms folder and
    one package directory (as machines sharing them over NFS would); the workers have a state
    folder of their own, as they would on other machines."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed: `make redis` installs Debian's package")
    with redis_server(tmp_path / "redis") as url:
        shared = {**env, "GLOSSARY_QUEUE_URL": url}
        workers, logs = [], []
        try:
            for n in range(2):
                logs.append(tmp_path / f"worker-{n}.log")
                with logs[-1].open("wb") as out:
                    workers.append(
                        subprocess.Popen(
                            [sys.executable, "-m", "glossary.cli", "worker"],
                            env=process_env(
                                shared,
                                GLOSSARY_TERMS_DIR=str(terms_dir),
                                GLOSSARY_STATE_DIR=str(tmp_path / f"state-{n}"),
                            ),
                            cwd=tmp_path,
                            stdout=out,
                            stderr=subprocess.STDOUT,
                        )
                    )
            with server_process(shared, terms_dir, tmp_path / "serve.log") as base:
                running = Cluster(base, url, workers, logs, terms_dir)

                def registered() -> bool:
                    for proc, log in zip(workers, logs, strict=True):
                        if proc.poll() is not None:
                            raise RuntimeError(f"worker exited: {log.read_text()}")
                    return len(running.worker_names()) == 2

                wait_until("both workers registered with RQ", registered)
                yield running
        finally:
            for proc in workers:
                stop(proc)


def translate(cluster: Cluster, text: str, **more: Any) -> dict[str, Any]:
    reply = call(
        cluster.base,
        "POST",
        "/api/translate",
        {"text": text, "source": "de", "target": "en", **more},
    )
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.json()
    return body


@needs_redis
def test_redis_job_gives_what_translate_gives_with_the_shared_glossary(
    cluster: Cluster,
    env: dict[str, str],
) -> None:
    # A second glossary in the shared folder, and the web server's defaults: only `p`. A job
    # that names none must use the server's defaults, not every glossary a worker can see.
    create_glossary(cluster.terms / "q.yaml", "Places", "de", "en", [Term("Moskau", "Muscovy")])
    marked = run_glossary(
        {**env, "GLOSSARY_TERMS_DIR": str(cluster.terms)}, "defaults", "set", "p", timeout=60
    )
    assert marked.returncode == 0, marked.stderr
    location = cluster.submit(SHORT)
    job = cluster.finished(location)
    direct = translate(cluster, SHORT)
    assert job["state"] == "done", job
    assert job["done"] == job["total"] == len(direct["sentences"]) == 2
    assert job["text"] == direct["text"]
    assert job["sentences"] == direct["sentences"]
    assert job["terms"] == direct["terms"] and job["summary"] == direct["summary"]
    ruler = [t for t in job["terms"] if t["term"]["target"] == "ruler"]
    assert len(ruler) == 2 and "ruler" in job["text"]  # the glossary `p` of the terms folder
    assert "Muscovy" not in str(job["terms"])  # `q` is not a default
    named = cluster.finished(cluster.submit(SHORT, glossaries=["q"]))
    assert [t["term"]["target"] for t in named["terms"]] == ["Muscovy"]
    # A worker process did it, not the web server.
    assert cluster.store().worker_of(location.rsplit("/", 1)[1]) in cluster.worker_names()

    # An edit through the web server reaches the workers through the shared folder only.
    glossary = call(cluster.base, "GET", "/api/glossaries/p")
    added = call(
        cluster.base,
        "POST",
        "/api/glossaries/p/terms",
        {"source": "Volk", "target": "populace"},
        {"If-Match": f'"{glossary.etag}"'},
    )
    assert added.status == 201, added.body
    after = cluster.finished(cluster.submit(SHORT))
    assert after["state"] == "done", after
    assert [t["term"]["target"] for t in after["terms"] if t["term"]["source"] == "Volk"] == [
        "populace"
    ]
    assert "populace" in after["text"]
    assert after["terms"] == translate(cluster, SHORT)["terms"]


@needs_redis
def test_redis_jobs_progress_spread_over_workers_and_cancel(cluster: Cluster) -> None:
    first, second = cluster.submit(LONG), cluster.submit(LONG)
    ids = [first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]]

    def both_partial() -> list[dict[str, Any]] | None:
        jobs = [cluster.job(first), cluster.job(second)]
        if all(j["state"] == "running" and j["total"] and 0 < j["done"] < j["total"] for j in jobs):
            return jobs
        assert all(j["state"] in ("queued", "running") for j in jobs), jobs
        return None

    # Both at once, with results so far: each SimpleWorker works one job at a time, so two
    # jobs running at once are on two workers.
    partial = wait_until("both jobs running with partial results", both_partial, 120)
    for job in partial:
        assert job["total"] == 400
        assert len(job["sentences"]) == job["done"]  # sentences done so far, and only those
        assert len(job["terms"]) == job["done"]  # each sentence's Herrscher, reported
    names = [cluster.store().worker_of(i) for i in ids]
    assert set(names) == cluster.worker_names() and len(set(names)) == 2, names

    # DELETE stops the first job: its RQ job ends while the second, started with it on the
    # same text, is still far from done, and the worker's last step does not bring it back.
    from rq import Queue

    from glossary.jobs_redis import QUEUE

    registry = Queue(QUEUE, connection=cluster.redis()).started_job_registry

    def started() -> set[str]:  # RQ job ids are the jobs' ids (some RQ 2.x add ":execution")
        return {entry.split(":")[0] for entry in registry.get_job_ids()}

    assert started() == set(ids)
    assert call(cluster.base, "DELETE", first).status == 204
    assert call(cluster.base, "GET", first).status == 404
    wait_until("the cancelled job's RQ job ended", lambda: started() == {ids[1]}, 15)
    still = cluster.job(second)
    assert still["state"] == "running" and still["done"] < still["total"], still
    assert cluster.redis().keys(f"*{ids[0]}*") == []
    assert "deleted on" in cluster.logs[0].read_text() + cluster.logs[1].read_text()

    # The freed worker takes the next job while the second one still runs.
    quick = cluster.finished(cluster.submit(SHORT), 60)
    assert quick["state"] == "done"
    assert cluster.job(second)["state"] == "running"
    assert call(cluster.base, "DELETE", second).status == 204


# --- the store's own guarantees, against the real server -------------------------------------


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed: `make redis` installs Debian's package")
    with redis_server(tmp_path / "redis") as url:
        yield url


def test_redis_store_steps_of_a_deleted_job_never_bring_it_back(redis_url: str) -> None:
    from glossary.jobs_redis import RedisJobStore, connect

    store = RedisJobStore(connect(redis_url))
    job = store.create("alice", JobRequest("Der Herrscher.", "de", "en", ["p"], "replace"))
    assert store.get(job.id) == job and not store.cancel_requested(job.id)
    store.start(job.id, 3)
    store.add(job.id, "A. ", [{"n": 1}], [{"status": "kept"}, {"status": "enforced"}])
    store.add(job.id, "B.", [{"n": 2}], [])
    seen = store.get(job.id)
    assert seen is not None and seen.state == "running" and (seen.total, seen.done) == (3, 2)
    assert seen.text == "A. B." and seen.sentences == [{"n": 1}, {"n": 2}]
    assert seen.terms == [{"status": "kept"}, {"status": "enforced"}]
    assert seen.request == job.request and seen.owner == "alice"
    store.request_cancel(job.id)
    assert store.cancel_requested(job.id) and store.get(job.id).cancel  # type: ignore[union-attr]

    store.delete(job.id)
    assert store.get(job.id) is None and store.cancel_requested(job.id)
    store.start(job.id, 3)
    store.add(job.id, "C.", [{"n": 3}], [{"status": "kept"}])
    store.request_cancel(job.id)
    store.assign(job.id, "w")
    store.finish(job.id, "cancelled")
    assert store.get(job.id) is None
    assert store.connection.keys("*") == []


def test_redis_store_finished_jobs_expire_and_failure_is_said(redis_url: str) -> None:
    from glossary.jobs_redis import RedisJobStore, connect, failed

    store = RedisJobStore(connect(redis_url))
    done = store.create("local", JobRequest("x", "de", "en"))
    store.start(done.id, 1)
    store.add(done.id, "y", [{"n": 1}], [{"status": "kept"}])
    assert all(store.connection.ttl(k) == -1 for k in store.keys(done.id)[:-1])  # no expiry yet
    store.finish(done.id, "failed", "no model")
    finished = store.get(done.id)
    assert finished is not None and (finished.state, finished.error) == ("failed", "no model")
    store.finish(done.id, "done")
    assert store.get(done.id).error is None  # type: ignore[union-attr]
    for key in store.keys(done.id):
        assert 0 < store.connection.ttl(key) <= KEEP_SECONDS, key

    # RQ's failure callback (its time limit, or a worker that died) marks a running job
    # failed with the reason, and leaves a finished one alone.
    from rq.timeouts import JobTimeoutException

    @dataclass
    class FakeRQJob:
        args: tuple[str, ...]
        id: str = "rq"

    running = store.create("local", JobRequest("x", "de", "en"))
    store.start(running.id, 5)
    failed(
        FakeRQJob((running.id,)),
        store.connection,
        JobTimeoutException,  # type: ignore[arg-type]
        JobTimeoutException(),
        None,
    )
    assert store.get(running.id).state == "failed"  # type: ignore[union-attr]
    assert "time limit" in (store.get(running.id).error or "")  # type: ignore[union-attr]
    failed(
        FakeRQJob((done.id,)),
        store.connection,
        JobTimeoutException,  # type: ignore[arg-type]
        JobTimeoutException(),
        None,
    )
    assert store.get(done.id).state == "done"  # type: ignore[union-attr]

    from rq.exceptions import AbandonedJobError

    orphan = store.create("local", JobRequest("x", "de", "en"))
    store.start(orphan.id, 5)
    failed(
        FakeRQJob((orphan.id,)),
        store.connection,
        AbandonedJobError,  # type: ignore[arg-type]
        AbandonedJobError(),
        None,
    )
    assert store.get(orphan.id).error == "the worker working the job stopped"  # type: ignore[union-attr]


def test_redis_queue_refuses_jobs_beyond_the_waiting_limit(
    redis_url: str,
    settings: Settings,
    terms_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from glossary import jobs_redis
    from glossary.errors import Busy
    from glossary.service import TranslationService

    monkeypatch.setattr(jobs_redis, "MAX_WAITING_JOBS", 2)
    service = TranslationService(
        dataclasses.replace(settings, terms_dir=terms_dir, queue_url=redis_url)
    )
    queue = service.jobs
    assert isinstance(queue, jobs_redis.RQJobQueue)
    first = queue.submit("local", JobRequest("Der Herrscher.", "de", "en"))
    queue.submit("local", JobRequest("Der Herrscher.", "de", "en"))
    assert first.request.glossaries == ["p"]  # the server's defaults, by name
    with pytest.raises(Busy) as refused:
        queue.submit("local", JobRequest("Der Herrscher.", "de", "en"))
    assert refused.value.retry_after > 0
    assert queue.queue.count == 2  # no worker here: both wait, the third was never queued
    assert len(queue.connection.keys(f"{jobs_redis.PREFIX}*")) == 2


# --- without a reachable queue: clear errors, never a traceback ----------------------------


def test_worker_without_a_queue_says_what_to_set(env: dict[str, str]) -> None:
    unset = {k: v for k, v in env.items() if k != "GLOSSARY_QUEUE_URL"}
    result = run_glossary(unset, "worker", "--burst", timeout=60)
    assert result.returncode == 2
    assert result.stderr.decode().strip().splitlines() == [
        "glossary: error: GLOSSARY_QUEUE_URL is not set: set it to the Redis the web server "
        "queues jobs on, e.g. GLOSSARY_QUEUE_URL=redis://HOST:6379/0"
    ]

    dead = {**env, "GLOSSARY_QUEUE_URL": f"redis://:hunter2@127.0.0.1:{free_port()}/0"}
    result = run_glossary(dead, "worker", timeout=60)
    lines = result.stderr.decode().strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, lines
    assert lines[0].startswith("glossary: error: cannot reach the job queue at redis://:***@")
    assert "hunter2" not in lines[0]

    bad = {**env, "GLOSSARY_QUEUE_URL": "http://127.0.0.1/"}
    result = run_glossary(bad, "worker", timeout=60)
    assert result.returncode == 2 and "is not a Redis URL" in result.stderr.decode()


def test_jobs_answer_503_while_the_queue_is_unreachable(
    settings: Settings, terms_dir: Path
) -> None:
    changed = dataclasses.replace(
        settings, terms_dir=terms_dir, queue_url=f"redis://127.0.0.1:{free_port()}/0"
    )
    app = create_app(changed, test_config={"TESTING": True, "SECRET_KEY": "s"})
    client = app.test_client()
    reply = client.post("/api/jobs", json={"text": SHORT, "source": "de", "target": "en"})
    assert reply.status_code == 503, reply.json
    assert "job queue" in str(reply.json) and "cannot be reached" in str(reply.json)
    assert client.get("/api/jobs/abc").status_code == 503
    assert client.get("/health").status_code == 200  # the rest of the service goes on


# --- stopping a worker: SIGTERM as a supervisor sends it ------------------------------------


@dataclass
class LoneWorker:
    """One `glossary worker` process, and the jobs API as the web server has it."""

    proc: subprocess.Popen[bytes]
    log: Path
    jobs: Any  # RQJobQueue

    def job(self, job_id: str) -> Any:
        return self.jobs.store.get(job_id)

    def exited(self, seconds: float) -> int:
        """The exit code, asserting it came within `seconds`."""
        try:
            return self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {seconds} s on: {self.log.read_text()}") from None


@pytest.fixture
def lone_worker(
    redis_url: str,
    env: dict[str, str],
    settings: Settings,
    installed: InstalledPackage,
    terms_dir: Path,
    tmp_path: Path,
) -> Iterator[LoneWorker]:
    from rq import Worker

    from glossary.service import TranslationService

    service = TranslationService(
        dataclasses.replace(settings, terms_dir=terms_dir, queue_url=redis_url)
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "glossary.cli", "worker"],
            env=process_env(
                {**env, "GLOSSARY_QUEUE_URL": redis_url},
                GLOSSARY_TERMS_DIR=str(terms_dir),
                GLOSSARY_STATE_DIR=str(tmp_path / "worker-state"),
            ),
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = LoneWorker(proc, log, service.jobs)
    try:

        def registered() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited: {log.read_text()}")
            return len(Worker.all(connection=running.jobs.connection)) == 1

        wait_until("the worker registered with RQ", registered)
        yield running
    finally:
        stop(proc)


@pytest.mark.slow
@needs_redis
def test_an_idle_worker_exits_at_once_on_sigterm(lone_worker: LoneWorker) -> None:
    from rq import Worker

    # It has worked a job, so it is idle in RQ's wait for the next one, as between deploys.
    first = lone_worker.jobs.submit("local", JobRequest(SHORT, "de", "en"))
    wait_until("the job done", lambda: lone_worker.job(first.id).state == "done")
    time.sleep(1)
    sent = time.monotonic()
    lone_worker.proc.terminate()
    code = lone_worker.exited(10)
    took = time.monotonic() - sent
    assert code == 0, lone_worker.log.read_text()
    assert took < 10, took  # was 60 s (RQ's pub/sub thread at exit); now well under 1 s
    assert Worker.all(connection=lone_worker.jobs.connection) == []  # its death registered


@pytest.mark.slow
@needs_redis
def test_a_busy_worker_finishes_its_job_on_sigterm_and_takes_no_other(
    lone_worker: LoneWorker,
) -> None:
    # A few seconds' work: most of it is left when the signal comes.
    text = " ".join(f"Der Herrscher Nummer {i} reist heute nach Moskau." for i in range(120))
    busy = lone_worker.jobs.submit("local", JobRequest(text, "de", "en"))
    waiting = lone_worker.jobs.submit("local", JobRequest(SHORT, "de", "en"))
    under_way = wait_until(
        "the job under way",
        lambda: (j := lone_worker.job(busy.id)).state == "running" and 0 < j.done < 60 and j,
    )
    lone_worker.proc.terminate()
    time.sleep(0.5)
    assert lone_worker.proc.poll() is None  # warm: still at work
    assert lone_worker.exited(120) == 0, lone_worker.log.read_text()
    finished = lone_worker.job(busy.id)
    assert finished.state == "done" and finished.done == finished.total == 120
    assert finished.done > under_way.done
    assert lone_worker.job(waiting.id).state == "queued"  # left for the next worker
    assert lone_worker.jobs.queue.get_job_ids() == [waiting.id]


@pytest.mark.slow
@needs_redis
def test_a_second_sigterm_stops_a_busy_worker_and_the_job_says_so(
    lone_worker: LoneWorker,
) -> None:
    busy = lone_worker.jobs.submit("local", JobRequest(LONG, "de", "en"))
    wait_until(
        "the job under way",
        lambda: (j := lone_worker.job(busy.id)).state == "running" and j.done > 0,
    )
    lone_worker.proc.terminate()
    time.sleep(1.5)  # RQ ignores a second signal within a second of the first
    assert lone_worker.proc.poll() is None
    lone_worker.proc.terminate()
    assert lone_worker.exited(10) == 0, lone_worker.log.read_text()
    stopped = lone_worker.job(busy.id)
    assert stopped.state == "failed" and stopped.done < stopped.total == 400, stopped
    assert stopped.error == "the worker working the job was stopped before it finished"
