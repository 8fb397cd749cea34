"""Finding terms, issue 9: one case table per phenomenon, with negatives. Spans are marked
with ⟦ and ⟧ as in tests/test_match.py; a negative lists a term and a text it must not
match anywhere."""

from __future__ import annotations

import pytest

from glossary.match import TermMatcher
from glossary.pipeline import Pipeline
from glossary.term import Term
from tests.fakes import UppercaseEngine
from tests.test_match import assert_spans, found

# -- nouns are capitalised: a lowercase word in running text is another word ----------------

HOMOGRAPHS = [
    ("Macht", "Die ⟦Macht⟧ der Gewohnheit."),
    ("Macht", "Der Kampf um die ⟦Mächte⟧ Europas."),
    ("Morgen", "Am ⟦Morgen⟧ danach, am frühen ⟦Morgen⟧."),
    ("Recht", "Das ⟦Recht⟧ auf Asyl und die ⟦Rechte⟧ der Opfer."),
    ("Einer", "Ein ⟦Einer⟧ ist ein Boot für eine Person."),
    ("Essen", "Er fuhr nach ⟦Essen⟧."),
    ("Macht", "DIE ⟦MACHT⟧ DER GEWOHNHEIT"),  # capitals: no case to go by
    ("Macht", "die ⟦macht⟧ der gewohnheit, ganz klein geschrieben"),  # no capital anywhere
    ("Macht", "Ihre ⟦Macht⟧-Fülle wuchs."),
    # lowercase terms still match their capitalised forms at a sentence start
    ("exportieren", "⟦Exportieren⟧ ist erlaubt."),
    ("neu", "⟦Neue⟧ Wege. ⟦NEUE⟧ WEGE."),
    ("gegenseitiger Beistand", "⟦Gegenseitiger Beistand⟧ wurde vereinbart."),
]

HOMOGRAPHS_NEGATIVE = [
    ("Macht", "Er macht das, sie machten weiter, es machte Spaß."),
    ("Morgen", "Er kommt morgen, vielleicht übermorgen."),
    ("Recht", "Das ist ihm recht, sie hat recht."),
    ("Einer", "Sie kocht in einer Küche."),
    ("Essen", "Wir essen um acht."),
    ("Arm", "Er ist arm, aber glücklich; die armen Leute."),
    ("Waffen für Butter", "Sie tauschten waffen für butter, sagte er."),
]


@pytest.mark.parametrize(("source", "marked"), HOMOGRAPHS)
def test_a_noun_term_matches_capitalised_words(source: str, marked: str) -> None:
    assert_spans([Term(source, "x")], marked)


@pytest.mark.parametrize(("source", "text"), HOMOGRAPHS_NEGATIVE)
def test_a_noun_term_skips_lowercase_words_of_cased_text(source: str, text: str) -> None:
    assert found([Term(source, "x")], text) == []


def test_a_noun_in_a_sentence_of_other_nouns_keeps_its_offsets() -> None:
    assert_spans(
        [Term("Macht", "power"), Term("Einer", "single scull")],
        "In einer Rede sprach er über die ⟦Macht⟧ und ein ⟦Einer⟧-Rennen.",
    )


# -- umlauts spelled out (wire feeds, URLs, old systems) --------------------------------------

UMLAUT_FREE = [
    ("München", "Aus ⟦Muenchen⟧ berichtet; ⟦MUENCHEN⟧ (dpa); ⟦Münchens⟧ Bürgermeister."),
    ("Pjöngjang", "In ⟦Pjoengjang⟧ und ⟦Pjöngjang⟧."),
    ("Außenminister", "Die ⟦Aussenminister⟧ und der ⟦AUSSENMINISTER⟧ trafen sich."),
    ("Arzt", "Zwei ⟦Aerzte⟧ und ein ⟦Arzt⟧ sprachen."),
    ("Bär", "Der ⟦Baer⟧ und die ⟦Baeren⟧."),
    ("Müller-Lüdenscheid", "Herr ⟦Mueller-Luedenscheid⟧ kam."),
    ("gegenseitiger Beistand", "Ein ⟦gegenseitiger Beistand⟧."),  # no umlaut: unchanged
    ("Übernahme", "Die ⟦Uebernahme⟧ scheiterte."),
    ("Feuerlöscher", "Zwei ⟦Feuerloescher⟧ hingen dort."),  # its own ue stays, oe is ö
    ("Grüne Woche", "Auf der ⟦Gruenen Woche⟧ in Berlin."),  # a later word, inflected
    ("Bürgerrechte", "Die ⟦Buerger-Rechte⟧ gelten."),  # hyphenated text, closed term
]

UMLAUT_FREE_NEGATIVE = [
    ("schön", "Er war schon da."),  # an umlaut is never just dropped
    ("Bär", "Wir trafen uns an der Bar."),
    ("Duell", "Ein Düll?"),  # a term's own ue is not an umlaut
    ("Feuer", "Das Feür brannte."),
    ("Poesie", "Die Pösie."),
    ("München", "Münchner und Muenchner Bier."),  # whole words only, as before
    ("Übergröße", "Die Uebergröße."),  # one umlaut of a word spelled out, one not
]


@pytest.mark.parametrize(("source", "marked"), UMLAUT_FREE)
def test_spelled_out_umlauts_are_found(source: str, marked: str) -> None:
    assert_spans([Term(source, "x")], marked)


@pytest.mark.parametrize(("source", "text"), UMLAUT_FREE_NEGATIVE)
def test_spelled_out_umlauts_bring_no_false_hits(source: str, text: str) -> None:
    assert found([Term(source, "x")], text) == []


def test_case_sensitive_terms_read_spelled_out_umlauts_with_their_case() -> None:
    term = Term("München", "Munich", case_sensitive=True)
    assert [o.text for o in found([term], "Aus Muenchen und aus muenchen.")] == ["Muenchen"]


def test_exact_terms_keep_their_umlauts() -> None:
    assert found([Term("München", "Munich", match="exact")], "Aus Muenchen.") == []


# -- hidden and look-alike characters --------------------------------------------------------

ZWSP, ZWJ, ZWNJ, WJ = "\u200b", "\u200d", "\u200c", "\u2060"

HIDDEN = [
    ("Kreml-Herrscher", f"Der ⟦Kr{ZWSP}eml-Herrscher⟧ kam."),
    ("Sanktionen", f"Neue ⟦San{ZWJ}ktio{ZWNJ}nen⟧ und ⟦Sank{WJ}tionen⟧."),
    ("Sanktionen", f"Die ⟦Sank\u00adtio{ZWSP}nen⟧ wirken."),  # soft hyphen and zero width
    ("Kreml", "Der ⟦Ｋｒｅｍｌ⟧ schweigt; der ⟦ＫＲＥＭＬ⟧ auch."),  # fullwidth: NFKC
    ("Waffen für Butter", "⟦Ｗａｆｆｅｎ ｆüｒ Ｂｕｔｔｅｒ⟧!"),
    ("Kreml", f"{ZWSP}⟦Kreml⟧{ZWSP} und ⟦Kreml⟧."),  # outside the word: not in the span
]

HIDDEN_NEGATIVE = [
    ("Kreml", "Мир и Кремль."),  # a Cyrillic word is Cyrillic, not a look-alike
    ("Butter", f"Butter{ZWSP}brot"),  # hidden characters glue, never split, words
    ("Kreml", "Ｋｒｅｍｌｂｅｒｇ"),
]


@pytest.mark.parametrize(("source", "marked"), HIDDEN)
def test_hidden_characters_do_not_hide_a_term(source: str, marked: str) -> None:
    occurrences = assert_spans([Term(source, "x")], marked)
    assert all(o.warnings == () for o in occurrences)


@pytest.mark.parametrize(("source", "text"), HIDDEN_NEGATIVE)
def test_hidden_characters_bring_no_false_hits(source: str, text: str) -> None:
    assert found([Term(source, "x")], text) == []


LOOKALIKE = [
    ("Kreml", "Der ⟦Kr\u0435ml⟧ sprach.", ["CYRILLIC SMALL LETTER IE"]),  # е
    ("Kreml", "Der ⟦\u041areml⟧ sprach.", ["CYRILLIC CAPITAL LETTER KA"]),  # К
    (
        "Sanktionen",
        "Die ⟦S\u0430nkti\u043enen⟧.",
        ["CYRILLIC SMALL LETTER A", "CYRILLIC SMALL LETTER O"],
    ),
    ("Kreml-Herrscher", "Der ⟦Kreml-H\u0435rrscher⟧.", ["CYRILLIC SMALL LETTER IE"]),
    ("Botschaft", "Die ⟦B\u03bftschaft⟧.", ["GREEK SMALL LETTER OMICRON"]),
]


@pytest.mark.parametrize(("source", "marked", "letters"), LOOKALIKE)
def test_lookalike_letters_are_found_and_warned_about(
    source: str, marked: str, letters: list[str]
) -> None:
    (occurrence,) = assert_spans([Term(source, "x")], marked)
    (warning,) = occurrence.warnings
    assert all(name in warning for name in letters), warning
    assert "another script" in warning


def test_the_report_carries_the_lookalike_warning() -> None:
    """Through the pipeline (the fake engine uppercases: the point here is the report)."""
    matcher = TermMatcher([Term("Kreml", "Kremlin")])
    result = Pipeline(UppercaseEngine(), matcher=matcher, mode="off").translate(
        "Der Kr\u0435ml schweigt. Der Kreml spricht."
    )
    first, second = result.terms
    assert (first.source_start, first.source_end, first.source_text) == (4, 9, "Kr\u0435ml")
    assert "CYRILLIC SMALL LETTER IE" in first.warnings[0] and second.warnings == ()
    assert first.to_dict()["warnings"] == list(first.warnings)
    assert type(first).from_dict(first.to_dict()) == first


# -- adjectives and participles used as nouns ------------------------------------------------

NOMINALISED = [
    (
        "Angestellte",
        "Der ⟦Angestellte⟧, ein ⟦Angestellter⟧, die ⟦Angestellten⟧, einem ⟦Angestellten⟧.",
    ),
    ("Angestellter", "Der ⟦Angestellte⟧ und drei ⟦Angestellte⟧."),
    ("Angestellten", "Ein ⟦Angestellter⟧ kam."),  # an entry in the plural finds the rest
    ("Deutscher", "Ein ⟦Deutscher⟧ und die ⟦Deutschen⟧; der ⟦Deutsche⟧."),
    ("Deutsche", "Ein ⟦Deutscher⟧ und viele ⟦Deutsche⟧."),
    ("Ostdeutscher", "Die ⟦Ostdeutschen⟧ wählten."),
    ("Verletzte", "Der ⟦Verletzte⟧; ein ⟦Verletzter⟧; zwei ⟦Verletzte⟧."),
    ("Verletzter", "Die ⟦Verletzten⟧ und der ⟦Verletzte⟧."),
    ("Abgeordneter", "Die ⟦Abgeordneten⟧ und eine ⟦Abgeordnete⟧."),
    ("Beamter", "Der ⟦Beamte⟧ und die ⟦Beamten⟧."),
    ("Reisende", "Ein ⟦Reisender⟧ und die ⟦Reisenden⟧."),
    ("Jugendliche", "Ein ⟦Jugendlicher⟧ und zwei ⟦Jugendliche⟧."),
    ("Gefangene", "Ein ⟦Gefangener⟧ floh; die ⟦Gefangenen⟧ blieben."),
    ("leitender Angestellter", "Zwei ⟦leitende Angestellte⟧ und ein ⟦leitender Angestellter⟧."),
]

NOMINALISED_NEGATIVE = [
    ("Angestellte", "Er hat ihn angestellt; die angestellten Leute."),  # lowercase: adjective
    ("Arbeiter", "Die Arbeiten sind fertig, er arbeite."),  # an agent noun in -er
    ("Leiter", "Er leitet, die Leite."),
    ("Fischer", "Die Fische schwimmen."),
    ("Dichter", "Die Dichte des Stoffs."),
    ("Minister", "Die Ministen."),
    ("Vertreter", "Die Vertreten."),
]

# the regular forms of words in -er/-e that are not nominalised stay as they were
REGULAR_KEPT = [
    ("Minister", "Des ⟦Ministers⟧ Wort, den ⟦Ministern⟧."),
    ("Arbeiter", "Den ⟦Arbeitern⟧ des ⟦Arbeiters⟧."),
    ("Karte", "Die ⟦Karten⟧."),
]


@pytest.mark.parametrize(("source", "marked"), NOMINALISED + REGULAR_KEPT)
def test_a_nominalised_adjective_is_found_in_every_form(source: str, marked: str) -> None:
    assert_spans([Term(source, "x")], marked)


@pytest.mark.parametrize(("source", "text"), NOMINALISED_NEGATIVE)
def test_nouns_that_only_look_nominalised_gain_no_forms(source: str, text: str) -> None:
    assert found([Term(source, "x")], text) == []


def test_nominalised_forms_tell_their_number() -> None:
    text = "Ein Angestellter, zwei Angestellte, einem Angestellten."
    assert [o.plural for o in found([Term("Angestellte", "employee")], text)] == [
        False,
        True,
        False,
    ]


# -- verbs: finite forms, participles, separable verbs ---------------------------------------

VERBS = [
    (
        "exportieren",
        "Sie ⟦exportiert⟧ und ⟦exportierte⟧; die ⟦exportierten⟧ Waren; "
        "⟦exportierend⟧, ⟦exportierende⟧ Firmen.",
    ),
    ("exportieren", "⟦Exportieren⟧ ist erlaubt. ⟦Exportiert⟧ wird viel. ⟦EXPORTIERT⟧!"),
    ("handeln", "Er ⟦handelt⟧, ich ⟦handle⟧, sie ⟦handelten⟧, hat ⟦gehandelt⟧."),
    ("ändern", "Sie ⟦ändert⟧ es; ⟦geänderte⟧ Regeln."),
    ("arbeiten", "Er ⟦arbeitet⟧, sie ⟦arbeiteten⟧, hat ⟦gearbeitet⟧."),
    ("verkaufen", "Sie ⟦verkaufte⟧ es, hat es ⟦verkauft⟧."),  # no ge- after ver-
    ("aufrüsten", "Das Land hat ⟦aufgerüstet⟧, um ⟦aufzurüsten⟧, weil es ⟦aufrüstet⟧."),
    ("abschaffen", "Die ⟦abgeschaffte⟧ Steuer; sie ⟦abzuschaffen⟧."),
    ("offen", "Die Tür ist ⟦offen⟧, eine ⟦offene⟧ Tür."),  # an adjective of the same shape
]

VERBS_NEGATIVE = [
    ("raten", "Der Rat tagte. Die Rate ist hoch."),  # a capital inside a sentence: a noun
    ("exportieren", "Der Exporteur und der Export."),
    ("kaufen", "Die Kaufleute im Kaufhaus."),
    ("aufrüsten", "Er rüstet auf dem Land."),  # "auf" does not close the clause
    ("aufrüsten", "Er rüstet. Auf geht's."),  # another sentence
    ("einführen", "Sie führten uns ein Stück."),
]


@pytest.mark.parametrize(("source", "marked"), VERBS)
def test_an_infinitive_finds_its_forms(source: str, marked: str) -> None:
    assert_spans([Term(source, "x")], marked)


@pytest.mark.parametrize(("source", "text"), VERBS_NEGATIVE)
def test_verb_forms_bring_no_false_hits(source: str, text: str) -> None:
    assert found([Term(source, "x")], text) == []


SPLIT = [
    ("aufrüsten", "Russland ⟦rüstet⟧ massiv ⟦auf⟧."),
    ("aufrüsten", "Russland ⟦rüstete⟧ ⟦auf⟧ und drohte."),
    ("aufrüsten", "⟦Rüstet⟧ Russland ⟦auf⟧?"),
    ("abschaffen", "Sie ⟦schafften⟧ die alte Steuer im Jahr 2020 ⟦ab⟧, sagte er."),
    ("einführen", "Die Regierung ⟦führt⟧ eine neue Abgabe ⟦ein⟧ – ab Mai."),
]


@pytest.mark.parametrize(("source", "marked"), SPLIT)
def test_a_split_separable_verb_is_one_occurrence_with_two_spans(source: str, marked: str) -> None:
    from tests.test_match import unmark

    text, spans = unmark(marked)
    (occurrence,) = found([Term(source, "x")], text)
    assert occurrence.parts == tuple(spans)
    assert (occurrence.start, occurrence.end) == spans[0]  # the verb carries the meaning


def test_the_report_of_a_split_verb_names_both_parts() -> None:
    """Through the pipeline (the fake engine uppercases: the point here is the report)."""
    matcher = TermMatcher([Term("aufrüsten", "rearm")])
    text = "Es ist spät. Russland rüstet massiv auf."
    (report,) = Pipeline(UppercaseEngine(), matcher=matcher, mode="off").translate(text).terms
    assert [text[s:e] for s, e in report.source_parts] == ["rüstet", "auf"]
    assert report.to_dict()["source"]["parts"] == [[22, 28], [36, 39]]
    assert type(report).from_dict(report.to_dict()) == report


# -- irregular plurals: the glossary's source_plural -----------------------------------------

IRREGULAR = [
    ("Praxis", "Praxen", "In den ⟦Praxen⟧ und in der ⟦Praxis⟧."),
    ("Kaktus", "Kakteen", "Zwei ⟦Kakteen⟧, ein ⟦Kaktus⟧, des ⟦Kaktus⟧."),
    ("Atlas", "Atlanten", "Mit den ⟦Atlanten⟧ und einem ⟦Atlas⟧."),
    ("Thema", "Themen", "Diese ⟦Themen⟧ und das ⟦Thema⟧ des ⟦Themas⟧."),
    ("Kaufmann", "Kaufleute", "Den ⟦Kaufleuten⟧ gehört der Laden des ⟦Kaufmanns⟧."),
    ("klinische Praxis", "klinische Praxen", "In ⟦klinischen Praxen⟧ wie der ⟦klinischen Praxis⟧."),
    ("Museum", "Museen", "Die ⟦Museen⟧ der Stadt."),
    ("Museum", "Museen", "DIE ⟦MUSEEN⟧ DER STADT"),  # capitals: no case to go by
]

IRREGULAR_NEGATIVE = [
    # the plural the glossary gives replaces the ones the rules guess
    ("Kaktus", "Kakteen", "Zwei Kaktusse, drei Kaktussen."),
    ("Praxis", "Praxen", "Die Praxise, den Praxisen."),
    # still a noun: lowercase words of cased text are other words
    ("Thema", "Themen", "Sie themen nicht."),
]


@pytest.mark.parametrize(("source", "plural", "marked"), IRREGULAR)
def test_a_given_plural_is_found_with_the_singular_forms(
    source: str, plural: str, marked: str
) -> None:
    assert_spans([Term(source, "x", source_plural=plural)], marked)


@pytest.mark.parametrize(("source", "plural", "text"), IRREGULAR_NEGATIVE)
def test_a_given_plural_replaces_the_guessed_ones(source: str, plural: str, text: str) -> None:
    assert found([Term(source, "x", source_plural=plural)], text) == []


def test_a_given_plural_tells_the_number() -> None:
    term = Term("Praxis", "practice", target_plural="practices", source_plural="Praxen")
    text = "Eine Praxis, zwei Praxen, in den Praxen."
    assert [o.plural for o in found([term], text)] == [False, True, True]


def test_an_exact_term_matches_its_plural_exactly() -> None:
    term = Term("NZZ-Thema", "x", match="exact", source_plural="NZZ-Themen")
    assert_spans([term], "Das ⟦NZZ-Thema⟧ und die ⟦NZZ-Themen⟧, nicht die NZZ-Themas.")


def test_the_enforced_plural_target_follows_the_given_plural() -> None:
    """Through the pipeline: the occurrence in the plural gets the English plural."""
    term = Term("Praxis", "practice", target_plural="practices", source_plural="Praxen")
    matcher = TermMatcher([term])
    result = Pipeline(UppercaseEngine(), matcher=matcher).translate("Die Praxen sind voll.")
    (report,) = result.terms
    assert (report.source_text, report.plural, report.form) == ("Praxen", True, "practices")
