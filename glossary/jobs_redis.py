"""Jobs on Redis, for workers on several machines: the same jobs API as the embedded SQLite
queue (glossary/jobs.py), with job state in Redis and the work queued with RQ.

The web server (`GLOSSARY_QUEUE_URL=redis://HOST:6379/0 glossary serve`) creates a job's state
and enqueues the RQ job `glossary.jobs_redis.work(job_id)` on the queue named `glossary`; any
number of `glossary worker` processes, on any machines that share the terms folder and have
the model installed, take jobs from it one at a time and work them with `run_job`, exactly as
the embedded runner does. A job that names no glossaries is given the web server's defaults by
name when it is submitted, so workers need no state folder of their own.

Keys, per job (the `{id}` hash tag keeps them in one Redis Cluster slot):

- `glossary:job:{id}` — a hash: owner, request (JSON), state, created, updated, total, done,
  error (absent: none), cancel ("0"/"1"), worker (the RQ worker working it);
- `glossary:job:{id}:text` — the English so far (APPEND);
- `glossary:job:{id}:sentences`, `glossary:job:{id}:terms` — lists of JSON objects (RPUSH).

Every write after `create` is one Lua script that first checks that the hash still exists, so
a step of a job that was deleted meanwhile never brings it back, and a reader never sees text
without its sentences; `get` reads all four keys in one MULTI. A finished job's keys expire
KEEP_SECONDS after it finished; a job whose worker died or overran the RQ time limit is marked
failed by RQ's failure callback (`failed`).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Callback, Queue, SimpleWorker, get_current_job
from rq.job import Job as RQJob

from glossary.config import Settings
from glossary.errors import Busy, InputError, QueueUnavailable
from glossary.jobs import (
    FINISHED,
    KEEP_SECONDS,
    MAX_WAITING_JOBS,
    Job,
    JobRequest,
    State,
    new_id,
    run_job,
)
from glossary.service import TranslationService

log = logging.getLogger("glossary.jobs")

QUEUE = "glossary"  # the RQ queue's name: other RQ users of the same Redis are not disturbed
PREFIX = "glossary:job:"
# RQ's own time limit is a backstop behind the job's deadline (checked between batches by the
# scheduler, which ends the job cleanly as failed): it only fires on a job stuck in one call.
TIMEOUT_GRACE = 60


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + host))


def connect(url: str, *, socket_timeout: float | None = 10) -> redis.Redis:
    """A client for the queue at `url` (bytes replies, as RQ needs); nothing is sent yet."""
    try:
        client: redis.Redis = redis.Redis.from_url(
            url, socket_connect_timeout=5, socket_timeout=socket_timeout
        )
        return client
    except ValueError as exc:
        raise InputError(
            f"GLOSSARY_QUEUE_URL={redacted(url)!r} is not a Redis URL: {exc}"
        ) from None


def _where(connection: redis.Redis) -> str:
    kwargs = connection.connection_pool.connection_kwargs
    return f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"


@contextmanager
def reachable(connection: redis.Redis) -> Iterator[None]:
    """Redis being down is the operator's problem, said as such (503 / exit code 2)."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise QueueUnavailable(
            f"the job queue at {_where(connection)} cannot be reached: {exc}"
        ) from None


def refuse_when_full(queue: Queue, what: str) -> None:
    """Busy (429) when MAX_WAITING_JOBS of the queue's jobs are queued or running."""
    with reachable(queue.connection):
        waiting = queue.count + queue.started_job_registry.count
    if waiting >= MAX_WAITING_JOBS:
        raise Busy(f"{waiting} {what} are waiting; try again later", retry_after=30)


def enqueue_or_forget(
    queue: Queue,
    work: Callable[[str], None],
    job_id: str,
    timeout: int,
    on_failure: Callable[..., None],
    forget: Callable[[str], None],
) -> None:
    """`work(job_id)` queued as the RQ job `job_id`, its failure reported to `on_failure`;
    a job whose state was stored but that could not be queued is forgotten again."""
    try:
        with reachable(queue.connection):
            queue.enqueue(
                work,
                job_id,
                job_id=job_id,
                job_timeout=timeout,
                result_ttl=0,
                failure_ttl=KEEP_SECONDS,
                on_failure=Callback(on_failure),
            )
    except BaseException:
        forget(job_id)
        raise


# Each script first checks that the job's hash exists: a deleted job stays deleted.
# KEYS: hash, text, sentences, terms.
_ADD = """
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('append', KEYS[2], ARGV[1])
local n = tonumber(ARGV[3])
for i = 4, 3 + n do redis.call('rpush', KEYS[3], ARGV[i]) end
for i = 4 + n, #ARGV do redis.call('rpush', KEYS[4], ARGV[i]) end
redis.call('hincrby', KEYS[1], 'done', n)
redis.call('hset', KEYS[1], 'updated', ARGV[2])
return 1
"""
_START = """
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('del', KEYS[2], KEYS[3], KEYS[4])
redis.call('hset', KEYS[1], 'state', 'running', 'total', ARGV[1], 'done', 0, 'updated', ARGV[2])
return 1
"""
_FINISH = """
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('hset', KEYS[1], 'state', ARGV[1], 'updated', ARGV[2])
if ARGV[4] == '1' then
    redis.call('hset', KEYS[1], 'error', ARGV[5])
else
    redis.call('hdel', KEYS[1], 'error')
end
for i = 1, #KEYS do redis.call('expire', KEYS[i], ARGV[3]) end
return 1
"""
_SET = """
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2], 'updated', ARGV[3])
return 1
"""


class RedisJobStore:
    """The JobStore protocol on Redis (see the module's docstring for the keys)."""

    def __init__(self, connection: redis.Redis) -> None:
        self.connection = connection
        self._add = connection.register_script(_ADD)
        self._start = connection.register_script(_START)
        self._finish = connection.register_script(_FINISH)
        self._set = connection.register_script(_SET)

    @staticmethod
    def keys(job_id: str) -> list[str]:
        base = f"{PREFIX}{{{job_id}}}"
        return [base, f"{base}:text", f"{base}:sentences", f"{base}:terms"]

    def create(self, owner: str, request: JobRequest) -> Job:
        job = Job(new_id(), owner, request)
        with reachable(self.connection):
            self.connection.hset(
                self.keys(job.id)[0],
                mapping={
                    "owner": owner,
                    "request": json.dumps(asdict(request)),
                    "state": job.state,
                    "created": repr(job.created),
                    "updated": repr(job.updated),
                    "total": "",
                    "done": 0,
                    "cancel": 0,
                },
            )
        return job

    def get(self, job_id: str) -> Job | None:
        main, text, sentences, terms = self.keys(job_id)
        with reachable(self.connection):
            pipe = self.connection.pipeline(transaction=True)  # one consistent snapshot
            pipe.hgetall(main)
            pipe.get(text)
            pipe.lrange(sentences, 0, -1)
            pipe.lrange(terms, 0, -1)
            fields, piece, sentence_list, term_list = pipe.execute()
        if not fields:
            return None
        row = {k.decode(): v.decode() for k, v in fields.items()}
        return Job(
            job_id,
            row["owner"],
            JobRequest(**json.loads(row["request"])),
            _state(row["state"]),
            float(row["created"]),
            float(row["updated"]),
            int(row["total"]) if row.get("total") else None,
            int(row.get("done", 0)),
            (piece or b"").decode(),
            [json.loads(s) for s in sentence_list],
            [json.loads(t) for t in term_list],
            row.get("error"),
            row.get("cancel") == "1",
        )

    def start(self, job_id: str, total: int) -> None:
        with reachable(self.connection):
            self._start(keys=self.keys(job_id), args=[total, repr(time.time())])

    def add(
        self, job_id: str, piece: str, sentences: list[dict[str, Any]], terms: list[dict[str, Any]]
    ) -> None:
        args: list[str | int] = [
            piece,
            repr(time.time()),
            len(sentences),
            *map(json.dumps, sentences),
            *map(json.dumps, terms),
        ]
        with reachable(self.connection):
            self._add(keys=self.keys(job_id), args=args)

    def finish(self, job_id: str, state: State, error: str | None = None) -> None:
        args: list[str | int] = [
            state,
            repr(time.time()),
            KEEP_SECONDS,
            "0" if error is None else "1",
            error or "",
        ]
        with reachable(self.connection):
            self._finish(keys=self.keys(job_id), args=args)

    def request_cancel(self, job_id: str) -> None:
        with reachable(self.connection):
            self._set(keys=self.keys(job_id)[:1], args=["cancel", 1, repr(time.time())])

    def cancel_requested(self, job_id: str) -> bool:
        with reachable(self.connection):
            flag = self.connection.hget(self.keys(job_id)[0], "cancel")
        return flag is None or _text(flag) == "1"  # a deleted job is cancelled too

    def delete(self, job_id: str) -> None:
        with reachable(self.connection):
            self.connection.delete(*self.keys(job_id))

    # --- beyond the protocol ------------------------------------------------------------------

    def assign(self, job_id: str, worker: str) -> None:
        """Note which worker works the job (for operators and the tests)."""
        with reachable(self.connection):
            self._set(keys=self.keys(job_id)[:1], args=["worker", worker, repr(time.time())])

    def worker_of(self, job_id: str) -> str | None:
        with reachable(self.connection):
            name = self.connection.hget(self.keys(job_id)[0], "worker")
        return None if name is None else _text(name)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _state(value: str) -> State:
    states: dict[str, State] = {
        "queued": "queued",
        "running": "running",
        "done": "done",
        "failed": "failed",
        "cancelled": "cancelled",
    }
    return states[value]


class RQJobQueue:
    """The JobQueue protocol for the web server: job state in Redis, the work in RQ's queue
    `glossary`, done by `glossary worker` processes elsewhere."""

    def __init__(self, service: TranslationService) -> None:
        settings = service.settings
        self.service = service
        self.url = settings.queue_url
        self.connection = connect(self.url)
        self._store = RedisJobStore(self.connection)
        self.queue = Queue(QUEUE, connection=self.connection)
        self.timeout = int(settings.job_deadline) + TIMEOUT_GRACE

    @property
    def store(self) -> RedisJobStore:
        return self._store

    def submit(self, owner: str, request: JobRequest) -> Job:
        if request.glossaries is None:
            # The default glossaries are this server's (its state folder), as they are now:
            # the job names them, so a worker elsewhere uses exactly these.
            chosen = self.service.glossaries_for(request.source, request.target)
            request = replace(request, glossaries=[Path(g.path or g.name).stem for g in chosen])
        refuse_when_full(self.queue, "jobs")
        job = self._store.create(owner, request)
        enqueue_or_forget(self.queue, work, job.id, self.timeout, failed, self._store.delete)
        return job

    def start(self) -> None:
        """Nothing to start here: `glossary worker` processes work the queue. Says where jobs
        go, and warns (without failing: translating needs no queue) when it is unreachable."""
        try:
            with reachable(self.connection):
                self.connection.ping()
        except QueueUnavailable as exc:
            log.warning("jobs: %s; POST /api/jobs answers 503 until it can", exc)
            return
        log.info(
            "jobs go to the RQ queue %r at %s; `glossary worker` processes work them",
            QUEUE,
            redacted(self.url),
        )


# --- what RQ workers run -----------------------------------------------------------------------

_service: TranslationService | None = None
_service_lock = threading.Lock()


def worker_service(settings: Settings | None = None) -> TranslationService:
    """This worker process's TranslationService (models, glossaries, scheduler), built once:
    from `settings` when `glossary worker` starts, else from the environment on the first job."""
    global _service
    with _service_lock:
        if _service is None:
            _service = TranslationService(settings or Settings.from_env())
        return _service


def work(job_id: str) -> None:
    """The RQ job: work one job to its end with this process's service. RQ gives the Redis
    connection the job came from, so its state is read and written there."""
    current = get_current_job()
    if current is not None:
        store = RedisJobStore(current.connection)
    else:  # called outside an RQ worker
        store = RedisJobStore(connect(Settings.from_env().queue_url))
    worker = current.worker_name if current and current.worker_name else _worker_name()
    store.assign(job_id, worker)
    run_job(worker_service(), store, job_id)
    job = store.get(job_id)
    if job is None:
        log.info("job %s: deleted on %s (stopped)", job_id, worker)
    else:
        log.info(
            "job %s: %s on %s, %d of %s sentences", job_id, job.state, worker, job.done, job.total
        )


def failed(
    job: RQJob,
    connection: redis.Redis,
    kind: type[BaseException] | None,
    value: BaseException | None,
    traceback: TracebackType | None,
) -> None:
    """RQ's failure callback: the RQ job ended without `run_job` finishing it (RQ's time limit,
    the worker died and RQ found the job abandoned, or a cold shutdown of a worker: a second
    SIGTERM while it worked the job). Says so in the job."""
    store = RedisJobStore(connection)
    job_id = str(job.args[0]) if job.args else job.id
    found = store.get(job_id)
    if found is None or found.state in FINISHED:
        return
    name = kind.__name__ if kind else "unknown"
    reason = {
        "JobTimeoutException": "the job ran past its time limit and was stopped",
        "AbandonedJobError": "the worker working the job stopped",
        "SystemExit": "the worker working the job was stopped before it finished",
    }.get(name, name)
    store.finish(
        job_id, "cancelled" if found.cancel else "failed", None if found.cancel else reason
    )


def _worker_name() -> str:
    # Host and pid say where the worker runs; the suffix keeps a restarted container (same
    # host name, same pid 1) from colliding with its own predecessor's registration.
    return f"{socket.gethostname()}.{os.getpid()}.{secrets.token_hex(2)}"


class GlossaryWorker(SimpleWorker):
    """RQ's SimpleWorker (jobs in this process, the model loaded once) that stops promptly.

    RQ listens for its commands (`rq` CLI: shutdown, kill-horse) on a pub/sub thread whose
    every wait lasts up to `sleep_time`, 60 s in RQ. At exit RQ unsubscribes, so the thread
    waits those 60 s for a subscription, and then joins it with no time limit (redis-py 8's
    `PubSubWorkerThread.stop`): an idle worker took a minute to exit after SIGTERM, past a
    supervisor's kill timeout. Waking every COMMAND_POLL seconds bounds that wait; the thread
    only polls its socket, so nothing more is sent to Redis. Shutdown itself is RQ's: on
    SIGTERM/SIGINT a job in progress is finished first (warm), and a second signal stops it
    (cold)."""

    COMMAND_POLL = 0.5
    cold = False  # stopped by a second signal while it worked a job

    def subscribe(self) -> None:
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        pubsub = self.connection.pubsub()
        pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub = pubsub
        # RQ's attribute is inferred as None; RQ itself stores this same thread in it.
        self.pubsub_thread = pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=self.COMMAND_POLL,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,
        )

    def request_force_stop(self, signum: int, frame: FrameType | None) -> None:
        # RQ raises SystemExit in the job (the failure callback says so in it), then ends
        # its loop; run_worker leaves without waiting for the model's batch in flight. A
        # signal RQ ignores (a second within a second of the first) changes nothing.
        try:
            super().request_force_stop(signum, frame)
        except SystemExit:
            self.cold = True
            raise


def run_worker(settings: Settings, *, burst: bool = False, queues: Sequence[str] = (QUEUE,)) -> int:
    """`glossary worker`: an RQ worker on the queue `glossary` at GLOSSARY_QUEUE_URL (and any
    other `queues`, taken in their order). It works one job at a time in this process (RQ's
    SimpleWorker: the model is loaded once, not once per job); run N of them, on as many
    machines, for N jobs at once. SIGTERM or SIGINT stops it once the job in progress is
    finished (at once when idle), a second one at once."""
    if not settings.queue_url:
        raise InputError(
            "GLOSSARY_QUEUE_URL is not set: set it to the Redis the web server "
            "queues jobs on, e.g. GLOSSARY_QUEUE_URL=redis://HOST:6379/0"
        )
    connection = connect(settings.queue_url, socket_timeout=None)
    try:
        connection.ping()
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise QueueUnavailable(
            f"cannot reach the job queue at {redacted(settings.queue_url)} "
            f"(GLOSSARY_QUEUE_URL): {exc}"
        ) from None
    worker_service(settings)
    worker = GlossaryWorker(
        [Queue(name, connection=connection) for name in queues],
        connection=connection,
        name=_worker_name(),
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    log.info(
        "worker %s: jobs from the queues %s at %s, glossaries from %s",
        worker.name,
        ", ".join(map(repr, queues)),
        redacted(settings.queue_url),
        settings.terms_dir,
    )
    try:
        worker.work(burst=burst, logging_level="INFO")
    finally:
        if worker.cold:
            _leave_now()
    return 0


def _leave_now() -> NoReturn:
    """End the process without finalizing the interpreter, after a cold shutdown. The job is
    failed and the worker's death registered by then; only the batch the job was waiting for
    may still run in CTranslate2's threads, and finalizing under them aborts the process
    (std::terminate, SIGABRT). Cold means now: written caches and logs first, nothing else."""
    worker_service().cache.flush()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
