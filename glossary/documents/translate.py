"""Translating a document: its blocks go through the pipeline many at a time, each sentence
as a whole (inline markup does not cut it), and each block's marks are moved onto the English
words that render the German ones they covered.

Blocks are joined with a blank line between them: the segmenter never lets a sentence run
across a blank line, so every sentence belongs to one block and its offsets map back into
that block exactly. A mark goes where the attention of the sentence's hypothesis puts the
source words it covered (glossary.alignment); where a glossary term's report knows its English
span, the mark on that term follows the report; where neither can say, the mark keeps its
proportional place. A mark is never dropped, and marks that were nested or apart in the
German are nested or apart in the English (glossary/documents/model.py). A term inside text
the writer puts back as it was (inline code, translate="no": a format's Parsed says where,
with `kept(block index)`) is left out of the report: the document does not carry it."""

from __future__ import annotations

import bisect
import copy
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePath

import numpy as np

from glossary.alignment import aligned_range, token_char_spans, tokens_in_span
from glossary.documents.model import Block, DocumentFormat, Languages, Limits, Mark, Parsed
from glossary.documents.registry import format_for
from glossary.enforce import DEFAULT_MODE, Mode
from glossary.engine import Hypothesis
from glossary.errors import DocumentError
from glossary.locate import EDGE_WORDS, Word, hypothesis_words
from glossary.pipeline import Pipeline, SentenceResult
from glossary.report import TermReport, summarize
from glossary.service import TranslationService
from glossary.tokens import SPACE

# Between two blocks in one pipeline call: a blank line, which no sentence crosses.
SEPARATOR = "\n\n"
# A batch of blocks per pipeline call (and per progress report): large enough that the
# scheduler batches many sentences together, small enough that progress moves.
BATCH_CHARS = 20_000
BATCH_BLOCKS = 200

Span = tuple[int, int]
_PUNCTUATION = ".,;:!?\"'()„“”‚‘’«»–—"
_WORD = re.compile(r"\S+")
# German words whose English (an article, a preposition) a mark that starts or ends with them
# keeps; see _trimmed.
_GERMAN_EDGE_WORDS = frozenset(
    "der die das den dem des ein eine einen einem einer eines kein keine mein meine sein "
    "seine ihr ihre unser unsere dieser diese dieses zwei drei vier fünf viele alle in im "
    "an am auf aus bei mit nach von vom vor zu zum zur für gegen ohne über unter durch und "
    "oder wie als ist sind war waren".split()
)


@dataclass(frozen=True)
class LocatedTerm:
    """One term occurrence in the document report; the report's offsets are relative to the
    block's text (source) and the block's translation (target)."""

    location: str
    block: int
    report: TermReport

    def to_dict(self) -> dict[str, object]:
        return {"location": self.location, "block": self.block, **self.report.to_dict()}


@dataclass(frozen=True)
class TranslatedDocument:
    data: bytes
    filename: str
    media_type: str
    format: str
    blocks: int
    terms: tuple[LocatedTerm, ...]
    untranslated: int  # sentences copied through because the model failed on them

    def report_dict(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "format": self.format,
            "blocks": self.blocks,
            "untranslated": self.untranslated,
            "terms": [t.to_dict() for t in self.terms],
            "summary": summarize([t.report for t in self.terms]),
        }


@dataclass(frozen=True)
class _Translated:
    """One block's translation: the block, its term reports and its sentences, all with
    offsets relative to the block's text and its translation."""

    block: Block
    terms: list[TermReport]
    sentences: list[SentenceResult]


# -- reading ---------------------------------------------------------------------------------
def read_document(
    data: bytes, filename: str, content_type: str | None = None, limits: Limits | None = None
) -> tuple[DocumentFormat, Parsed]:
    """The format and blocks of an uploaded file; DocumentError (413 for too large, 415 for a
    format we do not read, 400 for a file that is not what it says) before anything runs."""
    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        raise DocumentError(
            f"{filename}: {len(data)} bytes; the limit is {limits.max_bytes}", http_status=413
        )
    fmt = format_for(filename, content_type)
    parsed = fmt.read(data, limits=limits)
    if len(parsed.blocks) > limits.max_blocks:
        raise DocumentError(
            f"{filename}: {len(parsed.blocks)} paragraphs or cues; the limit is "
            f"{limits.max_blocks}",
            http_status=413,
        )
    return fmt, parsed


# -- whole documents -------------------------------------------------------------------------
def translate_document(
    service: TranslationService,
    data: bytes,
    filename: str,
    source: str,
    target: str,
    glossaries: Sequence[str] | None = None,
    mode: Mode = DEFAULT_MODE,
    content_type: str | None = None,
    limits: Limits | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TranslatedDocument:
    """The translated file and its term report; `progress(blocks_done, total)` after each
    batch of blocks."""
    fmt, parsed = read_document(data, filename, content_type, limits)
    chosen = service.glossaries_for(source, target, glossaries)
    pipeline = service.pipeline(source, target, chosen, mode)
    blocks = list(parsed.blocks)
    done = _translate_batches(service, pipeline, blocks, progress)
    path = PurePath(filename)
    return TranslatedDocument(
        data=parsed.write([d.block for d in done], Languages(source, target)),
        filename=f"{path.stem}.{target}{path.suffix}",
        media_type=fmt.media_types[0],
        format=fmt.name,
        blocks=len(blocks),
        terms=_located(blocks, done, getattr(parsed, "kept", None)),
        untranslated=sum(s.status == "untranslated" for d in done for s in d.sentences),
    )


def translate_html(
    service: TranslationService,
    html: str,
    source: str,
    target: str,
    glossaries: Sequence[str] | None = None,
    mode: Mode = DEFAULT_MODE,
) -> tuple[str, list[LocatedTerm], list[SentenceResult]]:
    """An HTML text (a fragment or a page) translated with its markup kept, for the APIs'
    format=html and tag_handling=html: the HTML, its terms by block, and its sentences
    (offsets relative to their block and its translation)."""
    from glossary.documents.html import read_html  # the HTML reader only when asked for

    parsed = read_html(html)
    chosen = service.glossaries_for(source, target, glossaries)
    pipeline = service.pipeline(source, target, chosen, mode)
    blocks = list(parsed.blocks)
    done = _translate_batches(service, pipeline, blocks, None)
    written = parsed.write([d.block for d in done], Languages(source, target)).decode("utf-8")
    located = _located(blocks, done, parsed.kept)
    return written, list(located), [s for d in done for s in d.sentences]


def _translate_batches(
    service: TranslationService,
    pipeline: Pipeline,
    blocks: Sequence[Block],
    progress: Callable[[int, int], None] | None,
) -> list[_Translated]:
    done: list[_Translated] = []
    for batch in _batches(blocks):
        with service.scheduler.admit():
            done.extend(_translate(pipeline, batch))
        if progress is not None:
            progress(len(done), len(blocks))
    return done


def _batches(blocks: Sequence[Block]) -> list[list[Block]]:
    out: list[list[Block]] = []
    size = 0
    for block in blocks:
        if not out or len(out[-1]) >= BATCH_BLOCKS or size + len(block.text) > BATCH_CHARS:
            out.append([])
            size = 0
        out[-1].append(block)
        size += len(block.text) + len(SEPARATOR)
    return out


def _located(
    blocks: Sequence[Block],
    done: Sequence[_Translated],
    kept: Callable[[int], Sequence[Span]] | None = None,
) -> tuple[LocatedTerm, ...]:
    """The term reports by block, less those inside text the writer puts back as it was
    (`kept`, where the format says: inline code, translate="no"): such a term is not in the
    translated document, whatever the block's translation says."""
    found = []
    for index, (block, result) in enumerate(zip(blocks, done, strict=True)):
        spans = kept(index) if kept is not None and result.terms else ()
        for report in result.terms:
            if not any(a <= report.source_start and report.source_end <= b for a, b in spans):
                found.append(LocatedTerm(block.location, index, report))
    return tuple(found)


# -- blocks ----------------------------------------------------------------------------------
def translate_blocks(
    pipeline: Pipeline, blocks: Sequence[Block]
) -> tuple[list[Block], list[list[TermReport]]]:
    """Each block translated, with its marks on the English words, and its term reports
    (offsets relative to the block's text and its translation); one pipeline call for all."""
    done = _translate(pipeline, blocks)
    return [d.block for d in done], [d.terms for d in done]


def _translate(pipeline: Pipeline, blocks: Sequence[Block]) -> list[_Translated]:
    if any(b.marks for b in blocks) and not pipeline.options.return_attention:
        # Without a glossary the pipeline skips attention, which the marks need.
        pipeline = copy.copy(pipeline)
        pipeline.options = replace(pipeline.options, return_attention=True)
    starts, parts, at = [], [], 0
    for block in blocks:
        starts.append(at)
        parts.append(block.text)
        at += len(block.text) + len(SEPARATOR)
    result = pipeline.translate(SEPARATOR.join(parts))
    sentences: list[list[SentenceResult]] = [[] for _ in blocks]
    for sentence in result.sentences:
        index = bisect.bisect_right(starts, sentence.source_start) - 1
        end = starts[index] + len(blocks[index].text)
        # A term "across" two blocks is an artefact of joining them: no such phrase exists.
        terms = tuple(r for r in sentence.terms if r.source_end <= end)
        sentences[index].append(_relative(replace(sentence, terms=terms), starts[index]))
    return [_block(b, s) for b, s in zip(blocks, sentences, strict=True)]


def _relative(sentence: SentenceResult, start: int) -> SentenceResult:
    """The sentence with source offsets relative to its block; target offsets relative to
    the sentence itself (its terms too) until the block's translation places it."""
    terms = tuple(r.shifted(-start, -sentence.target_start) for r in sentence.terms)
    return replace(
        sentence,
        source_start=sentence.source_start - start,
        source_end=sentence.source_end - start,
        target_start=0,
        target_end=len(sentence.target),
        terms=terms,
    )


def _block(block: Block, sentences: list[SentenceResult]) -> _Translated:
    """The block's translation: its sentences' targets, with the whitespace between them as
    it was; the marks moved; reports and sentences placed in the translation."""
    parts: list[str] = []
    placed: list[SentenceResult] = []
    cursor = length = 0
    for s in sentences:
        gap = block.text[cursor : s.source_start]
        start = length + len(gap)
        parts.extend((gap, s.target))
        length = start + len(s.target)
        terms = tuple(r.shifted(0, start) for r in s.terms)
        placed.append(replace(s, target_start=start, target_end=length, terms=terms))
        cursor = s.source_end
    parts.append(block.text[cursor:])
    text = "".join(parts)
    marks = move_marks(block.text, text, block.marks, placed)
    reports = [r for s in placed for r in s.terms]
    return _Translated(Block(text, marks, block.location), reports, placed)


# -- marks -----------------------------------------------------------------------------------
def move_marks(
    source: str, target: str, marks: Sequence[Mark], sentences: Sequence[SentenceResult]
) -> tuple[Mark, ...]:
    """The marks of `source` on `target`, its translation made of `sentences` (offsets
    relative to both texts), nested as they were in the source."""
    if not marks:
        return ()
    if source == target:
        return tuple(marks)
    mapped = [_mapped(source, target, m, sentences) for m in marks]
    return _nested(marks, mapped, len(target))


def _mapped(source: str, target: str, mark: Mark, sentences: Sequence[SentenceResult]) -> Span:
    if not source[mark.start : mark.end].strip():  # an empty element (<br>, <img>) stays so
        point = _point(mark.start, sentences)
        return point, point
    if not source[: mark.start].strip() and not source[mark.end :].strip():
        # The whole block: the whole translation, with the same whitespace at the edges.
        start = min(mark.start, len(target))
        return start, max(start, len(target) - (len(source) - mark.end))
    inside = [s for s in sentences if s.source_start < mark.end and mark.start < s.source_end]
    if not inside:
        point = _point(mark.start, sentences)
        return point, max(point, _point(mark.end, sentences))
    first, last = inside[0], inside[-1]
    start = (
        _point(mark.start, sentences)
        if mark.start < first.source_start
        else first.target_start + _in_sentence(first, mark.start, mark.end)[0]
    )
    end = (
        _point(mark.end, sentences)
        if mark.end > last.source_end
        else last.target_start + _in_sentence(last, mark.start, mark.end)[1]
    )
    return start, max(start, end)


def _point(offset: int, sentences: Sequence[SentenceResult]) -> int:
    """Where a source offset outside every sentence (in the whitespace between them) or at a
    sentence's edge is in the translation; inside a sentence, its proportional place."""
    previous_end, target_end = 0, 0
    for s in sentences:
        if offset <= s.source_start:
            return target_end + min(offset - previous_end, s.target_start - target_end)
        if offset < s.source_end:
            return s.target_start + _point_in(s, offset - s.source_start)
        previous_end, target_end = s.source_end, s.target_end
    return target_end + (offset - previous_end)


def _point_in(s: SentenceResult, at: int) -> int:
    """Where a point at `at` inside a sentence (an <img>, a <br>, a comment) goes in its
    target: after the English of the German word before it, or, where it was glued to the
    word after it and not to the one before, before that word's English."""
    if s.status == "untranslated" or s.source == s.target:
        return min(at, len(s.target))
    before = [m.span() for m in _WORD.finditer(s.source, 0, at)]
    after = _WORD.search(s.source, at)
    # a <br> or hard break has its own "\n" right after it
    glued_after = after is not None and s.source[at : after.start()] in ("", "\n")
    if before and not (glued_after and s.source[at - 1 : at].isspace()):
        a, b = before[-1]
        return _in_sentence(s, s.source_start + a, s.source_start + b)[1]
    if after is not None:
        return _in_sentence(s, s.source_start + after.start(), s.source_start + after.end())[0]
    return len(s.target)


def _in_sentence(s: SentenceResult, start: int, end: int) -> Span:
    """The target span (relative to the sentence's target) of the block's source span
    [start, end), clipped to the sentence."""
    a = max(0, start - s.source_start)
    b = min(len(s.source), end - s.source_start)
    if a <= 0 and b >= len(s.source):
        return 0, len(s.target)
    if s.status == "untranslated" or s.source == s.target:
        return min(a, len(s.target)), min(b, len(s.target))
    return _by_term(s, a, b) or _by_attention(s, a, b) or _proportional(s.source, s.target, a, b)


def _by_term(s: SentenceResult, a: int, b: int) -> Span | None:
    """A mark within a term's German words, over most of them ("Achse <b>Moskau–Pjöngjang.</b>"
    of the term "Achse Moskau–Pjöngjang") or mostly made of some of them ("„Waffen für
    <b>Butter“-Deal</b>") follows the term's English, as enforcement placed it: the model's
    attention on words the glossary overruled says little ("Butter" attends to "guns"). A mark
    around terms covers their English, and the attention of its other words adds to it."""
    found: list[Span] = []
    covered: list[Span] = []
    for r in s.terms:
        if r.target_start is None or r.target_end is None:
            continue
        ra, rb = r.source_start - s.source_start, r.source_end - s.source_start
        ta, tb = r.target_start - s.target_start, r.target_end - s.target_start
        if ra <= a and b <= rb:
            return ta, tb
        if a <= ra and rb <= b:
            found.append((ta, tb))
            covered.append((ra, rb))
            continue
        shared = _letters(s.source, max(a, ra), min(b, rb))
        if 2 * shared > _letters(s.source, ra, rb) or 2 * shared > _letters(s.source, a, b):
            return ta, tb
    if not found:
        return None
    spans = found + [
        span
        for x, y in _outside(a, b, covered)
        if any(c.isalnum() for c in s.source[x:y]) and (span := _by_attention(s, x, y))
    ]
    return min(x for x, _ in spans), max(y for _, y in spans)


def _letters(text: str, start: int, end: int) -> int:
    """How many letters and digits text[start:end] holds (none for an empty or reversed span)."""
    return sum(c.isalnum() for c in text[start:end]) if start < end else 0


def _outside(a: int, b: int, taken: Sequence[Span]) -> list[Span]:
    """The parts of [a, b) outside every span of `taken`."""
    parts, at = [], a
    for x, y in sorted(taken):
        if x > at:
            parts.append((at, min(x, b)))
        at = max(at, y)
    if at < b:
        parts.append((at, b))
    return [(x, y) for x, y in parts if x < y]


def _by_attention(s: SentenceResult, a: int, b: int) -> Span | None:
    hyp = s.hypothesis
    if hyp.text != s.target or not hyp.tokens or len(hyp.attention) != len(hyp.tokens):
        return None  # the text changed after the model, or the engine gave no attention
    indices = tokens_in_span(_char_spans(s.source, tuple(hyp.source_tokens)), a, b)
    found = aligned_range(hyp.tokens, _matrix(hyp), indices) if indices else None
    if found is None:
        return None
    first, end = _trimmed(hyp.tokens, found, s.source[a:b], _neighbours(s.source, a, b))
    spans = _char_spans(s.target, tuple(hyp.tokens))
    words = [spans[i] for i in range(first, end) if spans[i][0] < spans[i][1]]
    return (words[0][0], words[-1][1]) if words else None


def _neighbours(source: str, a: int, b: int) -> tuple[str, str]:
    """The German words right before and after source[a:b], lower case, without punctuation
    ("" at the sentence's edge)."""
    before, after = source[:a].split()[-1:] or [""], source[b:].split()[:1] or [""]
    return before[0].lower().strip(_PUNCTUATION), after[0].lower().strip(_PUNCTUATION)


# Each mark of a sentence asks again about the same tokens: a block of many marks would pay
# for every one of them again (a sentence of 250 tokens and 100 marks: a second).
@functools.lru_cache(maxsize=256)
def _char_spans(text: str, tokens: tuple[str, ...]) -> tuple[Span, ...]:
    return tuple(token_char_spans(text, tokens))


_MATRICES: dict[int, tuple[Hypothesis, np.ndarray]] = {}


def _matrix(hyp: Hypothesis) -> np.ndarray:
    """The hypothesis's attention as an array, made once for all the marks that ask."""
    found = _MATRICES.get(id(hyp))
    if found is None or found[0] is not hyp:
        if len(_MATRICES) > 64:
            _MATRICES.clear()
        found = _MATRICES[id(hyp)] = (hyp, np.asarray(hyp.attention, dtype=np.float32))
    return found[1]


@functools.lru_cache(maxsize=256)
def _words(tokens: tuple[str, ...]) -> tuple[Word, ...]:
    return tuple(hypothesis_words(tokens))


def _trimmed(
    tokens: Sequence[str], span: Span, marked: str, neighbours: tuple[str, str] = ("", "")
) -> Span:
    """The aligned words less an article or preposition at an edge that the German mark did
    not hold but a German word beside it did: attention spreads a noun onto its article
    ("Ein <b>Mann</b>" is "A <b>man</b>", "<b>Ein Mann</b>" is "<b>A man</b>"), while the
    English "no" of "<b>sagt nein</b>." is the mark's own."""
    inside = [w for w in _words(tuple(tokens)) if span[0] <= w.start and w.end <= span[1]]
    marked_words = [w.strip(_PUNCTUATION) for w in marked.lower().split()]
    if not inside or not marked_words:
        return span

    def edge(word: Word, glued: bool) -> bool:
        # A word of its own: "her" of "Kreml-Her" is none.
        alone = tokens[word.start].startswith(SPACE) and not glued
        return alone and bool(word.key) and word.key in EDGE_WORDS

    def glued(word: Word) -> bool:
        return not tokens[word.start].startswith(SPACE)

    if marked_words[0] not in _GERMAN_EDGE_WORDS and neighbours[0] in _GERMAN_EDGE_WORDS:
        while len(inside) > 1 and edge(inside[0], glued(inside[1])):
            inside = inside[1:]
    if marked_words[-1] not in _GERMAN_EDGE_WORDS and neighbours[1] in _GERMAN_EDGE_WORDS:
        while len(inside) > 1 and edge(inside[-1], False):
            inside = inside[:-1]
    return inside[0].start, inside[-1].end


def _proportional(source: str, target: str, a: int, b: int) -> Span:
    """The span at the same relative place, widened to whole words."""
    scale = len(target) / max(1, len(source))
    start = min(len(target), round(a * scale))
    end = max(start, min(len(target), round(b * scale)))
    while 0 < start < len(target) and not target[start - 1].isspace():
        start -= 1
    if b > a:
        while end < len(target) and not target[end].isspace():
            end += 1
    return start, max(start, end)


def _nested(marks: Sequence[Mark], mapped: Sequence[Span], length: int) -> tuple[Mark, ...]:
    """The mapped marks made well-nested as in the source: a mark inside another stays
    inside it; marks apart stay apart (one that would overlap a sibling keeps the longest
    part of its span that is free, at worst an empty span at the sibling's edge). Marks over
    the same text nest by their tag order, as the writers put them."""
    order = sorted(range(len(marks)), key=lambda i: (marks[i].start, -marks[i].end, marks[i].tag))
    placed: dict[int, Span] = {}
    children: dict[int | None, _Taken] = {}
    stack: list[int] = []
    for i in order:
        mark = marks[i]
        while stack and not (
            marks[stack[-1]].start <= mark.start and mark.end <= marks[stack[-1]].end
        ):
            stack.pop()
        parent = stack[-1] if stack else None
        low, high = placed[parent] if parent is not None else (0, length)
        a = min(max(mapped[i][0], low), high)
        b = min(max(mapped[i][1], a), high)
        siblings = children.setdefault(parent, _Taken())
        span = _free_part((a, b), siblings.overlapping(a, b))
        if span[1] > span[0]:
            siblings.add(span)
        placed[i] = span
        stack.append(i)
    return tuple(Mark(placed[i][0], placed[i][1], marks[i].tag) for i in range(len(marks)))


class _Taken:
    """The spans a mark's siblings took: apart from each other, so kept in order, and those a
    new span runs into are found by bisection (a block of thousands of marks)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlapping(self, a: int, b: int) -> list[Span]:
        """The spans that overlap [a, b), or hold the point a where a == b."""
        first = bisect.bisect_right(self.ends, a)
        last = bisect.bisect_left(self.starts, b)
        return list(zip(self.starts[first:last], self.ends[first:last], strict=True))

    def add(self, span: Span) -> None:
        at = bisect.bisect_left(self.starts, span[0])
        self.starts.insert(at, span[0])
        self.ends.insert(at, span[1])


def _free_part(span: Span, taken: Sequence[Span]) -> Span:
    """The longest part of `span` that no span of `taken` overlaps; an empty span where
    nothing is free (at an edge of what it ran into, never inside another)."""
    pieces = [span]
    for x, y in taken:
        pieces = [p for a, b in pieces for p in ((a, min(b, x)), (max(a, y), b)) if p[1] > p[0]]
    if pieces:
        return max(pieces, key=lambda p: p[1] - p[0])
    point = span[0]
    for x, y in taken:
        if x < point < y:
            point = y
    return point, point
