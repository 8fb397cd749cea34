"""One document through the engine: segment, translate in batches, put the text back together
with the original paragraph breaks and whitespace."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from glossary.engine import DecodeOptions, Engine, Hypothesis
from glossary.segment import Segment, split_sentences

# A "sentence" longer than this (a 100,000-character line) is cut at spaces so that one
# request cannot build a gigantic attention matrix.
MAX_SEGMENT_CHARS = 1000


@dataclass(frozen=True)
class SentenceResult:
    source_start: int
    source_end: int
    source: str
    target_start: int
    target_end: int
    target: str
    score: float
    hypothesis: Hypothesis = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "source": {"start": self.source_start, "end": self.source_end, "text": self.source},
            "target": {"start": self.target_start, "end": self.target_end, "text": self.target},
            "score": self.score,
        }


@dataclass(frozen=True)
class TranslationResult:
    text: str
    sentences: tuple[SentenceResult, ...]

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "sentences": [s.to_dict() for s in self.sentences]}


def _cut(segment: Segment, limit: int) -> Iterator[Segment]:
    text, offset = segment.text, segment.start
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        piece = text[:cut].rstrip()
        yield Segment(offset, offset + len(piece), piece, segment.paragraph)
        rest = text[cut:]
        offset += cut + (len(rest) - len(rest.lstrip()))
        text = rest.lstrip()
    if text:
        yield Segment(offset, offset + len(text), text, segment.paragraph)


def segments_of(text: str, language: str, limit: int = MAX_SEGMENT_CHARS) -> list[Segment]:
    return [piece for seg in split_sentences(text, language) for piece in _cut(seg, limit)]


class Pipeline:
    """Translates whole documents with one engine. `chunk_sentences` bounds how many sentences
    (and their attention matrices) are held at once when streaming."""

    def __init__(
        self,
        engine: Engine,
        options: DecodeOptions | None = None,
        chunk_sentences: int = 256,
    ) -> None:
        self.engine = engine
        self.options = options or DecodeOptions()
        self.chunk_sentences = chunk_sentences

    def translate(self, text: str) -> TranslationResult:
        pieces: list[str] = []
        sentences: list[SentenceResult] = []
        for piece, results in self.stream(text):
            pieces.append(piece)
            sentences.extend(results)
        return TranslationResult("".join(pieces), tuple(sentences))

    def stream(self, text: str) -> Iterator[tuple[str, list[SentenceResult]]]:
        """Yields (output text piece, sentences in it) chunk by chunk; the pieces concatenate to
        the whole translation and target offsets refer to that whole."""
        segments = segments_of(text, self.engine.from_code)
        if not segments:
            yield text, []
            return
        cursor, out_len = 0, 0
        for begin in range(0, len(segments), self.chunk_sentences):
            chunk = segments[begin : begin + self.chunk_sentences]
            hypotheses = self.engine.translate_batch([s.text for s in chunk], None, self.options)
            piece, results = self._assemble(text, chunk, hypotheses, cursor, out_len)
            cursor = chunk[-1].end
            out_len += len(piece)
            if begin + self.chunk_sentences >= len(segments):
                piece += text[cursor:]
            yield piece, results

    @staticmethod
    def _assemble(
        text: str,
        chunk: Sequence[Segment],
        hypotheses: Sequence[Hypothesis],
        cursor: int,
        out_len: int,
    ) -> tuple[str, list[SentenceResult]]:
        parts: list[str] = []
        results: list[SentenceResult] = []
        length = out_len
        for segment, hyp in zip(chunk, hypotheses, strict=True):
            gap = text[cursor : segment.start]
            parts.extend((gap, hyp.text))
            start = length + len(gap)
            length = start + len(hyp.text)
            results.append(
                SentenceResult(
                    segment.start, segment.end, segment.text,
                    start, length, hyp.text, hyp.score, hyp,
                )
            )
            cursor = segment.end
        return "".join(parts), results
