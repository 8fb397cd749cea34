"""Enforcement case tables with a fake engine whose wording is known (PhraseEngine): kept,
enforced, replace, plural, capitalisation, forbidden, overlap. The matcher is bypassed: each
case names its occurrences, so only enforcement is under test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from glossary.enforce import Enforcer, Mode, _best_tail, _Planned, _trim_overlap, _Work
from glossary.engine import Continuation, DecodeOptions
from glossary.match import Occurrence
from glossary.term import Term
from tests.fakes import PhraseEngine, word_tokens

RULER = Term("Kreml-Herrscher", "Kremlin ruler", forbidden=("Kremlin lord",))
GUNS = Term("Waffen für Butter", "guns for butter")
TREATY = Term("Vertrag", "treaty", target_plural="treaties")
PUTIN = Term("Wladimir Putin", "Vladimir Putin")
PROPOSED = Term("Bündnis", "alliance", status="proposed")
ACCORD = Term("Vertrag", "accord")
ALLIANCE = Term("Bündnis", "alliance")
KREMLIN = Term("Kreml", "Kremlin")
BLUE = Term("blau", "azure")
LASS = Term("Mädchen", "lass")

LEXICON = {
    "der": "the",
    "die": "the",
    "den": "the",
    "ist": "is",
    "ein": "a",
    "kein": "no",
    "deal": "deal",
    "reist": "travels",
    "reisen": "travel",
    "nach": "to",
    "und": "and",
    "pjöngjang": "Pyongyang",
    "kreml-herrscher": "Kremlin lord",
    "wladimir": "Vladimir",
    "putin": "Putin",
    "vertrag": "contract",
    "verträge": "contracts",
    "waffen": "weapons",
    "für": "for",
    "butter": "butter",
    "unterzeichnen": "sign",
    "bündnis": "pact",
    "kreml": "Moscow",
    "blauen": "blue",
    "mädchen": "girls",
    "sitzen": "sit",
}


def occ(
    sentence: str, text: str, term: Term, plural: bool | None = None, nth: int = 0
) -> Occurrence:
    start = -1
    for _ in range(nth + 1):
        start = sentence.index(text, start + 1)
    return Occurrence(start, start + len(text), text, term, plural)


@dataclass(frozen=True)
class Case:
    name: str
    sentence: str
    found: tuple[tuple[str, Term, bool | None], ...]
    mode: Mode
    output: str
    statuses: tuple[str, ...]


CASES = [
    Case(
        "kept: already right",
        "Wladimir Putin reist.",
        (("Wladimir Putin", PUTIN, None),),
        "constrain",
        "Vladimir Putin travels.",
        ("kept",),
    ),
    Case(
        "constrain: wrong rendering re-decoded",
        "Der Kreml-Herrscher reist nach Pjöngjang.",
        (("Kreml-Herrscher", RULER, False),),
        "constrain",
        "The Kremlin ruler travels to Pyongyang.",
        ("enforced",),
    ),
    Case(
        "replace: aligned words substituted",
        "Der Kreml-Herrscher reist nach Pjöngjang.",
        (("Kreml-Herrscher", RULER, False),),
        "replace",
        "The Kremlin ruler travels to Pyongyang.",
        ("enforced",),
    ),
    Case(
        "off: only reported",
        "Der Kreml-Herrscher reist.",
        (("Kreml-Herrscher", RULER, None),),
        "off",
        "The Kremlin lord travels.",
        ("missed",),
    ),
    Case(
        "plural: irregular target_plural",
        "Die Verträge reisen.",
        (("Verträge", TREATY, True),),
        "constrain",
        "The treaties travel.",
        ("enforced",),
    ),
    Case(
        "plural: regular English plural",
        "Die Kreml-Herrscher reisen.",
        (("Kreml-Herrscher", RULER, True),),
        "replace",
        "The Kremlin rulers travel.",
        ("enforced",),
    ),
    Case(
        "capital: sentence-initial term",
        "Waffen für Butter ist kein Deal.",
        (("Waffen für Butter", GUNS, None),),
        "constrain",
        "Guns for butter is no deal.",
        ("enforced",),
    ),
    Case(
        "capital: lower case mid-sentence",
        "Ein Deal: Waffen für Butter.",
        (("Waffen für Butter", GUNS, None),),
        "replace",
        "A deal: guns for butter.",
        ("enforced",),
    ),
    Case(
        "two terms in one sentence, target order",
        "Der Kreml-Herrscher und der Vertrag.",
        (("Kreml-Herrscher", RULER, False), ("Vertrag", TREATY, False)),
        "constrain",
        "The Kremlin ruler and the treaty.",
        ("enforced", "enforced"),
    ),
    Case(
        "same term twice",
        "Der Vertrag und der Vertrag.",
        (("Vertrag", TREATY, False), ("Vertrag", TREATY, False)),
        "constrain",
        "The treaty and the treaty.",
        ("enforced", "enforced"),
    ),
    Case(
        "article: a becomes an before a vowel",
        "Ein Vertrag reist.",
        (("Vertrag", ACCORD, False),),
        "constrain",
        "An accord travels.",
        ("enforced",),
    ),
    Case(
        "article: an becomes a before a consonant",
        "Ein Bündnis und ein Vertrag.",
        (("Bündnis", ALLIANCE, False),),
        "replace",
        "An alliance and a contract.",
        ("enforced",),
    ),
    Case(
        "nested: the short term needs words of its own",
        "Der Kreml und der Kreml-Herrscher.",
        (("Kreml", KREMLIN, False), ("Kreml-Herrscher", RULER, False)),
        "constrain",
        "The Kremlin and the Kremlin ruler.",
        ("enforced", "enforced"),
    ),
    Case(
        "adjective terms take no English plural",
        "Die blauen Verträge.",
        (("blauen", BLUE, True),),
        "constrain",
        "The azure contracts.",
        ("enforced",),
    ),
    Case(
        "number from the English where the German hides it",
        "Mädchen sitzen.",
        (("Mädchen", LASS, None),),
        "constrain",
        "Lasses sit.",
        ("enforced",),
    ),
    Case(
        "proposed terms are reported, not enforced",
        "Der Bündnis reist.",
        (("Bündnis", PROPOSED, None),),
        "constrain",
        "The pact travels.",
        ("missed",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fake_engine_enforcement_cases(case: Case) -> None:
    engine = PhraseEngine(LEXICON)
    occurrences = []
    for text, term, plural in case.found:
        nth = sum(1 for o in occurrences if o.text == text)
        occurrences.append(occ(case.sentence, text, term, plural, nth))
    hyp = engine.translate_batch([case.sentence])[0]
    enforcer = Enforcer(engine, DecodeOptions(), case.mode)
    [(out, reports)] = enforcer.enforce([case.sentence], [hyp], [occurrences])
    assert out.text == case.output
    assert tuple(r.status for r in reports) == case.statuses
    for report in reports:
        if report.status != "missed":
            assert report.target_start is not None and report.target_end is not None
            # the span is the required wording, capitalised only where it opens the sentence
            form = report.form
            if report.target_start == 0:
                form = form[:1].upper() + form[1:]
            assert out.text[report.target_start : report.target_end] == form


def test_fake_engine_forbidden_wording_is_flagged_and_replaced() -> None:
    engine = PhraseEngine(LEXICON)
    sentence = "Der Kreml-Herrscher reist."
    found = [occ(sentence, "Kreml-Herrscher", RULER)]
    hyp = engine.translate_batch([sentence])[0]
    [(_, off)] = Enforcer(engine, DecodeOptions(), "off").enforce([sentence], [hyp], [found])
    assert off[0].forbidden == ("Kremlin lord",)
    [(out, on)] = Enforcer(engine, DecodeOptions(), "constrain").enforce([sentence], [hyp], [found])
    assert on[0].forbidden == () and "lord" not in out.text


def test_fake_engine_constrain_drops_echo_of_the_old_rendering() -> None:
    # Word-by-word lexicon: "weapons for butter"; forcing "guns for butter" makes the fake
    # continue after "Waffen" with "for butter" again, as real models sometimes do.
    engine = PhraseEngine(LEXICON, echo=True)
    sentence = "Ein Deal: Waffen für Butter und Pjöngjang."
    found = [occ(sentence, "Waffen für Butter", GUNS)]
    hyp = engine.translate_batch([sentence])[0]
    [(out, reports)] = Enforcer(engine, DecodeOptions(), "constrain").enforce(
        [sentence], [hyp], [found]
    )
    assert out.text == "A deal: guns for butter and Pyongyang."
    assert reports[0].status == "enforced"


def test_fake_engine_constrain_batches_rounds_across_sentences() -> None:
    engine = PhraseEngine(LEXICON)
    sentences = ["Der Kreml-Herrscher reist.", "Der Vertrag reist.", "Putin reist."]
    found = [
        [occ(sentences[0], "Kreml-Herrscher", RULER)],
        [occ(sentences[1], "Vertrag", TREATY)],
        [],
    ]
    hyps = engine.translate_batch(sentences)
    engine.calls.clear()
    Enforcer(engine, DecodeOptions(), "constrain").enforce(sentences, hyps, found)
    assert len(engine.calls) == 1 and len(engine.calls[0]) == 2


OVERLAPS = [
    (["▁the", "▁Kremlin"], "Kremlin ruler", True, ["▁the"]),
    (["▁ruler", "▁Putin"], "Kremlin ruler", False, ["▁Putin"]),
    (["▁the", "▁big"], "Kremlin ruler", True, ["▁the", "▁big"]),
    ([], "Kremlin ruler", True, []),
]


@pytest.mark.parametrize(("side", "term", "at_end", "expected"), OVERLAPS)
def test_splice_does_not_duplicate_edge_words(
    side: list[str], term: str, at_end: bool, expected: list[str]
) -> None:
    assert _trim_overlap(side, word_tokens(term), at_end) == expected


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="constrain"):
        Enforcer(PhraseEngine({}), DecodeOptions(), "bogus")  # type: ignore[arg-type]


def _options(*tails: tuple[list[str], float]) -> list[Continuation]:
    return [Continuation(tuple(t), score) for t, score in tails]


def test_continuation_must_start_a_word_and_not_bring_back_the_replaced_word() -> None:
    sentence = "Ein Mann mit einem Hut."
    engine = PhraseEngine({"ein": "a", "mann": "man", "mit": "with", "einem": "a", "hut": "hat"})
    hyp = engine.translate_batch([sentence])[0]
    work = _Work(sentence, [occ(sentence, "Hut", Term("Hut", "titfer"))], hyp)
    work.planned = [_Planned(0, (4, 5), "titfer")]
    prefix = ["▁a", "▁man", "▁with", "▁a", "▁titfer"]
    glued = (["ing", "."], -0.1)
    echo = (["▁hat", "."], -0.2)
    repeat = (["▁titfer", "."], -0.3)
    good = (["▁on", "."], -0.9)
    assert _best_tail(_options(glued, echo, repeat, good), work, prefix, ["."]) == ("▁on", ".")
    assert _best_tail(_options(glued, echo), work, prefix, ["."]) is None
    assert _best_tail(_options((["."], -2.0)), work, prefix, ["."]) == (".",)
    # Saying the term again in the model's own words right after it is an echo too.
    again = (["▁clothing", "▁on", "."], -0.1)
    assert _best_tail(_options(again, good), work, prefix, ["."], [("clothing",)]) == ("▁on", ".")
