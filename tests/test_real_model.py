"""The real-model tier: a real trained German→English Argos package through the real pipeline.

The package translates captions and everyday sentences well and news badly, so the sentences
here are caption-style sentences and the glossaries are "forced": each swaps the model's own
word for a dictionary synonym (Hut → titfer where the model says "hat"). The assertions are
about behaviour, never exact wording: the term is there, in its reported span, where the
German term's content was; nothing is glued to it; the model's word is gone; no word stutters;
the report is honest.

The package is looked for at $GLOSSARY_TEST_MODEL, else next to the repository in
shared/models/; without it these tests are skipped (the fragment helper's own test still runs).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
import sentencepiece as spm

from glossary.ct2engine import CTranslate2Engine, RuntimeOptions
from glossary.enforce import Mode
from glossary.match import TermMatcher
from glossary.packages import InstalledPackage, install_from_file
from glossary.pipeline import Pipeline, TranslationResult
from glossary.report import TermReport
from glossary.term import Term
from glossary.termload import load_glossary
from tests.conftest import ARTICLE

MODEL_FILE = "translate-de_en-trained_small-0_1.argosmodel"
SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_MODEL = SHARED / "models" / MODEL_FILE
GLOSSARY = Path(__file__).resolve().parents[1] / "terms" / "de-en.yaml"
MODEL_ENV = "GLOSSARY_TEST_MODEL"

SPACE = "▁"  # SentencePiece's word-start marker
# Short English words that stand on their own; any other word of one or two letters after a
# term is taken for a piece of a word.
SHORT_WORDS = frozenset(
    "a i an at in on of to is it by up as or be he we me my no so do go us".split()
)
_WORD = re.compile(r"\w+(?:['’]\w+)?")


# -- the package, installed once -------------------------------------------------------------
@pytest.fixture(scope="session")
def real_archive() -> Path:
    """The trained package, or a skip naming both places it is looked for."""
    configured = os.environ.get(MODEL_ENV)
    archive = Path(configured) if configured else DEFAULT_MODEL
    if not archive.is_file():
        pytest.skip(
            f"real model not found: set ${MODEL_ENV} (now {configured or 'unset'}) "
            f"or put {MODEL_FILE} at {DEFAULT_MODEL}"
        )
    return archive


@pytest.fixture(scope="session")
def real_package(real_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> InstalledPackage:
    return install_from_file(tmp_path_factory.mktemp("real-packages"), real_archive)


@pytest.fixture(scope="module")
def engine(real_package: InstalledPackage) -> CTranslate2Engine:
    return CTranslate2Engine(real_package, RuntimeOptions(intra_threads=2))


@pytest.fixture(scope="module")
def pieces(real_package: InstalledPackage) -> frozenset[str]:
    """The model's SentencePiece vocabulary."""
    sp = spm.SentencePieceProcessor(model_file=str(real_package.sentencepiece_model))
    return frozenset(sp.id_to_piece(i) for i in range(sp.get_piece_size()))


# -- helpers ----------------------------------------------------------------------------------
def is_fragment(word: str, vocabulary: frozenset[str]) -> bool:
    """A piece of a word rather than a word: an alphabetic word of at most two letters that is
    not a common short English word, or a word the vocabulary has only as a word-inner piece
    (without the word-start marker)."""
    if word.isalpha() and len(word) <= 2 and word.lower() not in SHORT_WORDS:
        return True
    spellings = {word, word.lower(), word.capitalize()}
    inner = any(s in vocabulary for s in spellings)
    initial = any(SPACE + s in vocabulary for s in spellings)
    return inner and not initial


def glued_after(text: str, end: int, vocabulary: frozenset[str]) -> str | None:
    """What is glued onto a term that ends at `end`: a letter right after it, or a word
    fragment as the next word (after spaces or hyphens); None when the term stands free."""
    if end < len(text) and text[end].isalpha():
        return f"letter {text[end]!r} right after the term"
    following = re.match(r"[\s\-‐‑]*([^\W\d_]+)", text[end:])
    if following and is_fragment(following.group(1), vocabulary):
        return f"fragment {following.group(1)!r} after the term"
    return None


def holds_form(text: str, form: str) -> bool:
    """`text` is `form` (any case; spaces and hyphens between words alike), a possessive 's
    allowed."""
    body = r"[\s\-‐‑]+".join(re.escape(w) for w in re.split(r"[\s\-‐‑]+", form.strip()))
    return re.fullmatch(rf"{body}(?:['’]s?)?", text, re.IGNORECASE) is not None


def phrase_spans(text: str, phrase: str) -> list[tuple[int, int]]:
    """Where `phrase` occurs in `text` as whole words, any case."""
    body = r"\s+".join(re.escape(w) for w in phrase.split())
    return [m.span() for m in re.finditer(rf"(?<!\w){body}(?!\w)", text, re.IGNORECASE)]


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def norm(word: str | None) -> str | None:
    """A word compared loosely: lower case, no possessive, 'an' counted as 'a' (the article
    agrees with the word after it)."""
    if word is None:
        return None
    word = re.sub(r"['’]s?$", "", word.lower())
    return "a" if word == "an" else word


def word_before(text: str, position: int) -> str | None:
    found = words(text[:position])
    return found[-1] if found else None


def stutters(text: str) -> set[str]:
    """Words that occur twice in a row."""
    found = words(text)
    return {a for a, b in pairwise(found) if a == b}


def overlapping(spans: list[tuple[int, int]]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Neighbouring spans that overlap."""
    return [(a, b) for a, b in pairwise(sorted(spans)) if a[1] > b[0]]


def masked(text: str, reports: list[TermReport]) -> str:
    """`text` with the reported term spans blanked out."""
    chars = list(text)
    for r in reports:
        if r.target_start is not None and r.target_end is not None:
            chars[r.target_start : r.target_end] = " " * (r.target_end - r.target_start)
    return "".join(chars)


def test_fragment_helper_on_made_up_strings() -> None:
    vocab = frozenset({"▁the", "▁ruler", "ship", "ing", "▁sing", "sing", "▁is", "s", "▁At"})
    assert is_fragment("ship", vocab) and is_fragment("ing", vocab)
    assert is_fragment("s", vocab) and is_fragment("xy", vocab) and is_fragment("Qs", vocab)
    assert not is_fragment("the", vocab) and not is_fragment("The", vocab)
    assert not is_fragment("sing", vocab)  # also a word start
    assert not is_fragment("titfer", vocab)  # not in the vocabulary at all: a word
    assert not any(is_fragment(w, vocab) for w in ("a", "A", "I", "an", "at", "At", "us"))
    assert not is_fragment("42", vocab)

    text = "the ruler ship is here"
    assert glued_after(text, 9, vocab) == "fragment 'ship' after the term"
    assert glued_after("the rulers", 9, vocab) == "letter 's' right after the term"
    assert glued_after("the ruler-ing", 9, vocab) == "fragment 'ing' after the term"
    assert glued_after("the ruler xy of", 9, vocab) is not None
    assert glued_after("the ruler is here", 9, vocab) is None
    assert glued_after("the ruler at home", 9, vocab) is None
    assert glued_after("the ruler titfer", 9, vocab) is None
    assert glued_after("the ruler. Ship", 9, vocab) is None  # after punctuation: not glued
    assert glued_after("the ruler", 9, vocab) is None
    assert glued_after("the ruler's ship", 11, vocab) == "fragment 'ship' after the term"


# -- the forced cases -------------------------------------------------------------------------
@dataclass(frozen=True)
class Forced:
    term: Term
    replaced: str  # the model's own words for the term, as the off output has them


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    forced: tuple[Forced, ...]


def _f(source: str, target: str, replaced: str, gender: str, plural: str | None = None) -> Forced:
    return Forced(Term(source, target, target_plural=plural, gender=gender), replaced)


HUT = ("Hut", "titfer", "hat", "m")
CASES = [
    Case(
        "hat-after-adjective",
        "Ein Mann mit einem orangefarbenen Hut starrt auf etwas.",
        (_f(*HUT),),
    ),
    Case(
        "subject-after-adjective",
        "Ein kleines Mädchen spielt im Park.",
        (_f("Mädchen", "lass", "girl", "n"),),
    ),
    Case(
        "subject-indefinite",
        "Eine Frau sitzt auf einer Bank.",
        (_f("Frau", "wife", "woman", "f", "wives"),),
    ),
    Case(
        "plural-subject", "Zwei Hunde laufen über eine Wiese.", (_f("Hund", "hound", "dogs", "m"),)
    ),
    Case(
        "subject-and-object",
        "Ein Junge fährt mit seinem Fahrrad die Straße entlang.",
        (_f("Junge", "lad", "boy", "m"), _f("Straße", "roadway", "street", "f")),
    ),
    Case("subject-definite", "Der Hund springt ins Wasser.", (_f("Hund", "hound", "dog", "m"),)),
    Case(
        "irregular-plural",
        "Mehrere Männer stehen vor einem Gebäude.",
        (_f("Mann", "fellow", "men", "m"),),
    ),
    Case("object-at-end", "Ein Mann repariert sein Auto.", (_f("Auto", "automobile", "car", "n"),)),
    Case(
        "german-first-english-last",
        "Im Hintergrund sieht man Berge.",
        (_f("Hintergrund", "backdrop", "background", "m"),),
    ),
    Case(
        "end-before-period",
        "Ein Hund mit einem Ball im Maul.",
        (_f("Maul", "muzzle", "mouth", "n"),),
    ),
    Case(
        "same-term-twice",
        "Ein schwarzer Hund und ein weißer Hund spielen im Gras.",
        (_f("Hund", "hound", "dog", "m"),),
    ),
    Case(
        "two-terms-start-and-end",
        "Die Frau liest ein Buch.",
        (_f("Frau", "wife", "woman", "f", "wives"), _f("Buch", "volume", "book", "n")),
    ),
    Case(
        "given-plural",
        "Zwei Frauen unterhalten sich auf der Straße.",
        (_f("Frau", "wife", "women", "f", "wives"),),
    ),
    Case(
        "multiword-english-at-end",
        "Ein Mann in einem Feuerwehrauto.",
        (_f("Feuerwehrauto", "fire engine", "firetruck", "n"),),
    ),
    Case(
        "compound-and-end",
        "Ein Radfahrer fährt auf der Straße.",
        (_f("Radfahrer", "cyclist", "bicyclist", "m"), _f("Straße", "roadway", "street", "f")),
    ),
    Case(
        "multiword-german",
        "Ein Mann in einem blauen Hemd hält einen Hund.",
        (_f("blaues Hemd", "azure tunic", "blue shirt", "n"),),
    ),
    Case(
        "multiword-replacing-one-word",
        "Ein Mann fährt Fahrrad.",
        (_f("Fahrrad", "push bike", "bicycle", "n"),),
    ),
    Case("object-first-person", "Ich habe einen Hund.", (_f("Hund", "hound", "dog", "m"),)),
    Case(
        "sentence-start-plural",
        "Kinder spielen im Wasser.",
        (_f("Kind", "youngster", "children", "n", "youngsters"),),
    ),
    Case(
        "term-contains-model-word",
        "Ein Hund schwimmt im Wasser.",
        (_f("Wasser", "water body", "water", "n"),),
    ),
    Case(
        "genitive-possessive",
        "Ein Mann repariert das Fahrrad seines Sohnes.",
        (_f("Sohn", "lad", "son", "m"),),
    ),
    Case(
        "possessive-before-term",
        "Der Hut des Mannes ist rot.",
        (_f(*HUT), _f("Mann", "fellow", "man", "m")),
    ),
    Case(
        "article-agreement",
        "Ein Auto fährt schnell die Straße entlang.",
        (_f("Auto", "automobile", "car", "n"),),
    ),
    Case(
        "dative-and-bare-object",
        "Die Frau gibt dem Hund Wasser.",
        (_f("Hund", "hound", "dog", "m"), _f("Wasser", "water body", "water", "n")),
    ),
    Case(
        "adjective-noun-source",
        "Ein älterer Mann sitzt auf einer Bank im Park.",
        (_f("älterer Mann", "old chap", "older man", "m"),),
    ),
    Case(
        "two-terms-far-apart",
        "Ein Mann mit einem Hut sitzt neben einer Frau.",
        (_f("Mann", "fellow", "man", "m"), _f("Frau", "wife", "woman", "f", "wives")),
    ),
    Case(
        "reordered-plural",
        "Auf der Straße stehen viele Autos.",
        (_f("Auto", "automobile", "cars", "n"), _f("Straße", "roadway", "street", "f")),
    ),
    Case(
        "term-extends-model-words",
        "Ein kleiner Junge isst ein Eis.",
        (_f("Eis", "ice cream cone", "ice cream", "n"),),
    ),
    Case(
        "three-terms",
        "Der Mann gibt der Frau einen Hut.",
        (_f("Mann", "fellow", "man", "m"), _f("Frau", "wife", "woman", "f", "wives"), _f(*HUT)),
    ),
    Case("same-object-twice", "Ein Mann mit einem Hut und ein Junge mit einem Hut.", (_f(*HUT),)),
    Case(
        "genitive-before-plural",
        "Ein Junge sitzt auf den Schultern seines Vaters.",
        (_f("Vater", "dad", "father", "m"), _f("Junge", "lad", "boy", "m")),
    ),
    Case(
        "long-compound",
        "Eine Frau mit einem Kinderwagen überquert die Straße.",
        (_f("Kinderwagen", "perambulator", "stroller", "m"),),
    ),
    Case(
        "bare-plurals",
        "Mädchen in roten Kleidern tanzen auf der Straße.",
        (_f("Mädchen", "lass", "girls", "n"), _f("Kleid", "frock", "dresses", "n")),
    ),
]
CASE_IDS = [c.id for c in CASES]


@pytest.fixture(scope="module")
def translate(engine: CTranslate2Engine) -> Iterator[Callable[[Case, Mode], TranslationResult]]:
    """Translations of the cases, each made once per mode."""
    done: dict[tuple[str, str], TranslationResult] = {}

    def run(case: Case, mode: Mode) -> TranslationResult:
        key = (case.id, mode)
        if key not in done:
            matcher = TermMatcher([f.term for f in case.forced])
            done[key] = Pipeline(engine, matcher=matcher, mode=mode).translate(case.source)
        return done[key]

    yield run
    done.clear()


def outputs(translate: Callable[[Case, Mode], TranslationResult], case: Case) -> str:
    """The case in all three modes, for failure messages."""
    lines = [f"source:    {case.source}"]
    modes: tuple[Mode, ...] = ("off", "replace", "constrain")
    for mode in modes:
        result = translate(case, mode)
        lines.append(f"{mode + ':':10} {result.text}")
        if mode != "off":
            lines += [
                f"    {r.source_text} -> {r.form}: {r.status} "
                f"{(r.target_start, r.target_end)} {r.reason or ''}"
                for r in result.terms
            ]
    return "\n".join(lines)


def _report_of(result: TranslationResult, forced: Forced) -> list[TermReport]:
    return [r for r in result.terms if r.term == forced.term]


# 1. Every occurrence is kept or enforced, its own span holds its form, spans don't overlap.
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_forced_terms_are_in_their_reported_spans(
    case: Case, translate: Callable[[Case, Mode], TranslationResult]
) -> None:
    result = translate(case, "constrain")
    why = outputs(translate, case)
    assert {r.term for r in result.terms} == {f.term for f in case.forced}, why
    spans = []
    for r in result.terms:
        assert r.status in ("kept", "enforced"), why
        assert r.target_start is not None and r.target_end is not None, why
        assert holds_form(result.text[r.target_start : r.target_end], r.form), why
        spans.append((r.target_start, r.target_end))
    assert not overlapping(spans), why


# 2. No word fragment is glued to a forced term.
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_no_fragment_is_glued_to_a_forced_term(
    case: Case, translate: Callable[[Case, Mode], TranslationResult], pieces: frozenset[str]
) -> None:
    result = translate(case, "constrain")
    glued = [
        (r.form, glued_after(result.text, r.target_end, pieces))
        for r in result.terms
        if r.target_end is not None
    ]
    assert [g for g in glued if g[1]] == [], outputs(translate, case)


# 3. The model's own word does not come back, and no word stutters.
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_replaced_word_is_gone_and_nothing_stutters(
    case: Case, translate: Callable[[Case, Mode], TranslationResult]
) -> None:
    off, result = translate(case, "off"), translate(case, "constrain")
    why = outputs(translate, case)
    rest = masked(result.text, result.terms)
    for forced in case.forced:
        found = phrase_spans(off.text, forced.replaced)
        assert found, f"case table is stale: {forced.replaced!r} not in the off output\n{why}"
        if len(found) == 1:
            assert not phrase_spans(rest, forced.replaced), why
    assert stutters(result.text) <= stutters(off.text), why


# 4. The term lands where the model's own word was.
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_term_lands_where_the_model_word_was(
    case: Case, translate: Callable[[Case, Mode], TranslationResult]
) -> None:
    off, result = translate(case, "off"), translate(case, "constrain")
    why = outputs(translate, case)
    # The word before may itself be another forced term's word: count it as that term.
    renamed = {}
    for forced in case.forced:
        for r in _report_of(result, forced):
            renamed[norm(words(forced.replaced)[-1])] = norm(words(r.form)[-1])
    for forced in case.forced:
        found = phrase_spans(off.text, forced.replaced)
        reports = _report_of(result, forced)
        if len(found) != 1 or len(reports) != 1 or reports[0].target_start is None:
            continue  # rules 1 and 3 speak for these
        before_off = norm(word_before(off.text, found[0][0]))
        before_off = renamed.get(before_off, before_off)
        before_now = norm(word_before(result.text, reports[0].target_start))
        assert before_now == before_off, (
            f"{forced.term.source}: before it {before_now!r}, "
            f"before {forced.replaced!r} {before_off!r}\n{why}"
        )


# 5. Nested English: "Kremlin" inside "Kremlin ruler".
KREML_TERMS = [Term("Kreml", "Kremlin"), Term("Kreml-Herrscher", "Kremlin ruler")]
KREML_SENTENCES = {  # sentence → how many occurrences it has
    "Der Kreml-Herrscher bleibt im Kreml.": 2,
    "Im Kreml sitzt der Kreml-Herrscher.": 2,
    "Der Kreml-Herrscher spricht im Kreml mit dem Kreml-Herrscher.": 3,
}


@pytest.mark.parametrize("mode", ["constrain", "replace"])
@pytest.mark.parametrize("sentence", list(KREML_SENTENCES))
def test_nested_english_terms_are_reported_honestly(
    engine: CTranslate2Engine, sentence: str, mode: Mode
) -> None:
    result = Pipeline(engine, matcher=TermMatcher(KREML_TERMS), mode=mode).translate(sentence)
    why = f"{result.text}\n" + "\n".join(
        f"  {r.source_text}: {r.status} {(r.target_start, r.target_end)} {r.reason}"
        for r in result.terms
    )
    assert len(result.terms) == KREML_SENTENCES[sentence], why
    spans = []
    for r in result.terms:
        if r.status == "missed":
            assert r.target_start is None, why
            if mode == "replace":
                assert "re-decod" not in (r.reason or ""), why
            continue
        assert r.target_start is not None and r.target_end is not None, why
        assert holds_form(result.text[r.target_start : r.target_end], r.form), why
        spans.append((r.target_start, r.target_end))
    assert not overlapping(spans), why


def test_replace_mode_miss_reasons_do_not_mention_redecoding(
    translate: Callable[[Case, Mode], TranslationResult],
) -> None:
    reasons = [
        r.reason or ""
        for case in CASES
        for r in translate(case, "replace").terms
        if r.status == "missed"
    ]
    assert not [r for r in reasons if "re-decod" in r]


# 6. Long input never fails.
LONG_INPUTS = {
    "url-920": "https://example.com/" + "a" * 900,
    "x-newline-5000": "x\n" * 5000,
    "A-dot-300": "A. " * 300,
}


@pytest.mark.parametrize("text", LONG_INPUTS.values(), ids=LONG_INPUTS.keys())
def test_long_input_translates_without_error(engine: CTranslate2Engine, text: str) -> None:
    result = Pipeline(engine, matcher=TermMatcher(KREML_TERMS)).translate(text)
    assert isinstance(result.text, str)


# -- the seed article with the repository's glossary ------------------------------------------
@pytest.fixture(scope="module")
def article_result(engine: CTranslate2Engine) -> TranslationResult:
    if not ARTICLE.is_file():
        pytest.skip(f"seed article not found at {ARTICLE}")
    matcher = TermMatcher(load_glossary(GLOSSARY).terms)
    return Pipeline(engine, matcher=matcher).translate(ARTICLE.read_text(encoding="utf-8"))


def test_seed_article_misses_no_approved_term_inside_a_sentence(
    article_result: TranslationResult,
) -> None:
    result = article_result
    inside = [(s.source_start, s.source_end) for s in result.sentences]
    missed = [
        f"{r.source_text} -> {r.form}: {r.reason}\n    in: "
        + next(
            s.target for s in result.sentences if s.source_start <= r.source_start < s.source_end
        )
        for r in result.terms
        if r.status == "missed"
        and r.term.enforced
        and any(a <= r.source_start and r.source_end <= b for a, b in inside)
    ]
    assert missed == [], "\n".join(missed)


def test_seed_article_has_no_fragment_glued_to_a_term(
    article_result: TranslationResult, pieces: frozenset[str]
) -> None:
    text = article_result.text
    glued = [
        f"{r.form}: {why} in {text[max((r.target_start or 0) - 30, 0) : r.target_end + 30]!r}"
        for r in article_result.terms
        if r.target_end is not None and (why := glued_after(text, r.target_end, pieces))
    ]
    assert glued == [], "\n".join(glued)
