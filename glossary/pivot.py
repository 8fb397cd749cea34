"""Translating through English when no direct package serves a pair (e.g. fr→de as fr→en→de)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from glossary.engine import DecodeOptions, Engine, Hypothesis
from glossary.errors import ContractError
from glossary.tokens import SPACE


def _char_spans(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Character spans of subword tokens in their whitespace-free concatenation."""
    spans, pos = [], 0
    for token in tokens:
        length = len(token.replace(SPACE, ""))
        spans.append((pos, pos + length))
        pos += length
    return spans


def _overlap(rows: Sequence[str], cols: Sequence[str]) -> np.ndarray:
    """Row-normalised character overlap between two tokenisations of the same text."""
    row_spans, col_spans = _char_spans(rows), _char_spans(cols)
    matrix = np.zeros((len(rows), len(cols)), dtype=np.float64)
    for i, (a0, a1) in enumerate(row_spans):
        for j, (b0, b1) in enumerate(col_spans):
            matrix[i, j] = max(0, min(a1, b1) - max(a0, b0))
    sums = matrix.sum(axis=1, keepdims=True)
    normalised: np.ndarray = np.divide(matrix, sums, out=np.zeros_like(matrix), where=sums > 0)
    return normalised


def compose_attention(first: Hypothesis, second: Hypothesis) -> tuple[tuple[float, ...], ...]:
    """Alignment of the final output to the original source: second-leg attention, mapped from
    its own tokenisation of the pivot text onto the first leg's, times first-leg attention."""
    if not first.attention or not second.attention:
        return ()
    a2 = np.asarray(second.attention, dtype=np.float64)
    a1 = np.asarray(first.attention, dtype=np.float64)
    bridge = _overlap(second.source_tokens, first.tokens)
    composed = a2 @ bridge @ a1
    return tuple(tuple(float(x) for x in row) for row in composed)


class PivotEngine:
    """Chains two engines; forced prefixes apply to the final (second) leg."""

    def __init__(self, first: Engine, second: Engine) -> None:
        if first.to_code != second.from_code:
            raise ContractError("pivot legs do not meet in one language")
        self.first, self.second = first, second
        self.from_code, self.to_code = first.from_code, second.to_code
        # The source goes to the first leg; the second gets its output, which is bounded by
        # DecodeOptions.max_length.
        self.max_source_tokens = first.max_source_tokens

    def encode_source(self, text: str) -> list[str]:
        return self.first.encode_source(text)

    def encode_target(self, text: str) -> list[str]:
        return self.second.encode_target(text)

    def detokenize(self, tokens: Sequence[str]) -> str:
        return self.second.detokenize(tokens)

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        pivots = self.first.translate_batch(sentences, None, options)
        finals = self.second.translate_batch([p.text for p in pivots], prefixes, options)
        return [
            Hypothesis(
                source_tokens=p.source_tokens,
                tokens=f.tokens,
                text=f.text,
                score=p.score + f.score,
                attention=compose_attention(p, f),
            )
            for p, f in zip(pivots, finals, strict=True)
        ]
