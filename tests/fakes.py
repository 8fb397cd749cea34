"""Fake engines with the real Engine interface, for tests where the model is beside the point."""

from __future__ import annotations

import re
from collections.abc import Sequence

from glossary.engine import DecodeOptions, Hypothesis

SPACE = "▁"
_TOKEN = re.compile(r"\w+|[^\w\s]")


def word_tokens(text: str) -> list[str]:
    """Whitespace-marked word tokens, SentencePiece style: '▁' before a word after a space."""
    tokens = []
    for match in _TOKEN.finditer(text):
        spaced = match.start() == 0 or text[match.start() - 1].isspace()
        tokens.append((SPACE if spaced else "") + match.group())
    return tokens


def join_tokens(tokens: Sequence[str]) -> str:
    return "".join(tokens).replace(SPACE, " ").strip()


def diagonal(rows: int, cols: int) -> tuple[tuple[float, ...], ...]:
    if cols == 0:
        return tuple(() for _ in range(rows))
    return tuple(
        tuple(1.0 if j == min(i, cols - 1) else 0.0 for j in range(cols)) for i in range(rows)
    )


class UppercaseEngine:
    """Fake: 'translates' by upper-casing each token; records the batches it was given."""

    def __init__(self, from_code: str = "de", to_code: str = "en") -> None:
        self.from_code, self.to_code = from_code, to_code
        self.batches: list[list[str]] = []

    def encode_target(self, text: str, *, sentence_start: bool = False) -> list[str]:
        return word_tokens(text)

    def detokenize(self, tokens: Sequence[str]) -> str:
        return join_tokens(tokens)

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        self.batches.append(list(sentences))
        out = []
        for i, sentence in enumerate(sentences):
            source = word_tokens(sentence)
            prefix = list(prefixes[i] or ()) if prefixes else []
            target = prefix + [t.upper() for t in source[len(prefix) :]]
            out.append(
                Hypothesis(
                    tuple(source), tuple(target), join_tokens(target), -1.0,
                    diagonal(len(target), len(source)),
                )
            )
        return out
