"""Document jobs: an uploaded file translated apart from the request that sent it, with
progress (blocks done out of total), the translated file and its term report once done.

One machine only: the jobs live in `<folder>/jobs.sqlite3`, and each job's upload, result and
report are files beside it (`<id>.upload`, `<id>.result`, `<id>.report.json`), each written
atomically, the result and report before the job is marked done, so nothing half-written is
ever served. A file is read (and refused, 400/413/415) in the request that sends it, before
anything is stored. Runner threads work the queue through
glossary.documents.translate.translate_document, admitted by the scheduler as text jobs are
(glossary.jobs.run_job). Finished jobs expire after glossary.jobs.KEEP_SECONDS; jobs a
previous process left running are queued again at start.

`DocumentQueue` is the interface the web layer uses; `DocumentJobs` here is the one-machine
implementation, glossary/documents/jobs_redis.py's `RQDocumentJobs` the one for workers on
several machines (GLOSSARY_QUEUE_URL). `prepare` and `text_start` are what both do in the
request, before anything is stored.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

from glossary.atomicwrite import atomic_write
from glossary.documents.model import Limits
from glossary.documents.translate import TranslatedDocument, read_document, translate_document
from glossary.enforce import DEFAULT_MODE, Mode
from glossary.errors import Busy, DocumentError, GlossaryError, NotFoundError
from glossary.jobs import FINISHED, KEEP_SECONDS, MAX_WAITING_JOBS, State, new_id
from glossary.service import TranslationService

log = logging.getLogger("glossary.documents.jobs")

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
SWEEP_SECONDS = 600.0  # how often an idle runner drops expired jobs


@dataclass
class DocumentJob:
    id: str
    owner: str
    filename: str
    format: str
    source: str
    target: str
    glossaries: list[str] | None
    mode: Mode
    state: State = "queued"
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    done: int = 0  # blocks translated
    total: int | None = None  # blocks in the document
    error: str | None = None
    result_filename: str | None = None
    media_type: str | None = None
    # beyond the shared interface: the DeepL document_key, what a job is billed, when it ran
    key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    characters: int = 0
    content_type: str | None = None
    started: float | None = None

    def seconds_remaining(self) -> int | None:
        """From the time the blocks done so far took; None before any is done."""
        if self.state in FINISHED:
            return 0
        if self.state != "running" or self.started is None or not self.done or not self.total:
            return None
        per_block = (time.time() - self.started) / self.done
        return max(0, round(per_block * (self.total - self.done)))

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "filename": self.filename,
            "format": self.format,
            "source": self.source,
            "target": self.target,
            "glossaries": self.glossaries,
            "mode": self.mode,
            "state": self.state,
            "created": self.created,
            "updated": self.updated,
            "done": self.done,
            "total": self.total,
            "seconds_remaining": self.seconds_remaining(),
            "error": self.error,
            "result_filename": self.result_filename,
            "media_type": self.media_type,
            "characters": self.characters,
        }


_SCHEMA = """
create table if not exists documents (
    id text primary key,
    owner text not null,
    key text not null,
    filename text not null,
    format text not null,
    content_type text,
    source text not null,
    target text not null,
    glossaries text,
    mode text not null,
    state text not null,
    created real not null,
    updated real not null,
    started real,
    done integer not null default 0,
    total integer,
    characters integer not null default 0,
    error text,
    result_filename text,
    media_type text
);
create index if not exists documents_state on documents (state, created);
"""
_COLUMNS = (
    "id owner key filename format content_type source target glossaries mode state created "
    "updated started done total characters error result_filename media_type"
).split()


class _Store:
    """The jobs table; each thread its own connection, WAL so the runner writes while
    requests read (as glossary.jobs.SQLiteJobStore)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._ready = False

    @contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("pragma journal_mode=wal")
            self._local.connection = connection
        if not self._ready:
            with self._lock:
                connection.executescript(_SCHEMA)
                self._ready = True
        yield connection

    def insert(self, job: DocumentJob) -> None:
        row = _row(job)
        marks = ", ".join("?" for _ in _COLUMNS)
        with self.db() as db:
            db.execute(f"insert into documents ({', '.join(_COLUMNS)}) values ({marks})", row)

    def get(self, job_id: str) -> DocumentJob | None:
        with self.db() as db:
            row = db.execute(
                f"select {', '.join(_COLUMNS)} from documents where id = ?", (job_id,)
            ).fetchone()
        return None if row is None else _job(row)

    def update(self, job_id: str, **values: Any) -> bool:
        """Set columns of a job; False when it is gone (deleted meanwhile)."""
        values["updated"] = time.time()
        sets = ", ".join(f"{name} = ?" for name in values)
        with self.db() as db:
            cursor = db.execute(
                f"update documents set {sets} where id = ?", (*values.values(), job_id)
            )
        return cursor.rowcount > 0

    def delete(self, job_id: str) -> None:
        with self.db() as db:
            db.execute("delete from documents where id = ?", (job_id,))

    def waiting(self) -> int:
        with self.db() as db:
            row = db.execute(
                "select count(*) from documents where state in ('queued', 'running')"
            ).fetchone()
        return int(row[0])

    def claim(self) -> str | None:
        """The oldest queued job, now running; None when there is none."""
        with self.db() as db:
            db.execute("begin immediate")
            row = db.execute(
                "select id from documents where state = 'queued' order by created limit 1"
            ).fetchone()
            if row is not None:
                now = time.time()
                db.execute(
                    "update documents set state = 'running', started = ?, updated = ?, "
                    "done = 0 where id = ?",
                    (now, now, row[0]),
                )
            db.execute("commit")
        return None if row is None else str(row[0])

    def characters_ahead(self, job: DocumentJob) -> float:
        """What is left to translate of the jobs before this one (queued or running)."""
        with self.db() as db:
            rows = db.execute(
                "select characters, done, total from documents "
                "where state in ('queued', 'running') and created < ? and id != ?",
                (job.created, job.id),
            ).fetchall()
        return float(sum(c * (1 - done / total) if total else c for c, done, total in rows))

    def requeue_running(self) -> int:
        with self.db() as db:
            return db.execute(
                "update documents set state = 'queued', done = 0 where state = 'running'"
            ).rowcount

    def expired(self, before: float) -> list[str]:
        with self.db() as db:
            rows = db.execute(
                "select id from documents where state in ('done', 'failed', 'cancelled') "
                "and updated < ?",
                (before,),
            ).fetchall()
        return [str(r[0]) for r in rows]


def _row(job: DocumentJob) -> tuple[Any, ...]:
    values = dict(vars(job))
    values["glossaries"] = None if job.glossaries is None else json.dumps(job.glossaries)
    return tuple(values[name] for name in _COLUMNS)


def _job(row: tuple[Any, ...]) -> DocumentJob:
    values = dict(zip(_COLUMNS, row, strict=True))
    if values["glossaries"] is not None:
        values["glossaries"] = json.loads(values["glossaries"])
    values["mode"] = cast(Mode, values["mode"])
    return DocumentJob(**values)


class DocumentQueue(Protocol):
    """Where document jobs are submitted and their state and files are read, whoever works
    them: this machine's runner threads (DocumentJobs) or `glossary worker`s (RQDocumentJobs)."""

    @property
    def limits(self) -> Limits: ...

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
        """The queued job; DocumentError (400/413/415) or an unknown glossary (404) before
        anything is stored or queued."""
        ...

    def text_of(
        self, data: bytes, filename: str, content_type: str | None = None, chars: int = 4000
    ) -> str: ...

    def seconds_remaining(self, job: DocumentJob) -> int | None: ...

    def get(self, job_id: str) -> DocumentJob | None: ...

    def result(self, job_id: str) -> bytes | None: ...

    def report(self, job_id: str) -> dict[str, object] | None: ...

    def wait(
        self, job_id: str, timeout: float, gone: Callable[[], bool] | None = None
    ) -> DocumentJob: ...

    def delete(self, job_id: str) -> None: ...

    def start(self) -> None: ...


def valid_id(job_id: str) -> bool:
    """Whether `job_id` could be a job's id (anything else is no job, without a look-up)."""
    return _ID.fullmatch(job_id) is not None


def prepare(
    service: TranslationService,
    limits: Limits,
    owner: str,
    data: bytes,
    filename: str,
    source: str,
    target: str,
    glossaries: list[str] | None,
    mode: Mode,
    content_type: str | None,
) -> DocumentJob:
    """A new queued job for the upload, read first: DocumentError (400/413/415) for a file
    that is refused, NotFoundError for an unknown glossary, before anything is stored."""
    name = _plain_name(filename)
    fmt, parsed = read_document(data, name, content_type, limits)
    service.glossaries_for(source, target, glossaries)
    return DocumentJob(
        id=new_id(),
        owner=owner,
        filename=name,
        format=fmt.name,
        source=source,
        target=target,
        glossaries=glossaries,
        mode=mode,
        total=len(parsed.blocks),
        characters=sum(len(block.text) for block in parsed.blocks),
        content_type=content_type,
    )


def text_start(
    data: bytes, filename: str, content_type: str | None, limits: Limits, chars: int = 4000
) -> str:
    """The start of a document's text (its first blocks), to tell its language by;
    DocumentError as `prepare` raises it."""
    _fmt, parsed = read_document(data, _plain_name(filename), content_type, limits)
    parts: list[str] = []
    size = 0
    for block in parsed.blocks:
        if size >= chars:
            break
        parts.append(block.text)
        size += len(block.text)
    return "\n\n".join(parts)[:chars]


class DocumentJobs:
    """Document jobs of one service: submit, watch, fetch the result, delete."""

    def __init__(
        self,
        service: TranslationService,
        folder: Path,
        threads: int = 1,
        limits: Limits | None = None,
    ) -> None:
        self.service, self.folder, self.threads = service, Path(folder), threads
        self.limits = limits or Limits()
        self._store = _Store(self.folder / "jobs.sqlite3")
        self._wake = threading.Event()
        self._finished = threading.Condition()
        self._started = False
        self._start_lock = threading.Lock()
        self._swept = 0.0
        self._rate: float | None = None  # characters a second, of the jobs done so far

    # --- asking -----------------------------------------------------------------------------

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
        """read_document() runs first, in the request: DocumentError (400/413/415) before
        anything is stored or queued; an unknown glossary (404) too."""
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
        self.start()
        waiting = self._store.waiting()
        if waiting >= MAX_WAITING_JOBS:
            raise Busy(f"{waiting} jobs are waiting; try again later", retry_after=30)
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(self._file(job.id, "upload"), data)
        self._store.insert(job)
        self._wake.set()
        return job

    def text_of(
        self, data: bytes, filename: str, content_type: str | None = None, chars: int = 4000
    ) -> str:
        """The start of a document's text (its first blocks), to tell its language by;
        DocumentError as `submit` raises it."""
        return text_start(data, filename, content_type, self.limits, chars)

    def seconds_remaining(self, job: DocumentJob) -> int | None:
        """The job's own estimate once blocks are done; before (queued, or just begun), the
        characters ahead of it and its own at the speed of the jobs this runner finished."""
        own = job.seconds_remaining()
        if own is not None or job.state in FINISHED or self._rate is None:
            return own
        left = self._store.characters_ahead(job) + job.characters
        return round(left / self._rate)

    def get(self, job_id: str) -> DocumentJob | None:
        return self._store.get(job_id) if valid_id(job_id) else None

    def result(self, job_id: str) -> bytes | None:
        """The translated file once the job is done; None before, or for no such job."""
        job = self.get(job_id)
        if job is None or job.state != "done":
            return None
        with contextlib.suppress(FileNotFoundError):
            return self._file(job_id, "result").read_bytes()
        return None

    def report(self, job_id: str) -> dict[str, object] | None:
        """The term report (TranslatedDocument.report_dict()) once the job is done."""
        job = self.get(job_id)
        if job is None or job.state != "done":
            return None
        with contextlib.suppress(FileNotFoundError):
            found: dict[str, object] = json.loads(self._file(job_id, "report.json").read_text())
            return found
        return None

    def wait(
        self, job_id: str, timeout: float, gone: Callable[[], bool] | None = None
    ) -> DocumentJob:
        """The job once finished, or as it is when `timeout` seconds have passed (or as soon
        as `gone()` says whoever waits has gone); NotFoundError when there is no such job
        (or it was deleted meanwhile)."""
        end = time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job is None:
                raise NotFoundError(f"no document job {job_id!r}")
            left = end - time.monotonic()
            if job.state in FINISHED or left <= 0 or (gone is not None and gone()):
                return job
            with self._finished:  # woken when a job finishes; polled for other processes
                self._finished.wait(min(left, 0.25))

    def delete(self, job_id: str) -> None:
        """Forget the job and its files; a running job stops within one batch."""
        if not valid_id(job_id):
            return
        self._store.delete(job_id)
        self._remove_files(job_id)

    # --- the runner -------------------------------------------------------------------------

    def start(self) -> None:
        """Begin working the queue (jobs a previous process left unfinished included)."""
        with self._start_lock:
            if self._started:
                return
            self._started = True
            again = self._store.requeue_running()
            if again:
                log.info("%d unfinished document jobs from before the restart are queued", again)
            self._sweep()
            for n in range(self.threads):
                threading.Thread(target=self._work, daemon=True, name=f"documents-{n}").start()

    def _work(self) -> None:
        while True:
            try:
                job_id = self._store.claim()
            except sqlite3.Error:  # a locked or broken table: the thread lives on
                log.exception("claiming a document job failed")
                job_id = None
            if job_id is None:
                if time.time() - self._swept > SWEEP_SECONDS:
                    with contextlib.suppress(OSError, sqlite3.Error):  # tried again later
                        self._sweep()
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            try:
                self.run(job_id)
            finally:
                with self._finished:
                    self._finished.notify_all()

    def run(self, job_id: str) -> None:
        """Work one claimed job to its end: done with its files written, or failed with the
        reason; a job deleted meanwhile leaves nothing behind."""
        job = self.get(job_id)
        if job is None:
            return
        try:
            self._publish(job_id, self._translate(job))
        except GlossaryError as exc:
            self._fail(job_id, str(exc))
        except Exception as exc:  # the runner thread lives on for the next job
            log.exception("document job %s failed", job_id)
            self._fail(job_id, f"internal error: {type(exc).__name__}")

    def _publish(self, job_id: str, done: TranslatedDocument) -> None:
        """The result and report written, then the job marked done: never the other way."""
        job = self.get(job_id)
        if job is None:
            return
        atomic_write(self._file(job_id, "result"), done.data)
        report = json.dumps(done.report_dict(), ensure_ascii=False).encode("utf-8")
        atomic_write(self._file(job_id, "report.json"), report)
        self._learn_speed(job)  # before it is done: whoever saw it done may ask for estimates
        finished = self._store.update(
            job_id,
            state="done",
            done=done.blocks,
            total=done.blocks,
            result_filename=done.filename,
            media_type=done.media_type,
        )
        if not finished:  # deleted while the files were written
            self._remove_files(job_id)

    def _learn_speed(self, job: DocumentJob) -> None:
        if job.started is not None and job.characters:
            rate = job.characters / max(time.time() - job.started, 1e-3)
            self._rate = rate if self._rate is None else 0.7 * self._rate + 0.3 * rate

    def _translate(self, job: DocumentJob) -> TranslatedDocument:
        data = self._file(job.id, "upload").read_bytes()

        def progress(done: int, total: int) -> None:
            self._store.update(job.id, done=done, total=total)

        # One ticket for the whole document, as a text job has: the job deadline, not
        # counted against requests in flight, and stopped when the job is deleted.
        with self.service.scheduler.admit(
            deadline=self.service.settings.job_deadline,
            counted=False,
            gone=lambda: self._store.get(job.id) is None,
        ):
            return translate_document(
                self.service,
                data,
                job.filename,
                job.source,
                job.target,
                job.glossaries,
                job.mode,
                content_type=job.content_type,
                limits=self.limits,
                progress=progress,
            )

    def _fail(self, job_id: str, message: str) -> None:
        self._store.update(job_id, state="failed", error=message)
        for suffix in ("result", "report.json"):  # nothing half-written stays
            with contextlib.suppress(OSError):
                self._file(job_id, suffix).unlink()

    def _sweep(self) -> None:
        self._swept = time.time()
        for job_id in self._store.expired(time.time() - KEEP_SECONDS):
            self.delete(job_id)

    def _file(self, job_id: str, suffix: str) -> Path:
        return self.folder / f"{job_id}.{suffix}"

    def _remove_files(self, job_id: str) -> None:
        for suffix in ("upload", "result", "report.json"):
            with contextlib.suppress(OSError):
                self._file(job_id, suffix).unlink()


def _plain_name(filename: str) -> str:
    """The file's own name, without any folder a client put before it."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in (".", ".."):
        raise DocumentError("the file has no name", http_status=400)
    return name
