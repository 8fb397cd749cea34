"""One document through the engine: segment, translate in batches, put the text back together
with the original paragraph breaks and whitespace.

A sentence longer than the model takes is cut into pieces by tokens (see token_limit), at a
space or punctuation where there is one. A piece the engine still cannot translate is copied
into the output untranslated, with status "untranslated" and the reason; the rest of the
document is translated as usual."""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

from glossary.enforce import DEFAULT_MODE, Enforcer, Mode, required_form
from glossary.engine import DecodeOptions, Engine, Hypothesis
from glossary.errors import Abandoned
from glossary.match import Occurrence, TermMatcher
from glossary.report import TermReport, summarize
from glossary.segment import Segment, split_sentences

# A cheap pre-cut: a "sentence" longer than this (a 100,000-character line) is cut at spaces
# before its tokens are counted, so that no count looks at more text than this. Where pieces
# end is decided by tokens: 251 tokens (token_limit with the default DecodeOptions) of the
# longest piece in the measured package's vocabulary (16 characters) take about this much.
MAX_SEGMENT_CHARS = 4000
# A cut after one of these reads better than one inside a word (a URL is cut after a "/").
_BREAK_AFTER = re.compile(r"[.,;:!?/\\)\]}»«”“\"'&=+|_–—-]")
_SPACE = re.compile(r"\s")
_CROSSING = "the term crosses a sentence boundary"
_UNTRANSLATED = "the sentence was not translated"

SentenceStatus = Literal["translated", "untranslated"]
SENTENCE_STATUSES: tuple[SentenceStatus, ...] = get_args(SentenceStatus)
log = logging.getLogger("glossary.pipeline")


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
    # "untranslated": the engine failed on this sentence; target is the source, copied.
    status: SentenceStatus = "translated"
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "source": {"start": self.source_start, "end": self.source_end, "text": self.source},
            "target": {"start": self.target_start, "end": self.target_end, "text": self.target},
            "score": self.score,
            "status": self.status,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], terms: Sequence[TermReport] = ()) -> SentenceResult:
        """The sentence `to_dict` gave, with its terms; without the engine's tokens and
        attention, which are not kept."""
        source, target = data["source"], data["target"]
        hypothesis = Hypothesis((), (), target["text"], data["score"], ())
        return cls(
            source["start"],
            source["end"],
            source["text"],
            target["start"],
            target["end"],
            target["text"],
            data["score"],
            hypothesis,
            tuple(terms),
            data.get("status", "translated"),
            data.get("reason"),
        )

    def status_dict(self, *, spans: bool = True) -> dict[str, object]:
        """The sentence's status without its translation, for the compatible APIs' replies;
        without `spans`, start and end are null (offsets into text the caller never sent)."""
        start, end = (self.source_start, self.source_end) if spans else (None, None)
        return {
            "source": {"start": start, "end": end, "text": self.source},
            "status": self.status,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class TranslationResult:
    text: str
    sentences: tuple[SentenceResult, ...]

    @property
    def terms(self) -> list[TermReport]:
        return [t for s in self.sentences for t in s.terms]

    @property
    def untranslated(self) -> list[SentenceResult]:
        return [s for s in self.sentences if s.status == "untranslated"]

    def to_dict(self) -> dict[str, object]:
        terms = self.terms
        return {
            "text": self.text,
            "sentences": [s.to_dict() for s in self.sentences],
            "terms": [t.to_dict() for t in terms],
            "summary": summarize(terms),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TranslationResult:
        """The result `to_dict` gave (or a job's results so far): each term goes back to the
        sentence its source starts in."""
        sentences = data["sentences"]
        starts = [s["source"]["start"] for s in sentences]
        terms: list[list[TermReport]] = [[] for _ in sentences]
        for item in data["terms"]:
            report = TermReport.from_dict(item)
            at = bisect.bisect_right(starts, report.source_start) - 1
            if at >= 0:
                terms[at].append(report)
        return cls(
            data["text"],
            tuple(SentenceResult.from_dict(s, t) for s, t in zip(sentences, terms, strict=True)),
        )


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
            inside[index].append(occ.moved(-seg.start))
        else:
            crossing[index].append(occ)
    return inside, crossing


def _missed_report(occ: Occurrence, reason: str) -> TermReport:
    """The report of a term the pipeline could not enforce, whatever the sentence became."""
    return TermReport(
        source_start=occ.start,
        source_end=occ.end,
        source_text=occ.text,
        term=occ.term,
        form=required_form(occ),
        status="missed",
        reason=reason,
        plural=occ.plural,
        warnings=occ.warnings,
        source_parts=occ.parts,
    )


def _pieces(
    segment: Segment, too_long: Callable[[str], bool], cut_point: Callable[[str], int]
) -> Iterator[Segment]:
    """The segment in pieces: while the rest is too long, cut it where cut_point says; the
    whitespace at a cut stays in the gap between pieces, so offsets stay exact."""
    text, offset = segment.text, segment.start
    while text and too_long(text):
        cut = cut_point(text)
        piece = text[:cut].rstrip()
        yield Segment(offset, offset + len(piece), piece, segment.paragraph)
        rest = text[cut:]
        offset += cut + (len(rest) - len(rest.lstrip()))
        text = rest.lstrip()
    if text:
        yield Segment(offset, offset + len(text), text, segment.paragraph)


def _cut(segment: Segment, limit: int) -> Iterator[Segment]:
    def at_space(text: str) -> int:
        cut = text.rfind(" ", limit // 2, limit)
        return cut if cut > 0 else limit

    return _pieces(segment, lambda text: len(text) > limit, at_space)


def _longest_prefix(text: str, count: Callable[[str], int], limit: int) -> int:
    """The length of the longest prefix of `text` with at most `limit` tokens, found by
    bisection (a longer prefix has as many tokens or more, give or take a merge); at least 1,
    so that every cut makes progress."""
    low, high, best = 1, len(text) - 1, 1
    while low <= high:
        middle = (low + high) // 2
        if count(text[:middle]) <= limit:
            best, low = middle, middle + 1
        else:
            high = middle - 1
    return best


def _token_cut(text: str, count: Callable[[str], int], limit: int) -> int:
    """Where to cut `text` (which has more than `limit` tokens): at the last space that keeps
    the piece within the limit, else after the last punctuation, else inside a word, never
    in the first half of what would fit."""
    longest = _longest_prefix(text, count, limit)
    floor = longest // 2
    spaces = [m.start() for m in _SPACE.finditer(text, floor, longest + 1)]
    breaks = [m.end() for m in _BREAK_AFTER.finditer(text, floor, longest)]
    cut = spaces[-1] if spaces else breaks[-1] if breaks else longest
    if cut != longest and (cut <= 0 or count(text[:cut].rstrip()) > limit):
        cut = longest
    return cut


def _by_tokens(segment: Segment, count: Callable[[str], int], limit: int) -> Iterator[Segment]:
    return _pieces(
        segment, lambda text: count(text) > limit, lambda text: _token_cut(text, count, limit)
    )


def segments_of(
    text: str,
    language: str,
    limit: int = MAX_SEGMENT_CHARS,
    *,
    count: Callable[[str], int] | None = None,
    max_tokens: int | None = None,
) -> list[Segment]:
    """Sentences with exact offsets, those over `limit` characters cut at spaces; with a
    token `count` and `max_tokens`, also every piece cut to at most that many tokens."""
    pieces = [piece for seg in split_sentences(text, language) for piece in _cut(seg, limit)]
    if count is None or max_tokens is None:
        return pieces
    return [part for piece in pieces for part in _by_tokens(piece, count, max_tokens)]


def token_limit(engine: Engine, options: DecodeOptions) -> int:
    """The most source tokens a piece may have: what the model encodes (max_source_tokens,
    read from the package), and no more than lets its translation fit the decoding limit
    (options.max_length target tokens, the engine allowing length_ratio per source token plus
    length_extra). Measured with the small de→en package: "A. " * 300 (600 tokens, one
    piece) ran into the 512-token cap. The defaults give 251."""
    fits_output = int((options.max_length - options.length_extra) / options.length_ratio)
    return max(1, min(engine.max_source_tokens, fits_output))


def _passthrough(text: str) -> Hypothesis:
    return Hypothesis(source_tokens=(), tokens=(), text=text, score=0.0, attention=())


def _failure(exc: Exception) -> str:
    message = " ".join(str(exc).split()) or type(exc).__name__
    return f"the model could not translate this sentence: {message[:300]}"


class Pipeline:
    """Translates whole documents with one engine. `chunk_sentences` bounds how many sentences
    (and their attention matrices) are held at once when streaming."""

    def __init__(
        self,
        engine: Engine,
        options: DecodeOptions | None = None,
        chunk_sentences: int = 256,
        matcher: TermMatcher | None = None,
        mode: Mode = DEFAULT_MODE,
    ) -> None:
        self.engine = engine
        options = options or DecodeOptions()
        self.options = options if matcher else replace(options, return_attention=False)
        self.chunk_sentences = chunk_sentences
        self.matcher = matcher
        self.enforcer = Enforcer(engine, self.options, mode)
        self.max_tokens = token_limit(engine, self.options)

    def segments(self, text: str) -> list[Segment]:
        """The pieces the engine is given: sentences, cut to at most max_tokens tokens."""

        def count(piece: str) -> int:
            return len(self.engine.encode_source(piece))

        return segments_of(text, self.engine.from_code, count=count, max_tokens=self.max_tokens)

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
        segments = self.segments(text)
        if not segments:
            yield text, []
            return
        found = self.matcher.find(text) if self.matcher else []
        inside, crossing = _by_segment(segments, found)
        cursor, out_len = 0, 0
        for begin in range(0, len(segments), self.chunk_sentences):
            end = begin + self.chunk_sentences
            chunk = segments[begin:end]
            sources = [s.text for s in chunk]
            hypotheses, failures = self._translate(sources)
            reports: list[list[TermReport]] = [[] for _ in chunk]
            if self.matcher:
                done = [i for i, reason in enumerate(failures) if reason is None]
                enforced = (
                    self._enforce(
                        [sources[i] for i in done],
                        [hypotheses[i] for i in done],
                        [inside[begin + i] for i in done],
                    )
                    if done
                    else []
                )
                for i, (hyp, report) in zip(done, enforced, strict=True):
                    hypotheses[i], reports[i] = hyp, report
                for i, reason in enumerate(failures):
                    if reason is not None:
                        reports[i] = [
                            _missed_report(occ, _UNTRANSLATED) for occ in inside[begin + i]
                        ]
            piece, results = self._assemble(text, chunk, hypotheses, failures, cursor, out_len)
            named = self._named
            results = [
                replace(
                    res,
                    terms=tuple(named(r.shifted(res.source_start, res.target_start)) for r in rep)
                    + tuple(named(_missed_report(occ, _CROSSING)) for occ in cross),
                )
                for res, rep, cross in zip(results, reports, crossing[begin:end], strict=True)
            ]
            cursor = chunk[-1].end
            out_len += len(piece)
            if begin + self.chunk_sentences >= len(segments):
                piece += text[cursor:]
            yield piece, results

    def _named(self, report: TermReport) -> TermReport:
        """The report naming the glossary its term came from (and those it overrode), when
        the matcher knows (matchers built from glossaries do)."""
        return report.with_origin(self.matcher.origin(report.term)) if self.matcher else report

    def _enforce(
        self, sources: list[str], hyps: list[Hypothesis], found: list[list[Occurrence]]
    ) -> list[tuple[Hypothesis, list[TermReport]]]:
        """Enforced hypotheses and reports; should enforcement itself fail, the model's wording
        with every term reported as it stands (a bug there must not cost the translation)."""
        try:
            return self.enforcer.enforce(sources, hyps, found)
        except Abandoned:
            raise
        except Exception as exc:
            log.exception("enforcement failed; the sentences keep the model's wording")
            reason = f"enforcement failed: {type(exc).__name__}: {exc}"
            plain = Enforcer(self.engine, self.options, "off").enforce(sources, hyps, found)
            return [
                (hyp, [replace(r, reason=reason) if r.status == "missed" else r for r in reports])
                for hyp, reports in plain
            ]

    def _translate(self, sources: list[str]) -> tuple[list[Hypothesis], list[str | None]]:
        """Hypotheses for a chunk, and per sentence None or why it stays untranslated. When
        the batch fails, its sentences are tried one by one; those that fail alone are copied
        through (a failing sentence must not cost the document its translation)."""
        try:
            hypotheses = self.engine.translate_batch(sources, None, self.options)
            if len(hypotheses) != len(sources):
                raise RuntimeError(f"{len(hypotheses)} translations for {len(sources)} sentences")
            return list(hypotheses), [None] * len(sources)
        except Abandoned:
            raise  # the request's time is up or its client gone: no retries one by one
        except Exception as exc:
            if len(sources) == 1:
                log.warning("sentence left untranslated: %s", exc)
                return [_passthrough(sources[0])], [_failure(exc)]
            log.warning(
                "a batch of %d sentences failed (%s); trying them one by one", len(sources), exc
            )
        hypotheses, failures = [], []
        for source in sources:
            [hyp], [reason] = self._translate([source])
            hypotheses.append(hyp)
            failures.append(reason)
        return hypotheses, failures

    @staticmethod
    def _assemble(
        text: str,
        chunk: Sequence[Segment],
        hypotheses: Sequence[Hypothesis],
        failures: Sequence[str | None],
        cursor: int,
        out_len: int,
    ) -> tuple[str, list[SentenceResult]]:
        parts: list[str] = []
        results: list[SentenceResult] = []
        length = out_len
        for segment, hyp, reason in zip(chunk, hypotheses, failures, strict=True):
            gap = text[cursor : segment.start]
            parts.extend((gap, hyp.text))
            start = length + len(gap)
            length = start + len(hyp.text)
            results.append(
                SentenceResult(
                    segment.start,
                    segment.end,
                    segment.text,
                    start,
                    length,
                    hyp.text,
                    hyp.score,
                    hyp,
                    status="translated" if reason is None else "untranslated",
                    reason=reason,
                )
            )
            cursor = segment.end
        return "".join(parts), results
