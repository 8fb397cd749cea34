"""The translation engine interface. The glossary layer needs more than text from an engine:
subword tokens, a score, attention for alignment, and forced target prefixes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Hypothesis:
    """One translated sentence. `attention[i][j]` is how much target token i attends to source
    token j; rows follow `tokens` (a forced prefix included) and columns `source_tokens`."""

    source_tokens: tuple[str, ...]
    tokens: tuple[str, ...]
    text: str
    score: float
    attention: tuple[tuple[float, ...], ...]


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

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        """One hypothesis per sentence. `prefixes[i]`, when given, are target subword tokens
        the i-th output must start with (see `encode_target`)."""
        ...

    def encode_target(self, text: str, *, sentence_start: bool = False) -> list[str]:
        """Subword tokens of a target-language phrase, as they would appear mid-sentence
        (or at the start when `sentence_start`)."""
        ...

    def detokenize(self, tokens: Sequence[str]) -> str:
        ...
