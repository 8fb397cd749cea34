"""Jobs: long translations that run apart from the request that asked for them, with progress
(sentences done out of total), partial results as they are ready, and cancel.

A job's state lives in a `JobStore`: SQLite in the state folder for one machine (results
survive a restart until deleted or expired), or Redis when workers on several machines share
the queue (glossary/jobs_redis.py). `run_job` is the one way a job is worked, whoever runs
it: the embedded runner threads here, or an RQ worker.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

from glossary.enforce import DEFAULT_MODE, Mode
from glossary.errors import Busy, GlossaryError
from glossary.report import count_statuses

if TYPE_CHECKING:
    from glossary.service import TranslationService

log = logging.getLogger("glossary.jobs")

State = Literal["queued", "running", "done", "failed", "cancelled"]
STATES: tuple[State, ...] = get_args(State)
FINISHED: tuple[State, ...] = ("done", "failed", "cancelled")
KEEP_SECONDS = 24 * 3600  # a finished job's results are kept this long after it finished
PROGRESS_SENTENCES = 8  # sentences per step: how often progress and partial results appear
MAX_WAITING_JOBS = 1000  # queued or running; beyond this a new job is a 429


@dataclass(frozen=True)
class JobRequest:
    text: str
    source: str
    target: str
    glossaries: list[str] | None = None
    mode: Mode = DEFAULT_MODE


@dataclass
class Job:
    id: str
    owner: str
    request: JobRequest
    state: State = "queued"
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    total: int | None = None
    done: int = 0
    text: str = ""
    sentences: list[dict[str, Any]] = field(default_factory=list)
    terms: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    cancel: bool = False

    def to_dict(self, *, results: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "error": self.error,
            "source": self.request.source,
            "target": self.request.target,
        }
        if results:
            out |= {
                "text": self.text,
                "sentences": self.sentences,
                "terms": self.terms,
                "summary": count_statuses((t["status"], bool(t["forbidden"])) for t in self.terms),
            }
        return out


class JobStore(Protocol):
    def create(self, owner: str, request: JobRequest) -> Job: ...
    def get(self, job_id: str) -> Job | None: ...
    def start(self, job_id: str, total: int) -> None: ...
    def add(
        self, job_id: str, piece: str, sentences: list[dict[str, Any]], terms: list[dict[str, Any]]
    ) -> None: ...
    def finish(self, job_id: str, state: State, error: str | None = None) -> None: ...
    def request_cancel(self, job_id: str) -> None: ...
    def cancel_requested(self, job_id: str) -> bool: ...
    def delete(self, job_id: str) -> None: ...


def new_id() -> str:
    return secrets.token_urlsafe(16)


# --- working a job ---------------------------------------------------------------------------


def run_job(service: TranslationService, store: JobStore, job_id: str) -> None:
    """Work one job to its end: done, failed (with the reason) or cancelled. Cancelling is
    checked between batches (the scheduler's client probe) and between steps."""
    job = store.get(job_id)
    if job is None or job.state in FINISHED:
        return
    if job.cancel:
        store.finish(job_id, "cancelled")
        return
    request = job.request
    try:
        chosen = service.glossaries_for(request.source, request.target, request.glossaries)
        pipeline = service.pipeline(
            request.source, request.target, chosen, request.mode, chunk_sentences=PROGRESS_SENTENCES
        )
        store.start(job_id, len(pipeline.segments(request.text)))
        with service.scheduler.admit(
            deadline=service.settings.job_deadline,
            counted=False,
            gone=lambda: store.cancel_requested(job_id),
        ):
            for piece, results in pipeline.stream(request.text):
                sentences = [r.to_dict() for r in results]
                terms = [t.to_dict() for r in results for t in r.terms]
                store.add(job_id, piece, sentences, terms)
                if store.cancel_requested(job_id):
                    break
    except GlossaryError as exc:
        if store.cancel_requested(job_id):
            store.finish(job_id, "cancelled")
        else:
            store.finish(job_id, "failed", str(exc))
        return
    except Exception as exc:
        log.exception("job %s failed", job_id)
        store.finish(job_id, "failed", f"internal error: {type(exc).__name__}")
        return
    store.finish(job_id, "cancelled" if store.cancel_requested(job_id) else "done")


# --- SQLite, for one machine -----------------------------------------------------------------

_SCHEMA = """
create table if not exists jobs (
    id text primary key,
    owner text not null,
    request text not null,
    state text not null,
    created real not null,
    updated real not null,
    total integer,
    done integer not null default 0,
    text text not null default '',
    sentences text not null default '[]',
    terms text not null default '[]',
    error text,
    cancel integer not null default 0
);
create index if not exists jobs_state on jobs (state, created);
"""


class SQLiteJobStore:
    """Jobs in `<state_dir>/jobs.sqlite3`. Each thread gets its own connection; WAL lets the
    runner write while requests read."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._ready = False
        self._lock = threading.Lock()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("pragma journal_mode=wal")
            connection.execute("pragma synchronous=normal")
            self._local.connection = connection
        if not self._ready:
            with self._lock:
                connection.executescript(_SCHEMA)
                self._ready = True
        yield connection

    def create(self, owner: str, request: JobRequest) -> Job:
        job = Job(new_id(), owner, request)
        with self._db() as db:
            db.execute(
                "insert into jobs (id, owner, request, state, created, updated) "
                "values (?, ?, ?, 'queued', ?, ?)",
                (job.id, owner, json.dumps(asdict(request)), job.created, job.updated),
            )
        return job

    def get(self, job_id: str) -> Job | None:
        with self._db() as db:
            row = db.execute(
                "select id, owner, request, state, created, updated, total, done, "
                "text, sentences, terms, error, cancel from jobs where id = ?",
                (job_id,),
            ).fetchone()
        if row is None:
            return None
        return Job(
            row[0],
            row[1],
            JobRequest(**json.loads(row[2])),
            row[3],
            row[4],
            row[5],
            row[6],
            row[7],
            row[8],
            json.loads(row[9]),
            json.loads(row[10]),
            row[11],
            bool(row[12]),
        )

    def start(self, job_id: str, total: int) -> None:
        with self._db() as db:
            db.execute(
                "update jobs set state = 'running', total = ?, done = 0, text = '', "
                "sentences = '[]', terms = '[]', updated = ? where id = ?",
                (total, time.time(), job_id),
            )

    def add(
        self, job_id: str, piece: str, sentences: list[dict[str, Any]], terms: list[dict[str, Any]]
    ) -> None:
        with self._db() as db:
            db.execute("begin immediate")
            row = db.execute("select sentences, terms from jobs where id = ?", (job_id,)).fetchone()
            if row is None:
                db.execute("rollback")
                return
            db.execute(
                "update jobs set text = text || ?, sentences = ?, terms = ?, "
                "done = done + ?, updated = ? where id = ?",
                (
                    piece,
                    json.dumps(json.loads(row[0]) + sentences),
                    json.dumps(json.loads(row[1]) + terms),
                    len(sentences),
                    time.time(),
                    job_id,
                ),
            )
            db.execute("commit")

    def finish(self, job_id: str, state: State, error: str | None = None) -> None:
        with self._db() as db:
            db.execute(
                "update jobs set state = ?, error = ?, updated = ? where id = ?",
                (state, error, time.time(), job_id),
            )

    def request_cancel(self, job_id: str) -> None:
        with self._db() as db:
            db.execute(
                "update jobs set cancel = 1, updated = ? where id = ?", (time.time(), job_id)
            )

    def cancel_requested(self, job_id: str) -> bool:
        with self._db() as db:
            row = db.execute("select cancel from jobs where id = ?", (job_id,)).fetchone()
        return row is None or bool(row[0])  # a deleted job is cancelled too

    def delete(self, job_id: str) -> None:
        with self._db() as db:
            db.execute("delete from jobs where id = ?", (job_id,))

    # --- for the embedded runner ----------------------------------------------------------

    def waiting(self) -> int:
        with self._db() as db:
            row = db.execute(
                "select count(*) from jobs where state in ('queued', 'running')"
            ).fetchone()
        return int(row[0])

    def claim(self) -> str | None:
        """The oldest queued job, now marked running; None when there is none."""
        with self._db() as db:
            db.execute("begin immediate")
            row = db.execute(
                "select id from jobs where state = 'queued' order by created limit 1"
            ).fetchone()
            if row is not None:
                db.execute(
                    "update jobs set state = 'running', updated = ? where id = ?",
                    (time.time(), row[0]),
                )
            db.execute("commit")
        return None if row is None else str(row[0])

    def recover(self) -> int:
        """At start-up: jobs a previous process left running go back to the queue; finished
        jobs past their keeping time go."""
        with self._db() as db:
            moved = db.execute("update jobs set state = 'queued' where state = 'running'")
            db.execute(
                "delete from jobs where state in ('done', 'failed', 'cancelled') and updated < ?",
                (time.time() - KEEP_SECONDS,),
            )
            return moved.rowcount


class JobQueue(Protocol):
    """Where jobs are submitted and their state is read, whoever works them."""

    @property
    def store(self) -> JobStore: ...

    def submit(self, owner: str, request: JobRequest) -> Job: ...

    def start(self) -> None:
        """Begin working the queue (jobs left unfinished by a previous process included)."""


class JobRunner:
    """Threads that work the SQLite queue, started on first use."""

    def __init__(
        self, service: TranslationService, store: SQLiteJobStore, threads: int = 2
    ) -> None:
        self.service, self.store, self.threads = service, store, threads
        self._wake = threading.Event()
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            recovered = self.store.recover()
            if recovered:
                log.info("%d unfinished jobs from before the restart are queued again", recovered)
            for n in range(self.threads):
                threading.Thread(target=self._work, daemon=True, name=f"jobs-{n}").start()

    def submit(self, owner: str, request: JobRequest) -> Job:
        self.start()
        waiting = self.store.waiting()
        if waiting >= MAX_WAITING_JOBS:
            raise Busy(f"{waiting} jobs are waiting; try again later", retry_after=30)
        job = self.store.create(owner, request)
        self._wake.set()
        return job

    def _work(self) -> None:
        while True:
            job_id = self.store.claim()
            if job_id is None:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            run_job(self.service, self.store, job_id)
