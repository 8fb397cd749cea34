"""HTML through the translation service (translate_html, as format=html and tag_handling=html
use it) with fake engines whose wording is known: what becomes a block, what is copied through
untouched (script, style, code, pre, textarea, translate="no"), a `>` in an attribute or a
comment, entities, and inline markup put back around the English words of the German it
covered, well nested, never dropped."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from pathlib import Path

import pytest

from glossary.config import Settings
from glossary.documents.html import VOID_ELEMENTS, read_html, relabel_tag
from glossary.documents.model import Languages
from glossary.documents.translate import translate_html
from glossary.engines import EngineRegistry
from glossary.packages import InstalledPackage
from glossary.service import TranslationService
from glossary.term import Term
from glossary.termwrite import create_glossary
from tests.fakes import PhraseEngine, UppercaseEngine

LEXICON = {
    "der": "the",
    "die": "the",
    "sprach": "spoke",
    "kreml-herrscher": "Kremlin lord",
    "herrscher": "ruler",
    "reist": "travels",
    "nach": "to",
    "pjöngjang": "Pyongyang",
    "mit": "with",
    "nachdruck": "emphasis",
    "heute": "today",
    "ein": "a",
    "bild": "picture",
    "und": "and",
    "minister": "minister",
    "sagt": "says",
    "nein": "no",
    "ende": "end",
    "zeigt": "shows",
    "befehl": "command",
    "ein mann": "a man",  # one unit: both words attend to both
    "mann": "man",
    "kommt": "comes",
}


@pytest.fixture
def engine() -> PhraseEngine:
    return PhraseEngine(LEXICON)


def service_with(settings: Settings, tmp_path: Path, engine: object) -> TranslationService:
    """The real service over a glossary folder with Kreml-Herrscher → Kremlin ruler, every
    model replaced by `engine`."""
    terms = tmp_path / "terms"
    terms.mkdir(exist_ok=True)
    create_glossary(
        terms / "politik.yaml", "Politik", "de", "en", [Term("Kreml-Herrscher", "Kremlin ruler")]
    )
    registry = EngineRegistry(settings, loader=lambda package: engine)
    return TranslationService(dataclasses.replace(settings, terms_dir=terms), registry)


@pytest.fixture
def service(
    settings: Settings, installed: InstalledPackage, tmp_path: Path, engine: PhraseEngine
) -> TranslationService:
    return service_with(settings, tmp_path, engine)


def translated(service: TranslationService, html: str) -> str:
    return translate_html(service, html, "de", "en")[0]


class Balance(HTMLParser):
    """Fails on an end tag that does not close the innermost open element; `tags` counts
    start tags by name."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack}"
        self.stack.pop()


def balanced(html: str) -> dict[str, int]:
    parser = Balance()
    parser.feed(html)
    parser.close()
    assert parser.stack == [], f"left open: {parser.stack}"
    return parser.tags


# -- marks -----------------------------------------------------------------------------------
def test_fake_engine_sentence_across_inline_markup_is_one_sentence(
    settings: Settings, installed: InstalledPackage, tmp_path: Path
) -> None:
    upper = UppercaseEngine()
    service = service_with(settings, tmp_path, upper)
    html = "<p>Der <b>Kreml</b>-Chef reist <i>nach <u>Pjöngjang</u></i>.</p>"
    out, _, sentences = translate_html(service, html, "de", "en", glossaries=[])
    assert upper.batches == [["Der Kreml-Chef reist nach Pjöngjang."]]
    assert [s.source for s in sentences] == ["Der Kreml-Chef reist nach Pjöngjang."]
    assert out == "<p>DER <b>KREML</b>-CHEF REIST <i>NACH <u>PJÖNGJANG</u></i>.</p>"


def test_fake_engine_bold_glossary_term_stays_bold_around_its_english(
    service: TranslationService, engine: PhraseEngine
) -> None:
    out, terms, sentences = translate_html(
        service, "<p>Der <b>Kreml-Herrscher</b> sprach.</p>", "de", "en"
    )
    assert out == "<p>The <b>Kremlin ruler</b> spoke.</p>"
    assert len(engine.calls[0]) == 1  # one sentence to the model
    [term] = terms
    assert (term.location, term.block, term.report.status) == (
        "paragraph 1 (<p>, line 1)",
        0,
        "enforced",
    )
    [sentence] = sentences
    report = term.report
    assert "Der Kreml-Herrscher sprach."[report.source_start : report.source_end] == (
        "Kreml-Herrscher"
    )
    assert report.target_start is not None and report.target_end is not None
    assert sentence.target[report.target_start : report.target_end] == "Kremlin ruler"


def test_fake_engine_nested_marks_stay_nested_and_none_is_dropped(
    service: TranslationService,
) -> None:
    html = (
        '<p><i>Der <b>Kreml-Herrscher</b> sprach</i> mit <a href="/x?a=1&amp;b=2" '
        'title="a > b"><em>Nachdruck</em> heute</a>. Der <span class="s"><b>Minister '
        "<i>sagt</i></b> nein</span>.</p>"
    )
    out = translated(service, html)
    assert balanced(out) == balanced(html)
    assert out == (
        "<p><i>The <b>Kremlin ruler</b> spoke</i> with "
        '<a href="/x?a=1&amp;b=2" title="a > b"><em>emphasis</em> today</a>. '
        'The <span class="s"><b>minister <i>says</i></b> no</span>.</p>'
    )


def test_fake_engine_a_mark_inside_a_term_stays_inside_its_english(
    service: TranslationService,
) -> None:
    out = translated(service, "<p>Der <b>Kreml-<i>Herrscher</i></b> sprach.</p>")
    balanced(out)
    assert out.startswith("<p>The <b>") and out.endswith("</b> spoke.</p>")
    assert "<i>" in out and "</i>" in out
    inner = out.split("<b>")[1].split("</b>")[0]
    assert inner.replace("<i>", "").replace("</i>", "") == "Kremlin ruler"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Ein <b>Mann</b> kommt.</p>", "<p>A <b>man</b> comes.</p>"),
        ("<p><b>Ein Mann</b> kommt.</p>", "<p><b>A man</b> comes.</p>"),
        ("<p>Der Minister <b>sagt nein</b>.</p>", "<p>The minister <b>says no</b>.</p>"),
    ],
)
def test_fake_engine_an_article_outside_the_mark_stays_outside(
    service: TranslationService, html: str, expected: str
) -> None:
    assert translated(service, html) == expected


def test_fake_engine_void_self_closing_and_uppercase_tags_are_written_as_they_were(
    service: TranslationService,
) -> None:
    html = '<P>Der <B>Herrscher</B> sprach.<BR/>Ein Bild <IMG SRC="a.png" ALT="Bild"> heute.</P>'
    out = translated(service, html)
    assert out == '<P>The <B>ruler</B> spoke.<BR/>A picture<IMG SRC="a.png" ALT="Bild"> today.</P>'


def test_fake_engine_line_breaks_are_sentences_and_written_once(
    service: TranslationService, engine: PhraseEngine
) -> None:
    out = translated(service, "<p>Der Herrscher sprach.<br>Der Herrscher sprach.<br></p>")
    assert out == "<p>The ruler spoke.<br>The ruler spoke.<br></p>"
    assert len(engine.calls[0]) == 2
    # inside a sentence the model puts a space where the break was: written as the break
    out = translated(service, "<p>Der Herrscher<br/>kommt heute.</p>")
    assert out == "<p>The ruler<br/>comes today.</p>"


def test_fake_engine_unclosed_and_stray_tags_are_kept_where_they_were(
    service: TranslationService,
) -> None:
    out = translated(service, "<p>Der <b>Herrscher sprach.<p>Ende</i> heute.")
    assert out == "<p>The <b>ruler spoke.<p>End</i> today."


def test_fake_engine_comment_inside_a_block_is_kept_after_its_word(
    service: TranslationService,
) -> None:
    out = translated(service, "<p>Der Herrscher<!-- Notiz > hier --> sprach.</p>")
    assert out == "<p>The ruler<!-- Notiz > hier --> spoke.</p>"


# -- what is not translated ------------------------------------------------------------------
UNTOUCHED = [
    '<script>var s = "</p><p>Der Herrscher"; if (a > b && c < d) {}</script>',
    "<style>p > b::after { content: 'der Herrscher'; }</style>",
    "<pre>Der Herrscher\n  <b>sprach</b>  &amp; ging.</pre>",
    "<textarea>Der Herrscher sprach.</textarea>",
    '<div translate="no">Der <b>Herrscher</b> sprach.</div>',
    '<p translate="NO">Der Herrscher sprach.</p>',
    "<template><p>Der Herrscher</p></template>",
    "<SCRIPT type='text/javascript'>var p = '<p>Der Herrscher</p>';</SCRIPT>",
    '<p class="x notranslate">Der Herrscher sprach.</p>',
    '<svg><text x="1">Der Herrscher</text></svg>',
]


@pytest.mark.parametrize("raw", UNTOUCHED)
def test_fake_engine_code_script_and_translate_no_are_copied_through(
    service: TranslationService, raw: str
) -> None:
    html = f"<body>\n<p>Der Herrscher sprach.</p>\n{raw}\n<p>Der Herrscher sprach.</p>\n</body>"
    assert [b.text for b in read_html(html).blocks] == ["Der Herrscher sprach."] * 2
    out = translated(service, html)
    assert out == (f"<body>\n<p>The ruler spoke.</p>\n{raw}\n<p>The ruler spoke.</p>\n</body>")


def test_fake_engine_inline_code_and_notranslate_are_shown_to_the_model_but_kept(
    settings: Settings, installed: InstalledPackage, tmp_path: Path
) -> None:
    upper = UppercaseEngine()
    service = service_with(settings, tmp_path, upper)
    html = (
        '<p>Der Befehl <code>ls &gt; out</code> zeigt <span translate="no">Der Spiegel</span> '
        'und <kbd>Strg</kbd> <em class="notranslate">Die Zeit</em>.</p>'
    )
    out = translate_html(service, html, "de", "en", glossaries=[])[0]
    assert upper.batches == [["Der Befehl ls > out zeigt Der Spiegel und Strg Die Zeit."]]
    assert out == (
        '<p>DER BEFEHL <code>ls &gt; out</code> ZEIGT <span translate="no">Der Spiegel</span> '
        'UND <kbd>Strg</kbd> <em class="notranslate">Die Zeit</em>.</p>'
    )


# -- the old bugs: `>` in attributes and comments, entities -------------------------------------
def test_fake_engine_gt_in_attributes_and_comments_loses_nothing(
    service: TranslationService,
) -> None:
    html = (
        "<!DOCTYPE html>\n<div data-rule=\"a > b\" title='x>y'><p>Der Herrscher sprach.</p>"
        "<!-- ein Kommentar > mit <p>Der Herrscher</p> darin -->\n"
        '<p><a href="#" onclick="return a > b">Der Herrscher</a> sprach heute.</p></div>\n'
    )
    assert len(read_html(html).blocks) == 2
    out = translated(service, html)
    assert out == (
        "<!DOCTYPE html>\n<div data-rule=\"a > b\" title='x>y'><p>The ruler spoke.</p>"
        "<!-- ein Kommentar > mit <p>Der Herrscher</p> darin -->\n"
        '<p><a href="#" onclick="return a > b">The ruler</a> spoke today.</p></div>\n'
    )


def test_fake_engine_entities_are_read_as_text_and_escaped_again(
    service: TranslationService, engine: PhraseEngine
) -> None:
    html = (
        '<p title="&quot;Der&quot; &amp; mehr">Der Minister &amp; der Herrscher sagt '
        "&lt;nein&gt; &#x263A; heute.</p>"
    )
    [block] = read_html(html).blocks
    assert block.text == "Der Minister & der Herrscher sagt <nein> ☺ heute."
    out = translated(service, html)
    assert out.startswith('<p title="&quot;Der&quot; &amp; mehr">The minister &amp; the ruler')
    assert "&lt;" in out and "&gt;" in out and "<nein>" not in out and "☺" in out
    balanced(out)


def test_fake_engine_whitespace_around_a_block_is_kept(service: TranslationService) -> None:
    html = "<ul>\n  <li>\n    Der Herrscher\n    sprach.\n  </li>\n</ul>"
    assert translated(service, html) == "<ul>\n  <li>\n    The ruler spoke.\n  </li>\n</ul>"


def test_fake_engine_a_block_whose_translation_is_its_text_is_copied_byte_for_byte(
    service: TranslationService,
) -> None:
    html = "<p>\n  Xyz\tqq &#x41;&amp;\n</p><p>Der Herrscher</p>"
    assert translated(service, html) == "<p>\n  Xyz\tqq &#x41;&amp;\n</p><p>The ruler</p>"


# -- blocks ----------------------------------------------------------------------------------
def test_blocks_are_the_inline_content_between_block_tags_with_their_locations() -> None:
    html = (
        "<html><head><title>Der Titel</title></head>\n<body>\n<h2>Eine Überschrift</h2>\n"
        "<div>Text im div <p>Absatz im div</p> danach</div>\n"
        "<table><tr><th>Kopf</th><td>Zelle <b>fett</b></td></tr></table>\n"
        "<ul><li>Punkt <a href='#'>eins</a></li></ul></body></html>"
    )
    blocks = read_html(html).blocks
    assert [(b.text, b.location) for b in blocks] == [
        ("Der Titel", "paragraph 1 (<title>, line 1)"),
        ("Eine Überschrift", "paragraph 2 (<h2>, line 3)"),
        ("Text im div", "paragraph 3 (<div>, line 4)"),
        ("Absatz im div", "paragraph 4 (<p>, line 4)"),
        ("danach", "paragraph 5 (<p>, line 4)"),
        ("Kopf", "paragraph 6 (<th>, line 5)"),
        ("Zelle fett", "paragraph 7 (<td>, line 5)"),
        ("Punkt eins", "paragraph 8 (<li>, line 6)"),
    ]
    assert [(m.start, m.end) for m in blocks[6].marks] == [(6, 10)]
    assert [(m.start, m.end) for m in blocks[7].marks] == [(6, 10)]


def test_a_page_with_a_bom_keeps_it() -> None:
    parsed = read_html("\ufeff<p>Hallo</p>")
    assert [b.text for b in parsed.blocks] == ["Hallo"]
    assert parsed.write(list(parsed.blocks)) == "\ufeff<p>Hallo</p>".encode()


def test_a_paragraph_of_code_alone_is_no_block() -> None:
    html = "<p><code>Der Herrscher</code></p><div> <kbd>Strg</kbd> <!-- x --> </div><p>Er</p>"
    parsed = read_html(html)
    assert [b.text for b in parsed.blocks] == ["Er"]


def test_fake_engine_a_term_in_code_is_written_as_it_was_and_not_reported(
    service: TranslationService,
) -> None:
    html = (
        "<p>Der <code>Kreml-Herrscher</code> sprach, "
        '<span translate="no">Kreml-Herrscher</span> und der Kreml-Herrscher reist.</p>'
    )
    out, terms, _ = translate_html(service, html, "de", "en")
    assert out.count("<code>Kreml-Herrscher</code>") == 1
    assert out.count('<span translate="no">Kreml-Herrscher</span>') == 1
    assert out.endswith(" and the Kremlin ruler travels.</p>")
    [term] = terms
    text = read_html(html).blocks[0].text
    assert term.report.source_start == text.rindex("Kreml-Herrscher")


def test_fake_engine_an_unclosed_code_ends_with_its_block(service: TranslationService) -> None:
    html = "<p>Der Befehl <code>x = 1</p>\n<p>Der Herrscher sprach.</p>"
    assert [b.text for b in read_html(html).blocks] == ["Der Befehl x = 1", "Der Herrscher sprach."]
    out = translated(service, html)
    assert out == "<p>The command <code>x = 1</p>\n<p>The ruler spoke.</p>"


def test_fake_engine_mark_over_most_of_a_term_covers_the_terms_english(
    settings: Settings, installed: InstalledPackage, tmp_path: Path, engine: PhraseEngine
) -> None:
    """A mark over most of a term's German words (the term "Achse Moskau–Pjöngjang", the bold
    on "Moskau–Pjöngjang.") goes on the term's English as enforcement placed it, not where the
    attention of words the glossary overruled points."""
    terms = tmp_path / "axis"
    terms.mkdir()
    create_glossary(
        terms / "welt.yaml",
        "Welt",
        "de",
        "en",
        [Term("Achse Moskau–Pjöngjang", "Moscow–Pyongyang axis")],
    )
    registry = EngineRegistry(settings, loader=lambda package: engine)
    service = TranslationService(dataclasses.replace(settings, terms_dir=terms), registry)
    out = translated(service, "<p>Putin schmiedet eine Achse <b>Moskau–Pjöngjang.</b></p>")
    # the full stop, no word of its own, stays where the English puts it
    assert out == "<p>Putin schmiedet eine <b>Moscow–Pyongyang axis</b>.</p>"
    assert balanced(out) == {"p": 1, "b": 1}


def test_fake_engine_mark_mostly_made_of_part_of_a_term_covers_the_terms_english(
    settings: Settings, installed: InstalledPackage, tmp_path: Path, engine: PhraseEngine
) -> None:
    """A mark mostly made of a small part of a term ("Butter“-Deal" of the term "Waffen für
    Butter") goes on the term's English as a whole: which of its words render "Butter" the
    glossary does not say, and attention on them is the overruled model's."""
    terms = tmp_path / "deal"
    terms.mkdir()
    create_glossary(
        terms / "welt.yaml", "Welt", "de", "en", [Term("Waffen für Butter", "guns for butter")]
    )
    registry = EngineRegistry(settings, loader=lambda package: engine)
    service = TranslationService(dataclasses.replace(settings, terms_dir=terms), registry)
    out = translated(service, "<p>Der „Waffen für <b>Butter“-Deal</b> von Putin.</p>")
    assert out == "<p>The „<b>guns for butter</b>“-Deal von Putin.</p>"


# -- languages ---------------------------------------------------------------------------------
LANGUAGES_PAGE = """<!DOCTYPE html>
<html lang="de"><head><title>Der Herrscher</title></head>
<body>
<p lang='de-DE'>Der Herrscher <q lang="fr">bonjour</q> reist <span xml:lang=de>heute</span>.</p>
<p lang="de">Berlin</p>
<pre lang="de">Der Herrscher</pre>
<p>Der <code lang="de">Herrscher</code> reist.</p>
<div translate="no" lang="de"><p>Der Herrscher</p></div>
</body></html>"""


def test_fake_engine_translated_elements_say_english_a_french_quote_stays(
    service: TranslationService,
) -> None:
    out = translated(service, LANGUAGES_PAGE)
    assert '<html lang="en-GB">' in out
    assert (
        "<p lang='en-GB'>The ruler <q lang=\"fr\">bonjour</q> travels "
        "<span xml:lang=en-GB>today</span>.</p>"
    ) in out
    # a block whose translation is its own text: its tags relabelled all the same
    assert '<p lang="en-GB">Berlin</p>' in out
    # what is written back as it was keeps its German
    assert '<pre lang="de">Der Herrscher</pre>' in out
    assert '<code lang="de">Herrscher</code>' in out
    assert '<div translate="no" lang="de"><p>Der Herrscher</p></div>' in out


def test_html_identity_write_without_languages_is_byte_for_byte() -> None:
    parsed = read_html(LANGUAGES_PAGE)
    assert parsed.write(parsed.blocks) == LANGUAGES_PAGE.encode()
    assert parsed.write(parsed.blocks, None) == LANGUAGES_PAGE.encode()
    relabelled = parsed.write(parsed.blocks, Languages("de", "en")).decode()
    assert relabelled == LANGUAGES_PAGE.replace('html lang="de"', 'html lang="en-GB"').replace(
        "lang='de-DE'", "lang='en-GB'"
    ).replace("xml:lang=de>", "xml:lang=en-GB>").replace('<p lang="de">', '<p lang="en-GB">')


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ('<p title="lang=de" lang="DE">', '<p title="lang=de" lang="en-GB">'),
        ("<p LANG = 'de_AT' class=x>", "<p LANG = 'en-GB' class=x>"),
        ('<p lang="fr-FR">', '<p lang="fr-FR">'),
        ('<p data-lang="de">', '<p data-lang="de">'),
        ("<br lang=de/>", "<br lang=de/>"),  # the value is "de/", as HTML reads it
    ],
)
def test_a_start_tags_language_is_relabelled_only_where_it_names_the_source(
    tag: str, expected: str
) -> None:
    assert relabel_tag(tag, Languages("de", "en")) == expected


@pytest.mark.parametrize("html", ["", " ", "\n\n", "<!-- -->"])
def test_fake_engine_html_without_text_comes_back_as_it_was(
    service: TranslationService, engine: PhraseEngine, html: str
) -> None:
    """An empty or text-free HTML (format=html with q="", found by the API fuzz test) is no
    error and asks the model nothing."""
    out, terms, sentences = translate_html(service, html, "de", "en")
    assert (out, terms, sentences) == (html, [], [])
    assert engine.calls == []
