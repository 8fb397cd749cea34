"""Glossaries at newsroom scale (issue 10): the fast read path reads exactly what the precise
parser reads, the disk cache is used only for the exact content it was made from, reloads
never make a request wait, and every reported term names its glossary (the first-named
glossary winning over dash variants too)."""

from __future__ import annotations

import dataclasses
import os
import random
import re
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.bench_scale import glossary_yaml
from glossary import cache as cache_module
from glossary import glossaries as glossaries_module
from glossary import match as match_module
from glossary import store as store_module
from glossary.cache import DiskCache
from glossary.config import Settings
from glossary.errors import ConflictError, GlossaryFileError, InputError
from glossary.glossaries import MatcherCache, combined, load_all, read_glossary
from glossary.match import TermMatcher
from glossary.packages import InstalledPackage
from glossary.pipeline import TranslationResult
from glossary.report import Origin, TermReport
from glossary.service import TranslationService
from glossary.store import GlossaryStore
from glossary.term import Glossary, Term
from glossary.termcheck import build_glossary
from glossary.termedit import add_term, remove_term, update_term
from glossary.termload import parse_glossary, revision_of
from glossary.termread import fast_glossary
from glossary.termwrite import create_glossary
from glossary.termyaml import load_document
from tests.conftest import ARTICLE, REPO
from tests.fakes import UppercaseEngine
from tests.test_pages import SENTENCE as PAGE_SENTENCE
from tests.test_pages import make_app, post_text
from tests.test_termfile import COMMENTED


def precise(data: bytes) -> Glossary | InputError:
    """What the round-trip parser alone makes of a file: the glossary or its error."""
    try:
        return build_glossary(load_document(data, "t.yaml", 10**8).root, "t.yaml")
    except InputError as exc:
        return exc


def fast(data: bytes) -> Glossary | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return fast_glossary(text, "t.yaml")


def assert_same_as_precise(data: bytes) -> Glossary | None:
    """The fast reader either declines or reads exactly what the precise parser reads."""
    quick = fast(data)
    if quick is not None:
        assert quick == precise(data), data.decode()
    return quick


# --- the fast read path -------------------------------------------------------------------

LAYOUTS = {
    "curated": (REPO / "terms" / "de-en.yaml").read_text(encoding="utf-8"),
    "commented": COMMENTED,
    "synthetic": glossary_yaml(2000)[0],
    "quoting": """\
source_language: 'de'
target_language: "en"
name: "Quotes: \\"all\\" of them, \\u00e9 \\x41 \\/ \\\\"   # a comment
terms:
- source: 'Kreml''s Herrscher'
  target: "Kremlin\\u2019s ruler"
  forbidden: ['Kremlin''s lord', "Kreml ruler", plain one]
- source: Uhrzeit 10:30 und C#
  target: time 10:30#1
  case_sensitive: True
  match: exact
- source: yes
  target: "no"
  note: ~
  status: proposed
  pos: other
  gender: n
""",
    "wide and crlf": (
        "\ufeffsource_language: de\ntarget_language: en\nname: Wide\n"
        "terms:    # the list\n\n"
        "    -    source: Waffen für Butter   \n"
        "         target: guns for butter\n"
        "         # a comment inside an entry\n"
        "         forbidden: []\n"
        "\n"
        "    -    source: Vertrag\n"
        "         target: treaty\n"
    ).replace("\n", "\r\n"),
    "block scalars": """\
source_language: de
target_language: en
name: |-
  Notes
terms:
  - source: Ukraine
    target: Ukraine
    note: |
      First line.
        Indented line.

      # not a comment: part of the note
  - source: Krieg
    target: war
    note: >
      folded
      lines

      with a break
    target_plural: >-
      wars
  - source: Frieden
    target: |-
      peace
    note: |+
      kept


  - source: Pjöngjang
    target: Pyongyang
""",
    "empty": "source_language: de\ntarget_language: en\nname: Empty\nterms: []\n",
}


@pytest.mark.parametrize("text", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_fast_reader_reads_the_usual_layouts_exactly_as_the_precise_parser(text: str) -> None:
    data = text.encode("utf-8")
    quick = fast(data)
    reference = precise(data)
    if isinstance(reference, Glossary):
        assert quick is not None, "the fast reader should read this layout"
        assert quick == reference
        assert [t.line for t in quick.terms] == [t.line for t in reference.terms]
    else:
        assert quick is None  # the precise parser's error is the answer


def test_parse_glossary_uses_the_fast_reader_and_falls_back_for_other_layouts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real = load_document

    def spy(data: bytes, path: str, max_bytes: int) -> Any:
        calls.append(path)
        return real(data, path, max_bytes)

    monkeypatch.setattr("glossary.termload.load_document", spy)
    usual = LAYOUTS["synthetic"].encode()
    reference = precise(usual)
    assert isinstance(reference, Glossary)
    assert parse_glossary(usual, "t.yaml") == dataclasses.replace(
        reference, revision=revision_of(usual)
    )
    assert calls == []  # no round-trip parse for the usual layout
    unusual = b"{source_language: de, target_language: en, name: Flow, terms: []}\n"
    assert parse_glossary(unusual, "flow.yaml").name == "Flow"
    assert calls == ["flow.yaml"]


# Words that make valid values in some quoting or other, and words that trip YAML up.
WORDS = [
    "Kreml",
    "Herrscher",
    "Waffen für Butter",
    "Kreml-Herrscher",
    "Kreml–Herrscher",
    "Schulterschluß",
    "Nord Stream",
    "C&A",
    "a#b",
    "x :y",
    "10:30",
    "yes",
    "no",
    "On",
    "Null?",
    "true story",
    "e\u0301",
    "Ü\u00a0x",
    "Dr. Müller",
    "50 %",
    "„Zitat“",
    "it's",
    'say "hi"',
    "back\\slash",
    "x, y",
    "[x]",
]
TRICKY = [
    "~",
    "true",
    "null",
    "1984",
    "0x1F",
    "2024-06-19",
    "a: b",
    "a #b",
    "-a",
    "?a",
    "*ref",
    "&anchor",
    "!tag",
    "%",
    "@",
    "|",
    ">",
    "<<",
    "=",
    "\u2028",
    "tab\there",
    "x:",
    "",
    " pad",
    "pad ",
]
CHOICES = {
    "match": ["inflected", "exact"],
    "status": ["approved", "proposed", "deprecated"],
    "pos": ["noun", "verb", "phrase"],
    "gender": ["m", "f", "n"],
    "case_sensitive": ["true", "false", "True", "FALSE", "~", ""],
}
KEYS = ["target_plural", "match", "case_sensitive", "forbidden", "status", "note", "pos", "gender"]


def _quoted_as(style: int, word: str) -> str:
    if style == 1:
        return "'" + word.replace("'", "''") + "'"
    if style == 2:
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return word


@st.composite
def scalar(draw: st.DrawFn, kind: str = "text", column: int = 0) -> str:
    """A value as it may stand after "key: ": for "text" plain or quoted (now and then a
    block scalar without its final line break), for "note" also any block scalar (its lines
    indented past `column`), for "list" a flow list. One in ten holds a word YAML trips on."""
    word = draw(st.sampled_from(WORDS if draw(st.integers(0, 9)) < 9 else TRICKY))
    style = draw(st.integers(0, 6))
    if kind == "list":
        items = draw(st.lists(st.sampled_from(WORDS), max_size=3, unique=True))
        return "[" + ", ".join(_quoted_as(draw(st.integers(0, 2)), w) for w in items) + "]"
    if (style >= 5 and kind == "note") or style == 6:
        indent = " " * (column + draw(st.integers(1, 3)))
        lines = draw(
            st.lists(st.sampled_from([*WORDS, "", "  more indented"]), min_size=1, max_size=4)
        )
        chomping = ["|", "|-", "|+", ">", ">-", ">+"] if kind == "note" else ["|-", ">-"]
        return draw(st.sampled_from(chomping)) + "".join(
            "\n" + (indent + line if line else draw(st.sampled_from(["", indent[:1]])))
            for line in lines
        )
    return _quoted_as(style % 3, word)


@st.composite
def glossary_text(draw: st.DrawFn) -> bytes:
    """Mostly valid glossaries in the usual layout, spaced, quoted and commented every which
    way; some with a value either parser refuses."""
    dash = draw(st.sampled_from(["  ", "", "    "]))
    column = len(dash) + 1 + len(draw(st.sampled_from([" ", "   "])))
    lines = ["# comment", "source_language: de", "target_language: en", f"name: {draw(scalar())}"]
    count = draw(st.integers(1, 4)) if draw(st.integers(0, 9)) else 0
    lines.append(draw(st.sampled_from(["terms:", "terms: # c"])) if count else "terms: []")
    for number in range(count):
        source = _quoted_as(draw(st.integers(0, 2)), f"{draw(st.sampled_from(WORDS))} {number}")
        fields = {"source": source, "target": draw(scalar("text", column))}
        for key in draw(st.lists(st.sampled_from(KEYS), max_size=4, unique=True)):
            choices = CHOICES.get(key)
            kind = {"forbidden": "list", "note": "note"}.get(key, "text")
            fields[key] = draw(st.sampled_from(choices)) if choices else draw(scalar(kind, column))
        keys = list(fields)
        if draw(st.booleans()):
            keys = draw(st.permutations(keys))
        for n, key in enumerate(keys):
            head = dash + "-" + " " * (column - len(dash) - 1) if n == 0 else " " * column
            value = fields[key]
            if "\n" in value:  # a block scalar: a comment goes on its indicator's line
                first, rest = value.split("\n", 1)
                comment = draw(st.sampled_from(["", "  # note"]))
                lines.append(f"{head}{key}: {first}{comment}\n{rest}")
            else:
                comment = draw(st.sampled_from(["", "", "  # note", "#x"]))
                lines.append(f"{head}{key}: {value}".rstrip(" ") + comment)
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "  # between", "     "])))
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "\n", "", "\n\n"]))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text.encode("utf-8")


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = draw(glossary_text())
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.integers(0, 2))
        if kind == 0:
            data = data[:at] + data[at + draw(st.integers(1, 12)) :]
        elif kind == 1:
            noise = [
                b" ",
                b"  ",
                b"\n",
                b"- ",
                b": ",
                b"#",
                b"'",
                b'"',
                b"\\",
                b"[",
                b"]",
                b"{",
                b"|",
                b">",
                b"\t",
                b"\r",
                b"&a ",
                b"*a",
                b"!!str ",
                b"---\n",
                b"%YAML 1.1\n",
                b"\xc2\x85",
                b"\xef\xbb\xbf",
                b"\x00",
                b"\xe2\x80\xa8",
            ]
            data = data[:at] + draw(st.sampled_from(noise)) + data[at:]
        else:
            lines = data.split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines[i : i + 1] = [lines[i]] * draw(st.integers(0, 2))
            data = b"\n".join(lines)
    return data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(glossary_text())
def test_fast_reader_agrees_with_the_precise_parser_on_generated_files(data: bytes) -> None:
    assert_same_as_precise(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fast_reader_agrees_with_the_precise_parser_on_mutated_files(data: bytes) -> None:
    assert_same_as_precise(data)


def _valid_variant(seed: int) -> bytes:
    """A valid glossary in the usual layout, its spacing, quoting, comments and notes varied."""
    rng = random.Random(seed)
    dash, gap = rng.choice(["", "  ", "    "]), rng.choice([" ", "   "])
    keys = " " * (len(dash) + 1 + len(gap))
    name = rng.choice(["Plain", "'Single'", '"Dou\\"ble"'])
    lines = ["# head", "source_language: de", "target_language: en", f"name: {name}", "terms:"]
    for n, source in enumerate(glossary_yaml(8, seed=seed)[1]):
        quote = rng.choice(["{}", "'{}'", '"{}"'])
        lines += [f"{dash}-{gap}source: {quote.format(source)}", f"{keys}target: t{n}"]
        if rng.random() < 0.4:
            lines += [
                f"{keys}note: {rng.choice(['|', '>', '|-', '>+'])}",
                f"{keys}  first line",
                f"{keys}  second line",
            ]
        if rng.random() < 0.4:
            lines.append(f"{keys}case_sensitive: {rng.choice(['true', 'False'])}  # flag")
        if rng.random() < 0.3:
            lines += ["", f"{dash}# a comment between entries"]
    text = "\n".join(lines) + "\n"
    return (text.replace("\n", "\r\n") if seed % 3 == 0 else text).encode()


def test_varied_valid_files_are_all_read_fast() -> None:
    """The property tests above would prove little if the fast reader declined everything:
    on valid files in the usual layout, however spaced, quoted and commented, it reads all."""
    for seed in range(80):
        data = _valid_variant(seed)
        assert isinstance(precise(data), Glossary)
        assert assert_same_as_precise(data) is not None, data.decode()


# --- one rule for duplicates: the matcher's own spelling key -------------------------------


def test_dash_and_quote_variants_are_duplicates_in_one_file() -> None:
    head = "source_language: de\ntarget_language: en\nname: T\nterms:\n"
    for first, second in [
        ("Kreml-Herrscher", "Kreml–Herrscher"),
        ("Nord Stream", "„Nord Stream“"),
        ("Schulterschluss", "Schulterschluß"),
    ]:
        text = f"{head}  - source: {first}\n    target: a\n  - source: '{second}'\n    target: b\n"
        with pytest.raises(InputError, match="duplicate of terms"):
            parse_glossary(text.encode(), "t.yaml")


def _glossary(name: str, *terms: Term) -> Glossary:
    return Glossary(name, "de", "en", terms, path=f"/terms/{name}.yaml", revision="r" + name)


def test_combined_first_named_glossary_wins_over_dash_variants() -> None:
    a = _glossary("a", Term("Kreml-Herrscher", "Kremlin ruler"), Term("Gipfel", "summit"))
    b = _glossary(
        "b", Term("Kreml–Herrscher", "Kremlin boss"), Term("Hund", "dog"), Term("gipfel", "peak")
    )
    c = _glossary("c", Term("Kreml - Herrscher", "Kremlin master"))
    terms, origins = combined([a, b, c])
    assert [t.target for t in terms] == ["Kremlin ruler", "summit", "dog"]
    assert origins == [Origin("a", ("b", "c")), Origin("a", ("b",)), Origin("b")]
    # the matcher finds B's own spelling (en dash), and reports A's term for it
    matcher = TermMatcher(terms, origins)
    (found,) = matcher.find("Der Kreml–Herrscher kam.")
    assert found.term.target == "Kremlin ruler"
    assert matcher.origin(found.term) == Origin("a", ("b", "c"))


def test_a_glossary_named_twice_counts_once_and_overrides_nothing() -> None:
    a = _glossary("a", Term("Gipfel", "summit"), Term("Hund", "dog"))
    b = _glossary("b", Term("Gipfel", "peak"), Term("Katze", "cat"))
    terms, origins = combined([a, b, a])
    assert [t.target for t in terms] == ["summit", "dog", "cat"]
    assert origins == [Origin("a", ("b",)), Origin("a"), Origin("b")]
    assert combined([a, a]) == (list(a.terms), [Origin("a")] * 2)


def test_combined_keeps_case_sensitive_pairs_that_differ_in_case() -> None:
    a = _glossary("a", Term("AfD", "AfD", case_sensitive=True))
    b = _glossary("b", Term("afd", "x", case_sensitive=True), Term("AFD", "y"))
    terms, origins = combined([a, b])
    assert [t.target for t in terms] == ["AfD", "x"]
    assert origins == [Origin("a", ("b",)), Origin("b")]


# --- reports name their glossary -----------------------------------------------------------


class Registry:
    """A stand-in for EngineRegistry: the fake engine for every pair."""

    def get(self, from_code: str, to_code: str) -> UppercaseEngine:
        return UppercaseEngine(from_code, to_code)


def make_service(settings: Settings, terms: Path) -> TranslationService:
    return TranslationService(dataclasses.replace(settings, terms_dir=terms), Registry())  # type: ignore[arg-type]


def test_each_reported_term_names_its_glossary_and_what_it_overrode(
    settings: Settings,
    tmp_path: Path,
) -> None:
    terms = tmp_path / "terms"
    terms.mkdir()
    create_glossary(terms / "a.yaml", "A", "de", "en", [Term("Kreml-Herrscher", "Kremlin ruler")])
    create_glossary(
        terms / "b.yaml",
        "B",
        "de",
        "en",
        [Term("Kreml–Herrscher", "Kremlin boss"), Term("Hund", "dog")],
    )
    service = make_service(settings, terms)
    text = "Der Kreml–Herrscher und der Hund."
    for names, winner, overrides in (
        (["a", "b"], "Kremlin ruler", ["b"]),
        (["b", "a"], "Kremlin boss", ["a"]),
    ):
        result = service.translate(text, "de", "en", names, mode="replace")
        reports = {r.term.source: r.to_dict() for r in result.terms}
        ruler = next(r for r in reports.values() if r["source"]["text"] == "Kreml–Herrscher")
        assert ruler["term"]["target"] == winner
        assert (ruler["glossary"], ruler["overrides"]) == (names[0], overrides)
        assert (reports["Hund"]["glossary"], reports["Hund"]["overrides"]) == ("b", [])
        again = TranslationResult.from_dict(result.to_dict())
        assert [(r.glossary, r.overrides) for r in again.terms] == [
            (r.glossary, r.overrides) for r in result.terms
        ]
        assert all(r.glossary for r in again.terms)


def test_reports_stored_before_origins_still_load() -> None:
    report = TermReport(
        source_start=0,
        source_end=4,
        source_text="Hund",
        term=Term("Hund", "dog"),
        form="dog",
        status="kept",
        glossary="b",
        overrides=("c",),
    )
    data = report.to_dict()
    assert (data["glossary"], data["overrides"]) == ("b", ["c"])
    assert TermReport.from_dict(data) == report
    del data["glossary"], data["overrides"]
    old = TermReport.from_dict(data)
    assert (old.glossary, old.overrides) == (None, ())


# --- the disk cache ------------------------------------------------------------------------


def _write(path: Path, size: int, seed: int = 3) -> None:
    path.write_text(glossary_yaml(size, seed=seed)[0], encoding="utf-8")
    old = os.stat(path).st_mtime - 60  # not "written within the clock's granularity"
    os.utime(path, (old, old))


@pytest.fixture
def no_parsing(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Calling the result makes parsing and grouping terms for a matcher fail: what still
    works came from the cache."""

    def forbid() -> None:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("parsed or compiled although the cache holds it")

        monkeypatch.setattr(glossaries_module, "parse_glossary", refuse)
        monkeypatch.setattr(match_module, "_bucketed", refuse)

    return forbid


def test_a_new_process_reads_an_unchanged_glossary_from_the_cache(
    settings: Settings,
    tmp_path: Path,
    no_parsing: Callable[[], None],
) -> None:
    terms = tmp_path / "terms"
    terms.mkdir()
    _write(terms / "big.yaml", 300)
    text = "Der Bericht erschien gestern. " + glossary_yaml(300, seed=3)[1][7] + " kam."
    first = make_service(settings, terms)
    cold = first.translate(text, "de", "en", ["big"])
    first.cache.flush()
    assert list((settings.state_dir / "cache").glob("*.cache"))  # written
    no_parsing()
    second = make_service(settings, terms)  # a restart: nothing in memory
    warm = second.translate(text, "de", "en", ["big"])
    assert warm.to_dict() == cold.to_dict() and warm.terms
    assert second.store.get("big") == first.store.get("big")  # every field, every line


def test_a_changed_file_is_never_read_from_the_cache(
    settings: Settings,
    tmp_path: Path,
) -> None:
    terms = tmp_path / "terms"
    terms.mkdir()
    path = terms / "g.yaml"
    create_glossary(path, "G", "de", "en", [Term("Hund", "dog")])
    first = make_service(settings, terms)
    assert first.translate("Der Hund.", "de", "en", ["g"]).terms[0].term.target == "dog"
    first.cache.flush()
    path.write_text(path.read_text().replace("dog", "hound"))  # new content, new revision
    second = make_service(settings, terms)
    assert second.translate("Der Hund.", "de", "en", ["g"]).terms[0].term.target == "hound"


def _cache_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.cache"))


@pytest.fixture
def cached(tmp_path: Path) -> tuple[DiskCache, Path, bytes, Glossary]:
    """A cache holding one glossary read through it."""
    path = tmp_path / "g.yaml"
    _write(path, 50)
    cache = DiskCache(tmp_path / "state" / "cache")
    data = path.read_bytes()
    glossary = read_glossary(path, data, cache=cache)
    cache.flush()
    assert read_glossary(path, data, cache=cache) == glossary
    return cache, path, data, glossary


def _spy_parse(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = glossaries_module.parse_glossary

    def spy(data: bytes, path: str, **kwargs: Any) -> Glossary:
        calls.append(path)
        return real(data, path, **kwargs)

    monkeypatch.setattr(glossaries_module, "parse_glossary", spy)
    return calls


def test_cache_hit_is_used_and_a_corrupted_entry_is_not(
    cached: tuple[DiskCache, Path, bytes, Glossary],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache, path, data, glossary = cached
    calls = _spy_parse(monkeypatch)
    assert read_glossary(path, data, cache=cache) == glossary and calls == []
    (entry,) = _cache_files(cache.directory)
    raw = bytearray(entry.read_bytes())
    raw[-20] ^= 0xFF  # one bit of the payload
    entry.write_bytes(bytes(raw))
    assert read_glossary(path, data, cache=cache) == glossary and calls == [str(path)]
    cache.flush()  # the entry is written anew
    assert read_glossary(path, data, cache=cache) == glossary and calls == [str(path)]
    entry.write_bytes(entry.read_bytes()[:-100])  # a torn write
    assert read_glossary(path, data, cache=cache) == glossary and len(calls) == 2


def test_every_field_of_a_term_comes_back_from_the_cache(tmp_path: Path) -> None:
    """The cache keeps only the fields a term sets; the others read as their defaults."""
    full = Term(
        "Kreml-Herrscher",
        "Kremlin ruler",
        target_plural="Kremlin rulers",
        match="exact",
        case_sensitive=True,
        forbidden=("Kremlin boss",),
        status="deprecated",
        note="desk usage",
        pos="noun",
        gender="m",
    )
    path = tmp_path / "g.yaml"
    create_glossary(path, "G", "de", "en", [full, Term("Hund", "dog")])
    cache, data = DiskCache(tmp_path / "cache"), path.read_bytes()
    fresh = read_glossary(path, data, cache=cache)
    cache.flush()
    from_cache = read_glossary(path, data, cache=cache)
    assert [dataclasses.astuple(t) for t in from_cache.terms] == [
        dataclasses.astuple(t) for t in fresh.terms
    ]
    assert from_cache.terms[0].gender == "m" and from_cache.terms[1].forbidden == ()
    assert from_cache.terms[1].line == fresh.terms[1].line is not None
    assert hash(from_cache.terms[1]) == hash(fresh.terms[1])


def test_cache_entry_of_other_content_or_code_is_never_used(
    cached: tuple[DiskCache, Path, bytes, Glossary],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache, path, data, glossary = cached
    (entry,) = _cache_files(cache.directory)
    other = path.with_name("other.yaml")
    _write(other, 40, seed=9)
    other_data = other.read_bytes()
    expected = read_glossary(other, other_data)  # no cache
    # A foreign entry planted under the other content's file name: its key differs.
    wanted = cache._file(f"glossary\n{expected.revision}\n{len(other_data)}")
    wanted.write_bytes(entry.read_bytes())
    wanted.chmod(0o600)
    calls = _spy_parse(monkeypatch)
    assert read_glossary(other, other_data, cache=cache) == expected and calls == [str(other)]
    # Another code version (e.g. a changed parser) misses every entry written before.
    monkeypatch.setattr(cache_module, "_version", "another version")
    assert read_glossary(path, data, cache=cache) == glossary and len(calls) == 2


def test_cache_in_a_folder_others_can_write_is_not_used(
    cached: tuple[DiskCache, Path, bytes, Glossary],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache, path, data, glossary = cached
    calls = _spy_parse(monkeypatch)
    (entry,) = _cache_files(cache.directory)
    entry.chmod(0o666)  # an entry anyone could have written
    assert read_glossary(path, data, cache=cache) == glossary and calls == [str(path)]
    cache.flush()  # written anew, 0600
    assert read_glossary(path, data, cache=cache) == glossary and len(calls) == 1
    cache.directory.chmod(0o777)  # a folder anyone could write to
    assert read_glossary(path, data, cache=cache) == glossary and len(calls) == 2
    cache.flush()
    cache.directory.chmod(0o700)
    assert read_glossary(path, data, cache=cache) == glossary and len(calls) == 2


def test_matcher_from_the_cache_finds_what_a_fresh_one_finds(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    _write(path, 2000)
    cache = DiskCache(tmp_path / "cache")
    (glossary,) = load_all([path], cache=cache)
    fresh = MatcherCache(cache=cache).get([glossary])
    cache.flush()
    stored = MatcherCache(cache=cache)
    grouped: list[int] = []
    real_bucketed = match_module._bucketed

    def counting(terms: Any) -> dict[str, list[int]]:
        grouped.append(1)
        return real_bucketed(terms)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(match_module, "_bucketed", counting)
        warm = stored.get(load_all([path], cache=cache))
    assert grouped == []  # the terms' buckets read from the cache, not worked out again
    sources = glossary_yaml(2000, seed=3)[1]
    text = ARTICLE.read_text(encoding="utf-8") + " ".join(
        f"Die {s}n und des {s}s, {s}." for s in sources[::7]
    )
    assert [(o.start, o.end, o.term, o.plural) for o in warm.find(text)] == [
        (o.start, o.end, o.term, o.plural) for o in fresh.find(text)
    ]
    assert len(fresh.find(text)) > 250
    assert warm.origin(warm.terms[5]) == Origin("g")


# --- reloads never block -------------------------------------------------------------------

BIG = 20_000


@pytest.fixture
def big_service(settings: Settings, tmp_path: Path) -> Iterator[tuple[TranslationService, Path]]:
    """A service with a 20,000-term glossary `big` loaded and compiled; one of its terms is
    Kremlherrscher → 'ruler A'."""
    terms = tmp_path / "terms"
    terms.mkdir()
    text = glossary_yaml(BIG, seed=5)[0] + "  - source: Kremlherrscher\n    target: ruler A\n"
    (terms / "big.yaml").write_text(text, encoding="utf-8")
    service = make_service(settings, terms)
    assert _target(service.translate(SENTENCE, "de", "en", ["big"])) == "ruler A"
    yield service, terms / "big.yaml"


SENTENCE = "Der Kremlherrscher sprach."


def _target(result: TranslationResult) -> str:
    (report,) = [r for r in result.terms if r.term.source == "Kremlherrscher"]
    return report.term.target


def _edit(path: Path) -> None:
    path.write_text(
        path.read_text(encoding="utf-8").replace("ruler A", "ruler B"), encoding="utf-8"
    )


def _while_held(
    service: TranslationService, hold: Callable[[threading.Event, threading.Event], None]
) -> tuple[str, str, bool]:
    """Start a translation that reloads the edited glossary and is held by `hold` in the
    middle of that reload; meanwhile translate again. Returns (the target the second
    translation used, the one the reloading translation used, whether the second finished
    while the reload was still held)."""
    started, translated = threading.Event(), threading.Event()
    hold(started, translated)
    reload_result: list[TranslationResult] = []
    reloading = threading.Thread(
        target=lambda: reload_result.append(service.translate(SENTENCE, "de", "en", ["big"]))
    )
    reloading.start()
    assert started.wait(60), "the reload did not start"
    during: list[TranslationResult] = []
    other = threading.Thread(
        target=lambda: during.append(service.translate(SENTENCE, "de", "en", ["big"]))
    )
    other.start()
    other.join(30)  # only a guard: a translation that waits behind the reload never ends here
    finished_first = not other.is_alive() and reloading.is_alive()
    translated.set()
    other.join()
    reloading.join()
    return _target(during[0]), _target(reload_result[0]), finished_first


def test_translation_during_a_reload_of_a_big_file_uses_the_previous_version(
    big_service: tuple[TranslationService, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service, path = big_service
    _edit(path)

    def hold(started: threading.Event, translated: threading.Event) -> None:
        real = store_module.read_glossary

        def slow_read(*args: Any, **kwargs: Any) -> Glossary:
            started.set()
            translated.wait(60)  # the reload stays in progress until the other one is done
            return real(*args, **kwargs)

        monkeypatch.setattr(store_module, "read_glossary", slow_read)

    during, after, finished_first = _while_held(service, hold)
    assert finished_first, "the translation waited for the reload"
    assert (during, after) == ("ruler A", "ruler B")
    assert _target(service.translate(SENTENCE, "de", "en", ["big"])) == "ruler B"


def test_translation_during_a_recompile_uses_the_previous_matcher(
    big_service: tuple[TranslationService, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service, path = big_service
    _edit(path)

    def hold(started: threading.Event, translated: threading.Event) -> None:
        real_init = TermMatcher.__init__

        def slow_compile(self: TermMatcher, *args: Any, **kwargs: Any) -> None:
            started.set()
            translated.wait(60)
            real_init(self, *args, **kwargs)

        monkeypatch.setattr(glossaries_module.TermMatcher, "__init__", slow_compile)

    during, after, finished_first = _while_held(service, hold)
    assert finished_first, "the translation waited for the compile"
    assert (during, after) == ("ruler A", "ruler B")


def test_first_load_is_waited_for_and_done_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no version in hand there is nothing else to answer with: concurrent requests for
    a glossary never loaded wait for the one load instead of each parsing the file."""
    _write(tmp_path / "g.yaml", 2000)
    store = GlossaryStore(tmp_path)
    calls = []
    real = store_module.read_glossary

    def counting(*args: Any, **kwargs: Any) -> Glossary:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(store_module, "read_glossary", counting)
    results: list[Glossary] = []
    threads = [threading.Thread(target=lambda: results.append(store.get("g"))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6 and all(r is results[0] for r in results)
    assert len(results[0].terms) == 2000 and calls == [1]


def test_page_tooltip_names_the_glossary_and_what_it_won_over(
    settings: Settings,
    installed: InstalledPackage,
    tmp_path: Path,
) -> None:
    app = make_app(settings, tmp_path)  # de-en: Kreml-Herrscher → Kremlin ruler
    create_glossary(
        tmp_path / "terms" / "b.yaml", "B", "de", "en", [Term("Kreml–Herrscher", "Kremlin boss")]
    )
    status, page = post_text(app.test_client(), PAGE_SENTENCE, glossary=["de-en", "b"])
    assert status == 200
    titles = re.findall(r'data-term="Kreml.Herrscher"[^>]*title="([^"]*)"', page)
    assert titles  # the page lists the glossaries by name: b is named first there
    for title in titles:
        assert "Kremlin boss" in title and "Kremlin ruler" not in title
        assert "glossary b" in title and "wins over de-en (named first)" in title


# --- one-term edits: line surgery from the glossary as read ---------------------------------


def _edits_hold_what_they_mean(data: bytes, tmp_path: Path) -> None:
    """On a valid file: adding, changing and removing one term each write a file that the
    precise parser reads as exactly the terms meant, the other entries' lines unchanged."""
    base = parse_glossary(data, "g.yaml")
    path = tmp_path / "g.yaml"
    fresh = Term("Zwölftonmusik", "twelve-tone music", note="# not a comment: 'quoted'")
    edits: list[tuple[Callable[[Glossary], Glossary], list[Term]]] = [
        (lambda g: add_term(path, fresh, revision=g.revision, base=g), [*base.terms, fresh])
    ]
    for index in {0, len(base.terms) // 2, len(base.terms) - 1} if base.terms else ():
        old = base.terms[index]
        new = dataclasses.replace(old, target=old.target + " (new)", line=None)
        terms = list(base.terms)
        edits.append(
            (
                lambda g, s=old.source, n=new: update_term(path, s, n, revision=g.revision, base=g),
                [*terms[:index], new, *terms[index + 1 :]],
            )
        )
        edits.append(
            (
                lambda g, s=old.source: remove_term(path, s, revision=g.revision, base=g),
                terms[:index] + terms[index + 1 :],
            )
        )
    for edit, meant in edits:
        path.write_bytes(data)
        written = edit(base)
        reread = precise(path.read_bytes())
        assert isinstance(reread, Glossary), (data, reread)
        assert [dataclasses.replace(t, line=None) for t in reread.terms] == [
            dataclasses.replace(t, line=None) for t in meant
        ], data
        assert [t.line for t in written.terms] == [t.line for t in reread.terms], data
        assert written.revision == revision_of(path.read_bytes())


@pytest.mark.parametrize("text", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_one_term_edits_of_every_layout_hold_what_they_mean(text: str, tmp_path: Path) -> None:
    _edits_hold_what_they_mean(text.encode("utf-8"), tmp_path)


def test_one_term_edits_of_varied_files_hold_what_they_mean(tmp_path: Path) -> None:
    for seed in range(40):
        _edits_hold_what_they_mean(_valid_variant(seed), tmp_path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(glossary_text())
def test_one_term_edits_of_generated_files_hold_what_they_mean(data: bytes) -> None:
    if isinstance(precise(data), Glossary):  # edits only ever start from valid files
        with tempfile.TemporaryDirectory() as folder:
            _edits_hold_what_they_mean(data, Path(folder))


def test_a_one_term_edit_finds_duplicates_among_many_terms(tmp_path: Path) -> None:
    """Only terms sharing a word with the new one are compared, and every spelling the
    duplicate rule folds is still found (dash variants, ß/ss, case, soft hyphens, NFD)."""
    path = tmp_path / "big.yaml"
    text, sources = glossary_yaml(2000)
    path.write_text(text, encoding="utf-8")
    base = parse_glossary(path.read_bytes(), str(path))
    target = next(s for s in sources if "-" in s)
    for variant in (
        target.replace("-", "–"),
        target.upper(),
        target.replace("-", " - "),
        "\u00ad".join(target),
        unicodedata.normalize("NFD", target),
    ):
        with pytest.raises(GlossaryFileError, match="duplicate of"):
            add_term(path, Term(variant, "x"), revision=base.revision, base=base)
    with pytest.raises(GlossaryFileError, match="duplicate of"):
        update_term(
            path,
            sources[5],
            Term(sources[9].replace("ss", "ß"), "x"),
            revision=base.revision,
            base=base,
        )
    assert path.read_text(encoding="utf-8") == text
    fine = update_term(
        path, sources[5], Term(sources[5], "renamed target"), revision=base.revision, base=base
    )
    assert fine.terms[5].target == "renamed target"


def test_a_stale_base_is_not_used(tmp_path: Path) -> None:
    """A caller's copy at another revision than the edit names is ignored: the file is read."""
    path = tmp_path / "g.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    stale = parse_glossary(path.read_bytes(), str(path))
    current = add_term(path, Term("Nordkorea", "North Korea"), revision=stale.revision)
    glossary = add_term(
        path, Term("Südkorea", "South Korea"), revision=current.revision, base=stale
    )
    assert [t.source for t in glossary.terms][-2:] == ["Nordkorea", "Südkorea"]
    with pytest.raises(ConflictError):
        add_term(path, Term("Japan", "Japan"), revision=stale.revision, base=stale)


def test_one_term_edit_touches_only_its_lines_with_fast_spans(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    putin = parse_glossary(path.read_bytes(), str(path)).terms[0]
    glossary = update_term(
        path,
        putin.source,
        dataclasses.replace(putin, target="Vladimir V. Putin"),
        revision=revision_of(path.read_bytes()),
    )
    after = path.read_text(encoding="utf-8")
    assert after == COMMENTED.replace(
        "    target: Vladimir Putin\n", "    target: Vladimir V. Putin\n"
    )
    assert glossary.terms[0].target == "Vladimir V. Putin"
    glossary = add_term(path, Term("Nordkorea", "North Korea"), revision=glossary.revision)
    assert path.read_text(encoding="utf-8") == after.replace(
        "    target: Pyongyang    # romanised\n",
        "    target: Pyongyang    # romanised\n  - source: Nordkorea\n    target: North Korea\n",
    )


def test_removing_an_entry_that_ends_in_a_null_value_keeps_the_next_one(tmp_path: Path) -> None:
    """The composer's spans ran into the next entry there, and the edit was refused."""
    path = tmp_path / "n.yaml"
    path.write_text(
        "source_language: de\ntarget_language: en\nname: N\nterms:\n"
        "  - source: Kreml\n    target: Kremlin\n    case_sensitive:\n"
        "  - source: Hund\n    target: dog\n",
        encoding="utf-8",
    )
    glossary = remove_term(path, "Kreml", revision=revision_of(path.read_bytes()))
    assert [t.source for t in glossary.terms] == ["Hund"]
    assert path.read_text(encoding="utf-8").endswith("terms:\n  - source: Hund\n    target: dog\n")
