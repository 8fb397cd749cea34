"""The one rule for "the entry a source names" (termrules.find_source), used by the CLI's term
edits, the terms pages and glossary/termedit.py."""

from __future__ import annotations

from glossary.termrules import find_source


def test_exact_spelling_first_even_where_another_folds_the_same() -> None:
    # two case-sensitive entries may share a folded key: each names itself
    assert find_source(["US", "us"], "us") == 1
    assert find_source(["US", "us"], "US") == 0


def test_a_spelling_the_matcher_treats_as_the_same_term_names_the_entry() -> None:
    sources = ["Kreml-Herrscher", "Straße", "Waffen für Butter"]
    assert find_source(sources, "kreml–herrscher") == 0  # en dash, lower case
    assert find_source(sources, "STRASSE") == 1  # casefold: ß is ss
    assert find_source(sources, "Kreml-Herr\u00adscher") == 0  # a soft hyphen is no letter
    assert find_source(sources, "Waffen für Brot") is None


def test_a_folded_key_two_entries_share_names_neither() -> None:
    assert find_source(["US", "Us"], "us") is None


def test_no_entry() -> None:
    assert find_source(["Kreml"], "Moskau") is None
    assert find_source([], "Kreml") is None
