"""Locating where a missing term goes (glossary.locate): words of a hypothesis, the model's
renderings, attention as the fallback, and the edges that belong to the sentence."""

from __future__ import annotations

import numpy as np

from glossary.locate import (
    Renderings,
    anchored,
    by_attention,
    by_rendering,
    hypothesis_words,
    rendering_keys,
    without_possessive,
)

# "▁Two ▁girl s ▁are ▁sitting ▁on ▁a ▁woman ' s ▁lap ."
TOKENS = ["▁Two", "▁girl", "s", "▁are", "▁sitting", "▁on", "▁a", "▁woman", "'", "s", "▁lap", "."]


def keys(tokens: list[str]) -> list[str]:
    return [w.key for w in hypothesis_words(tokens)]


def test_words_join_pieces_and_keep_the_possessive_inside() -> None:
    assert keys(TOKENS) == ["two", "girls", "are", "sitting", "on", "a", "woman", "lap", ""]
    woman = hypothesis_words(TOKENS)[6]
    assert (woman.start, woman.end) == (7, 10)


def test_rendering_keys_drop_articles_and_add_the_other_number() -> None:
    assert rendering_keys("the girl") == [("girl",), ("girls",)]
    assert rendering_keys("a") == []
    assert ("hat",) in rendering_keys("hats")


def test_renderings_are_translated_once_per_phrase() -> None:
    calls: list[list[str]] = []

    def translate(phrases: list[str]) -> list[list[str]]:
        calls.append(phrases)
        return [["the " + p.lower()] for p in phrases]

    cache = Renderings(translate)
    cache.prepare(["Hut", "Frau", "Hut"])
    cache.prepare(["Hut"])
    assert calls == [["Frau", "Hut"]]
    assert ("hut",) in cache.keys("Hut") and cache.keys("unknown") == []


def _mass(rows: int, hot: dict[int, float]) -> np.ndarray:
    mass = np.zeros(rows, dtype=np.float32)
    for i, v in hot.items():
        mass[i] = v
    return mass


def test_of_two_matches_the_one_attending_to_the_term_wins() -> None:
    tokens = ["▁a", "▁man", "▁and", "▁a", "▁man", "."]
    words = hypothesis_words(tokens)
    assert by_rendering(words, [("man",)], _mass(6, {1: 0.1, 4: 0.9}), []) == (4, 5)
    assert by_rendering(words, [("man",)], _mass(6, {1: 0.1, 4: 0.9}), [(4, 5)]) == (1, 2)


def test_growth_over_attending_neighbours_stops_at_numerals_and_prepositions() -> None:
    words = hypothesis_words(TOKENS)
    mass = _mass(len(TOKENS), {0: 0.9, 1: 0.9, 2: 0.9, 5: 0.9})
    assert by_rendering(words, [("girls",)], mass, []) == (1, 3)


def test_attention_span_loses_articles_and_prepositions_at_its_edges() -> None:
    tokens = ["▁put", "▁him", "▁in", "▁prison", "."]
    attention = np.zeros((5, 3), dtype=np.float32)
    attention[:, 0] = 1.0
    attention[2:4, :] = 0.0
    attention[2:4, 2] = 1.0  # "in prison" attends to source token 2
    assert by_attention(tokens, attention, [2], []) == (3, 4)
    assert by_attention(tokens, attention, [2], [(3, 4)]) is None


def test_anchored_widens_a_partial_rendering_of_a_multiword_term() -> None:
    tokens = ["▁'", "W", "aff", "es", "▁for", "▁butter", "'"]
    words = hypothesis_words(tokens)
    assert anchored(words, (5, 6), ["guns", "for", "butter"], []) == (1, 6)
    # A preposition is never taken as the one word the model said instead.
    tokens = ["▁in", "▁butter"]
    assert anchored(hypothesis_words(tokens), (1, 2), ["guns", "butter"], []) == (1, 2)


def test_a_lone_word_start_piece_belongs_to_the_next_word() -> None:
    tokens = ["▁her", "▁first", "▁", "sprint", "."]
    words = hypothesis_words(tokens)
    assert [(w.start, w.end, w.key) for w in words][2] == (2, 4, "sprint")


def test_possessive_stays_with_the_sentence() -> None:
    assert without_possessive(["▁a", "▁dog", "'", "s", "▁mouth"], (1, 4)) == (1, 2)
    assert without_possessive(["▁a", "▁dog", "▁mouth"], (1, 2)) == (1, 2)


def test_a_wider_rendering_wins_only_where_its_extra_words_attend_to_the_term() -> None:
    tokens = ["▁a", "▁soccer", "▁ball", "▁for", "▁a", "▁group", "▁of", "▁people"]
    words = hypothesis_words(tokens)
    ball = _mass(len(tokens), {1: 0.8, 2: 0.6})
    assert by_rendering(words, [("soccer",), ("soccer", "ball")], ball, []) == (1, 3)
    group = _mass(len(tokens), {5: 0.9, 6: 0.1, 7: 0.05})
    keys = [("group",), ("group", "of", "people")]
    assert by_rendering(words, keys, group, []) == (5, 6)


def test_an_opening_quote_at_the_edge_of_an_attention_span_stays() -> None:
    tokens = ["▁'", "W", "arms", "▁for", "▁butter", "'"]
    attention = np.zeros((6, 4), dtype=np.float32)
    attention[:, 3] = 1.0
    attention[0:5, :] = 0.0
    attention[0:5, 1] = 1.0  # the quote and the three words attend to the term
    assert by_attention(tokens, attention, [1], [], ["guns", "for", "butter"]) == (1, 5)


def test_an_opening_quote_is_not_part_of_the_word_after_it() -> None:
    tokens = ["▁", "'", "W", "arm", "s", "▁for", "▁butter", "'"]
    assert keys(tokens) == ["", "", "warms", "for", "butter", ""]
