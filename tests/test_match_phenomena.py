"""Finding terms, issue 9: one case table per phenomenon, with negatives. Spans are marked
with ⟦ and ⟧ as in tests/test_match.py; a negative lists a term and a text it must not
match anywhere."""

from __future__ import annotations

import pytest

from glossary.term import Term
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
    assert_spans([Term("Macht", "power"), Term("Einer", "single scull")],
                 "In einer Rede sprach er über die ⟦Macht⟧ und ein ⟦Einer⟧-Rennen.")
