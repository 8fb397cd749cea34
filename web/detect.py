"""Language names and a small, dependency-free language guesser for /detect and `auto`.

How it guesses: it counts the text's words that are among the most frequent function words of
each candidate language (articles, pronouns, prepositions, auxiliaries) and adds the letters
that only some alphabets use (ß, ñ, ø, Cyrillic, Greek, ...). Only the languages the installed
models translate from are candidates.

Limits, stated honestly: it needs a few words of running text; a single word, a name or a list
of nouns often gets confidence 0 or the wrong language. It tells apart languages that have a
profile below (de, en, fr, es, it, nl, pt, pl, sv, da, ru, el, and the scripts of zh, ja, ar);
any other installed language can only win when no profiled language scores. Confidence
(0-100) is the share of the evidence a language got, scaled down when the evidence is thin; it
is not a calibrated probability.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

_STOP_WORDS: dict[str, str] = {
    "de": "der die das und ist nicht ein eine einen dem den des zu mit sich auf für von im "
    "auch es sie er wir ich wird werden hat haben wurde sind war bei aus nach noch",
    "en": "the and is are was were of to in that it for on with as be by this have has "
    "not from or which an they you he she we will would",
    "fr": "le la les et est une des du dans que qui pour pas sur au avec il elle ce sont "
    "nous vous ne se par plus ou leur",
    "es": "el la los las y es una del en que por para con no se su al lo como más pero "
    "sus le ha está son",
    "it": "il lo la gli le e è una del della di che per con non si sono nel alla anche "
    "come più ma ha",
    "nl": "de het een en is van dat die in op te zijn met voor niet er aan ook als door "
    "maar wordt bij",
    "pt": "o os a as e é um uma do da dos das em que para com não se por mais foi são ao no na",
    "pl": "i w na z że się nie do to jest jak o ale po co tak za od przez jego być są",
    "sv": "och att det som en är av för på med den till inte har de om ett var jag men",
    "da": "og at det som en er af for på med den til ikke har de om et var jeg men",
    "ru": "и в не на что с по он как это она к но из у за от так же был для",
    "el": "και το η ο να της του σε με που τα για δεν είναι από οι τη",
}
_LETTERS: dict[str, str] = {
    "de": "äöüß",
    "fr": "éèêàçœ",
    "es": "ñ¿¡áó",
    "pt": "ãõç",
    "pl": "ąęłńśźż",
    "sv": "å",
    "da": "æø",
    "it": "ìò",
}
_SCRIPTS: dict[str, re.Pattern[str]] = {
    "ru": re.compile(r"[\u0400-\u04ff]"),
    "el": re.compile(r"[\u0370-\u03ff]"),
    "zh": re.compile(r"[\u4e00-\u9fff]"),
    "ja": re.compile(r"[\u3040-\u30ff]"),
    "ar": re.compile(r"[\u0600-\u06ff]"),
}
_WORDS = {code: frozenset(words.split()) for code, words in _STOP_WORDS.items()}
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Guess:
    language: str
    confidence: float  # 0-100

    def to_dict(self) -> dict[str, object]:
        return {"language": self.language, "confidence": self.confidence}


def _evidence(text: str, code: str, words: list[str]) -> float:
    score = float(sum(word in _WORDS.get(code, ()) for word in words))
    score += 0.5 * sum(text.count(letter) for letter in _LETTERS.get(code, ""))
    script = _SCRIPTS.get(code)
    if script is not None:
        score += 0.5 * len(script.findall(text))
    return score


def detect(text: str, candidates: list[str]) -> list[Guess]:
    """Every candidate with a confidence, best first (ties keep the candidates' order)."""
    if not candidates:
        return []
    lowered = text.lower()
    words = _WORD.findall(lowered)
    scores = {code: _evidence(lowered, code, words) for code in candidates}
    total = sum(scores.values())
    if total == 0:
        return [Guess(code, 0.0) for code in candidates]
    # thin evidence (few function words per word of text) lowers every confidence
    strength = min(1.0, max(scores.values()) / max(1.0, 0.15 * len(words)))
    guesses = [
        Guess(code, round(100 * score / total * strength, 1)) for code, score in scores.items()
    ]
    return sorted(guesses, key=lambda g: -g.confidence)


def language_name(code: str, locale: str = "en") -> str | None:
    """The language's name in `locale` from Babel's CLDR data; None for an unknown code."""
    if not re.fullmatch(r"[a-z]{2,3}", code):
        return None
    try:
        name = Locale.parse(locale).languages.get(code)
    except (UnknownLocaleError, ValueError):
        return None
    return str(name) if name else None
