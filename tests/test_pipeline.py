"""Documents through the pipeline: whitespace and paragraphs survive, offsets are exact,
batches are bounded. A fake engine stands in: the wording is beside the point here."""

from __future__ import annotations

import pytest

from glossary.engine import DecodeOptions
from glossary.pipeline import MAX_SEGMENT_CHARS, Pipeline, segments_of
from tests.fakes import UppercaseEngine

LAYOUTS = [
    "",
    "   \n\n  ",
    "Ein Satz.",
    "  Ein Satz.  Noch einer!\n",
    "Titel\n\nErster Absatz. Zweiter Satz.\n\n\nDritter Absatz.\n",
    "Zeile eins\nZeile zwei\n",
]


@pytest.mark.parametrize("text", LAYOUTS)
def test_fake_engine_layout_and_offsets_survive(text: str) -> None:
    result = Pipeline(UppercaseEngine()).translate(text)
    assert result.text == text.upper()
    for sentence in result.sentences:
        assert text[sentence.source_start : sentence.source_end] == sentence.source
        assert result.text[sentence.target_start : sentence.target_end] == sentence.target


def test_fake_engine_chunks_bound_the_batches() -> None:
    engine = UppercaseEngine()
    text = " ".join(f"Satz Nummer {i} ist kurz." for i in range(25))
    pieces = list(Pipeline(engine, DecodeOptions(), chunk_sentences=4).stream(text))
    assert max(len(batch) for batch in engine.batches) == 4
    assert len(pieces) == 7
    assert "".join(piece for piece, _ in pieces) == text.upper()


def test_overlong_line_is_cut_at_spaces() -> None:
    text = "wort " * 5000
    segments = segments_of(text, "de")
    assert len(segments) > 1
    assert all(len(s.text) <= MAX_SEGMENT_CHARS for s in segments)
    assert all(text[s.start : s.end] == s.text for s in segments)
    assert Pipeline(UppercaseEngine()).translate(text).text == text.upper()
