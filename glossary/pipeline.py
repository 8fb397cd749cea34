"""One document through the engine: segment, translate in batches, put the text back together
with the original paragraph breaks and whitespace."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from glossary.enforce import Enforcer, Mode, required_form
from glossary.engine import DecodeOptions, Engine, Hypothesis
from glossary.match import Occurrence, TermMatcher
from glossary.report import TermReport, summarize
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
    terms: tuple[TermReport, ...] = ()

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

    @property
    def terms(self) -> list[TermReport]:
        return [t for s in self.sentences for t in s.terms]

    def to_dict(self) -> dict[str, object]:
        terms = self.terms
        return {
            "text": self.text,
            "sentences": [s.to_dict() for s in self.sentences],
            "terms": [t.to_dict() for t in terms],
            "summary": summarize(terms),
        }


def _by_segment(
    segments: Sequence[Segment], occurrences: Sequence[Occurrence]
) -> tuple[list[list[Occurrence]], list[list[Occurrence]]]:
    """Occurrences per segment, made segment-relative; and those that cross a boundary,
    listed under the segment where they start."""
    inside: list[list[Occurrence]] = [[] for _ in segments]
    crossing: list[list[Occurrence]] = [[] for _ in segments]
    starts = [s.start for s in segments]
    for occ in occurrences:
        index = bisect.bisect_right(starts, occ.start) - 1
        if index < 0:
            continue
        seg = segments[index]
        if occ.end <= seg.end:
            inside[index].append(replace(occ, start=occ.start - seg.start, end=occ.end - seg.start))
        else:
            crossing[index].append(occ)
    return inside, crossing


def _crossing_report(occ: Occurrence) -> TermReport:
    return TermReport(
        occ.start, occ.end, occ.text, occ.term, required_form(occ), "missed",
        reason="the term crosses a sentence boundary", plural=occ.plural,
    )


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
        matcher: TermMatcher | None = None,
        mode: Mode = "constrain",
    ) -> None:
        self.engine = engine
        options = options or DecodeOptions()
        self.options = options if matcher else replace(options, return_attention=False)
        self.chunk_sentences = chunk_sentences
        self.matcher = matcher
        self.enforcer = Enforcer(engine, self.options, mode)

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
        found = self.matcher.find(text) if self.matcher else []
        inside, crossing = _by_segment(segments, found)
        cursor, out_len = 0, 0
        for begin in range(0, len(segments), self.chunk_sentences):
            end = begin + self.chunk_sentences
            chunk = segments[begin:end]
            hypotheses = self.engine.translate_batch([s.text for s in chunk], None, self.options)
            reports: list[list[TermReport]] = [[] for _ in chunk]
            if self.matcher:
                enforced = self.enforcer.enforce(
                    [s.text for s in chunk], hypotheses, inside[begin:end])
                hypotheses = [h for h, _ in enforced]
                reports = [r for _, r in enforced]
            piece, results = self._assemble(text, chunk, hypotheses, cursor, out_len)
            results = [
                replace(res, terms=tuple(r.shifted(res.source_start, res.target_start)
                                         for r in rep) + tuple(map(_crossing_report, cross)))
                for res, rep, cross in zip(results, reports, crossing[begin:end], strict=True)
            ]
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
