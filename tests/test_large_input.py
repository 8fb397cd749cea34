"""A 5 MB document streams through the pipeline chunk by chunk: translations (with their
attention matrices) are never all held at once. The fake engine stands in for speed; the
point here is the batching, not the wording."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Sequence

from glossary.engine import DecodeOptions, Hypothesis
from glossary.pipeline import Pipeline
from tests.fakes import UppercaseEngine

PARAGRAPH = "Der Kreml-Herrscher reist nach Pjöngjang. Waffen für Butter sind kein Deal!\n\n"
CHUNK = 256


class _CountingEngine(UppercaseEngine):
    """Counts how many hypotheses it made are still alive when it is asked for more."""

    def __init__(self) -> None:
        super().__init__()
        self.alive: weakref.WeakSet[Hypothesis] = weakref.WeakSet()
        self.most_alive = 0

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        gc.collect()
        self.most_alive = max(self.most_alive, len(self.alive))
        hyps = super().translate_batch(sentences, prefixes, options)
        self.batches.clear()
        self.alive.update(hyps)
        return hyps


def test_fake_engine_5mb_streams_in_bounded_chunks() -> None:
    text = PARAGRAPH * (5_000_000 // len(PARAGRAPH))
    engine = _CountingEngine()
    total, sentences = 0, 0
    for piece, results in Pipeline(engine, chunk_sentences=CHUNK).stream(text):
        total += len(piece)
        sentences += len(results)
        del results
    assert total == len(text)
    assert sentences == 2 * (5_000_000 // len(PARAGRAPH))
    assert engine.most_alive <= CHUNK
