"""The translation service as the web layer (and scripts) use it: engines, the glossary
directory and compiled matchers behind one object built from Settings."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from glossary.accounts import Accounts
from glossary.cache import DiskCache
from glossary.config import Settings
from glossary.enforce import DEFAULT_MODE, Mode
from glossary.engine import DecodeOptions
from glossary.engines import EngineRegistry
from glossary.errors import InputError
from glossary.glossaries import MatcherCache
from glossary.jobs import JobQueue, JobRunner, SQLiteJobStore
from glossary.owners import DefaultGlossaries, Owners
from glossary.pipeline import Pipeline, TranslationResult
from glossary.scheduled import scheduled
from glossary.scheduler import Scheduler
from glossary.store import GlossaryStore
from glossary.term import Glossary

if TYPE_CHECKING:
    from glossary.documents.jobs import DocumentQueue


class TranslationService:
    def __init__(
        self,
        settings: Settings,
        engines: EngineRegistry | None = None,
        store: GlossaryStore | None = None,
    ) -> None:
        self.settings = settings
        self.engines = engines or EngineRegistry(settings)
        # parsed glossaries and matchers' term buckets, kept across restarts (glossary/cache.py)
        self.cache = DiskCache(settings.state_dir / "cache")
        self.store = store or GlossaryStore(settings.terms_dir, cache=self.cache)
        self._matchers = MatcherCache(cache=self.cache)
        self.scheduler = Scheduler(
            max_requests=settings.max_requests,
            batch_tokens=settings.batch_tokens,
            batch_size=settings.batch_size,
            max_wait=settings.batch_wait_ms / 1000,
            deadline=settings.deadline,
            workers=settings.inter_threads,
        )
        self.accounts = Accounts.of(settings)
        self.owners = Owners.of(settings)
        self.defaults = DefaultGlossaries.of(settings)
        self._jobs: JobQueue | None = None
        self._jobs_lock = threading.Lock()
        self._documents: DocumentQueue | None = None

    def options(self, beam_size: int | None = None) -> DecodeOptions:
        return DecodeOptions(
            beam_size=beam_size or self.settings.beam_size,
            max_batch_size=self.settings.batch_size,
        )

    @property
    def jobs(self) -> JobQueue:
        """Where jobs go, built on first use: the RQ queue on Redis when GLOSSARY_QUEUE_URL
        is set (worked by `glossary worker` processes), else the embedded SQLite queue."""
        with self._jobs_lock:
            if self._jobs is None and self.settings.queue_url:
                from glossary.jobs_redis import RQJobQueue  # redis and rq only when used

                self._jobs = RQJobQueue(self)
            elif self._jobs is None:
                store = SQLiteJobStore(self.settings.state_dir / "jobs.sqlite3")
                self._jobs = JobRunner(self, store)
            return self._jobs

    @property
    def documents(self) -> DocumentQueue:
        """Document jobs, built on first use: on Redis when GLOSSARY_QUEUE_URL is set, worked
        by `glossary worker` processes (glossary/documents/jobs_redis.py), else in
        `<state_dir>/documents`, worked by this process (glossary/documents/jobs.py)."""
        # imported here: the document layer imports this module (and redis only when used)
        with self._jobs_lock:
            if self._documents is None and self.settings.queue_url:
                from glossary.documents.jobs_redis import RQDocumentJobs

                self._documents = RQDocumentJobs(self)
            elif self._documents is None:
                from glossary.documents.jobs import DocumentJobs

                self._documents = DocumentJobs(self, self.settings.state_dir / "documents")
            return self._documents

    def glossaries_for(
        self, source: str, target: str, names: Sequence[str] | None = None
    ) -> list[Glossary]:
        """The glossaries a request names (exactly those; an empty list is none), or, when it
        does not say (None), the default glossaries for the pair (see glossary.owners)."""
        if names is not None:
            chosen = [self.store.get(name) for name in names]
            for glossary in chosen:
                if (glossary.source_language, glossary.target_language) != (source, target):
                    raise InputError(
                        f"glossary {glossary.name!r} is {glossary.source_language}→"
                        f"{glossary.target_language}, not {source}→{target}"
                    )
            return chosen
        usable = {
            Path(g.path or g.name).stem: g
            for g in self.store.list()
            if (g.source_language, g.target_language) == (source, target)
        }
        return [usable[name] for name in self.defaults.chosen(sorted(usable))]

    def translate(
        self,
        text: str,
        source: str,
        target: str,
        glossaries: Sequence[str] | None = None,
        mode: Mode = DEFAULT_MODE,
    ) -> TranslationResult:
        chosen = self.glossaries_for(source, target, glossaries)
        return self.translate_with(text, source, target, chosen, mode)

    def translate_with(
        self,
        text: str,
        source: str,
        target: str,
        chosen: Sequence[Glossary],
        mode: Mode = DEFAULT_MODE,
    ) -> TranslationResult:
        """Translate with glossaries the caller has already resolved (see glossaries_for)."""
        if len(text) > self.settings.max_chars:
            raise InputError(
                f"text has {len(text)} characters; the limit is {self.settings.max_chars}"
            )
        pipeline = self.pipeline(source, target, chosen, mode)
        with self.scheduler.admit():
            return pipeline.translate(text)

    def pipeline(
        self,
        source: str,
        target: str,
        chosen: Sequence[Glossary],
        mode: Mode = DEFAULT_MODE,
        chunk_sentences: int = 256,
        beam_size: int | None = None,
    ) -> Pipeline:
        """A pipeline whose model calls go through the scheduler."""
        matcher = self._matchers.get(chosen) if chosen else None
        engine = scheduled(self.engines.get(source, target), self.scheduler)
        return Pipeline(
            engine,
            self.options(beam_size),
            chunk_sentences=chunk_sentences,
            matcher=matcher,
            mode=mode,
        )
