"""The document formats read and written without a model: every format gives back the very
bytes it read when its blocks come back unchanged; which text becomes which block, with which
marks and location; what is written around changed blocks (their markers, timings, code and
markup as they were); and read_document's refusals (size, type, encoding, block count)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from glossary.documents.model import Block, Limits, Parsed
from glossary.documents.registry import format_for, formats
from glossary.documents.translate import read_document
from glossary.errors import DocumentError

TEXT = (
    "\ufeffDer Kreml-Herrscher reist nach Pjöngjang.\r\nEr bleibt zwei Tage.\r\n\r\n"
    "  Eingerückter Absatz.\r\n\r\n\r\nLetzter Absatz ohne Zeilenende"
)
MARKDOWN = """---
title: Ein Titel
tags: [a, b]
---
# Die Überschrift #

Ein *Absatz* mit **fettem Text**, `code()` und [einem Link](https://example.org/a_b "Titel").
Er geht auf der zweiten Zeile weiter.

- Erster Punkt
- Zweiter _Punkt_
  1. Verschachtelt

> Ein Zitat
> über zwei Zeilen

| Kopf | Zweite Spalte |
|------|:-------------:|
| Zelle a | Zelle b |

```python
print("Hallo *Welt*")
```

    eingerückter Code

Setext-Titel
============

***
<div>Ein HTML-Block</div>

Siehe <https://example.org> und https://example.org/x?y=1.
"""
PAGE = """<!DOCTYPE html>
<HTML lang="de">
<head>
<meta charset="utf-8">
<title>Der Titel</title>
<style>p > b { color: red; }</style>
<script>if (a > b && c < d) { document.write("<p>Hallo</p>"); }</script>
</head>
<!-- ein Kommentar mit > darin -->
<BODY>
<H1 class="x" data-rule="a > b">Die &Uuml;berschrift &amp; mehr</H1>
<p title="Ein Titel > Test">Der <b>Kreml-Herrscher</b> sprach &lt;laut&gt;.</p>
<p>Ein Bild <img src="a.png" alt="Bild"/> und<br>eine <code>x &gt; y</code> Zeile.</p>
<pre>Vorformatiert <b>bleibt</b></pre>
<div translate="no">Nicht übersetzen</div>
<p>Mit <span translate="no">Eigenname</span> im Satz.</p>
<textarea>Text bleibt</textarea>
<ul><li>Eins</li><LI>Zwei &nbsp; drei</LI></ul>
</BODY>
</HTML>
"""
SRT = (
    "1\r\n00:00:01,000 --> 00:00:02,500\r\nDer <i>Kreml-Herrscher</i>\r\nsprach.\r\n\r\n"
    "2\r\n00:00:03,000 --> 00:00:04,000 X1:10 X2:20 Y1:5 Y2:9\r\n- Hallo.\r\n- Wie geht's?\r\n"
    "\r\n3\r\n00:01:05,250 --> 00:01:09,000\r\n{\\an8}Eine Zeile oben.\r\n"
)
VTT = """WEBVTT - Nachrichten

NOTE ein Kommentar
über zwei Zeilen

STYLE
::cue { color: yellow }

intro
00:01.000 --> 00:02.000 align:start position:10%
<v Anna>Hallo <b>Welt</b>.</v>

00:00:03.000 --> 00:00:04.000 line:0
<c.gelb>Der Kreml-Herrscher</c>
sprach lange.
"""

SAMPLES = {
    "article.txt": TEXT.encode(),
    "article.md": MARKDOWN.encode(),
    "page.html": PAGE.encode(),
    "cues.srt": SRT.encode(),
    "cues.vtt": VTT.encode(),
}


def read(filename: str, data: bytes | str) -> Parsed:
    raw = data.encode() if isinstance(data, str) else data
    return format_for(filename).read(raw, limits=Limits())


def upper(blocks: Sequence[Block]) -> list[Block]:
    """Every block "translated" to capitals, letter for letter (ß stays): same length, so
    its marks still fit."""
    return [Block(_upper(b.text), b.marks, b.location) for b in blocks]


def _upper(text: str) -> str:
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in text)


def texts(parsed: Parsed) -> list[str]:
    return [b.text for b in parsed.blocks]


# -- identity --------------------------------------------------------------------------------
@pytest.mark.parametrize("filename", sorted(SAMPLES))
def test_unchanged_blocks_give_the_same_bytes(filename: str) -> None:
    parsed = read(filename, SAMPLES[filename])
    assert parsed.blocks
    assert parsed.write(list(parsed.blocks)) == SAMPLES[filename]


@pytest.mark.parametrize("filename", sorted(SAMPLES))
def test_a_file_with_crlf_and_a_bom_is_kept_through_unchanged_blocks(filename: str) -> None:
    data = "\ufeff" + SAMPLES[filename].decode().removeprefix("\ufeff").replace("\r\n", "\n")
    crlf = data.replace("\n", "\r\n").encode()
    parsed = read(filename, crlf)
    assert parsed.write(list(parsed.blocks)) == crlf
    assert len(parsed.blocks) == len(read(filename, data).blocks)


def test_every_format_is_registered_by_its_extensions() -> None:
    names = {fmt.name: fmt.extensions for fmt in formats()}
    assert (
        names.items()
        >= {
            "txt": (".txt",),
            "md": (".md", ".markdown"),
            "html": (".html", ".htm"),
            "srt": (".srt",),
            "vtt": (".vtt",),
        }.items()
    )
    assert format_for("A.HTM").name == "html"
    assert format_for("x.srt", "application/x-subrip; charset=utf-8").name == "srt"
    assert format_for("x.md", "application/octet-stream").name == "md"


# -- plain text ------------------------------------------------------------------------------
def test_text_paragraphs_are_blocks_and_everything_around_them_is_kept() -> None:
    parsed = read("a.txt", TEXT)
    assert texts(parsed) == [
        "Der Kreml-Herrscher reist nach Pjöngjang.\r\nEr bleibt zwei Tage.",
        "Eingerückter Absatz.",
        "Letzter Absatz ohne Zeilenende",
    ]
    assert [b.location for b in parsed.blocks] == ["paragraph 1", "paragraph 2", "paragraph 3"]
    assert (
        parsed.write(upper(parsed.blocks))
        == (
            "\ufeffDER KREML-HERRSCHER REIST NACH PJÖNGJANG.\r\nER BLEIBT ZWEI TAGE.\r\n\r\n"
            "  EINGERÜCKTER ABSATZ.\r\n\r\n\r\nLETZTER ABSATZ OHNE ZEILENENDE"
        ).encode()
    )


def test_text_without_paragraphs_has_no_block() -> None:
    for data in ("", "\n\n  \r\n", "\ufeff"):
        parsed = read("empty.txt", data)
        assert parsed.blocks == ()
        assert parsed.write([]) == data.encode()


def test_a_writer_refuses_a_wrong_number_of_blocks() -> None:
    for filename, data in SAMPLES.items():
        parsed = read(filename, data)
        with pytest.raises(ValueError, match="translations for"):
            parsed.write(list(parsed.blocks)[1:])


# -- Markdown --------------------------------------------------------------------------------
def test_markdown_blocks_are_headings_paragraphs_items_quotes_and_cells() -> None:
    parsed = read("a.md", MARKDOWN)
    assert texts(parsed) == [
        "Die Überschrift",
        "Ein Absatz mit fettem Text, code() und einem Link. Er geht auf der zweiten Zeile weiter.",
        "Erster Punkt",
        "Zweiter Punkt",
        "Verschachtelt",
        "Ein Zitat über zwei Zeilen",
        "Kopf",
        "Zweite Spalte",
        "Zelle a",
        "Zelle b",
        "Setext-Titel",
        "Siehe https://example.org und https://example.org/x?y=1.",
    ]
    locations = [b.location for b in parsed.blocks]
    assert locations[:3] == [
        "paragraph 1 (line 5)",
        "paragraph 2 (line 7)",
        "paragraph 3 (line 10)",
    ]
    assert locations[-1] == "paragraph 12 (line 33)"
    # front matter, code (fenced and indented), the HTML block: in no block
    joined = " ".join(texts(parsed))
    for hidden in ("title", "print", "eingerückter Code", "HTML-Block", "===", "***"):
        assert hidden not in joined


def test_markdown_marks_cover_emphasis_links_and_code() -> None:
    block = read("a.md", MARKDOWN).blocks[1]
    marked = [block.text[m.start : m.end] for m in block.marks]
    assert marked == ["Absatz", "fettem Text", "code()", "einem Link"]


def test_markdown_writes_markers_delimiters_urls_and_code_back_as_they_were() -> None:
    parsed = read("a.md", MARKDOWN)
    written = parsed.write(upper(parsed.blocks)).decode()
    assert written.startswith("---\ntitle: Ein Titel\ntags: [a, b]\n---\n# DIE ÜBERSCHRIFT #\n")
    assert (
        "EIN *ABSATZ* MIT **FETTEM TEXT**, `code()` UND "
        '[EINEM LINK](https://example.org/a_b "Titel"). ER GEHT AUF DER ZWEITEN ZEILE WEITER.\n'
    ) in written
    assert "- ERSTER PUNKT\n- ZWEITER _PUNKT_\n  1. VERSCHACHTELT\n" in written
    assert "> EIN ZITAT ÜBER ZWEI ZEILEN\n" in written
    assert "| KOPF | ZWEITE SPALTE |\n|------|:-------------:|\n| ZELLE A | ZELLE B |\n" in written
    assert '```python\nprint("Hallo *Welt*")\n```\n\n    eingerückter Code\n' in written
    assert "SETEXT-TITEL\n============\n\n***\n<div>Ein HTML-Block</div>\n" in written
    assert written.endswith("SIEHE <https://example.org> UND https://example.org/x?y=1.\n")


def test_markdown_text_that_would_be_markup_is_escaped_on_writing() -> None:
    parsed = read("a.md", "Ein \\*Stern\\* und 2 < 3.\n")
    assert texts(parsed) == ["Ein *Stern* und 2 < 3."]
    assert parsed.write(upper(parsed.blocks)) == b"EIN \\*STERN\\* UND 2 \\< 3.\n"


def test_markdown_nested_emphasis_keeps_both_delimiters() -> None:
    parsed = read("a.md", "Ein **fett *und kursiv*** Satz und ***beides*** hier.\n")
    [block] = parsed.blocks
    assert block.text == "Ein fett und kursiv Satz und beides hier."
    assert sorted(block.text[m.start : m.end] for m in block.marks) == [
        "beides",
        "beides",
        "fett und kursiv",
        "und kursiv",
    ]
    assert parsed.write(upper(parsed.blocks)) == (
        b"EIN **FETT *UND KURSIV*** SATZ UND ***BEIDES*** HIER.\n"
    )


@pytest.mark.parametrize(
    ("source", "marked"),
    [
        ("*a **b***", ["a b", "b"]),
        ("***a** b*", ["a", "a b"]),
        ("***a* b**", ["a", "a b"]),
        ("x ***a***", ["a", "a"]),
        ("__a__ _b_ c_d_e", ["a", "b"]),
    ],
)
def test_markdown_emphasis_closed_by_a_run_of_three(source: str, marked: list[str]) -> None:
    parsed = read("a.md", source + "\n")
    [block] = parsed.blocks
    assert sorted(block.text[m.start : m.end] for m in block.marks) == sorted(marked)
    written = parsed.write(upper(parsed.blocks)).decode()
    assert written == source.upper().replace("C_D_E", "C\\_D\\_E") + "\n"


def test_markdown_table_cells_keep_escaped_pipes_and_tables_without_outer_pipes() -> None:
    parsed = read("a.md", "| Kopf \\| Pipe | b |\n|---|---|\n| c | d |\n")
    assert texts(parsed) == ["Kopf | Pipe", "b", "c", "d"]
    assert parsed.write(upper(parsed.blocks)) == b"| KOPF \\| PIPE | B |\n|---|---|\n| C | D |\n"
    bare = read("a.md", "Kopf | Zweite\n--- | ---\nZelle | Andere\n\nDanach.\n")
    assert texts(bare) == ["Kopf", "Zweite", "Zelle", "Andere", "Danach."]
    assert bare.write(upper(bare.blocks)) == (
        b"KOPF | ZWEITE\n--- | ---\nZELLE | ANDERE\n\nDANACH.\n"
    )


def test_markdown_link_definitions_and_footnotes_stay_links() -> None:
    source = "Text mit Fußnote[^1] und [Verweis][id].\n\n[id]: https://x.de\n[^1]: Die Fußnote.\n"
    parsed = read("a.md", source)
    assert texts(parsed) == ["Text mit Fußnote und Verweis.", "Die Fußnote."]
    assert parsed.write(upper(parsed.blocks)) == (
        "TEXT MIT FUßNOTE[^1] UND [VERWEIS][id].\n\n"
        "[id]: https://x.de\n[^1]: DIE FUßNOTE.\n".encode()
    )


def test_markdown_hard_line_breaks_are_kept() -> None:
    parsed = read("a.md", "Zeile eins  \nZeile zwei\\\nDrei\n")
    assert texts(parsed) == ["Zeile eins\nZeile zwei\nDrei"]  # a line the segmenter sees
    assert parsed.write(upper(parsed.blocks)) == b"ZEILE EINS  \nZEILE ZWEI\\\nDREI\n"
    quoted = read("a.md", "> Eins  \n> Zwei\n")
    assert quoted.write(upper(quoted.blocks)) == b"> EINS  \n> ZWEI\n"


LIST = """1. Erster Punkt

    Fortsetzung des Punkts.

        code im Punkt

    ```
    eingerückter Zaun

    noch Code
    ```

- Zweiter
  - Verschachtelt

    Absatz dazu

Danach ein Absatz.

    echter Code
"""


def test_markdown_later_paragraphs_of_a_list_item_are_blocks_its_code_is_not() -> None:
    parsed = read("a.md", LIST)
    assert texts(parsed) == [
        "Erster Punkt",
        "Fortsetzung des Punkts.",
        "Zweiter",
        "Verschachtelt",
        "Absatz dazu",
        "Danach ein Absatz.",
    ]
    expected = LIST
    for word in ("Erster Punkt", "Fortsetzung des Punkts", "Zweiter", "Verschachtelt"):
        expected = expected.replace(word, word.upper())
    expected = expected.replace("Absatz dazu", "ABSATZ DAZU").replace("Danach ein", "DANACH EIN")
    expected = expected.replace("Absatz.", "ABSATZ.")
    assert parsed.write(upper(parsed.blocks)).decode() == expected


def test_markdown_paragraph_of_code_or_a_url_alone_is_no_block() -> None:
    parsed = read("a.md", "`make test`\n\n<https://x.de>\n\nhttps://x.de/a\n\nDanach.\n")
    assert texts(parsed) == ["Danach."]


def test_markdown_text_after_a_comment_line_is_a_block() -> None:
    parsed = read("a.md", "<!-- Kommentar -->\nText *mit* Ende\n")
    assert texts(parsed) == ["Text mit Ende"]
    assert parsed.write(upper(parsed.blocks)) == b"<!-- Kommentar -->\nTEXT *MIT* ENDE\n"


def test_markdown_pre_block_with_blank_lines_is_copied_through() -> None:
    source = "<pre>\nCode eins\n\nCode zwei\n</pre>\nDanach.\n"
    parsed = read("a.md", source)
    assert texts(parsed) == ["Danach."]
    assert parsed.write(upper(parsed.blocks)) == source.replace("Danach", "DANACH").encode()


# -- HTML and subtitles, as files --------------------------------------------------------------
def test_html_page_blocks_leave_out_what_is_not_translated() -> None:
    parsed = read("page.html", PAGE)
    assert texts(parsed) == [
        "Der Titel",
        "Die Überschrift & mehr",
        "Der Kreml-Herrscher sprach <laut>.",
        "Ein Bild  und\neine x > y Zeile.",
        "Mit Eigenname im Satz.",
        "Eins",
        "Zwei \xa0 drei",
    ]
    assert [b.location for b in parsed.blocks][:3] == [
        "paragraph 1 (<title>, line 5)",
        "paragraph 2 (<h1>, line 11)",
        "paragraph 3 (<p>, line 12)",
    ]


def test_subtitle_cues_are_blocks_numbered_from_one() -> None:
    srt = read("a.srt", SRT)
    assert texts(srt) == [
        "Der Kreml-Herrscher sprach.",
        "- Hallo.\n- Wie geht's?",
        "Eine Zeile oben.",  # {\an8} is a mark, written back as it was
    ]
    assert [(m.start, m.end) for m in srt.blocks[2].marks] == [(0, 0)]
    assert [b.location for b in srt.blocks] == ["cue 1", "cue 2", "cue 3"]
    vtt = read("a.vtt", VTT)
    assert texts(vtt) == ["Hallo Welt.", "Der Kreml-Herrscher sprach lange."]
    assert [b.location for b in vtt.blocks] == ["cue 1", "cue 2"]


# -- refusals --------------------------------------------------------------------------------
def refused(data: bytes, filename: str, content_type: str | None = None, **limits: int) -> str:
    with pytest.raises(DocumentError) as caught:
        read_document(data, filename, content_type, Limits(**limits))
    return f"{caught.value.http_status} {caught.value}"


def test_read_document_refuses_a_file_over_the_size_limit() -> None:
    message = refused(b"x" * 101, "a.txt", max_bytes=100)
    assert message == "413 a.txt: 101 bytes; the limit is 100"
    fmt, parsed = read_document(b"x" * 100, "a.txt", limits=Limits(max_bytes=100))
    assert fmt.name == "txt" and len(parsed.blocks) == 1


def test_read_document_refuses_an_unknown_extension() -> None:
    assert refused(b"Hallo", "a.exe").startswith("415 a.exe: documents of type .exe")
    assert refused(b"Hallo", "README").startswith("415 README: documents of type (no extension)")
    assert ".txt, .md" in refused(b"Hallo", "a.pdf")


def test_read_document_refuses_a_content_type_that_does_not_match() -> None:
    message = refused(b"<p>Hallo</p>", "a.html", "image/png")
    assert message == "415 a.html: sent as image/png, which is not a html file"
    assert refused(b"1", "a.srt", "text/html").startswith("415 a.srt: sent as text/html")
    fmt, _ = read_document(b"<p>Hallo</p>", "a.html", "text/html; charset=utf-8")
    assert fmt.name == "html"


@pytest.mark.parametrize("filename", sorted(SAMPLES))
def test_read_document_refuses_bytes_that_are_not_utf8(filename: str) -> None:
    good = SAMPLES[filename]
    at = good.index(b"\n", 30) + 1  # a line after the first
    line = good[:at].count(b"\n") + 1
    data = good[:at] + b"\xe4" + good[at:]  # a Latin-1 ä
    message = refused(data, filename)
    assert line > 1
    assert message.startswith(f"400 the document is not valid UTF-8: byte {at} (line {line})")
    assert message.endswith("is 0xe4; save it as UTF-8")


def test_read_document_refuses_utf16() -> None:
    message = refused("Hallo Welt".encode("utf-16"), "a.txt")
    assert message.startswith("400 the document is not valid UTF-8: byte 0 (line 1) is 0xff")


def test_read_document_refuses_too_many_blocks() -> None:
    data = "\n\n".join(f"Absatz {i}." for i in range(11)).encode()
    assert refused(data, "a.txt", max_blocks=10) == (
        "413 a.txt: 11 paragraphs or cues; the limit is 10"
    )
    _, parsed = read_document(data, "a.txt", limits=Limits(max_blocks=11))
    assert len(parsed.blocks) == 11


@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        ("a.vtt", "00:01.000 --> 00:02.000\nHallo\n", "not a WebVTT file"),
        ("a.srt", "1\nHallo\n", "line 1: a cue must have a timing"),
        ("a.srt", "1\n00:01 -> 00:02\nHallo\n", "line 1: a cue must have a timing"),
        ("a.srt", "\n\n1\n00:00:01,000 --> soon\nHallo\n", "line 4: '00:00:01,000 --> soon'"),
        ("a.srt", "eins\n00:00:01,000 --> 00:00:02,000\nHallo\n", "line 1: 'eins' is no cue"),
    ],
)
def test_subtitles_that_are_not_subtitles_are_refused(
    filename: str, data: str, expected: str
) -> None:
    with pytest.raises(DocumentError, match=expected) as caught:
        read_document(data.encode(), filename)
    assert caught.value.http_status == 400


# -- large and hostile input -----------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "[" * 20000 + " Text",
        "*a " * 20000,
        "**a " * 20000,
        "_a_b " * 20000,
        "[a](b " * 20000,
        "*" * 20000 + "a",
    ],
)
def test_markdown_lines_of_unclosed_markup_are_read_at_once(line: str) -> None:
    parsed = read("a.md", line + "\n")
    [block] = parsed.blocks
    assert len(block.text) > len(line) // 3
    assert parsed.write(list(parsed.blocks)) == (line + "\n").encode()


def test_markdown_deeply_nested_links_and_emphasis_are_read_without_recursing_to_death() -> None:
    for source in ("[" * 5000 + "x" + "]" * 5000, "**" * 3000 + "x" + "**" * 3000):
        parsed = read("a.md", source + "\n")
        [block] = parsed.blocks
        deepest = max(sum(m.start <= i < m.end for m in block.marks) for i in (0, 5000, 5999))
        assert 0 < deepest <= 32
        assert parsed.write(list(parsed.blocks)) == (source + "\n").encode()


def test_twenty_thousand_cues_are_read_with_their_line_numbers() -> None:
    data = "".join(f"{i}\n00:00:01,000 --> 00:00:02,000\nText {i}\n\n" for i in range(1, 20001))
    parsed = read("a.srt", data)
    assert len(parsed.blocks) == 20000 and parsed.blocks[-1].text == "Text 20000"
    with pytest.raises(DocumentError, match="line 80002: '00:00:01,000 --> soon' is no timing"):
        read("a.srt", data + "20001\n00:00:01,000 --> soon\nText\n")
