"""English target forms: plurals, capitals, finding a phrase as whole words."""

from __future__ import annotations

import re
from functools import lru_cache

_ES_ENDINGS = ("s", "x", "z", "ch", "sh")
# Singular nouns ending in s (boss, bus, axis, kudos, gas); any other final s is a plural.
_SINGULAR_S = ("ss", "us", "is", "os", "as")
_IRREGULAR = {"man": "men", "woman": "women", "child": "children", "person": "people"}


def pluralize(phrase: str) -> str:
    """Regular English plural of the phrase's last word (multi-word terms inflect at the head)."""
    head, _, last = phrase.rpartition(" ")
    lower = last.lower()
    if lower in _IRREGULAR:
        plural = _IRREGULAR[lower]
        plural = plural.capitalize() if last[:1].isupper() else plural
    elif lower.endswith("s") and not lower.endswith(_SINGULAR_S) and len(lower) > 3:
        plural = last  # already plural: trousers, glasses, jeans, news
    elif lower.endswith("is") and len(lower) > 3:  # axis → axes, crisis → crises
        plural = last[:-2] + "es"
    elif lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
        plural = last[:-1] + "ies"
    elif lower.endswith(_ES_ENDINGS):
        plural = last + "es"
    else:
        plural = last + "s"
    return f"{head} {plural}" if head else plural


def capitalize_first(text: str) -> str:
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=4096)
def phrase_pattern(phrase: str, case_sensitive: bool = False) -> re.Pattern[str]:
    """Whole-word pattern for a phrase; spaces and hyphens between its words are
    interchangeable and a possessive 's / ' may follow."""
    words = [re.escape(w) for w in re.split(r"[\s\-‐‑–—]+", phrase.strip()) if w]
    body = r"[\s\-‐‑–—]+".join(words)
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(rf"(?<!\w){body}(?:['’]s?)?(?!\w)", flags)


def find_phrase(text: str, phrase: str, case_sensitive: bool = False) -> list[tuple[int, int]]:
    return [m.span() for m in phrase_pattern(phrase, case_sensitive).finditer(text)]


def words(text: str) -> list[str]:
    return re.findall(r"\w+(?:['’]\w+)?", text.lower())


_AN_EXCEPTIONS = ("uni", "use", "usu", "uti", "eu", "one", "once", "ur")
_SILENT_H = ("hour", "honest", "honour", "honor", "heir")


def indefinite_article(phrase: str) -> str:
    """'a' or 'an' before the phrase, by its first letters (the usual spelling rules)."""
    word = phrase.strip().lower()
    if word.startswith(_SILENT_H):
        return "an"
    if word[:1] in ("a", "e", "i", "o", "u") and not word.startswith(_AN_EXCEPTIONS):
        return "an"
    return "a"
