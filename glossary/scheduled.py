"""An engine whose model calls go through the scheduler: the same interface as the engine it
wraps, each call cut into per-sentence items that the scheduler batches with other requests'
items for the same engine and the same options. Tokenizing stays in the caller's thread."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from glossary.engine import Continuation, DecodeOptions, Engine, GuidedEngine, Hypothesis
from glossary.errors import ContractError
from glossary.scheduler import Scheduler


class ScheduledEngine:
    def __init__(self, inner: Engine, scheduler: Scheduler) -> None:
        self.inner = inner
        self.scheduler = scheduler
        self.from_code = inner.from_code
        self.to_code = inner.to_code
        self.max_source_tokens = inner.max_source_tokens

    def encode_source(self, text: str) -> list[str]:
        return self.inner.encode_source(text)

    def encode_target(self, text: str) -> list[str]:
        return self.inner.encode_target(text)

    def detokenize(self, tokens: Sequence[str]) -> str:
        return self.inner.detokenize(tokens)

    def _cost(self, sentences: Sequence[str]) -> list[int]:
        return [max(1, len(self.inner.encode_source(s))) for s in sentences]

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        options = options or DecodeOptions()
        wanted = list(prefixes) if prefixes is not None else [None] * len(sentences)
        if len(wanted) != len(sentences):
            raise ContractError("prefixes must be as many as sentences")

        def unit(items: list[Any]) -> list[Hypothesis]:
            return self.inner.translate_batch([s for s, _ in items], [p for _, p in items], options)

        return self.scheduler.submit(
            ("translate", id(self.inner), options),
            unit,
            list(zip(sentences, wanted, strict=True)),
            self._cost(sentences),
        )

    # -- GuidedEngine, when the wrapped engine is one ------------------------------------------

    def _guided(self) -> GuidedEngine:
        assert isinstance(self.inner, GuidedEngine)
        return self.inner

    def nbest(
        self, sentences: Sequence[str], n: int, options: DecodeOptions | None = None
    ) -> list[list[str]]:
        def unit(items: list[Any]) -> list[list[str]]:
            return self._guided().nbest(items, n, options)

        return self.scheduler.submit(
            ("nbest", id(self.inner), n, options), unit, list(sentences), self._cost(sentences)
        )

    def continuations(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str]],
        n: int,
        options: DecodeOptions | None = None,
    ) -> list[list[Continuation]]:
        def unit(items: list[Any]) -> list[list[Continuation]]:
            return self._guided().continuations(
                [s for s, _ in items], [p for _, p in items], n, options
            )

        return self.scheduler.submit(
            ("continuations", id(self.inner), n, options),
            unit,
            list(zip(sentences, prefixes, strict=True)),
            self._cost(sentences),
        )

    def score(self, sentences: Sequence[str], targets: Sequence[Sequence[str]]) -> list[float]:
        def unit(items: list[Any]) -> list[float]:
            return self._guided().score([s for s, _ in items], [t for _, t in items])

        return self.scheduler.submit(
            ("score", id(self.inner)),
            unit,
            list(zip(sentences, targets, strict=True)),
            self._cost(sentences),
        )


def scheduled(engine: Engine, scheduler: Scheduler) -> Engine:
    """The engine behind the scheduler; a guided engine stays guided (isinstance checks in
    the enforcer decide on that)."""
    if isinstance(engine, GuidedEngine):
        return ScheduledEngine(engine, scheduler)
    return _Plain(engine, scheduler)


class _Plain(ScheduledEngine):
    """For engines without the guided methods: `isinstance(x, GuidedEngine)` must be False."""

    nbest = None  # type: ignore[assignment]
    continuations = None  # type: ignore[assignment]
    score = None  # type: ignore[assignment]
