"""The translation engine interface. The glossary layer needs more than text from an engine:
subword tokens, a score, attention for alignment, and forced target prefixes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Hypothesis:
    """One translated sentence. `attention[i][j]` is how much target token i attends to source
    token j; rows follow `tokens` (a forced prefix included) and columns `source_tokens`."""

    source_tokens: tuple[str, ...]
    tokens: tuple[str, ...]
    text: str
    score: float
    attention: tuple[tuple[float, ...], ...]


# What an engine that cannot tell takes: CTranslate2's default maximum input length.
DEFAULT_MAX_SOURCE_TOKENS = 1024


@dataclass(frozen=True)
class DecodeOptions:
    beam_size: int = 4
    max_batch_size: int = 32
    # Decoding stops here even if the model never emits </s> (random test weights don't).
    length_ratio: float = 2.0
    length_extra: int = 10
    max_length: int = 512
    # Attention is only needed to align glossary terms; without a glossary it is extra work.
    return_attention: bool = True


class Engine(Protocol):
    """Translates batches of sentences of one language pair."""

    from_code: str
    to_code: str
    # The most source tokens (as encode_source counts them) one sentence may have; the
    # pipeline cuts longer sentences into pieces. CTranslate2Engine reads it from the model.
    max_source_tokens: int

    def encode_source(self, text: str) -> list[str]:
        """Subword tokens of a source sentence, as the model is given them."""
        ...

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        """One hypothesis per sentence. `prefixes[i]`, when given, are target subword tokens
        the i-th output must start with (see `encode_target`)."""
        ...

    def encode_target(self, text: str) -> list[str]:
        """Subword tokens of a target-language phrase, as they would appear mid-sentence."""
        ...

    def detokenize(self, tokens: Sequence[str]) -> str: ...


@dataclass(frozen=True)
class Continuation:
    """Target tokens after a forced prefix, and the model's log-probability of them."""

    tokens: tuple[str, ...]
    score: float


@runtime_checkable
class GuidedEngine(Engine, Protocol):
    """An engine that can also list n-best renderings, propose alternative continuations
    after a prefix, and score given translations: what fluent enforcement asks of a model.
    Engines without these still enforce, with less help from the model."""

    def nbest(
        self, sentences: Sequence[str], n: int, options: DecodeOptions | None = None
    ) -> list[list[str]]:
        """Up to n translations per sentence, best first."""
        ...

    def continuations(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str]],
        n: int,
        options: DecodeOptions | None = None,
    ) -> list[list[Continuation]]:
        """Per sentence, up to n continuations after its prefix, each starting with a different
        token, best first."""
        ...

    def score(self, sentences: Sequence[str], targets: Sequence[Sequence[str]]) -> list[float]:
        """Mean log-probability per target token of each given translation."""
        ...
