"""Forms of German verbs for the finder, by rule: an infinitive term ("exportieren",
"aufrüsten", "handeln") finds its present and past forms, its participles (with adjective
endings, as in "die exportierten Waren") and, for a separable verb, the joined forms
(aufgerüstet, aufzurüsten, aufrüstet) and the finite forms the split clause uses
("rüstet … auf", found by glossary/match.py).

Weak conjugation only: strong and irregular verbs (geben, gab, gegeben) keep their present
forms but their past forms and participles are missed."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Particles that separate in a main clause (er rüstet auf). Ambiguous ones (durch, über,
# um, unter, wider, wieder) are left out: they are inseparable as often as not.
_PARTICLES = (
    "zusammen",
    "zurück",
    "weiter",
    "hinaus",
    "heraus",
    "herein",
    "voran",
    "vorbei",
    "nieder",
    "fest",
    "fort",
    "heim",
    "los",
    "mit",
    "nach",
    "weg",
    "dar",
    "ab",
    "an",
    "auf",
    "aus",
    "bei",
    "ein",
    "her",
    "hin",
    "vor",
    "zu",
)
_INSEPARABLE = ("be", "ge", "er", "ver", "zer", "ent", "emp", "miss")
_ADJ_ENDINGS = ("", "e", "er", "es", "en", "em")
# stems that put an e before -t/-st: arbeit-e-t, red-e-t, atm-e-t, rechn-e-t, öffn-e-t
_E_BEFORE_T = re.compile(r"(?:[td]|chn|ffn|[^aeiouäöülrhmn][mn])$")


@dataclass(frozen=True)
class VerbForms:
    """The forms of one infinitive, lowercase. `finite` and `particle` describe the split
    clause of a separable verb (`finite` empty for other verbs)."""

    infinitive: str
    forms: tuple[str, ...]  # every joined form but the infinitive
    particle: str = ""
    finite: tuple[str, ...] = ()  # the base verb's finite forms: rüste, rüstest, rüstet...


def verb_forms(word: str) -> VerbForms | None:
    """The forms of `word` read as an infinitive, or None when its shape is not one."""
    if not word.isalpha() or not word.islower() or len(word) < 5 or not word.endswith("n"):
        return None
    particle, base = _split_particle(word)
    finite, participle = _conjugated(base)
    if finite is None or participle is None:
        return None
    forms = [particle + f for f in finite] + [particle + participle + e for e in _ADJ_ENDINGS]
    forms += [word + "d" + e for e in _ADJ_ENDINGS]  # present participle: exportierend(e)
    if particle:
        forms.append(particle + "zu" + base)
        return VerbForms(word, _unique(forms, word), particle, tuple(finite))
    return VerbForms(word, _unique(forms, word))


def _split_particle(word: str) -> tuple[str, str]:
    for particle in _PARTICLES:
        rest = word[len(particle) :]
        if word.startswith(particle) and len(rest) >= 5 and not rest.startswith(_INSEPARABLE):
            return particle, rest
    return "", word


def _conjugated(base: str) -> tuple[list[str] | None, str | None]:
    """(present and past forms, past participle) of a weak verb's infinitive."""
    if base.endswith(("eln", "ern")):
        stem = base[:-1]
    elif base.endswith("en"):
        stem = base[:-2]
    else:
        return None, None
    if len(stem) < 3:
        return None, None
    e = "e" if _E_BEFORE_T.search(stem) else ""
    present = [stem + "e", stem + e + "st", stem + e + "t", base]
    if base.endswith("eln"):
        present.append(stem[:-2] + "le")  # ich handle
    past = [stem + e + "te" + ending for ending in ("", "st", "n", "t")]
    plain = base.endswith("ieren") or base.startswith(_INSEPARABLE)
    return present + past, (stem + e + "t" if plain else "ge" + stem + e + "t")


def _unique(forms: list[str], infinitive: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f for f in forms if f != infinitive))
