"""Whole documents through the translation service (translate_document, translate_blocks,
translate_html): the term report by block with its location, offsets into the block's text
and its translation; batches and progress; a sentence the model fails on; marks on random
nested markup landing on their own words and never dropped; bad input refused before the
model runs. Fake engines (PhraseEngine, UppercaseEngine) where the wording must be known;
one test with the real trained model."""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from glossary.config import Settings
from glossary.documents import translate as documents
from glossary.documents.model import Block, Limits
from glossary.documents.registry import format_for
from glossary.documents.translate import translate_blocks, translate_document, translate_html
from glossary.engine import DecodeOptions, Hypothesis
from glossary.engines import EngineRegistry
from glossary.errors import DocumentError
from glossary.packages import InstalledPackage, install_from_file
from glossary.service import TranslationService
from glossary.term import Term
from glossary.termwrite import create_glossary
from tests.fakes import PhraseEngine, UppercaseEngine
from tests.test_documents_html import balanced
from tests.test_real_model import DEFAULT_MODEL, MODEL_ENV

LEXICON = {
    "der": "the",
    "sprach": "spoke",
    "kreml-herrscher": "Kremlin lord",
    "herrscher": "ruler",
    "reist": "travels",
    "nach": "to",
    "pjöngjang": "Pyongyang",
    "heute": "today",
    "und": "and",
    "minister": "minister",
    "sagt": "says",
    "nein": "no",
    "er": "he",
    "kommt": "comes",
    "morgen": "tomorrow",
    "kaputt": "broken",
}
TERMS = [Term("Kreml-Herrscher", "Kremlin ruler"), Term("Waffen für Butter", "guns for butter")]


class FailingEngine(PhraseEngine):
    """Fake: fails on any batch holding a sentence with "kaputt", as a model may on one."""

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        if any("kaputt" in s.lower() for s in sentences):
            raise RuntimeError("the model gave up")
        return super().translate_batch(sentences, prefixes, options)


def service_with(settings: Settings, tmp_path: Path, engine: object) -> TranslationService:
    terms = tmp_path / "terms"
    terms.mkdir(exist_ok=True)
    create_glossary(terms / "politik.yaml", "Politik", "de", "en", TERMS)
    registry = EngineRegistry(settings, loader=lambda package: engine)
    return TranslationService(dataclasses.replace(settings, terms_dir=terms), registry)


@pytest.fixture
def engine() -> PhraseEngine:
    return PhraseEngine(LEXICON)


@pytest.fixture
def service(
    settings: Settings, installed: InstalledPackage, tmp_path: Path, engine: PhraseEngine
) -> TranslationService:
    return service_with(settings, tmp_path, engine)


def blocks_of(filename: str, data: bytes) -> list[Block]:
    return list(format_for(filename).read(data, limits=Limits()).blocks)


# -- the term report ---------------------------------------------------------------------------
TEXT = (
    "Der Kreml-Herrscher sprach.\r\n\r\nEr kommt morgen.\r\n\r\n"
    "Er sprach heute. Der Kreml-Herrscher reist nach Pjöngjang."
)


def test_fake_engine_text_terms_are_located_by_paragraph_with_offsets_in_the_block(
    service: TranslationService,
) -> None:
    data = ("\ufeff" + TEXT).encode()
    out = translate_document(service, data, "bericht.txt", "de", "en")
    assert (
        out.data
        == (
            "\ufeffThe Kremlin ruler spoke.\r\n\r\nHe comes tomorrow.\r\n\r\n"
            "He spoke today. The Kremlin ruler travels to Pyongyang."
        ).encode()
    )
    assert (out.filename, out.media_type, out.format, out.blocks) == (
        "bericht.en.txt",
        "text/plain",
        "txt",
        3,
    )
    sources = [b.text for b in blocks_of("a.txt", data)]
    translations = [b.text for b in blocks_of("a.txt", out.data)]
    assert [(t.location, t.block) for t in out.terms] == [("paragraph 1", 0), ("paragraph 3", 2)]
    for located in out.terms:
        report = located.report
        assert sources[located.block][report.source_start : report.source_end] == (
            "Kreml-Herrscher"
        )
        assert report.target_start is not None and report.target_end is not None
        assert translations[located.block][report.target_start : report.target_end] == (
            "Kremlin ruler"
        )
    assert out.terms[1].report.source_start == len("Er sprach heute. Der ")
    assert out.terms[1].report.target_start == len("He spoke today. The ")


def test_fake_engine_translate_blocks_gives_reports_relative_to_each_translation(
    service: TranslationService,
) -> None:
    blocks = blocks_of(
        "a.html", b"<p>Er sprach.</p><p>Heute <b>sprach</b> der Kreml-Herrscher.</p>"
    )
    pipeline = service.pipeline("de", "en", service.glossaries_for("de", "en"))
    translated, reports = translate_blocks(pipeline, blocks)
    assert [b.text for b in translated] == ["He spoke.", "Today spoke the Kremlin ruler."]
    assert [b.location for b in translated] == [b.location for b in blocks]
    assert reports[0] == []
    [report] = reports[1]
    assert blocks[1].text[report.source_start : report.source_end] == "Kreml-Herrscher"
    assert report.target_start is not None and report.target_end is not None
    assert translated[1].text[report.target_start : report.target_end] == "Kremlin ruler"
    [mark] = translated[1].marks
    assert translated[1].text[mark.start : mark.end] == "spoke"


def test_fake_engine_markdown_term_in_a_link_is_located_and_linked(
    service: TranslationService,
) -> None:
    data = b"# Bericht\n\nHeute sprach [der **Kreml-Herrscher**](https://x.de/k_h).\n"
    out = translate_document(service, data, "bericht.md", "de", "en")
    # ("Bericht" is not in the fake's lexicon: copied, and its heading too)
    assert out.data == b"# Bericht\n\nToday spoke [the **Kremlin ruler**](https://x.de/k_h).\n"
    [term] = out.terms
    assert (term.location, term.block, term.report.status) == (
        "paragraph 2 (line 3)",
        1,
        "enforced",
    )


def test_fake_engine_markdown_term_in_inline_code_is_not_reported(
    service: TranslationService,
) -> None:
    data = b"Der Befehl `Kreml-Herrscher` sprach heute.\n"
    out = translate_document(service, data, "a.md", "de", "en")
    assert b"`Kreml-Herrscher`" in out.data
    assert out.terms == ()


def test_fake_engine_report_dict_counts_terms_and_names_their_places(
    service: TranslationService,
) -> None:
    out = translate_document(service, TEXT.encode(), "b.txt", "de", "en")
    report = out.report_dict()
    assert report["filename"] == "b.en.txt" and report["format"] == "txt"
    assert report["blocks"] == 3 and report["untranslated"] == 0
    terms = report["terms"]
    assert isinstance(terms, list) and len(terms) == 2
    assert terms[0]["location"] == "paragraph 1" and terms[0]["block"] == 0
    assert terms[0]["status"] == "enforced"
    summary = report["summary"]
    assert isinstance(summary, dict) and summary["enforced"] == 2


def test_fake_engine_no_term_is_reported_across_two_blocks(service: TranslationService) -> None:
    html = "<p>Sie wollen Waffen</p><p>für Butter sorgen.</p><p>Keine Waffen für Butter.</p>"
    _, terms, _ = translate_html(service, html, "de", "en")
    assert [(t.block, t.report.source_text) for t in terms] == [(2, "Waffen für Butter")]


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("leer.txt", b"\r\n\r\n"),
        ("leer.md", b"```\nnur Code\n```\n"),
        ("leer.html", b"<html><script>var a;</script></html>"),
        ("leer.vtt", b"WEBVTT\n\nNOTE nichts\n"),
    ],
)
def test_fake_engine_a_document_without_text_comes_back_as_it_was(
    service: TranslationService, engine: PhraseEngine, filename: str, data: bytes
) -> None:
    seen: list[tuple[int, int]] = []
    out = translate_document(
        service, data, filename, "de", "en", progress=lambda *p: seen.append(p)
    )
    assert (out.data, out.blocks, out.terms, out.untranslated) == (data, 0, (), 0)
    assert engine.calls == [] and seen == []


# -- batches, progress, failures ---------------------------------------------------------------
def test_fake_engine_batches_report_progress_and_keep_offsets(
    service: TranslationService, engine: PhraseEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "BATCH_BLOCKS", 2)
    data = "\n\n".join(f"Der Kreml-Herrscher sprach {i}." for i in range(5)).encode()
    seen: list[tuple[int, int]] = []
    out = translate_document(service, data, "a.txt", "de", "en", progress=lambda *p: seen.append(p))
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert [len(call) for call in engine.calls[:1]] == [2]  # two blocks, one sentence each
    assert out.data.decode().split("\n\n") == [f"The Kremlin ruler spoke {i}." for i in range(5)]
    assert [
        (t.location, t.block, t.report.source_start, t.report.target_start) for t in out.terms
    ] == [(f"paragraph {i + 1}", i, 4, 4) for i in range(5)]


def test_fake_engine_a_sentence_the_model_fails_on_is_copied_and_counted(
    settings: Settings, installed: InstalledPackage, tmp_path: Path
) -> None:
    service = service_with(settings, tmp_path, FailingEngine(LEXICON))
    data = b"<p>Der Herrscher sprach. Er ist kaputt.</p><p>Er kommt morgen.</p>"
    out = translate_document(service, data, "a.html", "de", "en")
    assert out.untranslated == 1
    assert out.data == b"<p>The ruler spoke. Er ist kaputt.</p><p>He comes tomorrow.</p>"
    assert out.report_dict()["untranslated"] == 1


# -- bad input: nothing runs -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "filename", "content_type", "status"),
    [
        (b"x" * 2000, "a.txt", None, 413),
        (b"Hallo", "a.docm", None, 415),
        (b"<p>Hallo</p>", "a.html", "application/pdf", 415),
        (b"Gr\xfc\xdfe", "a.txt", None, 400),
        (b"\n\n".join([b"Absatz."] * 6), "a.txt", None, 413),
    ],
)
def test_fake_engine_bad_input_is_refused_before_the_model_runs(
    service: TranslationService,
    engine: PhraseEngine,
    tmp_path: Path,
    data: bytes,
    filename: str,
    content_type: str | None,
    status: int,
) -> None:
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(DocumentError) as caught:
        translate_document(
            service,
            data,
            filename,
            "de",
            "en",
            content_type=content_type,
            limits=Limits(max_bytes=1000, max_blocks=5),
        )
    assert caught.value.http_status == status
    assert engine.calls == []
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing written


def test_fake_engine_undecodable_bytes_name_the_byte(service: TranslationService) -> None:
    with pytest.raises(DocumentError, match=r"byte 10 \(line 3\) is 0xfc"):
        translate_document(service, b"Hallo.\n\nGr\xfc\xdfe", "a.md", "de", "en")


# -- marks on random markup --------------------------------------------------------------------
WORDS = (
    "Der Kreml-Herrscher sprach heute mit Nachdruck. Ein Mann kommt und der Minister sagt "
    "nein, ein Bild zeigt den Befehl."
).split()
INLINE = ("b", "i", "em", "span", "a", "u")
POINTS = ("<br>", '<img src="x.png">', "<!-- c -->")


def random_markup(rng: random.Random, words: list[str], depth: int = 0) -> str:
    out, i = [], 0
    while i < len(words):
        roll = rng.random()
        if roll < 0.2 and depth < 3:
            size = rng.randint(1, min(4, len(words) - i))
            tag = rng.choice(INLINE)
            out.append(f"<{tag}>{random_markup(rng, words[i : i + size], depth + 1)}</{tag}>")
            i += size
        elif roll < 0.25:
            out.append(rng.choice(POINTS) + words[i])
            i += 1
        else:
            out.append(words[i])
            i += 1
    return " ".join(out)


def paragraphs(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        size = rng.randint(3, len(WORDS))
        start = rng.randint(0, len(WORDS) - size)
        found.append(f"<p>{random_markup(rng, WORDS[start : start + size])}</p>")
    return found


def capitals(html: str) -> str:
    """The HTML with the text between its tags in capitals (what UppercaseEngine says)."""
    out, inside = [], False
    for c in html:
        inside = (inside or c == "<") and c != ">"
        out.append(c if inside or c == ">" else c.upper())
    return "".join(out)


def test_fake_engine_marks_on_random_nested_markup_land_on_their_own_words(
    settings: Settings, installed: InstalledPackage, tmp_path: Path
) -> None:
    upper = UppercaseEngine()
    service = service_with(settings, tmp_path, upper)
    page = "\n".join(paragraphs(seed=13, count=150))
    out, _, _ = translate_html(service, page, "de", "en", glossaries=[])
    assert out == capitals(page)  # word for word, each mark on the same words


def test_fake_engine_a_block_of_thousands_of_marks_keeps_each_on_its_word(
    settings: Settings, installed: InstalledPackage, tmp_path: Path
) -> None:
    service = service_with(settings, tmp_path, UppercaseEngine())
    page = "<p>" + "<b>Wort</b> und <i>noch</i> ein Satz. " * 1000 + "Ende.</p>"
    out, _, _ = translate_html(service, page, "de", "en", glossaries=[])
    assert out == capitals(page)


def random_markdown(rng: random.Random, words: list[str], used: tuple[str, ...] = ()) -> str:
    """Words with emphasis, strong, links and code around some, never one kind inside
    itself (which Markdown reads otherwise)."""
    out, i = [], 0
    while i < len(words):
        kinds = [k for k in ("**", "*", "link", "code") if k not in used]
        if rng.random() < 0.25 and len(used) < 2 and kinds:
            size = rng.randint(1, min(3, len(words) - i))
            kind = rng.choice(kinds)
            part = words[i : i + size]
            inner = " ".join(part) if kind == "code" else random_markdown(rng, part, (*used, kind))
            if kind == "link":
                out.append(f"[{inner}](https://x.de/a_b)")
            elif kind == "code":
                out.append(f"`{inner}`")
            else:
                out.append(f"{kind}{inner}{kind}")
            i += size
        else:
            out.append(words[i])
            i += 1
    return " ".join(out)


def test_fake_engine_marks_on_random_markdown_land_on_their_own_words(
    settings: Settings, installed: InstalledPackage, tmp_path: Path
) -> None:
    service = service_with(settings, tmp_path, UppercaseEngine())
    rng = random.Random(7)
    lines = []
    for _ in range(120):
        size = rng.randint(3, len(WORDS))
        start = rng.randint(0, len(WORDS) - size)
        lines.append(random_markdown(rng, WORDS[start : start + size]))
    data = "\n\n".join(lines) + "\n"
    out = translate_document(service, data.encode(), "a.md", "de", "en", glossaries=[])
    # capitals everywhere but in code and URLs
    parts = re.split(r"(`[^`]*`|\]\([^)]*\))", data)
    expected = "".join(p if p.startswith(("`", "](")) else p.upper() for p in parts)
    assert out.data.decode() == expected


def test_fake_engine_marks_on_random_markup_with_terms_stay_nested_and_none_is_lost(
    service: TranslationService,
) -> None:
    for html in paragraphs(seed=29, count=150):
        out, _, _ = translate_html(service, html, "de", "en")
        assert balanced(out) == balanced(html), (html, out)


# -- the real model --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_model() -> Path:
    import os

    configured = os.environ.get(MODEL_ENV)
    archive = Path(configured) if configured else DEFAULT_MODEL
    if not archive.is_file():
        pytest.skip(f"real model not found: set ${MODEL_ENV} or put it at {DEFAULT_MODEL}")
    return archive


@pytest.mark.parametrize(
    ("html", "term", "bold"),
    [
        (
            "<p>Der <b>Hund</b> springt ins <i>Wasser</i>.</p>",
            Term("Hund", "hound", gender="m"),
            "hound",
        ),
        (
            "<p>Ein Mann mit einem orangefarbenen <b>Hut</b> starrt auf etwas.</p>",
            Term("Hut", "titfer", gender="m"),
            "titfer",
        ),
        (  # bold over most of a term: its English, not where the overruled words attend
            "<p>Nun schmiedet Putin ein neues Bündnis, eine Achse <b>Moskau–Pjöngjang.</b></p>",
            Term("Achse Moskau–Pjöngjang", "Moscow–Pyongyang axis"),
            "moscow–pyongyang axis",
        ),
        (  # bold mostly on one word of a term: the term's English, whatever attention says
            "<p>So schreibt die Zeitung, dass er einen Deal „Waffen für <b>Butter“ </b>"
            "eingegangen sei.</p>",
            Term("Waffen für Butter", "guns for butter"),
            "guns for butter",
        ),
    ],
)
def test_real_model_keeps_bold_around_the_english_glossary_term(
    settings: Settings, tmp_path: Path, real_model: Path, html: str, term: Term, bold: str
) -> None:
    install_from_file(settings.packages_dir, real_model)
    terms = tmp_path / "terms"
    terms.mkdir()
    create_glossary(terms / "t.yaml", "T", "de", "en", [term])
    service = TranslationService(dataclasses.replace(settings, terms_dir=terms))
    out, located, _ = translate_html(service, html, "de", "en")
    assert balanced(out) == balanced(html)
    # (the report's English may hold a quote the model glued to it: "butter'")
    assert out.split("<b>")[1].split("</b>")[0].lower().rstrip("'’") == bold, out
    assert "<b></b>" not in out, out  # a mark over German words is over English ones
    assert [(t.location, t.report.status) for t in located] == [
        ("paragraph 1 (<p>, line 1)", "enforced")
    ]
