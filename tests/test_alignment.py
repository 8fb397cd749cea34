"""Token spans and English forms: small pure functions, case tables."""

from __future__ import annotations

import pytest

from glossary.alignment import aligned_range, token_char_spans
from glossary.english import find_phrase, pluralize

SPANS = [
    ("Der Kreml", ["▁Der", "▁Kr", "eml"], [(0, 3), (4, 6), (6, 9)]),
    ("a…b", ["▁a", ".", ".", ".", "b"], [(0, 1), (1, 2), (1, 2), (1, 2), (2, 3)]),
    ("  x  y ", ["▁x", "▁y"], [(2, 3), (5, 6)]),
    ("½", ["▁1⁄2"], [(0, 1)]),
]


@pytest.mark.parametrize(("text", "tokens", "spans"), SPANS)
def test_token_char_spans(text: str, tokens: list[str], spans: list[tuple[int, int]]) -> None:
    assert token_char_spans(text, tokens) == spans


PLURALS = [
    ("ruler", "rulers"),
    ("Kremlin ruler", "Kremlin rulers"),
    ("sanctions regime", "sanctions regimes"),
    ("policy", "policies"),
    ("day", "days"),
    ("axis", "axes"),
    ("crisis", "crises"),
    ("box", "boxes"),
    ("church", "churches"),
    ("woman", "women"),
    ("Man", "Men"),
    ("trousers", "trousers"),
    ("bus", "buses"),
    ("glass", "glasses"),
    ("news", "news"),
]


@pytest.mark.parametrize(("singular", "plural"), PLURALS)
def test_pluralize(singular: str, plural: str) -> None:
    assert pluralize(singular) == plural


FINDS = [
    ("The Kremlin ruler's visit", "Kremlin ruler", [(4, 19)]),
    ("the Kremlin-ruler", "Kremlin ruler", [(4, 17)]),
    ("Kremlin rulers", "Kremlin ruler", []),
    ("guns for butter, Guns For Butter", "guns for butter", [(0, 15), (17, 32)]),
]


@pytest.mark.parametrize(("text", "phrase", "spans"), FINDS)
def test_find_phrase_whole_words(text: str, phrase: str, spans: list[tuple[int, int]]) -> None:
    assert find_phrase(text, phrase) == spans


def test_aligned_range_grows_to_whole_words() -> None:
    tokens = ["▁the", "▁Krem", "lin", "▁lord", "▁travels"]
    attention = [[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0.6, 0.4], [0, 0, 1]]
    assert aligned_range(tokens, attention, [1]) == (1, 4)
    assert aligned_range(tokens, attention, []) is None
