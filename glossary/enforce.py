"""Making translations carry the approved terms.

For each term occurrence found in a source sentence: if the hypothesis already has the approved
English in words of its own (glossary.spans) → kept. Otherwise find where it belongs and
- constrain (default): the words the model used for the German term (its own renderings of the
  term, glossary.locate), else the words attention aligns, else an insertion point; all of a
  sentence's terms are put in place in one pass. After an inserted term the model proposes
  continuations; the best one that starts a new word and does not bring back a replaced word
  wins if the model scores the sentence higher with it;
- replace: the words attention aligns, without asking the model again;
- off: report only.
Then verify each occurrence against its own span: present → enforced, else missed with the
reason in that mode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

import numpy as np

from glossary.alignment import token_char_spans, tokens_in_span
from glossary.engine import Continuation, DecodeOptions, Engine, GuidedEngine, Hypothesis
from glossary.english import (
    capitalize_first,
    find_phrase,
    indefinite_article,
    pluralize,
    words,
)
from glossary.errors import OptionError
from glossary.locate import (
    DETERMINERS,
    Renderings,
    Span,
    Word,
    anchored,
    by_attention,
    by_rendering,
    hypothesis_words,
    insertion_point,
    rendering_matches,
    without_possessive,
)
from glossary.match import Occurrence
from glossary.report import TermReport, TermStatus
from glossary.spans import accepted_forms, assign_spans, required_form
from glossary.tokens import SPACE, join_pieces, wordy

__all__ = ["DEFAULT_MODE", "MODES", "Enforcer", "Mode", "accepted_forms", "required_form"]

# the one list of modes: the CLI, the page, the own API and its OpenAPI enum read it
Mode = Literal["constrain", "replace", "off"]
MODES: tuple[Mode, ...] = get_args(Mode)
DEFAULT_MODE: Mode = "constrain"
_OPENING = frozenset("'\"([{„“‘«‹‚")
RENDERINGS = 4  # n-best renderings per German phrase
ALTERNATIVES = 4  # continuations proposed after an inserted term
# Words attending less than this to a term translate something else: the term goes before them.
WEAK = 0.5


@dataclass
class _Planned:
    index: int  # the occurrence
    span: Span  # target tokens it replaces in the original hypothesis
    form: str


@dataclass
class _Work:
    """One sentence being enforced."""

    source: str
    occurrences: list[Occurrence]
    hyp: Hypothesis
    kept: set[int] = field(default_factory=set)
    planned: list[_Planned] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)
    spans: list[tuple[int, int] | None] = field(default_factory=list)  # in the model's text

    def __post_init__(self) -> None:
        self.spans = assign_spans(self.hyp.text, self.occurrences)
        self.kept = {i for i, s in enumerate(self.spans) if s is not None}

    def missing(self) -> list[int]:
        return [i for i, o in enumerate(self.occurrences) if i not in self.kept and o.term.enforced]


class Enforcer:
    def __init__(self, engine: Engine, options: DecodeOptions, mode: Mode = DEFAULT_MODE) -> None:
        if mode not in MODES:
            raise OptionError(f"mode must be one of {', '.join(MODES)}")
        self.engine, self.options, self.mode = engine, options, mode
        self._renderings = Renderings(self._nbest)

    def enforce(
        self,
        sources: Sequence[str],
        hyps: Sequence[Hypothesis],
        occurrences: Sequence[Sequence[Occurrence]],
    ) -> list[tuple[Hypothesis, list[TermReport]]]:
        work = [_Work(s, list(o), h) for s, h, o in zip(sources, hyps, occurrences, strict=True)]
        todo = [w for w in work if w.missing()] if self.mode != "off" else []
        if self.mode == "constrain":
            # Every occurrence of these sentences: a kept one may lose its words to a longer
            # term's rendering and need a place of its own.
            self._renderings.prepare(
                [p for w in todo for o in w.occurrences for p in (o.text, o.term.source)]
            )
        spliced = [self._splice(w, self._plan(w)) for w in todo]
        if self.mode == "constrain" and ALTERNATIVES and isinstance(self.engine, GuidedEngine):
            spliced = self._continue(self.engine, todo, spliced)
        for w, (hyp, _) in zip(todo, spliced, strict=True):
            w.hyp = hyp
        return [(w.hyp, self._reports(w)) for w in work]

    # -- where each missing term goes ------------------------------------------------------
    def _plan(self, w: _Work) -> list[_Planned]:
        tokens = w.hyp.tokens
        attention = np.asarray(w.hyp.attention, dtype=np.float32)
        source_spans = token_char_spans(w.source, w.hyp.source_tokens)
        hyp_words = hypothesis_words(tokens)
        claims = _claimed_tokens(w.hyp, w.spans)
        queue = sorted(w.missing(), key=lambda i: w.occurrences[i].start)
        turns = dict.fromkeys(range(len(w.occurrences)), 0)
        # Where each occurrence's renderings are, so that one term's wider rendering does not
        # take another's words.
        matches = (
            {j: rendering_matches(hyp_words, self._keys(o)) for j, o in enumerate(w.occurrences)}
            if self.mode == "constrain"
            else {}
        )
        while queue:
            i = queue.pop(0)
            turns[i] += 1
            occ = w.occurrences[i]
            indices = tokens_in_span(source_spans, occ.start, occ.end)
            mass = _mass(attention, indices, len(tokens))
            span = self._locate(
                w, i, hyp_words, tokens, attention, indices, mass, list(claims.values()), matches
            )
            if span is None:
                w.reasons[i] = "no target words are aligned to the source term"
                continue
            if span[0] < span[1]:
                span = anchored(hyp_words, span, words(required_form(occ)), list(claims.values()))
                span = without_possessive(tokens, span)
            # A shorter term that counted words of this term's rendering as its own ("Kremlin"
            # of "Kremlin lord") loses them, and gets a place of its own in turn.
            for j in [
                j
                for j, c in claims.items()
                if span[0] <= c[0] and c[1] <= span[1] and c != span and span[0] < span[1]
            ]:
                del claims[j]
                w.kept.discard(j)
                w.planned = [p for p in w.planned if p.index != j]
                if turns[j] < 2 and w.occurrences[j].term.enforced:
                    queue.append(j)
            claims[i] = span
            w.planned.append(_Planned(i, span, self._form(occ, hyp_words, span)))
        return sorted(w.planned, key=lambda p: p.span)

    def _locate(
        self,
        w: _Work,
        i: int,
        hyp_words: list[Word],
        tokens: Sequence[str],
        attention: np.ndarray,
        indices: list[int],
        mass: np.ndarray,
        claimed: list[Span],
        matches: dict[int, list[Span]],
    ) -> Span | None:
        occ = w.occurrences[i]
        if self.mode == "constrain":
            size = len(words(required_form(occ)))
            others = [m for j, spans in matches.items() if j != i for m in spans]
            span = by_rendering(hyp_words, self._keys(occ), mass, claimed, size, others)
            if span is not None:
                return span
        least = WEAK if self.mode == "constrain" else 0.0
        span = (
            by_attention(tokens, attention, indices, claimed, words(required_form(occ)), least)
            if attention.size
            else None
        )
        if span is None and self.mode == "constrain":
            point = insertion_point(tokens, mass, claimed)
            return point, point
        return span

    def _keys(self, occ: Occurrence) -> list[tuple[str, ...]]:
        """The model's renderings of the occurrence's words and of the term's own source."""
        keys = self._renderings.keys(occ.text) + self._renderings.keys(occ.term.source)
        return list(dict.fromkeys(keys))

    def _form(self, occ: Occurrence, hyp_words: Sequence[Word], span: Span) -> str:
        """The required form; where the German does not show its number ("Mädchen sitzen"),
        the number of the English words it replaces, when they are a plural rendering."""
        if occ.plural is not None or span[0] == span[1] or self.mode != "constrain":
            return required_form(occ)
        inside = [w.key for w in hyp_words if span[0] <= w.start < span[1] and w.key]
        keys = self._keys(occ)
        plural = bool(inside) and any(
            inside[-1] != key[-1] and inside[-1] == words(pluralize(" ".join(key)))[-1]
            for key in keys
        )
        return required_form(replace(occ, plural=True) if plural else occ)

    def _nbest(self, phrases: list[str]) -> list[list[str]]:
        plain = replace(self.options, return_attention=False)
        if isinstance(self.engine, GuidedEngine):
            return self.engine.nbest(phrases, RENDERINGS, plain)
        return [[h.text] for h in self.engine.translate_batch(phrases, None, plain)]

    # -- splicing ---------------------------------------------------------------------------
    def _splice(self, w: _Work, plan: list[_Planned]) -> tuple[Hypothesis, int]:
        """The hypothesis with every planned term in place, and the token index after the last
        term (where a continuation may start)."""
        old, cursor, after_last = w.hyp, 0, 0
        out: list[str] = []
        rows: list[tuple[float, ...]] = []
        width = len(old.source_tokens)
        # Spans are disjoint and sorted, so each term's words run up to the next term's start.
        nexts = [q.span[0] for q in plan[1:]] + [len(old.tokens)]
        for p, nxt in zip(plan, nexts, strict=True):
            start, end = p.span
            out += _glued(old.tokens[cursor:start], out)
            rows += old.attention[cursor:start]
            term = self.engine.encode_target(capitalize_first(p.form) if not out else p.form)
            if (
                out
                and start < len(old.tokens)
                and out[-1].lstrip(SPACE) in _OPENING
                and not old.tokens[start].startswith(SPACE)
            ):
                term[0] = term[0].removeprefix(SPACE)  # glued to an opening quote, as it was
            keep = len(_trim_overlap(out, term, at_end=True))
            del out[keep:], rows[keep:]
            _agree_article(out, p.form)
            out += term
            rows += [
                old.attention[min(start, len(old.attention) - 1)]
                if old.attention
                else (0.0,) * width
            ] * len(term)
            after_last = len(out)
            following = list(old.tokens[end:nxt])
            cursor = end + len(following) - len(_trim_overlap(following, term, at_end=False))
        out += _glued(old.tokens[cursor:], out)
        rows += old.attention[cursor:]
        tokens = tuple(out)
        return replace(
            old, tokens=tokens, text=self.engine.detokenize(tokens), attention=tuple(rows)
        ), after_last

    # -- continuing after the last term (constrain) ----------------------------------------
    def _continue(
        self, engine: GuidedEngine, todo: list[_Work], spliced: list[tuple[Hypothesis, int]]
    ) -> list[tuple[Hypothesis, int]]:
        # Only after an inserted term: where a term replaces words, re-decoding the rest gave
        # the same chrF at twice the time (bench/bench_terms.py; see the README).
        # And not after a term appended at the end: nothing is left there to say better.
        asks = [
            k
            for k, w in enumerate(todo)
            if any(
                p.span[0] == p.span[1] and wordy(join_pieces(w.hyp.tokens[p.span[0] :]))
                for p in w.planned
            )
        ]
        if not asks:
            return spliced
        prefixes = [spliced[k][0].tokens[: spliced[k][1]] for k in asks]
        proposals = engine.continuations(
            [todo[k].source for k in asks], prefixes, ALTERNATIVES, self.options
        )
        chosen: dict[int, tuple[str, ...]] = {}
        for k, prefix, options in zip(asks, prefixes, proposals, strict=True):
            inserted = [
                todo[k].occurrences[p.index] for p in todo[k].planned if p.span[0] == p.span[1]
            ]
            tail = _best_tail(
                options,
                todo[k],
                prefix,
                spliced[k][0].tokens[spliced[k][1] :],
                [key for o in inserted for key in self._keys(o)],
            )
            if tail is not None and tuple(prefix) + tail != spliced[k][0].tokens:
                chosen[k] = tuple(prefix) + tail
        if not chosen:
            return spliced
        order = list(chosen)
        sources = [todo[k].source for k in order]
        scores = engine.score(
            sources + sources, [chosen[k] for k in order] + [spliced[k][0].tokens for k in order]
        )
        result = list(spliced)
        for n, k in enumerate(order):
            new, old = scores[n], scores[n + len(order)]
            candidate = _with_tokens(spliced[k][0], chosen[k], self.engine)
            covers = _covered(candidate, todo[k]) >= _covered(spliced[k][0], todo[k])
            if new > old and covers:
                result[k] = (candidate, spliced[k][1])
        return result

    # -- verify -----------------------------------------------------------------------------
    def _reports(self, w: _Work) -> list[TermReport]:
        spans = assign_spans(w.hyp.text, w.occurrences)
        forms = {p.index: p.form for p in w.planned}
        reports = []
        for i, occ in enumerate(w.occurrences):
            span = spans[i]
            status: TermStatus
            if span is not None:
                status, reason = ("kept" if i in w.kept else "enforced"), None
            else:
                status, reason = "missed", self._miss_reason(w, i)
            reports.append(
                TermReport(
                    source_start=occ.start,
                    source_end=occ.end,
                    source_text=occ.text,
                    term=occ.term,
                    form=forms.get(i, required_form(occ)),
                    status=status,
                    target_start=span[0] if span else None,
                    target_end=span[1] if span else None,
                    reason=reason,
                    forbidden=_forbidden(w.hyp.text, occ),
                    plural=occ.plural,
                    warnings=occ.warnings,
                    source_parts=occ.parts,
                )
            )
        return reports

    def _miss_reason(self, w: _Work, i: int) -> str:
        term = w.occurrences[i].term
        if not term.enforced:
            return f"not enforced: status {term.status}"
        if self.mode == "off":
            return "enforcement is off"
        if i in w.reasons:
            return w.reasons[i]
        if i in w.kept:
            return "the model's rendering was lost when another term was put in place"
        return "the term was put in place, but its words overlap another term's"


def _mass(attention: np.ndarray, indices: list[int], rows: int) -> np.ndarray:
    """How much each target token attends to the source tokens of a term."""
    wanted = [j for j in indices if attention.ndim == 2 and j < attention.shape[1]]
    if not wanted or attention.shape[0] != rows:
        return np.zeros(rows, dtype=np.float32)
    return np.asarray(attention[:, wanted].sum(axis=1), dtype=np.float32)


def _claimed_tokens(hyp: Hypothesis, spans: Sequence[tuple[int, int] | None]) -> dict[int, Span]:
    """Per occurrence with a span, the token range under its character span of `hyp.text`."""
    offsets = _token_offsets(hyp.tokens)
    out = {}
    for k, span in enumerate(spans):
        if span is None:
            continue
        inside = [t for t, (a, b) in enumerate(offsets) if a < span[1] and b > span[0]]
        if inside:
            out[k] = (inside[0], inside[-1] + 1)
    return out


def _token_offsets(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Character range of each token's text in join_pieces(tokens)."""
    raw = "".join(tokens).replace(SPACE, " ")
    shift = len(raw) - len(raw.lstrip())
    offsets, cursor = [], -shift
    for token in tokens:
        a = cursor + (1 if token.startswith(SPACE) else 0)
        cursor += len(token)
        offsets.append((max(a, 0), max(cursor, 0)))
    return offsets


def _glued(tokens: Sequence[str], before: Sequence[str]) -> list[str]:
    """A piece that would glue onto a term ("ruler" + "ship") starts a word of its own."""
    out = list(tokens)
    if out and before and not out[0].startswith(SPACE) and wordy(out[0]) and wordy(before[-1]):
        out[0] = SPACE + out[0]
    return out


def _agree_article(tokens: list[str], form: str) -> None:
    """'a' or 'an' right before a term agrees with the term's first sound."""
    if not tokens or tokens[-1].lstrip(SPACE).lower() not in ("a", "an"):
        return
    last = tokens[-1]
    article = indefinite_article(form)
    bare = last.lstrip(SPACE)
    article = article.capitalize() if bare[:1].isupper() else article
    tokens[-1] = last[: len(last) - len(bare)] + article


def _best_tail(
    options: Sequence[Continuation],
    w: _Work,
    prefix: Sequence[str],
    kept_tail: Sequence[str],
    renderings: Sequence[tuple[str, ...]] = (),
) -> tuple[str, ...] | None:
    """The best-scoring continuation that starts a new word (or ends the sentence), does not
    begin by repeating the term's last word or by saying the term again in the model's own
    words ("apparel clothing"), and does not bring back a word the terms replaced (unless the
    spliced sentence has it there too)."""
    replaced = {
        k.removesuffix("'s")
        for p in w.planned
        for k in words(join_pieces(w.hyp.tokens[p.span[0] : p.span[1]]))
    }
    replaced -= DETERMINERS | set(words(join_pieces(kept_tail)))
    again = (set(words(join_pieces(prefix))[-1:]) | {k[0] for k in renderings}) - DETERMINERS
    # A small model tends to invent after an unexpected word ("… regime is concerned with most
    # beautiful regimes"): a continuation may rephrase the rest, not say more than it did.
    longest = len(words(join_pieces(kept_tail))) + 1
    for option in sorted(options, key=lambda c: -c.score):
        tail = option.tokens
        if tail and wordy(tail[0]) and not tail[0].startswith(SPACE):
            continue
        found = [k.removesuffix("'s") for k in words(join_pieces(tail))]
        if again & set(found[:2]) or replaced & set(found) or len(found) > longest:
            continue
        return tail
    return None


def _with_tokens(hyp: Hypothesis, tokens: tuple[str, ...], engine: Engine) -> Hypothesis:
    width = len(hyp.source_tokens)
    rows = tuple(hyp.attention[: len(tokens)]) + ((0.0,) * width,) * max(
        0, len(tokens) - len(hyp.attention)
    )
    return replace(hyp, tokens=tokens, text=engine.detokenize(tokens), attention=rows)


def _covered(hyp: Hypothesis, w: _Work) -> int:
    return sum(s is not None for s in assign_spans(hyp.text, w.occurrences))


def _forbidden(text: str, occ: Occurrence) -> tuple[str, ...]:
    return tuple(f for f in occ.term.forbidden if find_phrase(text, f))


def _trim_overlap(side: list[str], term: list[str], at_end: bool) -> list[str]:
    """Remove words on one side of a spliced term that duplicate the term's edge words."""
    term_words = words(join_pieces(term))
    units = [w for w in hypothesis_words(side)]
    keys = [u.key for u in units]
    for k in range(min(len(keys), len(term_words)), 0, -1):
        if at_end and keys[-k:] == term_words[:k]:
            return side[: units[len(keys) - k].start]
        if not at_end and keys[:k] == term_words[-k:]:
            return side[units[k].start :] if k < len(units) else []
    return side
