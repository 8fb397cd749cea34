"""Making translations carry the approved terms.

For each term occurrence found in a source sentence: if the hypothesis already has the approved
English → kept. Otherwise find the target words aligned (by attention) to the source span and
- constrain: re-decode with target_prefix = hypothesis up to there + the approved English, so
  the model continues fluently after it; terms in target order, one per round, rounds batched
  across sentences;
- replace: substitute the aligned words;
- off: report only.
Then verify: present → enforced, else missed with the reason."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from glossary.alignment import aligned_range, token_char_spans, tokens_in_span
from glossary.engine import DecodeOptions, Engine, Hypothesis
from glossary.english import capitalize_first, find_phrase, pluralize, words
from glossary.match import Occurrence
from glossary.report import TermReport
from glossary.term import Term

Mode = Literal["constrain", "replace", "off"]
MODES: tuple[str, ...] = ("constrain", "replace", "off")
SPACE = "▁"
# Echoes made only of these are left alone: "… guns for butter for the army" is fine.
_FUNCTION_WORDS = frozenset(
    ["the", "a", "an", "of", "and", "or", "to", "in", "for", "with", "on", "at", "by", "from"]
)


def required_form(occurrence: Occurrence) -> str:
    term = occurrence.term
    if occurrence.plural:
        return term.target_plural or pluralize(term.target)
    return str(term.target)


def accepted_forms(occurrence: Occurrence) -> list[str]:
    term = occurrence.term
    return [term.target, term.target_plural or pluralize(term.target)]


@dataclass
class _Work:
    """One sentence being enforced."""

    source: str
    occurrences: list[Occurrence]
    hyp: Hypothesis
    locked: int = 0  # target tokens that are a forced prefix and may not move any more
    tried: list[int] = field(default_factory=list)  # occurrences forced so far, in order
    source_spans: list[tuple[int, int]] = field(default_factory=list)

    _matrix: tuple[Hypothesis, np.ndarray] | None = None

    def __post_init__(self) -> None:
        # Re-decoding never changes the source side, so its token spans are computed once.
        self.source_spans = token_char_spans(self.source, self.hyp.source_tokens)

    def attention(self) -> np.ndarray:
        """The current hypothesis' attention as one array, built once per hypothesis."""
        if self._matrix is None or self._matrix[0] is not self.hyp:
            self._matrix = (self.hyp, np.asarray(self.hyp.attention, dtype=np.float32))
        return self._matrix[1]
    reasons: dict[int, str] = field(default_factory=dict)


def _present(text: str, occurrences: Sequence[Occurrence]) -> list[bool]:
    """Per occurrence: is it covered, i.e. does the text hold at least as many renderings of
    its term as there are occurrences of that term up to and including it? Each term's
    renderings are counted once, so this stays linear in the number of occurrences."""
    counts: dict[Term, int] = {}
    seen: dict[Term, int] = {}
    covered = []
    for occ in occurrences:
        term = occ.term
        if term not in counts:
            counts[term] = len({s for form in accepted_forms(occ)
                                for s in find_phrase(text, form, term.case_sensitive)})
        seen[term] = seen.get(term, 0) + 1
        covered.append(counts[term] >= seen[term])
    return covered


class Enforcer:
    def __init__(self, engine: Engine, options: DecodeOptions, mode: Mode = "constrain") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self.engine, self.options, self.mode = engine, options, mode

    def enforce(
        self,
        sources: Sequence[str],
        hyps: Sequence[Hypothesis],
        occurrences: Sequence[Sequence[Occurrence]],
    ) -> list[tuple[Hypothesis, list[TermReport]]]:
        work = [_Work(s, list(o), h) for s, h, o in zip(sources, hyps, occurrences, strict=True)]
        kept = [{i for i, ok in enumerate(_present(w.hyp.text, w.occurrences)) if ok}
                for w in work]
        if self.mode == "constrain":
            self._constrain(work)
        elif self.mode == "replace":
            for w in work:
                self._replace_all(w)
        return [(w.hyp, self._reports(w, k)) for w, k in zip(work, kept, strict=True)]

    # -- constrain -------------------------------------------------------------------------
    def _constrain(self, work: list[_Work]) -> None:
        # A re-decode can lose a term that was right before (random or weak models do), so a
        # term may need a second turn; the bound keeps a pathological model from looping.
        for _ in range(2 * max((len(w.occurrences) for w in work), default=0) + 1):
            requests = [(w, plan) for w in work if (plan := self._next_prefix(w)) is not None]
            if not requests:
                return
            prefixes = [plan[0] for _, plan in requests]
            new = self.engine.translate_batch([w.source for w, _ in requests], prefixes,
                                              self.options)
            for (w, (prefix, old)), hyp in zip(requests, new, strict=True):
                w.hyp = _drop_echo(_unglue(hyp, len(prefix)), len(prefix), old)
                w.locked = len(prefix)

    def _next_prefix(self, w: _Work) -> tuple[list[str], list[str]] | None:
        """The forced prefix for the missing term that comes first in the target, and the words
        it replaces; None when nothing is left to do. A term aligned before the locked part (or
        not aligned at all) goes right after it: landing matters more than position."""
        best: tuple[int, int, int] | None = None
        present = _present(w.hyp.text, w.occurrences)
        for i, occ in enumerate(w.occurrences):
            if present[i] or not occ.term.enforced or w.tried.count(i) >= 2:
                continue
            span = self._aligned(w, occ) or (w.locked, w.locked)
            start = max(span[0], w.locked)
            end = max(span[1], start)
            if best is None or start < best[0]:
                best = (start, end, i)
        if best is None:
            return None
        start, end, index = best
        w.tried.append(index)
        form = required_form(w.occurrences[index])
        form = capitalize_first(form) if start == 0 else form
        prefix = list(w.hyp.tokens[:start]) + self.engine.encode_target(form)
        return prefix, list(w.hyp.tokens[start:end])

    def _aligned(self, w: _Work, occ: Occurrence) -> tuple[int, int] | None:
        indices = tokens_in_span(w.source_spans, occ.start, occ.end)
        return aligned_range(w.hyp.tokens, w.attention(), indices)

    # -- replace ---------------------------------------------------------------------------
    def _replace_all(self, w: _Work) -> None:
        # Right to left, so earlier token positions stay valid.
        plans = []
        present = _present(w.hyp.text, w.occurrences)
        for i, occ in enumerate(w.occurrences):
            if not occ.term.enforced or present[i]:
                continue
            span = self._aligned(w, occ)
            if span is None:
                w.reasons[i] = "no target words are aligned to the source term"
            else:
                plans.append((span, occ))
        taken: list[tuple[int, int]] = []
        for (start, end), occ in sorted(plans, key=lambda p: -p[0][0]):
            if any(start < b and end > a for a, b in taken):
                continue
            taken.append((start, end))
            form = required_form(occ)
            form = capitalize_first(form) if start == 0 else form
            w.hyp = _splice(self.engine, w.hyp, start, end, form)

    # -- verify ----------------------------------------------------------------------------
    def _reports(self, w: _Work, kept: set[int]) -> list[TermReport]:
        reports: list[TermReport] = []
        used: set[tuple[int, int]] = set()
        present = _present(w.hyp.text, w.occurrences)
        for i, occ in enumerate(w.occurrences):
            target = _locate(w.hyp.text, occ, used)
            if present[i] and i in kept and i not in w.tried:
                status, reason = "kept", None
            elif present[i]:
                status, reason = "enforced", None
            else:
                status = "missed"
                reason = self._miss_reason(w, i)
            reports.append(TermReport(
                occ.start, occ.end, occ.text, occ.term, required_form(occ), status,  # type: ignore[arg-type]
                target[0] if target else None, target[1] if target else None, reason,
                _forbidden(w.hyp.text, occ), occ.plural,
            ))
        return reports

    def _miss_reason(self, w: _Work, i: int) -> str:
        term = w.occurrences[i].term
        if not term.enforced:
            return f"not enforced: status {term.status}"
        if self.mode == "off":
            return "enforcement is off"
        return w.reasons.get(i, "the model did not keep the term after re-decoding")


def _locate(text: str, occ: Occurrence, used: set[tuple[int, int]]) -> tuple[int, int] | None:
    for form in sorted(accepted_forms(occ), key=len, reverse=True):
        for span in find_phrase(text, form, occ.term.case_sensitive):
            if span not in used and not any(span[0] < b and span[1] > a for a, b in used):
                used.add(span)
                return span
    return None


def _forbidden(text: str, occ: Occurrence) -> tuple[str, ...]:
    return tuple(f for f in occ.term.forbidden if find_phrase(text, f))


def _drop_echo(hyp: Hypothesis, prefix_len: int, replaced: list[str]) -> Hypothesis:
    """After a forced term the model sometimes repeats the tail of the term or of the words it
    replaced ("Kremlin ruler ruler"); drop such leading words of the continuation."""
    if prefix_len < len(hyp.tokens) and not hyp.tokens[prefix_len].startswith(SPACE):
        return hyp  # the continuation glues onto the term; leave it alone
    prefix_words = words(_text(hyp.tokens[:prefix_len]))
    old_words = words(_text(replaced))
    rel_starts, flat = _word_runs(hyp.tokens[prefix_len:])
    starts = [prefix_len + i for i in rel_starts]
    drop = 0
    for tail_source in (prefix_words[-3:], old_words):
        for k in range(len(tail_source)):
            tail = tail_source[k:]
            if tail and flat[: len(tail)] == tail and len(tail) > drop and not (
                set(tail) <= _FUNCTION_WORDS
            ):
                drop = len(tail)
    if drop == 0:
        return hyp
    cut = starts[drop]
    tokens = hyp.tokens[:prefix_len] + hyp.tokens[cut:]
    attention = hyp.attention[:prefix_len] + hyp.attention[cut:]
    return replace(hyp, tokens=tokens, attention=attention, text=_text(tokens).strip())


def _unglue(hyp: Hypothesis, prefix_len: int) -> Hypothesis:
    """A forced term is a whole word: a continuation piece glued onto it ("ruler" + "ship")
    would change the word, so it starts a word of its own instead."""
    if prefix_len >= len(hyp.tokens):
        return hyp
    piece = hyp.tokens[prefix_len]
    if piece.startswith(SPACE) or not piece[:1].isalnum():
        return hyp
    tokens = (*hyp.tokens[:prefix_len], SPACE + piece, *hyp.tokens[prefix_len + 1 :])
    return replace(hyp, tokens=tokens, text=_text(tokens).strip())


def _text(tokens: Sequence[str]) -> str:
    return "".join(tokens).replace(SPACE, " ")


def _word_runs(tokens: Sequence[str]) -> tuple[list[int], list[str]]:
    """Start index of every word (plus the end) and each word's first alphanumeric run,
    lower-cased."""
    starts = [i for i, t in enumerate(tokens) if i == 0 or t.startswith(SPACE)] + [len(tokens)]
    firsts = []
    for a, b in itertools.pairwise(starts):
        found = words(_text(tokens[a:b]))
        firsts.append(found[0] if found else "")
    return starts, firsts


def _splice(engine: Engine, hyp: Hypothesis, start: int, end: int, form: str) -> Hypothesis:
    before, after = list(hyp.tokens[:start]), list(hyp.tokens[end:])
    term = engine.encode_target(form)
    before = _trim_overlap(before, term, at_end=True)
    after = _trim_overlap(after, term, at_end=False)
    if after and not after[0].startswith(SPACE) and after[0][:1].isalnum():
        after[0] = SPACE + after[0]
    tokens = tuple(before + term + after)
    width = len(hyp.source_tokens)
    rows = hyp.attention[: len(before)] + tuple(
        hyp.attention[min(start, len(hyp.attention) - 1)] if hyp.attention else (0.0,) * width
        for _ in term
    ) + hyp.attention[len(hyp.tokens) - len(after):]
    return replace(hyp, tokens=tokens, text=engine.detokenize(tokens), attention=rows)


def _trim_overlap(side: list[str], term: list[str], at_end: bool) -> list[str]:
    """Remove words on one side of a spliced term that duplicate the term's edge words."""
    term_words = words(_text(term))
    starts, flat = _word_runs(side)
    for k in range(min(len(flat), len(term_words)), 0, -1):
        if at_end and flat[-k:] == term_words[:k]:
            return side[: starts[len(flat) - k]]
        if not at_end and flat[:k] == term_words[-k:]:
            return side[starts[k]:]
    return side
