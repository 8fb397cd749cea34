"""German-aware sentence splitting with character offsets.

A segment covers only the non-whitespace text of one sentence; everything between segments
(spaces, line breaks, blank lines) stays in the gaps, so a caller rebuilds the document
exactly from ``text[prev.end:next.start]``. A blank line starts a new paragraph.

The splitter is one left-to-right pass over whitespace-separated tokens, and a boundary is
only ever placed in a whitespace gap: that is why URLs, e-mail addresses and decimal numbers
can never be split, and why the pass is linear (no regex here can backtrack across tokens).
Each gap is judged from the token before it and the token after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from glossary.errors import InputError


@dataclass(frozen=True)
class Segment:
    """One sentence of the input: ``text == source[start:end]``, never padded by whitespace."""

    start: int
    end: int
    text: str
    paragraph: int  # 0-based index among the paragraphs that hold any text


@dataclass(frozen=True)
class _Rules:
    """What one language needs beyond punctuation; every word is stored without its dot."""

    abbreviations: frozenset[str]
    number_abbreviations: frozenset[str]  # also ordinary words: abbreviations only before digits
    suffixes: tuple[str, ...]  # compounds cut short: "Hauptstr." like "Str."
    months: frozenset[str]
    sentence_openers: frozenset[str]  # closed-class words that can follow "3." as a new sentence
    ordinals: bool  # "3." before a word is an ordinal ("der 3. Oktober"), not a sentence end


_FINAL = ".!?…"
_CLOSERS = "”“\"»«’‘')]"
_STARTERS = '„“"»«‚('
_OPENERS = _STARTERS + "‘'["
# A line ending in a comma or a dash ("Kreml-", "Nordkorea –") runs on to the next line.
_RUNS_ON = ",-–—"

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"[^\W\d_]+")
_DOTTED = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}")  # z.B  u.s.w  i.d.R  o.ä
_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_ORDINAL = re.compile(r"\d{1,3}|\d{1,2}\.\d{1,2}|[IVX]{2,6}")  # 3.  24.12.  XIV.
_ENUMERATOR = re.compile(r"(?:\d{1,3}\.)+|[IVX]{1,6}\.")
_OMISSION = re.compile(r"[\[(](?:…|\.\.\.)[\])]")  # "[…]" marks a cut, not an end


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_GERMAN = _Rules(
    abbreviations=_words(
        "usw bzw ca Ca Dr Prof Nr Nrn Str St Hr Hrn Fr Frl Mio Mrd Tsd Jh Jhd Jhdt vgl Vgl"
        " ggf Ggf evtl Evtl inkl Inkl exkl zzgl Zzgl bspw Bspw sog Sog etc Abs Bd Co Dipl Ing"
        " geb gest jr jun sen Jr Sr Mo Di Mi Do Sa So Feb Apr Jun Jul Aug Sep Sept Okt Nov Dez"
        " Std min Min Tel ff Chr Hrsg Abb Tab bzgl insb allg bes eigtl gem lt max mind ehem"
        " urspr Mill Ziff Verf Stv Aufl Ausg Gebr Hbf Bhf Univ med phil rer nat jur Mr Mrs Ms"
        " vs"
    ),
    number_abbreviations=_words("Art Jan Kap Mär"),
    suffixes=("str",),
    months=_words(
        "Januar Jänner Februar Feber März April Mai Juni Juli August September Oktober"
        " November Dezember Jan Feb Mär Mrz Apr Jun Jul Aug Sep Sept Okt Nov Dez"
    ),
    sentence_openers=_words(
        "Der Die Das Den Dem Des Ein Eine Einen Einem Einer Eines Kein Keine Er Sie Es Ich"
        " Du Wir Ihr Man Mein Meine Sein Seine Ihre Unser Unsere Dies Diese Dieser Dieses"
        " Diesem Diesen Jene Alle Viele Einige Manche Und Oder Aber Doch Denn Sondern Also"
        " Dann Danach Davor Damit Dabei Dadurch Daher Darum Deshalb Deswegen Trotzdem Dennoch"
        " Jedoch Zudem Außerdem Auch Nun Jetzt Heute Gestern So Da Dort Hier Wie Was Wer Wo"
        " Wann Warum Weshalb Wieso Ob Als Wenn Weil Während Nachdem Bevor Obwohl Seit Im Am"
        " Um Zum Zur Vom Beim Ins In An Auf Aus Bei Mit Nach Von Vor Zu Für Gegen Ohne Über"
        " Unter Durch Bis Nicht Noch Schon Erst Immer Nie Bereits Vielleicht Zwar Allerdings"
        " Inzwischen Anschließend Später Schließlich Zunächst Zuerst Ja Nein"
    ),
    ordinals=True,
)

# Languages without their own rules still get punctuation, initials, lines and paragraphs.
_NEUTRAL = _Rules(
    abbreviations=frozenset(),
    number_abbreviations=frozenset(),
    suffixes=(),
    months=frozenset(),
    sentence_openers=frozenset(),
    ordinals=False,
)


def split_sentences(text: str, language: str = "de") -> list[Segment]:
    """Split ``text`` into sentences with offsets; whitespace-only text gives ``[]``.

    ``language`` is a code such as ``de`` or ``de-AT``; German gets its abbreviations,
    ordinals and dates, any other language the language-neutral rules.
    """
    if not isinstance(text, str):
        raise InputError(f"text to split must be a str, not {type(text).__name__}")
    rules = _rules_for(language)
    segments: list[Segment] = []
    paragraph = 0
    for start, end in _paragraph_spans(text):
        spans = list(_sentence_spans(text, start, end, rules))
        segments.extend(Segment(s, e, text[s:e], paragraph) for s, e in spans)
        paragraph += bool(spans)  # leading or doubled blank lines open no empty paragraph
    return segments


def _rules_for(language: str) -> _Rules:
    if not isinstance(language, str) or not language.strip():
        raise InputError(f"language must be a language code such as 'de', not {language!r}")
    primary = language.strip().replace("_", "-").split("-")[0].lower()
    return _GERMAN if primary == "de" else _NEUTRAL


def _paragraph_spans(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for blank in _PARAGRAPH_BREAK.finditer(text):
        yield start, blank.start()
        start = blank.end()
    yield start, len(text)


def _sentence_spans(text: str, start: int, end: int, rules: _Rules) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of each sentence in ``text[start:end]``, one paragraph."""
    seg_start = start
    prev: re.Match[str] | None = None
    for token in _TOKEN.finditer(text, start, end):
        if prev is None:
            seg_start = token.start()
        elif _splits(text, prev, token, seg_start, rules):
            yield seg_start, prev.end()
            seg_start = token.start()
        prev = token
    if prev is not None:
        yield seg_start, prev.end()


def _splits(
    text: str, left: re.Match[str], right: re.Match[str], seg_start: int, rules: _Rules
) -> bool:
    if left.start() == seg_start and _ENUMERATOR.fullmatch(left.group()):
        return False  # "1." or "II." opening a sentence numbers a list item; it is no sentence
    line_break = text.find("\n", left.end(), right.start()) >= 0
    return _is_boundary(left.group(), right.group(), line_break, rules)


def _is_boundary(left: str, right: str, line_break: bool, rules: _Rules) -> bool:
    """Whether a sentence ends between the tokens ``left`` and ``right``."""
    core = left.rstrip(_CLOSERS)
    if core and core[-1] in _FINAL:
        return _can_start(right) and not _dot_continues(left, core, right, rules)
    # No final punctuation: only a line break ends a headline or list item, unless the line
    # is visibly wrapped (next line starts lowercase) or ends in a comma, hyphen or dash.
    return line_break and not right[0].islower() and left[-1] not in _RUNS_ON


def _can_start(token: str) -> bool:
    first = token[0]
    return first.isupper() or first.isdigit() or first in _STARTERS


def _dot_continues(left: str, core: str, right: str, rules: _Rules) -> bool:
    """Whether a final '.' belongs to an abbreviation, initial or ordinal, not to an end."""
    if _OMISSION.fullmatch(left):
        return True
    if not core.endswith(".") or core.endswith(".."):
        return False  # ! ? … and "..." end a sentence whenever a sentence can follow
    word = core[:-1].lstrip(_OPENERS)
    return _is_abbreviation(word, right, rules) or _is_ordinal(word, right, rules)


def _is_abbreviation(word: str, right: str, rules: _Rules) -> bool:
    if len(word) == 1 and word.isalpha():
        return True  # initials ("Konstantin S. Sonin") and the parts of "z. B.", "d. h."
    if word in rules.abbreviations or word.endswith(rules.suffixes) or _DOTTED.fullmatch(word):
        return True
    return word in rules.number_abbreviations and right[0].isdigit()  # "Art. 5" vs "Art. Die"


def _is_ordinal(word: str, right: str, rules: _Rules) -> bool:
    """'am 24. Dezember', 'der 3. Oktober', 'zum 2. Mal' go on; 'im Jahr 2024. Danach' ends."""
    if not rules.ordinals:
        return False
    following = _leading_word(right)
    if following in rules.months and _NUMBER.fullmatch(word):
        return True
    # An ordinal is followed by a noun or adjective; a closed-class word starts a sentence.
    return _ORDINAL.fullmatch(word) is not None and following not in rules.sentence_openers


def _leading_word(token: str) -> str:
    found = _WORD.match(token.lstrip(_OPENERS))
    return found.group() if found else ""
