"""Sentence splitting: case tables per rule, offset invariants, the seed article, a fuzz test."""

from __future__ import annotations

import itertools
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glossary.errors import InputError
from glossary.segment import Segment, split_sentences
from tests.conftest import ARTICLE

# (input, expected segment texts)
Case = tuple[str, list[str]]

PUNCTUATION_CASES: list[Case] = [
    ("Er kam. Sie ging.", ["Er kam.", "Sie ging."]),
    ("Kommt er? Ja!", ["Kommt er?", "Ja!"]),
    ("Wirklich?! Ja.", ["Wirklich?!", "Ja."]),
    ("Er zögerte … Dann ging er.", ["Er zögerte …", "Dann ging er."]),
    ("Er zögerte... Dann ging er.", ["Er zögerte...", "Dann ging er."]),
    ("Er kam. 2024 war ein Jahr.", ["Er kam.", "2024 war ein Jahr."]),
    ("Er kam. „Gut“, sagte sie.", ["Er kam.", "„Gut“, sagte sie."]),
    ("Er kam. (Sie nicht.) Dann ging er.", ["Er kam.", "(Sie nicht.)", "Dann ging er."]),
    ("Er kam (spät.) Dann ging er.", ["Er kam (spät.)", "Dann ging er."]),
    ("Er kam.  \t Sie ging.", ["Er kam.", "Sie ging."]),
    ("Er kam.\u00a0Sie ging.", ["Er kam.", "Sie ging."]),
    # No sentence can start with a lowercase word, a comma or a dash.
    ("Er kam. und ging.", ["Er kam. und ging."]),
    ("Er fragte: Warum? und ging.", ["Er fragte: Warum? und ging."]),
    ("Er kam! – Sie ging.", ["Er kam! – Sie ging."]),
    ("Kein Punkt am Ende", ["Kein Punkt am Ende"]),
]

ABBREVIATION_CASES: list[Case] = [
    ("Er mag Obst, z. B. Äpfel.", ["Er mag Obst, z. B. Äpfel."]),
    ("Er mag Obst, z.B. Äpfel.", ["Er mag Obst, z.B. Äpfel."]),
    ("Das ist, d. h. Putin will es.", ["Das ist, d. h. Putin will es."]),
    ("Es kamen u. a. Gäste.", ["Es kamen u. a. Gäste."]),
    ("Äpfel, Birnen usw. waren da.", ["Äpfel, Birnen usw. waren da."]),
    ("Äpfel, Birnen u.s.w. Kirschen.", ["Äpfel, Birnen u.s.w. Kirschen."]),
    ("Das gilt i. d. R. Montags.", ["Das gilt i. d. R. Montags."]),
    ("Er sprach mit Dr. Müller.", ["Er sprach mit Dr. Müller."]),
    ("Sie traf Prof. Dr. Schmidt.", ["Sie traf Prof. Dr. Schmidt."]),
    ("Er wohnt in der Hauptstr. Nr. 5.", ["Er wohnt in der Hauptstr. Nr. 5."]),
    ("Er reist nach St. Petersburg.", ["Er reist nach St. Petersburg."]),
    ("Es kostet ca. 5 Mio. Euro.", ["Es kostet ca. 5 Mio. Euro."]),
    ("Es kostet 2 Mrd. Dollar.", ["Es kostet 2 Mrd. Dollar."]),
    ("Vgl. Abs. 3 dazu.", ["Vgl. Abs. 3 dazu."]),
    ("Gilt nach Art. 5 GG.", ["Gilt nach Art. 5 GG."]),
    ("Müller & Co. KG zahlt.", ["Müller & Co. KG zahlt."]),
    (
        "Geöffnet Mo. Di. Mi. Do. Fr. Sa. So. Danach zu.",
        ["Geöffnet Mo. Di. Mi. Do. Fr. Sa. So. Danach zu."],
    ),
    ("Ab Sept. Montag.", ["Ab Sept. Montag."]),
    ("Sie ist Dipl. Ing. Meier.", ["Sie ist Dipl. Ing. Meier."]),
    ("Siehe S. 12 ff. Danach weiter.", ["Siehe S. 12 ff. Danach weiter."]),
    ("Im 19. Jh. Begann es.", ["Im 19. Jh. Begann es."]),
    ("Es dauerte 5 Min. Dann ging er.", ["Es dauerte 5 Min. Dann ging er."]),
    ("Konstantin S. Sonin schreibt.", ["Konstantin S. Sonin schreibt."]),
    ("J. R. R. Tolkien schrieb.", ["J. R. R. Tolkien schrieb."]),
    # Negatives: words that only look like abbreviations still end sentences.
    ("Es ist so. Danach ging er.", ["Es ist so.", "Danach ging er."]),
    ("Er tat es auf seine Art. Danach ging er.", ["Er tat es auf seine Art.", "Danach ging er."]),
    ("Das sagte Jan. Er ging.", ["Das sagte Jan.", "Er ging."]),
    ("Er sprach mit Dr. Müller. Sie ging.", ["Er sprach mit Dr. Müller.", "Sie ging."]),
]

NUMBER_CASES: list[Case] = [
    ("Er kam am 24. Dezember an.", ["Er kam am 24. Dezember an."]),
    ("Er kam am 24.12. in Berlin an.", ["Er kam am 24.12. in Berlin an."]),
    ("Der 3. Oktober ist ein Feiertag.", ["Der 3. Oktober ist ein Feiertag."]),
    ("Am 1.1.2024 kam er.", ["Am 1.1.2024 kam er."]),
    ("Am 3. Jan. 2024 kam er.", ["Am 3. Jan. 2024 kam er."]),
    ("Er kam zum 2. Mal.", ["Er kam zum 2. Mal."]),
    ("Der 2. Weltkrieg endete.", ["Der 2. Weltkrieg endete."]),
    ("Zum 100. Geburtstag kam er.", ["Zum 100. Geburtstag kam er."]),
    ("Ludwig XIV. Regierte lange.", ["Ludwig XIV. Regierte lange."]),
    ("Am 3. „Gipfel“ sprach er.", ["Am 3. „Gipfel“ sprach er."]),
    ("Es war der 3. und letzte Tag.", ["Es war der 3. und letzte Tag."]),
    ("Der Wert stieg auf 3.5 Prozent.", ["Der Wert stieg auf 3.5 Prozent."]),
    ("Der Wert stieg auf 3,5. Danach fiel er.", ["Der Wert stieg auf 3,5.", "Danach fiel er."]),
    ("Das war im Jahr 2024. Danach kam 2025.", ["Das war im Jahr 2024.", "Danach kam 2025."]),
    ("Das war 2024. Russland schwieg.", ["Das war 2024.", "Russland schwieg."]),
    ("Er kam am 1.1.2024. Danach ging er.", ["Er kam am 1.1.2024.", "Danach ging er."]),
    ("Es waren 12.000. Die Zahl stieg.", ["Es waren 12.000.", "Die Zahl stieg."]),
    ("Er wurde 3. Danach ging er.", ["Er wurde 3.", "Danach ging er."]),
    ("Er wurde 3. Er ging.", ["Er wurde 3.", "Er ging."]),
    (
        "Er lief auf Platz 3. „Wir sind stolz“, sagte er.",
        ["Er lief auf Platz 3.", "„Wir sind stolz“, sagte er."],
    ),
    ("Er kam. 3. Die Liste.", ["Er kam.", "3. Die Liste."]),
]

LINK_CASES: list[Case] = [
    ("Mehr unter www.example.de und hier.", ["Mehr unter www.example.de und hier."]),
    ("Mehr unter www.example.de. Danach kam er.", ["Mehr unter www.example.de.", "Danach kam er."]),
    (
        "Siehe https://example.de/a.B?x=1. Dann mehr.",
        ["Siehe https://example.de/a.B?x=1.", "Dann mehr."],
    ),
    ("Mail an a@b.de schreiben.", ["Mail an a@b.de schreiben."]),
    ("Mail an info@example.de. Sie antworten.", ["Mail an info@example.de.", "Sie antworten."]),
]

ELLIPSIS_CASES: list[Case] = [
    ("Er wartete … und wartete.", ["Er wartete … und wartete."]),
    ("Er wartete... und wartete.", ["Er wartete... und wartete."]),
    ("Er sagte, […] Putin sei schuld.", ["Er sagte, […] Putin sei schuld."]),
    ("Er sagte, [...] Putin sei schuld.", ["Er sagte, [...] Putin sei schuld."]),
]

QUOTE_CASES: list[Case] = [
    (
        "„Für zukünftiges Russland zutiefst peinlich“",
        ["„Für zukünftiges Russland zutiefst peinlich“"],
    ),
    (
        "„Für zukünftiges Russland zutiefst peinlich“\n\nDer Text.",
        ["„Für zukünftiges Russland zutiefst peinlich“", "Der Text."],
    ),
    ("Er sagte: „Wir bleiben.“ Danach ging er.", ["Er sagte: „Wir bleiben.“", "Danach ging er."]),
    ("Er sagte: „Wir bleiben!“ Danach ging er.", ["Er sagte: „Wir bleiben!“", "Danach ging er."]),
    ("Er sagte: »Wir bleiben.« Danach ging er.", ["Er sagte: »Wir bleiben.«", "Danach ging er."]),
    ('Er sagte: "Wir bleiben." Danach ging er.', ['Er sagte: "Wir bleiben."', "Danach ging er."]),
    ("Er sagte: ‚Wir bleiben.‘ Danach ging er.", ["Er sagte: ‚Wir bleiben.‘", "Danach ging er."]),
    ("„Ich kann das nicht“ Konstantin Sonin", ["„Ich kann das nicht“ Konstantin Sonin"]),
    ("„Warum?“, fragte er.", ["„Warum?“, fragte er."]),
    ("„Nein.“ „Doch.“", ["„Nein.“", "„Doch.“"]),
    ("Er schrieb „Waffen für Butter“ darüber.", ["Er schrieb „Waffen für Butter“ darüber."]),
]

LINE_CASES: list[Case] = [
    (
        "Pakt zwischen Diktatoren\nPutin unterschrieb.",
        ["Pakt zwischen Diktatoren", "Putin unterschrieb."],
    ),
    ("Einkaufsliste:\n- Äpfel\n- Birnen", ["Einkaufsliste:", "- Äpfel", "- Birnen"]),
    ("Titel\n2024 war gut.", ["Titel", "2024 war gut."]),
    ("Titel\n„Zitat“", ["Titel", "„Zitat“"]),
    ("Der Kreml-\nHerrscher kam.", ["Der Kreml-\nHerrscher kam."]),
    ("Der Vertrags-\npartner kam.", ["Der Vertrags-\npartner kam."]),
    ("Der Satz geht\nweiter bis hier.", ["Der Satz geht\nweiter bis hier."]),
    ("Der Satz geht,\nDeutschland sagt ja.", ["Der Satz geht,\nDeutschland sagt ja."]),
    ("Nordkorea –\nMoskau paktiert.", ["Nordkorea –\nMoskau paktiert."]),
    ("Er kam.\nSie ging.", ["Er kam.", "Sie ging."]),
    ("Er kam mit Dr.\nMüller.", ["Er kam mit Dr.\nMüller."]),
    ("Er kam am 24.\nDezember.", ["Er kam am 24.\nDezember."]),
    ("Er kam.\nund ging.", ["Er kam.\nund ging."]),
    ("1.\nDer erste Punkt.", ["1.\nDer erste Punkt."]),
    ("Titel\r\nText folgt.", ["Titel", "Text folgt."]),
]

PARAGRAPH_CASES: list[tuple[str, list[tuple[str, int]]]] = [
    ("A kam.\n\nB ging.", [("A kam.", 0), ("B ging.", 1)]),
    ("A kam. B ging.\n\nC blieb.", [("A kam.", 0), ("B ging.", 0), ("C blieb.", 1)]),
    ("Titel\n \t \nText. Mehr.", [("Titel", 0), ("Text.", 1), ("Mehr.", 1)]),
    ("\n\n  A kam.\n\n\n\nB ging.\n\n", [("A kam.", 0), ("B ging.", 1)]),
    ("Er kam mit Dr.\n\nMüller.", [("Er kam mit Dr.", 0), ("Müller.", 1)]),
    ("Der Kreml-\n\nHerrscher", [("Der Kreml-", 0), ("Herrscher", 1)]),
    ("A\r\n\r\nB", [("A", 0), ("B", 1)]),
]

CASES = (
    PUNCTUATION_CASES
    + ABBREVIATION_CASES
    + NUMBER_CASES
    + LINK_CASES
    + ELLIPSIS_CASES
    + QUOTE_CASES
    + LINE_CASES
)
ALL_INPUTS = [text for text, _ in CASES] + [text for text, _ in PARAGRAPH_CASES]


def texts(text: str, language: str = "de") -> list[str]:
    return [segment.text for segment in split_sentences(text, language)]


def assert_invariants(text: str, segments: list[Segment]) -> None:
    """Offsets slice the input, gaps are whitespace, paragraphs count blank lines."""
    position = 0
    paragraph = 0
    for index, segment in enumerate(segments):
        assert text[segment.start : segment.end] == segment.text
        assert segment.text and segment.text == segment.text.strip()
        gap = text[position : segment.start]
        assert gap.strip() == ""
        if index:
            paragraph += 1 if re.search(r"\n\s*\n", gap) else 0
        assert segment.paragraph == paragraph
        position = segment.end
    assert text[position:].strip() == ""
    if not segments:
        assert text.strip() == ""


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_splits(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


@pytest.mark.parametrize(("text", "expected"), PARAGRAPH_CASES)
def test_paragraphs(text: str, expected: list[tuple[str, int]]) -> None:
    assert [(s.text, s.paragraph) for s in split_sentences(text)] == expected


@pytest.mark.parametrize("text", ALL_INPUTS)
def test_invariants_on_cases(text: str) -> None:
    assert_invariants(text, split_sentences(text))


@pytest.mark.parametrize("text", ["", " ", "\n", "\n\n \t\n", "\u00a0\u2003"])
def test_whitespace_only_gives_nothing(text: str) -> None:
    assert split_sentences(text) == []


def test_offsets_rebuild_the_document() -> None:
    text = "  Titel\n\nEr kam. Sie ging.\n"
    segments = split_sentences(text)
    assert [(s.start, s.end) for s in segments] == [(2, 7), (9, 16), (17, 26)]
    gaps = [text[a.end : b.start] for a, b in itertools.pairwise(segments)]
    rebuilt = text[: segments[0].start] + "".join(
        s.text + gap for s, gap in zip(segments, [*gaps, text[segments[-1].end :]], strict=True)
    )
    assert rebuilt == text


LANGUAGE_CASES: list[tuple[str, str, list[str]]] = [
    ("de-DE", "Er sprach mit Dr. Müller.", ["Er sprach mit Dr. Müller."]),
    ("de_AT", "Am 3. Mai kam er.", ["Am 3. Mai kam er."]),
    ("en", "He met J. Smith. Then he left.", ["He met J. Smith.", "Then he left."]),
    ("en", "It was 3. Then he left.", ["It was 3.", "Then he left."]),
    ("fr", "Titre\nIl vient.", ["Titre", "Il vient."]),
]


@pytest.mark.parametrize(("language", "text", "expected"), LANGUAGE_CASES)
def test_languages(language: str, text: str, expected: list[str]) -> None:
    assert texts(text, language) == expected


@pytest.mark.parametrize(("text", "language"), [(b"Er kam.", "de"), ("Er kam.", ""), ("x", None)])
def test_bad_arguments_raise_input_error(text: object, language: object) -> None:
    with pytest.raises(InputError):
        split_sentences(text, language)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def article() -> str:
    return ARTICLE.read_text(encoding="utf-8")


ARTICLE_SEGMENTS = [
    "„Waffen für Butter“-Deal von Putin",
    "Russland-Insider: „Für zukünftiges Russland zutiefst peinlich“",
    "Pakt zwischen Diktatoren",
    "Die NZZ kommentiert: „Russlands Überfall auf die Ukraine muss Kim Jong Un wie ein "
    "Geschenk des Himmels vorkommen.",
    "Nach bleiernen Jahren, bedingt durch die Corona-Pandemie und ein hartes Sanktionsregime, "
    "hat Putins Krieg die marode Wirtschaft Nordkoreas reanimiert.“",
    "Es ist blamabel für Russland und Kreml-Herrscher Wladimir Putin.",
    "„Nordkoreanische Raketen und Artilleriegeschosse sind zwar alles andere als von bester "
    "Qualität, aber sie sind in großen Mengen verfügbar, während die russische Produktion mit "
    "dem Bedarf kaum Schritt halten kann“, so „The Times“.",
]


@pytest.mark.parametrize("expected", ARTICLE_SEGMENTS)
def test_article_segment(article: str, expected: str) -> None:
    assert expected in texts(article)


def test_article_structure(article: str) -> None:
    segments = split_sentences(article)
    assert_invariants(article, segments)
    assert segments[-1].paragraph == 13  # 14 paragraphs
    assert len(segments) == 25
    quote = [s.text for s in segments if s.paragraph == 5]
    assert quote[0].endswith("zutiefst peinlich wäre.")
    assert quote[1].endswith("anfleht“ Konstantin Sonin")


def test_large_input_is_linear() -> None:
    """Long runs that would trip a backtracking regex must stay fast."""
    hostile = "a" * 200_000 + " " + "." * 200_000 + "\n \n" * 50_000 + "1." * 50_000 + " Der"
    started = time.perf_counter()
    assert_invariants(hostile, split_sentences(hostile))
    assert time.perf_counter() - started < 5


FUZZ_ALPHABET = st.sampled_from(
    [*"aBzÄß019 .!?…,;:-–„“”\"»«‚‘’'()[]\n\t\r\u00a0@/", "z. B.", "Dr.", "24.", " \n\n"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(FUZZ_ALPHABET, max_size=60).map("".join))
def test_invariants_hold_for_any_text(text: str) -> None:
    assert_invariants(text, split_sentences(text))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_invariants_hold_for_any_unicode(text: str) -> None:
    assert_invariants(text, split_sentences(text))
