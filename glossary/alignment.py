"""From subword tokens and attention to character spans and aligned target words."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np

from glossary.tokens import SPACE, wordy

Attention = Sequence[Sequence[float]]


def token_char_spans(text: str, tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Character span in `text` of each subword token. SentencePiece normalises (NFKC: '…' →
    '...'), so tokens are matched against a per-character NFKC view mapped back to `text`."""
    chars: list[tuple[str, int]] = []
    for index, char in enumerate(text):
        if not char.isspace():
            chars.extend((c, index) for c in unicodedata.normalize("NFKC", char) if c != " ")
    spans, cursor = [], 0
    for token in tokens:
        surface = token.replace(SPACE, "")
        if not surface or cursor >= len(chars):
            anchor = chars[min(cursor, len(chars) - 1)][1] if chars else 0
            spans.append((anchor, anchor))
            continue
        last = min(cursor + len(surface), len(chars)) - 1
        spans.append((chars[cursor][1], chars[last][1] + 1))
        cursor = last + 1
    return spans


def tokens_in_span(spans: Sequence[tuple[int, int]], start: int, end: int) -> list[int]:
    return [i for i, (a, b) in enumerate(spans) if a < end and b > start]


def expand_to_words(tokens: Sequence[str], first: int, last: int) -> tuple[int, int]:
    """[first, last] token range widened to whole words; returns a half-open range.
    Punctuation pieces glued to a word ("Pyongyang" + ".") are not part of it."""
    while first > 0 and not tokens[first].startswith(SPACE) and wordy(tokens[first - 1]):
        first -= 1
    end = last + 1
    while end < len(tokens) and not tokens[end].startswith(SPACE) and wordy(tokens[end]):
        end += 1
    return first, end


def aligned_range(
    tokens: Sequence[str], attention: Attention | np.ndarray, source_indices: Sequence[int]
) -> tuple[int, int] | None:
    """The contiguous run of target words that attend mostly to the given source tokens,
    grown from the single token attending most; None if nothing attends there. Pass the
    attention as an array when asking repeatedly about one hypothesis."""
    matrix = np.asarray(attention, dtype=np.float32)
    if not source_indices or matrix.ndim != 2 or matrix.size == 0:
        return None
    wanted = [j for j in source_indices if j < matrix.shape[1]]
    mass = matrix[:, wanted].sum(axis=1)
    aligned = (mass >= 0.5) | np.isin(matrix.argmax(axis=1), wanted)
    best = int(mass.argmax())
    if mass[best] <= 0.0:
        return None
    first = last = best
    while first > 0 and aligned[first - 1]:
        first -= 1
    while last + 1 < len(aligned) and aligned[last + 1]:
        last += 1
    return expand_to_words(tokens, first, last)
