"""Document jobs on Redis, for workers on several machines: the DocumentQueue interface of
glossary/documents/jobs.py with each job's state and files in Redis and the work queued with
RQ, as text jobs are (glossary/jobs_redis.py).

The web server (`GLOSSARY_QUEUE_URL=redis://HOST:6379/0 glossary serve`) reads the upload in
the request (a refused file is a 400/413/415 and nothing reaches Redis), stores the job and
its upload, and enqueues the RQ job `glossary.documents.jobs_redis.work(job_id)` on the queue
`glossary-documents`. `glossary worker` listens to `glossary` (text jobs) first and then to
`glossary-documents`, so a free worker takes a waiting text job before a waiting document; it
works one job at a time with glossary.documents.translate.translate_document. A job that names
no glossaries is given the web server's defaults by name when it is submitted, and carries the
server's Limits, so workers need no state of their own.

Keys, per job (the `{id}` hash tag keeps them in one Redis Cluster slot):

- `glossary:document:{id}` — a hash: every DocumentJob field as JSON, `limits` (JSON) and
  `worker` (the RQ worker that took it);
- `glossary:document:{id}:upload` — the file as uploaded (at most Limits.max_bytes), deleted
  when the job finishes;
- `glossary:document:{id}:result`, `...:report` — the translated file and the term report
  (JSON), at most RESULT_FACTOR × Limits.max_bytes each, written in the same step that marks
  the job done.

Every write after the job is created is one Lua script that first checks that the hash still
exists, so a step of a job deleted meanwhile never brings it back, and nobody sees a job done
without its files. A finished job's keys expire KEEP_SECONDS after it finished; a job whose
worker died or overran RQ's time limit is marked failed by RQ's failure callback (`failed`).
The speed of the documents done so far (characters a second, `glossary:documents:rate`) is
shared by the workers, for the time left of a job still queued.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, cast, get_args

import redis
from rq import Queue, Worker, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job as RQJob
from rq.results import Result
from rq.timeouts import JobTimeoutException

from glossary.config import Settings
from glossary.documents.jobs import DocumentJob, prepare, text_start, valid_id
from glossary.documents.model import Limits
from glossary.documents.translate import TranslatedDocument, translate_document
from glossary.enforce import DEFAULT_MODE, Mode
from glossary.errors import GlossaryError, NotFoundError, QueueUnavailable
from glossary.jobs import FINISHED, KEEP_SECONDS
from glossary.jobs_redis import (
    TIMEOUT_GRACE,
    connect,
    enqueue_or_forget,
    reachable,
    redacted,
    refuse_when_full,
    worker_service,
)
from glossary.service import TranslationService

log = logging.getLogger("glossary.documents.jobs")

QUEUE = "glossary-documents"  # beside text jobs' `glossary`: each has its own waiting limit
PREFIX = "glossary:document:"
RATE_KEY = "glossary:documents:rate"
RESULT_FACTOR = 2  # a result or report may be this many times Limits.max_bytes
POLL_SECONDS = 0.2  # how often `wait` looks at a job another machine works

_FIELDS = tuple(f.name for f in dataclasses.fields(DocumentJob))
File = Literal["upload", "result", "report"]
_FILES: tuple[str, ...] = ("", *get_args(File))  # their place in RedisDocumentStore.keys

# Each script first checks the job's hash: a deleted job stays deleted. ARGV pairs are fields.
_SET = """
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('hset', KEYS[1], unpack(ARGV))
return 1
"""
_CLAIM = """
if redis.call('hget', KEYS[1], 'state') ~= ARGV[1] then return 0 end
redis.call('hset', KEYS[1], unpack(ARGV, 2))
return 1
"""
# KEYS: hash, upload, result, report. ARGV: keep seconds, result, report, '1' for done, fields.
_FINISH = """
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('del', KEYS[2])
if ARGV[4] == '1' then
    redis.call('set', KEYS[3], ARGV[2], 'EX', ARGV[1])
    redis.call('set', KEYS[4], ARGV[3], 'EX', ARGV[1])
else
    redis.call('del', KEYS[3], KEYS[4])
end
redis.call('hset', KEYS[1], unpack(ARGV, 5))
redis.call('expire', KEYS[1], ARGV[1])
return 1
"""


def _pairs(**values: Any) -> list[str]:
    """Hash fields as the scripts take them: name, JSON value, name, JSON value..."""
    return [part for name, value in values.items() for part in (name, json.dumps(value))]


class RedisDocumentStore:
    """A document job's state and files in Redis (see the module's docstring for the keys)."""

    def __init__(self, connection: redis.Redis) -> None:
        self.connection = connection
        self._set = connection.register_script(_SET)
        self._claim = connection.register_script(_CLAIM)
        self._finish = connection.register_script(_FINISH)

    @staticmethod
    def keys(job_id: str) -> list[str]:
        base = f"{PREFIX}{{{job_id}}}"
        return [base, f"{base}:upload", f"{base}:result", f"{base}:report"]

    def create(self, job: DocumentJob, data: bytes, limits: Limits) -> None:
        main, upload, _result, _report = self.keys(job.id)
        fields: dict[Any, str] = {name: json.dumps(getattr(job, name)) for name in _FIELDS}
        fields["limits"] = json.dumps(dataclasses.asdict(limits))
        with reachable(self.connection):
            pipe = self.connection.pipeline(transaction=True)  # the job with its upload or not
            pipe.hset(main, mapping=fields)
            pipe.set(upload, data)
            pipe.execute()

    def fields(self, job_id: str) -> dict[str, Any] | None:
        with reachable(self.connection):
            found = self.connection.hgetall(self.keys(job_id)[0])
        return {_text(k): json.loads(v) for k, v in found.items()} if found else None

    def get(self, job_id: str) -> DocumentJob | None:
        row = self.fields(job_id)
        if row is None:
            return None
        values = {name: row[name] for name in _FIELDS if name in row}
        values["mode"] = cast(Mode, values["mode"])
        return DocumentJob(**values)

    def exists(self, job_id: str) -> bool:
        with reachable(self.connection):
            return bool(self.connection.exists(self.keys(job_id)[0]))

    def file(self, job_id: str, which: File) -> bytes | None:
        with reachable(self.connection):
            data = self.connection.get(self.keys(job_id)[_FILES.index(which)])
        return data.encode() if isinstance(data, str) else data

    def claim(self, job_id: str, worker: str) -> bool:
        """The queued job, now running on `worker`; False when it is gone or not queued."""
        now = time.time()
        fields = _pairs(state="running", started=now, updated=now, done=0, worker=worker)
        args = [json.dumps("queued"), *fields]
        with reachable(self.connection):
            return bool(self._claim(keys=self.keys(job_id)[:1], args=args))

    def progress(self, job_id: str, done: int, total: int) -> None:
        args = _pairs(done=done, total=total, updated=time.time())
        with reachable(self.connection):
            self._set(keys=self.keys(job_id)[:1], args=args)

    def publish(self, job_id: str, done: TranslatedDocument, report: bytes) -> bool:
        """The files and the state done, in one step; False when the job was deleted."""
        fields = _pairs(
            state="done",
            done=done.blocks,
            total=done.blocks,
            result_filename=done.filename,
            media_type=done.media_type,
            error=None,
            updated=time.time(),
        )
        args: list[str | bytes | int] = [KEEP_SECONDS, done.data, report, "1", *fields]
        with reachable(self.connection):
            return bool(self._finish(keys=self.keys(job_id), args=args))

    def fail(self, job_id: str, message: str) -> bool:
        fields = _pairs(state="failed", error=message, updated=time.time())
        args: list[str | int] = [KEEP_SECONDS, "", "", "0", *fields]
        with reachable(self.connection):
            return bool(self._finish(keys=self.keys(job_id), args=args))

    def delete(self, job_id: str) -> None:
        with reachable(self.connection):
            self.connection.delete(*self.keys(job_id))

    # --- the speed of the documents done, shared by every worker ---------------------------

    def rate(self) -> float | None:
        with reachable(self.connection):
            value = self.connection.get(RATE_KEY)
        return None if value is None else float(value)

    def learn(self, job: DocumentJob) -> None:
        if job.started is None or not job.characters:
            return
        rate = job.characters / max(time.time() - job.started, 1e-3)
        known = self.rate()
        mixed = rate if known is None else 0.7 * known + 0.3 * rate
        with reachable(self.connection):
            self.connection.set(RATE_KEY, repr(mixed), ex=KEEP_SECONDS)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RQDocumentJobs:
    """The DocumentQueue interface for the web server: job state and files in Redis, the
    work in RQ's queue `glossary-documents`, done by `glossary worker` processes elsewhere."""

    def __init__(self, service: TranslationService, limits: Limits | None = None) -> None:
        settings = service.settings
        self.service = service
        self.url = settings.queue_url
        self.limits = limits or Limits()
        self.connection = connect(self.url)
        self.store = RedisDocumentStore(self.connection)
        self.queue = Queue(QUEUE, connection=self.connection)
        self.timeout = int(settings.job_deadline) + TIMEOUT_GRACE

    def submit(
        self,
        owner: str,
        data: bytes,
        filename: str,
        source: str,
        target: str,
        glossaries: list[str] | None = None,
        mode: Mode = DEFAULT_MODE,
        content_type: str | None = None,
    ) -> DocumentJob:
        """Read here, in the request (refused before anything reaches Redis); then stored and
        queued, or Busy (429) past MAX_WAITING_JOBS, or QueueUnavailable (503)."""
        job = prepare(
            self.service,
            self.limits,
            owner,
            data,
            filename,
            source,
            target,
            glossaries,
            mode,
            content_type,
        )
        if glossaries is None:  # this server's defaults, by name, for a worker elsewhere
            chosen = self.service.glossaries_for(source, target)
            job.glossaries = [Path(g.path or g.name).stem for g in chosen]
        refuse_when_full(self.queue, "documents")
        self.store.create(job, data, self.limits)
        enqueue_or_forget(self.queue, work, job.id, self.timeout, failed, self.store.delete)
        return job

    def text_of(
        self, data: bytes, filename: str, content_type: str | None = None, chars: int = 4000
    ) -> str:
        return text_start(data, filename, content_type, self.limits, chars)

    def get(self, job_id: str) -> DocumentJob | None:
        return self.store.get(job_id) if valid_id(job_id) else None

    def result(self, job_id: str) -> bytes | None:
        """The translated file once the job is done; None before, or for no such job."""
        return self._done_file(job_id, "result")

    def report(self, job_id: str) -> dict[str, object] | None:
        """The term report (TranslatedDocument.report_dict()) once the job is done."""
        data = self._done_file(job_id, "report")
        if data is None:
            return None
        found: dict[str, object] = json.loads(data)
        return found

    def _done_file(self, job_id: str, which: File) -> bytes | None:
        job = self.get(job_id)
        return self.store.file(job_id, which) if job is not None and job.state == "done" else None

    def wait(
        self, job_id: str, timeout: float, gone: Callable[[], bool] | None = None
    ) -> DocumentJob:
        """As DocumentJobs.wait; polled, since another machine works the job."""
        end = time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job is None:
                raise NotFoundError(f"no document job {job_id!r}")
            left = end - time.monotonic()
            if job.state in FINISHED or left <= 0 or (gone is not None and gone()):
                return job
            time.sleep(min(left, POLL_SECONDS))

    def delete(self, job_id: str) -> None:
        """Forget the job and its files, and RQ's record of it unless a worker has it: one
        still queued leaves the queue, one running stops within one batch on its worker."""
        if not valid_id(job_id):
            return
        job = self.store.get(job_id)
        self.store.delete(job_id)
        with reachable(self.connection):
            if self.queue.remove(job_id):  # no worker took it: nobody writes its record again
                self.connection.delete(RQJob.key_for(job_id))
            elif job is not None and job.state in FINISHED:
                self._forget_failed(job_id)

    def _forget_failed(self, job_id: str) -> None:
        """RQ's record and result of an RQ job that failed (RQ keeps them for KEEP_SECONDS)."""
        with contextlib.suppress(NoSuchJobError):
            record = RQJob.fetch(job_id, connection=self.connection)
            Result.delete_all(record)
            record.delete()

    def seconds_remaining(self, job: DocumentJob) -> int | None:
        """The job's own estimate once blocks are done; before, the characters ahead of it
        (shared by the workers) and its own, at the speed of the documents done so far."""
        own = job.seconds_remaining()
        if own is not None or job.state in FINISHED:
            return own
        rate = self.store.rate()
        if rate is None:
            return None
        with reachable(self.connection):
            workers = max(1, Worker.count(connection=self.connection, queue=self.queue))
        return round(self._characters_ahead(job) / (rate * workers) + job.characters / rate)

    def _characters_ahead(self, job: DocumentJob) -> float:
        """What is left of the jobs queued or running that were submitted before this one."""
        with reachable(self.connection):
            # RQ job ids are the jobs' ids (some RQ 2.x add ":execution" in the registry)
            running = [i.split(":")[0] for i in self.queue.started_job_registry.get_job_ids()]
            pipe = self.connection.pipeline(transaction=False)
            for other in [*running, *self.queue.get_job_ids()]:
                pipe.hmget(self.store.keys(other)[0], "characters", "done", "total", "created")
            rows = pipe.execute()
        left = 0.0
        for row in rows:
            if None in row:  # deleted meanwhile
                continue
            characters, done, total, created = (json.loads(v) for v in row)
            if created < job.created:
                left += characters * (1 - done / total) if total else characters
        return left

    def start(self) -> None:
        """Nothing to start here: `glossary worker` processes work the queue. Says where the
        documents go, and warns (without failing) when the queue is unreachable."""
        try:
            with reachable(self.connection):
                self.connection.ping()
        except QueueUnavailable as exc:
            log.warning("documents: %s; uploads answer 503 until it can", exc)
            return
        log.info(
            "documents go to the RQ queue %r at %s; `glossary worker` processes work them",
            QUEUE,
            redacted(self.url),
        )


# --- what RQ workers run -----------------------------------------------------------------------


def work(job_id: str) -> None:
    """The RQ job: translate one queued document with this worker's service and publish its
    file and report, or mark it failed with the reason."""
    current = get_current_job()
    if current is not None:
        connection = current.connection
    else:  # called outside an RQ worker
        connection = connect(Settings.from_env().queue_url)
    store = RedisDocumentStore(connection)
    worker = (current.worker_name if current else None) or f"{socket.gethostname()}.{os.getpid()}"
    if not store.claim(job_id, worker):
        log.info("document job %s: deleted before %s took it", job_id, worker)
        return
    state = _work(worker_service(), store, job_id)
    log.info("document job %s: %s on %s", job_id, state, worker)


def _work(service: TranslationService, store: RedisDocumentStore, job_id: str) -> str:
    job, row, data = store.get(job_id), store.fields(job_id), store.file(job_id, "upload")
    if job is None or row is None or data is None:
        return "deleted"
    limits = Limits(**row.get("limits", {}))
    try:
        done = _translate(service, store, job, data, limits)
    except JobTimeoutException:
        raise  # RQ ends the job: its failure callback says why
    except GlossaryError as exc:
        return _failed(store, job_id, str(exc))
    except Exception as exc:  # the worker lives on for the next job
        log.exception("document job %s failed", job_id)
        return _failed(store, job_id, f"internal error: {type(exc).__name__}")
    report = json.dumps(done.report_dict(), ensure_ascii=False).encode("utf-8")
    largest = RESULT_FACTOR * limits.max_bytes
    if max(len(done.data), len(report)) > largest:
        return _failed(store, job_id, f"the translation is larger than {largest} bytes")
    store.learn(job)  # before it is done: whoever sees it done may ask for estimates
    return "done" if store.publish(job_id, done, report) else "deleted"


def _translate(
    service: TranslationService,
    store: RedisDocumentStore,
    job: DocumentJob,
    data: bytes,
    limits: Limits,
) -> TranslatedDocument:
    # One ticket for the whole document, as DocumentJobs gives: the job deadline, not counted
    # against requests in flight, and stopped when the job is deleted.
    with service.scheduler.admit(
        deadline=service.settings.job_deadline,
        counted=False,
        gone=lambda: not store.exists(job.id),
    ):
        return translate_document(
            service,
            data,
            job.filename,
            job.source,
            job.target,
            job.glossaries,
            job.mode,
            content_type=job.content_type,
            limits=limits,
            progress=lambda done, total: store.progress(job.id, done, total),
        )


def _failed(store: RedisDocumentStore, job_id: str, message: str) -> str:
    return "failed" if store.fail(job_id, message) else "deleted"


def failed(
    job: RQJob,
    connection: redis.Redis,
    kind: type[BaseException] | None,
    value: BaseException | None,
    traceback: TracebackType | None,
) -> None:
    """RQ's failure callback: the RQ job ended without `work` finishing the document (RQ's
    time limit, or the worker died and RQ found the job abandoned). Says so in the job."""
    store = RedisDocumentStore(connection)
    job_id = str(job.args[0]) if job.args else job.id
    found = store.get(job_id)
    if found is None or found.state in FINISHED:
        return
    name = kind.__name__ if kind else "unknown"
    reason = {
        "JobTimeoutException": "the document ran past its time limit and was stopped",
        "AbandonedJobError": "the worker working the document stopped",
        "SystemExit": "the worker working the document was stopped before it finished",
    }.get(name, name)
    store.fail(job_id, reason)
