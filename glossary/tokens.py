"""SentencePiece token conventions shared by the engines, the aligner and the enforcer."""

from __future__ import annotations

from collections.abc import Sequence

# SentencePiece marks a piece that begins a word with U+2581.
SPACE = "▁"


def join_pieces(tokens: Sequence[str]) -> str:
    """Text of a token sequence. Joining by hand (not the SentencePiece decoder) also renders
    pieces the vocabulary lacks, e.g. a forced prefix; it is how Argos detokenizes as well."""
    return "".join(tokens).replace(SPACE, " ").strip()


def wordy(token: str) -> bool:
    return any(c.isalnum() for c in token)
