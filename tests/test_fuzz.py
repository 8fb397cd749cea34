"""Fuzzing (issue 5, "Bad input"): hypothesis over the term finder and the YAML loader, and
schemathesis over the API described at /openapi.json (issue 4: no 5xx).

Bounded for CI: modest max_examples, no deadlines (the machines are slow and shared)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from glossary.config import Settings
from glossary.engines import EngineRegistry
from glossary.errors import InputError
from glossary.match import TermMatcher
from glossary.packages import InstalledPackage
from glossary.term import Term
from glossary.termload import parse_glossary
from glossary.termwrite import create_glossary
from tests.conftest import REPO
from tests.fakes import PhraseEngine
from web.app import create_app
from web.deepl import id_for
from web.openapi import document

# --- the term finder: generated German-ish terms and texts ------------------------------------

ONSETS = [
    "",
    "b",
    "d",
    "f",
    "g",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "w",
    "z",
    "sch",
    "st",
    "sp",
    "kr",
    "pfl",
    "tr",
    "br",
    "ch",
]
VOWELS = ["a", "e", "i", "o", "u", "ä", "ö", "ü", "au", "ei", "ie", "eu"]
CODAS = ["", "n", "r", "s", "t", "l", "ß", "ss", "ng", "ck", "nd", "rt", "cht", "tz"]
SYLLABLE = st.builds(
    lambda o, v, c: o + v + c,
    st.sampled_from(ONSETS),
    st.sampled_from(VOWELS),
    st.sampled_from(CODAS),
)
WORD = st.lists(SYLLABLE, min_size=1, max_size=3).map("".join).filter(bool)
NOUN = WORD.map(lambda w: w[:1].upper() + w[1:])
ENDINGS = ["", "", "s", "es", "e", "en", "n", "er", "ern", "em", "\u00ad", "-"]
JOINERS = [" ", "-", " – ", "\u2011", " für ", "-und-"]
FILLER = st.sampled_from(
    [
        "der",
        "die",
        "das",
        "des",
        "den",
        "dem",
        "ein",
        "einer",
        "und",
        "mit",
        "Der",
        "DIE",
        "„",
        "“",
        ",",
        ".",
        "!",
        "?",
        "–",
        "-",
        "\n",
        "\n\n",
        "\u00a0",
        "a\u0308",
        "ß",
        "SS",
        "’s",
        "(",
        ")",
        "12",
        "",
    ]
)


@st.composite
def german_term(draw: st.DrawFn) -> Term:
    words = draw(st.lists(st.one_of(NOUN, WORD), min_size=1, max_size=3))
    joiners = draw(st.lists(st.sampled_from(JOINERS), min_size=len(words), max_size=len(words)))
    source = words[0] + "".join(j + w for j, w in zip(joiners, words[1:], strict=False))
    exact = draw(st.booleans())
    return Term(
        source,
        "x",
        match="exact" if exact else "inflected",
        case_sensitive=draw(st.booleans()),
        gender=draw(st.sampled_from([None, "m", "f", "n"])),
        pos=draw(st.sampled_from([None, "noun", "adjective", "phrase"])),
    )


@st.composite
def text_with_terms(draw: st.DrawFn, terms: list[Term]) -> str:
    """Terms in inflected-looking forms (endings, capitals, umlauts), between filler."""
    pieces: list[str] = []
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.integers(0, 3))
        if kind == 0 and terms:
            source = draw(st.sampled_from(terms)).source
            source = draw(
                st.sampled_from(
                    [
                        source,
                        source.upper(),
                        source.lower(),
                        source.replace("ss", "ß"),
                        source.replace("a", "ä"),
                    ]
                )
            )
            pieces.append(source + draw(st.sampled_from(ENDINGS)))
        elif kind == 1:
            pieces.append(draw(FILLER))
        elif kind == 2:
            pieces.append(draw(st.one_of(NOUN, WORD)) + draw(st.sampled_from(ENDINGS)))
        else:
            pieces.append(draw(st.text(max_size=4)))
    separators = draw(
        st.lists(
            st.sampled_from([" ", "", "\n", " - ", ", ", "\t"]),
            min_size=len(pieces),
            max_size=len(pieces),
        )
    )
    return "".join(p + s for p, s in zip(pieces, separators, strict=True))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_term_finder_offsets_are_exact_sorted_and_disjoint(data: st.DataObject) -> None:
    candidates = data.draw(st.lists(german_term(), max_size=8))
    keys: set[str] = set()
    terms = []
    for term in candidates:  # a glossary never holds the same source twice
        if term.source.casefold() not in keys:
            keys.add(term.source.casefold())
            terms.append(term)
    text = data.draw(text_with_terms(terms))
    occurrences = TermMatcher(terms).find(text)
    end = 0
    for occ in occurrences:
        assert 0 <= occ.start < occ.end <= len(text)
        assert text[occ.start : occ.end] == occ.text
        assert occ.start >= end, "occurrences overlap or are not sorted"
        assert occ.term in terms
        end = occ.end


# --- the YAML loader: arbitrary bytes and mutated valid glossaries ----------------------------

VALID = (REPO / "terms" / "de-en.yaml").read_bytes()
SMALL_VALID = b"""\
# a comment
source_language: de
target_language: en
name: Test
terms:
  - source: Kreml-Herrscher
    target: Kremlin ruler
    forbidden: [Kremlin lord]
    note: |
      two lines
      of note
  - source: "Waffen f\xc3\xbcr Butter"
    target: guns for butter
    match: exact
    case_sensitive: true
"""
YAML_NOISE = [
    b"&a ",
    b"*a",
    b"!!python/object:os.system ",
    b"!tag ",
    b"[",
    b"]",
    b"{",
    b"}",
    b": ",
    b"- ",
    b"#",
    b"|",
    b">",
    b"'",
    b'"',
    b"\t",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\n",
    b"\r\n",
    b"  ",
    b"%YAML 1.1\n",
    b"---\n",
    b"...\n",
    b"? ",
    b"<<: *a\n",
    b"\xef\xbb\xbf",
    b"\xe2\x80\xa8",
    b"~",
    b"null",
    b"true",
    b"1e9",
    b"\\u0000",
    b"[" * 50,
]


def _parse_refuses_cleanly(data: bytes) -> None:
    """Either a glossary or a GlossaryFileError/InputError with a sane position; nothing else."""
    try:
        glossary = parse_glossary(data, "fuzz.yaml")
    except InputError as exc:
        line = getattr(exc, "line", None)
        assert line is None or 1 <= line <= data.count(b"\n") + 2, (line, exc)
        assert str(exc).startswith("fuzz.yaml")
        return
    assert glossary.source_language and glossary.target_language
    assert all(t.source and t.target for t in glossary.terms)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_yaml_loader_on_arbitrary_bytes(data: bytes) -> None:
    _parse_refuses_cleanly(data)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_yaml_loader_on_arbitrary_text(text: str) -> None:
    _parse_refuses_cleanly(text.encode("utf-8", "surrogatepass"))


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = original
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.integers(0, 4))
        if kind == 0:  # delete a span
            data = data[:at] + data[at + draw(st.integers(1, 40)) :]
        elif kind == 1:  # insert YAML syntax or bad bytes
            data = data[:at] + draw(st.sampled_from(YAML_NOISE)) + data[at:]
        elif kind == 2:  # insert arbitrary bytes
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
        elif kind == 3:  # duplicate or drop a whole line
            lines = data.split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines[i : i + 1] = [lines[i]] * draw(st.integers(0, 2))
            data = b"\n".join(lines)
        else:  # truncate
            data = data[:at]
    return data


@settings(max_examples=150, deadline=None)
@given(mutated(SMALL_VALID))
def test_yaml_loader_on_mutated_small_glossary(data: bytes) -> None:
    _parse_refuses_cleanly(data)


@settings(max_examples=40, deadline=None)
@given(mutated(VALID))
def test_yaml_loader_on_mutated_curated_glossary(data: bytes) -> None:
    _parse_refuses_cleanly(data)


# --- schemathesis over the API ---------------------------------------------------------------

LEXICON = {"der": "the", "herrscher": "lord", "hund": "dog", "ist": "is"}
MISSING_MODEL = re.compile(r"glossary models install")


@pytest.fixture
def fuzz_app(settings: Settings, installed: InstalledPackage, tmp_path: Path) -> Flask:
    terms = tmp_path / "terms"
    terms.mkdir()
    create_glossary(terms / "p.yaml", "Politics", "de", "en", [Term("Herrscher", "ruler")])
    registry = EngineRegistry(settings, loader=lambda package: PhraseEngine(LEXICON))
    return create_app(
        dataclasses.replace(settings, terms_dir=terms, max_chars=5000),
        registry,
        test_config={"TESTING": True, "SECRET_KEY": "fuzz"},
    )


OPERATIONS = [
    (method.upper(), path) for path, methods in document()["paths"].items() for method in methods
]


@pytest.fixture
def api_schema(fuzz_app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/openapi.json", fuzz_app)


def _documented_missing_model(response: Any) -> bool:
    """503 with install instructions is the documented answer when no model serves the pair
    (LibreTranslate and the own API; DeepL paths say 400 instead): not a server fault."""
    return response.status_code == 503 and MISSING_MODEL.search(response.text) is not None


GOOD_FIELDS = {
    "source": "de",
    "target": "en",
    "source_lang": "DE",
    "target_lang": "EN-GB",
    "source_language": "de",
    "target_language": "en",
    "glossary": "p",
    "glossaries": ["p"],
    "glossary_id": id_for("p"),
}


def _realistic(case: Any) -> Any:
    """A generated case with the languages and glossary names of this app filled in, so that
    the generated rest reaches the code behind the argument checks."""
    if isinstance(case.body, dict):
        for key, value in GOOD_FIELDS.items():
            if key in case.body:
                case.body[key] = value
    params = case.path_parameters or {}
    if "name" in params:
        params["name"] = "p"
    if "glossary_id" in params:
        params["glossary_id"] = id_for("p")
    return case


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_never_answers_5xx(fuzz_app: Flask, api_schema: Any, method: str, path: str) -> None:
    """Schema-valid and schema-violating requests (schemathesis' positive and negative
    generation), and valid ones aimed at this app's languages and glossary, 20 per operation,
    edits with the current revision: none may get a 5xx."""
    operation = api_schema[path][method]
    positive = operation.as_strategy(GenerationMode.POSITIVE)
    cases = st.one_of(
        positive, operation.as_strategy(GenerationMode.NEGATIVE), positive.map(_realistic)
    )
    client = fuzz_app.test_client()

    @settings(
        max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(cases)
    def run(case: Any) -> None:
        etag = client.get("/api/glossaries/p").headers.get("ETag", "")
        response = case.call(headers={"If-Match": etag})
        if _documented_missing_model(response):
            assert not path.startswith("/v2/"), "DeepL clients retry 5xx: 400 there"
            return
        # no 5xx, and every answer has the shape /openapi.json gives for its status
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    run()
