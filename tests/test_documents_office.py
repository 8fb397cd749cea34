"""Office documents (DOCX, PPTX, ODT) read into blocks and written back: the source files
are built with python-docx, python-pptx and odfpy, the written ones opened with them again.
Identity round trips keep every paragraph, run and part; translated ones (a fake engine with
known wording, and once the tiny real model) keep the structure, put a bold word's English in
bold and nothing else, and locate glossary terms by paragraph, cell or slide."""

from __future__ import annotations

import dataclasses
import io
import os
import struct
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import docx
import pptx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from lxml import etree
from odf import teletype
from odf import text as odftext
from odf.draw import Frame, G, Page, PageThumbnail, TextBox
from odf.opendocument import OpenDocumentPresentation, OpenDocumentText
from odf.opendocument import load as odfload
from odf.presentation import Notes
from odf.style import DefaultStyle, Header, MasterPage, PageLayout, Style, TextProperties
from odf.table import Table, TableCell, TableColumn, TableRow
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches

from glossary.config import Settings
from glossary.documents.archive import ParsedPackage
from glossary.documents.model import Block, Languages, Limits
from glossary.documents.odt import relabel_styles
from glossary.documents.translate import read_document, translate_document
from glossary.engines import EngineRegistry
from glossary.errors import DocumentError
from glossary.packages import InstalledPackage, install_from_file
from glossary.service import TranslationService
from tests.fakes import PhraseEngine
from tests.test_documents_archive import local_records
from tests.test_real_model import DEFAULT_MODEL, MODEL_ENV

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LEXICON = {
    "der": "the",
    "die": "the",
    "das": "the",
    "den": "the",
    "hund": "dog",
    "schläft": "sleeps",
    "herrscher": "ruler",
    "reist": "travels",
    "nach": "to",
    "bild": "picture",
    "zeigt": "shows",
    "katze": "cat",
    "kopfzeile": "header",
    "zelle": "cell",
    "oben": "top",
    "unten": "bottom",
    "links": "left",
    "rechts": "right",
    "überschrift": "heading",
    "seite": "page",
    "mehr": "more",
    "auf": "on",
}


@pytest.fixture
def service(settings: Settings, installed: InstalledPackage, terms_dir: Path) -> TranslationService:
    """A fake engine with LEXICON's wording; the glossary `p` (Herrscher → ruler)."""
    registry = EngineRegistry(settings, loader=lambda package: PhraseEngine(LEXICON))
    return TranslationService(dataclasses.replace(settings, terms_dir=terms_dir), registry)


def png() -> bytes:
    """A 1x1 PNG, so python-docx has a picture to place."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def add_hyperlink(paragraph: docx.text.paragraph.Paragraph, url: str, text: str) -> None:
    """A w:hyperlink to `url` around one run (python-docx has no call for it)."""
    rid = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = etree.SubElement(paragraph._p, qn("w:hyperlink"), {qn("r:id"): rid})
    run = etree.SubElement(link, qn("w:r"))
    props = etree.SubElement(run, qn("w:rPr"))
    etree.SubElement(props, qn("w:u"), {qn("w:val"): "single"})
    etree.SubElement(run, qn("w:t")).text = text


def sample_docx(tmp_path: Path) -> bytes:
    document = docx.Document()
    document.add_heading("Die Überschrift", level=1)
    first = document.add_paragraph("Der ")
    first.add_run("Hund").bold = True
    first.add_run(" schläft.")
    document.add_paragraph("Der Herrscher reist nach Berlin.")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate(("oben", "unten")):
        for c, col in enumerate(("links", "rechts")):
            table.cell(r, c).text = f"Zelle {row} {col}"
    image = tmp_path / "dot.png"
    image.write_bytes(png())
    pictured = document.add_paragraph("Das Bild ")
    pictured.add_run().add_picture(str(image))
    pictured.add_run(" zeigt die Katze.")
    linked = document.add_paragraph("Mehr auf ")
    add_hyperlink(linked, "https://example.org/seite", "der Seite")
    linked.add_run(".")
    document.add_paragraph("")  # empty: counted, not translated
    document.add_paragraph("Die Katze schläft.").runs[0].italic = True
    document.sections[0].header.paragraphs[0].text = "Die Kopfzeile"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def runs(paragraph: docx.text.paragraph.Paragraph) -> list[tuple[str, bool, bool]]:
    """The paragraph's text by formatting: (text, bold, italic), neighbours that agree joined
    (how runs are cut is no formatting)."""
    out: list[tuple[str, bool, bool]] = []
    for run in paragraph.runs:
        key = (bool(run.bold), bool(run.italic))
        if out and out[-1][1:] == key:
            out[-1] = (out[-1][0] + run.text, *key)
        elif run.text:
            out.append((run.text, *key))
    return out


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


def canonical(xml: bytes) -> bytes:
    return etree.tostring(etree.fromstring(xml), method="c14n")


# -- DOCX: identity -------------------------------------------------------------------------
def test_docx_blocks_text_marks_and_locations(tmp_path: Path) -> None:
    _, parsed = read_document(sample_docx(tmp_path), "a.docx", DOCX_TYPE)
    found = {b.location: b for b in parsed.blocks}
    assert found["paragraph 1"].text == "Die Überschrift"
    bold = found["paragraph 2"]
    assert bold.text == "Der Hund schläft."
    assert [(m.start, m.end) for m in bold.marks] == [(4, 8)]
    assert found["paragraph 3"].text == "Der Herrscher reist nach Berlin."
    assert found["table 1, row 2, cell 2, paragraph 1"].text == "Zelle unten rechts"
    pictured = found["paragraph 4"]  # the picture is an empty mark where it stood
    assert pictured.text == "Das Bild  zeigt die Katze."
    assert [(m.start, m.end) for m in pictured.marks] == [(9, 9)]
    linked = found["paragraph 5"]
    assert linked.text == "Mehr auf der Seite."
    assert {(m.start, m.end) for m in linked.marks} == {(9, 18)}
    assert "paragraph 6" not in found  # empty
    assert found["paragraph 7"].marks == ()  # italic all through: the base, no mark
    assert found["header 1, paragraph 1"].text == "Die Kopfzeile"


def test_docx_identity_round_trip_keeps_every_member_byte_for_byte(tmp_path: Path) -> None:
    data = sample_docx(tmp_path)
    _, parsed = read_document(data, "a.docx")
    written = parsed.write(list(parsed.blocks))
    assert members(written) == members(data)


def test_docx_rebuilding_every_paragraph_from_its_own_block_changes_nothing(
    tmp_path: Path,
) -> None:
    data = sample_docx(tmp_path)
    _, parsed = read_document(data, "a.docx")
    assert isinstance(parsed, ParsedPackage)
    for block, (_, writer) in zip(parsed.blocks, parsed.writers, strict=True):
        writer(block)
    rewritten = parsed.write([dataclasses.replace(b, location="") for b in parsed.blocks])
    before, after = docx.Document(io.BytesIO(data)), docx.Document(io.BytesIO(rewritten))
    assert [runs(p) for p in after.paragraphs] == [runs(p) for p in before.paragraphs]
    assert [p.text for p in after.paragraphs] == [p.text for p in before.paragraphs]
    old, new = members(data), members(rewritten)
    # python-docx cuts no run where Word would not: the parts are the same XML, canonically
    for part in ("word/document.xml", "word/header1.xml"):
        assert canonical(new[part]) == canonical(old[part]), part
    assert {n: b for n, b in new.items() if not n.endswith(("document.xml", "header1.xml"))} == {
        n: b for n, b in old.items() if not n.endswith(("document.xml", "header1.xml"))
    }


# -- DOCX: translated -----------------------------------------------------------------------
def test_fake_engine_docx_translation_keeps_structure_and_bold_word(
    tmp_path: Path, service: TranslationService
) -> None:
    data = sample_docx(tmp_path)
    done = translate_document(service, data, "bericht.docx", "de", "en")
    assert done.filename == "bericht.en.docx"
    assert done.media_type == DOCX_TYPE
    source, english = docx.Document(io.BytesIO(data)), docx.Document(io.BytesIO(done.data))
    assert len(english.paragraphs) == len(source.paragraphs)
    assert [p.style.name for p in english.paragraphs] == [p.style.name for p in source.paragraphs]
    texts = [p.text for p in english.paragraphs]
    assert texts[0] == "The heading"
    assert runs(english.paragraphs[1]) == [
        ("The ", False, False),
        ("dog", True, False),
        (" sleeps.", False, False),
    ]
    assert texts[2] == "The ruler travels to Berlin."
    assert runs(english.paragraphs[6]) == [("The cat sleeps.", False, True)]
    cells = [[c.text for c in row.cells] for row in english.tables[0].rows]
    assert cells == [["Cell top left", "Cell top right"], ["Cell bottom left", "Cell bottom right"]]
    assert english.sections[0].header.paragraphs[0].text == "The header"


def test_fake_engine_docx_keeps_pictures_and_hyperlinks(
    tmp_path: Path, service: TranslationService
) -> None:
    data = sample_docx(tmp_path)
    done = translate_document(service, data, "a.docx", "de", "en")
    english = docx.Document(io.BytesIO(done.data))
    pictured = english.paragraphs[3]
    assert pictured.text.split() == ["The", "picture", "shows", "the", "cat."]
    assert len(pictured._p.findall(".//" + qn("w:drawing"))) == 1
    linked = english.paragraphs[4]
    links = linked._p.findall(qn("w:hyperlink"))
    assert len(links) == 1
    assert "".join(t.text or "" for t in links[0].iter(qn("w:t"))) == "the page"
    rid = links[0].get(qn("r:id"))
    assert linked.part.rels[rid].target_ref == "https://example.org/seite"
    assert linked.text == "More on the page."
    # the picture and the relationships are the source's, compressed bytes and all
    old, new = local_records(data), local_records(done.data)
    assert list(new) == list(old)
    assert new["word/media/image1.png"] == old["word/media/image1.png"]
    assert new["word/_rels/document.xml.rels"] == old["word/_rels/document.xml.rels"]
    assert new["word/document.xml"] != old["word/document.xml"]


def test_fake_engine_docx_term_report_locates_the_term(
    tmp_path: Path, service: TranslationService
) -> None:
    done = translate_document(service, sample_docx(tmp_path), "a.docx", "de", "en")
    located = [t for t in done.terms if t.report.term.source == "Herrscher"]
    assert [t.location for t in located] == ["paragraph 3"]
    report = done.report_dict()
    assert report["format"] == "docx"
    assert report["blocks"] == len(read_document(sample_docx(tmp_path), "a.docx")[1].blocks)


def test_tiny_model_translates_a_docx_end_to_end(
    tmp_path: Path, settings: Settings, installed: InstalledPackage, terms_dir: Path
) -> None:
    data = sample_docx(tmp_path)
    real = TranslationService(dataclasses.replace(settings, terms_dir=terms_dir))
    done = translate_document(real, data, "a.docx", "de", "en")
    source, english = docx.Document(io.BytesIO(data)), docx.Document(io.BytesIO(done.data))
    assert len(english.paragraphs) == len(source.paragraphs)
    assert len(english.tables[0].rows) == 2
    changed = [
        (a.text, b.text)
        for a, b in zip(source.paragraphs, english.paragraphs, strict=True)
        if a.text.strip()
    ]
    assert any(a != b for a, b in changed)  # the model wrote something of its own
    assert done.blocks == len(read_document(data, "a.docx")[1].blocks)
    # the glossary was enforced on the model's output, and the report says where
    assert [t.location for t in done.terms if t.report.term.source == "Herrscher"] == [
        "paragraph 3"
    ]
    assert len(english.paragraphs[3]._p.findall(".//" + qn("w:drawing"))) == 1


# -- DOCX: refused ----------------------------------------------------------------------------
def edited(data: bytes, change: Mapping[str, bytes | None]) -> bytes:
    """The package with members replaced, added (new names) or removed (None)."""
    old = members(data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, body in {**old, **change}.items():
            if body is not None:
                out.writestr(name, body)
    return buffer.getvalue()


def refused(data: bytes, filename: str = "a.docx", **kwargs: object) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        read_document(data, filename, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_docx_sent_as_text_plain_is_refused_with_415(tmp_path: Path) -> None:
    error = refused(sample_docx(tmp_path), content_type="text/plain")
    assert error.http_status == 415


def test_a_docm_renamed_docx_is_refused_as_macros(tmp_path: Path) -> None:
    data = sample_docx(tmp_path)
    types = (
        members(data)["[Content_Types].xml"]
        .replace(b"wordprocessingml.document.main+xml", b"word.document.macroEnabled.main+xml")
        .replace(b"application/vnd.openxmlformats-officedocument.word.", b"application/vnd.ms-")
    )
    error = refused(edited(data, {"[Content_Types].xml": types}))
    assert error.http_status == 400
    assert "contains macros" in str(error)


def test_a_docx_with_a_vba_project_is_refused(tmp_path: Path) -> None:
    error = refused(edited(sample_docx(tmp_path), {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}))
    assert "contains macros (word/vbaProject.bin)" in str(error)


def test_a_docx_with_an_external_attached_template_is_refused(tmp_path: Path) -> None:
    rels = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="'
        b'http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1"'
        b' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'attachedTemplate" Target="https://evil.example/t.dotm" TargetMode="External"/>'
        b"</Relationships>"
    )
    error = refused(edited(sample_docx(tmp_path), {"word/_rels/settings.xml.rels": rels}))
    assert error.http_status == 400
    assert "attachedTemplate" in str(error)
    assert "word/_rels/settings.xml.rels" in str(error)


def test_a_docx_with_an_entity_declaration_is_refused(tmp_path: Path) -> None:
    data = sample_docx(tmp_path)
    body = members(data)["word/document.xml"]
    laughs = b'<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    declared = body.replace(b"?>", b"?>" + laughs, 1)
    error = refused(edited(data, {"word/document.xml": declared}))
    assert error.http_status == 400
    assert "word/document.xml" in str(error)


def test_a_docx_zip_bomb_is_refused_with_413(tmp_path: Path) -> None:
    bomb = edited(sample_docx(tmp_path), {"word/media/huge.bin": bytes(30 * 1024 * 1024)})
    error = refused(bomb)
    assert error.http_status == 413
    assert "word/media/huge.bin" in str(error)


def test_a_truncated_docx_is_refused_with_400(tmp_path: Path) -> None:
    data = sample_docx(tmp_path)
    error = refused(data[: len(data) - 200])
    assert error.http_status == 400


def test_a_docx_without_its_main_part_is_refused(tmp_path: Path) -> None:
    error = refused(edited(sample_docx(tmp_path), {"word/document.xml": None}))
    assert error.http_status == 400
    assert "main document" in str(error)


def test_docx_over_the_size_limit_is_refused_with_413(tmp_path: Path) -> None:
    data = sample_docx(tmp_path)
    error = refused(data, limits=Limits(max_bytes=len(data) - 1))
    assert error.http_status == 413


# -- PPTX -------------------------------------------------------------------------------------
PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def sample_pptx() -> bytes:
    deck = pptx.Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = "Die Überschrift"
    first.placeholders[1].text = "Der Herrscher reist nach Berlin."
    second = deck.slides.add_slide(deck.slide_layouts[5])
    second.shapes.title.text = "Der Hund"
    frame = second.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1)).text_frame
    paragraph = frame.paragraphs[0]
    for text, bold in (("Der ", False), ("Hund", True), (" schläft.", False)):
        run = paragraph.add_run()
        run.text = text
        run.font.bold = bold or None
    linked = frame.add_paragraph()
    for text in ("Mehr auf ", "der Seite", "."):
        run = linked.add_run()
        run.text = text
    linked.runs[1].hyperlink.address = "https://example.org/seite"
    table = second.shapes.add_table(2, 2, Inches(1), Inches(4), Inches(6), Inches(1)).table
    for r, row in enumerate(("oben", "unten")):
        for c, col in enumerate(("links", "rechts")):
            table.cell(r, c).text = f"Zelle {row} {col}"
    group = second.shapes.add_group_shape()
    boxed = group.shapes.add_textbox(Inches(1), Inches(6), Inches(4), Inches(1))
    boxed.text_frame.text = "Das Bild zeigt die Katze."
    second.notes_slide.notes_text_frame.text = "Die Katze schläft."
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def slide_runs(paragraph: Any) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for run in paragraph.runs:
        key = bool(run.font.bold)
        if out and out[-1][1] == key:
            out[-1] = (out[-1][0] + run.text, key)
        elif run.text:
            out.append((run.text, key))
    return out


def slide_texts(deck: Any) -> list[list[str]]:
    """Each slide's paragraphs, shape by shape (tables and groups opened up)."""

    def of(shape: Any) -> list[str]:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            return [t for inner in shape.shapes for t in of(inner)]
        if shape.has_table:
            return [p.text for cell in shape.table.iter_cells() for p in cell.text_frame.paragraphs]
        return [p.text for p in shape.text_frame.paragraphs] if shape.has_text_frame else []

    return [[t for shape in slide.shapes for t in of(shape)] for slide in deck.slides]


def test_pptx_blocks_and_locations() -> None:
    _, parsed = read_document(sample_pptx(), "deck.pptx", PPTX_TYPE)
    found = {b.location: b for b in parsed.blocks}
    assert found["slide 1, shape 1, paragraph 1"].text == "Die Überschrift"
    assert found["slide 1, shape 2, paragraph 1"].text == "Der Herrscher reist nach Berlin."
    bold = found["slide 2, shape 2, paragraph 1"]
    assert bold.text == "Der Hund schläft."
    assert [(m.start, m.end) for m in bold.marks] == [(4, 8)]
    linked = found["slide 2, shape 2, paragraph 2"]
    assert [(m.start, m.end) for m in linked.marks] == [(9, 18)]  # the link is in the rPr
    assert found["slide 2, shape 3, row 2, cell 1, paragraph 1"].text == "Zelle unten links"
    assert found["slide 2, shape 4, shape 1, paragraph 1"].text == "Das Bild zeigt die Katze."
    assert found["slide 2, notes, shape 2, paragraph 1"].text == "Die Katze schläft."


def test_pptx_identity_round_trip_keeps_every_member() -> None:
    data = sample_pptx()
    _, parsed = read_document(data, "deck.pptx")
    assert members(parsed.write(list(parsed.blocks))) == members(data)
    assert isinstance(parsed, ParsedPackage)
    for block, (_, writer) in zip(parsed.blocks, parsed.writers, strict=True):
        writer(block)
    rewritten = parsed.write([dataclasses.replace(b, location="") for b in parsed.blocks])
    before, after = pptx.Presentation(io.BytesIO(data)), pptx.Presentation(io.BytesIO(rewritten))
    assert slide_texts(after) == slide_texts(before)
    for old_slide, new_slide in zip(before.slides, after.slides, strict=True):
        for old, new in zip(old_slide.shapes, new_slide.shapes, strict=True):
            if old.has_text_frame:
                assert [slide_runs(p) for p in new.text_frame.paragraphs] == [
                    slide_runs(p) for p in old.text_frame.paragraphs
                ]
    old, new = members(data), members(rewritten)
    for part in ("ppt/slides/slide1.xml", "ppt/slides/slide2.xml"):
        assert canonical(new[part]) == canonical(old[part]), part


def test_fake_engine_pptx_translation_keeps_slides_shapes_and_bold_word(
    service: TranslationService,
) -> None:
    data = sample_pptx()
    done = translate_document(service, data, "deck.pptx", "de", "en")
    assert done.media_type == PPTX_TYPE
    source, english = pptx.Presentation(io.BytesIO(data)), pptx.Presentation(io.BytesIO(done.data))
    assert len(english.slides) == len(source.slides)
    assert [len(s.shapes) for s in english.slides] == [len(s.shapes) for s in source.slides]
    texts = slide_texts(english)
    assert texts[0] == ["The heading", "The ruler travels to Berlin."]
    assert texts[1][0] == "The dog"
    box = english.slides[1].shapes[1].text_frame
    assert slide_runs(box.paragraphs[0]) == [("The ", False), ("dog", True), (" sleeps.", False)]
    linked = [r for r in box.paragraphs[1].runs if r.hyperlink.address]
    assert [(r.text, r.hyperlink.address) for r in linked] == [
        ("the page", "https://example.org/seite")
    ]
    assert box.paragraphs[1].text == "More on the page."
    assert texts[1][3:7] == [
        "Cell top left",
        "Cell top right",
        "Cell bottom left",
        "Cell bottom right",
    ]
    assert texts[1][7] == "The picture shows the cat."
    notes = english.slides[1].notes_slide.notes_text_frame.text
    assert notes == "The cat sleeps."
    located = [t.location for t in done.terms if t.report.term.source == "Herrscher"]
    assert located == ["slide 1, shape 2, paragraph 1"]


def test_pptx_sent_as_text_plain_is_refused_with_415() -> None:
    assert refused(sample_pptx(), "deck.pptx", content_type="text/plain").http_status == 415


def test_a_pptm_renamed_pptx_is_refused_as_macros() -> None:
    data = sample_pptx()
    types = members(data)["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        b"application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
    )
    error = refused(edited(data, {"[Content_Types].xml": types}), "deck.pptx")
    assert "contains macros" in str(error)


def test_a_pptx_with_an_externally_linked_picture_is_refused() -> None:
    data = sample_pptx()
    rels = members(data)["ppt/slides/_rels/slide2.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/image" Target="http://evil.example/p.png" TargetMode="External"/>'
        b"</Relationships>",
    )
    error = refused(edited(data, {"ppt/slides/_rels/slide2.xml.rels": rels}), "deck.pptx")
    assert "external image" in str(error)
    assert "ppt/slides/_rels/slide2.xml.rels" in str(error)


# -- ODT and ODP -----------------------------------------------------------------------------
ODT_TYPE = "application/vnd.oasis.opendocument.text"


def sample_odt() -> bytes:
    document = OpenDocumentText()
    bold = Style(name="Bold", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    document.automaticstyles.addElement(bold)
    layout = PageLayout(name="Layout")
    document.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    header = Header()
    header.addElement(odftext.P(text="Die Kopfzeile"))
    master.addElement(header)
    document.masterstyles.addElement(master)
    body = document.text
    body.addElement(odftext.H(outlinelevel=1, text="Die Überschrift"))
    first = odftext.P()
    first.addText("Der ")
    first.addElement(odftext.Span(stylename=bold, text="Hund"))
    first.addText(" schläft.")
    body.addElement(first)
    body.addElement(odftext.P(text="Der Herrscher reist nach Berlin."))
    table = Table()
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for row in ("oben", "unten"):
        cells = TableRow()
        table.addElement(cells)
        for col in ("links", "rechts"):
            cell = TableCell()
            cell.addElement(odftext.P(text=f"Zelle {row} {col}"))
            cells.addElement(cell)
    body.addElement(table)
    linked = odftext.P()
    linked.addText("Mehr auf ")
    linked.addElement(odftext.A(href="https://example.org/seite", text="der Seite"))
    linked.addText(".")
    body.addElement(linked)
    noted = odftext.P()
    noted.addText("Die Katze schläft.")
    note = odftext.Note(noteclass="footnote", id="n1")
    note.addElement(odftext.NoteCitation(text="1"))
    note_body = odftext.NoteBody()
    note_body.addElement(odftext.P(text="Der Hund schläft."))
    note.addElement(note_body)
    noted.addElement(note)
    body.addElement(noted)
    listed = odftext.List()
    item = odftext.ListItem()
    item.addElement(odftext.P(text="Das Bild zeigt die Katze."))
    listed.addElement(item)
    body.addElement(listed)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def odf_paragraphs(data: bytes) -> list[str]:
    loaded = odfload(io.BytesIO(data))
    found = loaded.getElementsByType(odftext.P) + loaded.getElementsByType(odftext.H)
    return sorted(teletype.extractText(p) for p in found)


def bold_words(data: bytes) -> list[str]:
    """The text of every span styled Bold (odfpy opens the file)."""
    loaded = odfload(io.BytesIO(data))
    return [
        teletype.extractText(span)
        for span in loaded.getElementsByType(odftext.Span)
        if span.getAttribute("stylename") == "Bold"
    ]


def test_odt_blocks_and_locations() -> None:
    _, parsed = read_document(sample_odt(), "a.odt", ODT_TYPE)
    found = {b.location: b for b in parsed.blocks}
    assert found["paragraph 1"].text == "Die Überschrift"
    assert [(m.start, m.end) for m in found["paragraph 2"].marks] == [(4, 8)]
    assert found["table 1, row 2, cell 1, paragraph 1"].text == "Zelle unten links"
    assert [(m.start, m.end) for m in found["paragraph 4"].marks] == [(9, 18)]
    noted = found["paragraph 5"]
    assert noted.text == "Die Katze schläft."
    assert [(m.start, m.end) for m in noted.marks] == [(18, 18)]  # the note, whole
    assert found["paragraph 5, note 1, paragraph 1"].text == "Der Hund schläft."
    assert found["list 1, item 1, paragraph 1"].text == "Das Bild zeigt die Katze."
    assert found["header 1, paragraph 1"].text == "Die Kopfzeile"


def test_odt_identity_round_trip() -> None:
    data = sample_odt()
    _, parsed = read_document(data, "a.odt")
    assert members(parsed.write(list(parsed.blocks))) == members(data)
    assert isinstance(parsed, ParsedPackage)
    for block, (_, writer) in zip(parsed.blocks, parsed.writers, strict=True):
        writer(block)
    rewritten = parsed.write([dataclasses.replace(b, location="") for b in parsed.blocks])
    assert odf_paragraphs(rewritten) == odf_paragraphs(data)
    assert bold_words(rewritten) == bold_words(data) == ["Hund"]
    old, new = members(data), members(rewritten)
    assert canonical(new["content.xml"]) == canonical(old["content.xml"])
    assert list(new) == list(old)
    assert {n: b for n, b in new.items() if n not in ("content.xml", "styles.xml")} == {
        n: b for n, b in old.items() if n not in ("content.xml", "styles.xml")
    }


def test_odt_white_space_rules_read_and_written() -> None:
    document = OpenDocumentText()
    spaced = odftext.P()
    spaced.addText("Der")
    spaced.addElement(odftext.S(c=3))
    spaced.addText("Hund")
    spaced.addElement(odftext.Tab())
    spaced.addText("schläft")
    spaced.addElement(odftext.LineBreak())
    spaced.addText("nach  Berlin.")  # two literal spaces are one
    document.text.addElement(spaced)
    buffer = io.BytesIO()
    document.save(buffer)
    _, parsed = read_document(buffer.getvalue(), "a.odt")
    assert [b.text for b in parsed.blocks] == ["Der   Hund\tschläft\nnach Berlin."]
    english = Block("  The   dog\tsleeps\nto Berlin.", (), "paragraph 1")
    written = parsed.write([english])
    assert odf_paragraphs(written) == ["  The   dog\tsleeps\nto Berlin."]


def test_fake_engine_odt_translation(service: TranslationService) -> None:
    data = sample_odt()
    done = translate_document(service, data, "a.odt", "de", "en")
    assert done.media_type == ODT_TYPE
    texts = odf_paragraphs(done.data)
    assert len(texts) == len(odf_paragraphs(data))
    for expected in (
        "The heading",
        "The dog sleeps.",
        "The ruler travels to Berlin.",
        "Cell bottom left",
        "More on the page.",
        "The picture shows the cat.",
        "The header",
    ):
        assert expected in texts
    assert bold_words(done.data) == ["dog"]
    loaded = odfload(io.BytesIO(done.data))
    links = loaded.getElementsByType(odftext.A)
    assert [(teletype.extractText(a), a.getAttribute("href")) for a in links] == [
        ("the page", "https://example.org/seite")
    ]
    notes = loaded.getElementsByType(odftext.Note)
    assert len(notes) == 1
    assert teletype.extractText(notes[0].getElementsByType(odftext.NoteBody)[0]) == (
        "The dog sleeps."
    )
    located = [t.location for t in done.terms if t.report.term.source == "Herrscher"]
    assert located == ["paragraph 3"]


def odp_frame(text: str) -> Frame:
    frame = Frame(width="20cm", height="3cm", x="1cm", y="1cm")
    box = TextBox()
    box.addElement(odftext.P(text=text))
    frame.addElement(box)
    return frame


def sample_odp() -> bytes:
    deck = OpenDocumentPresentation()
    layout = PageLayout(name="Layout")
    deck.automaticstyles.addElement(layout)
    master = MasterPage(name="Default", pagelayoutname=layout)
    deck.masterstyles.addElement(master)
    first = Page(masterpagename=master)
    first.addElement(odp_frame("Die Überschrift"))
    deck.presentation.addElement(first)
    second = Page(masterpagename=master)
    second.addElement(odp_frame("Der Herrscher reist nach Berlin."))
    group = G()
    group.addElement(odp_frame("Die Katze schläft."))
    second.addElement(group)
    notes = Notes()
    notes.addElement(PageThumbnail())
    notes.addElement(odp_frame("Das Bild zeigt den Hund."))
    second.addElement(notes)
    deck.presentation.addElement(second)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def test_fake_engine_odp_translation_by_slide_shape_group_and_notes(
    service: TranslationService,
) -> None:
    data = sample_odp()
    _, parsed = read_document(data, "deck.odp", "application/vnd.oasis.opendocument.presentation")
    assert [b.location for b in parsed.blocks] == [
        "slide 1, shape 1, paragraph 1",
        "slide 2, shape 1, paragraph 1",
        "slide 2, shape 2, shape 1, paragraph 1",
        "slide 2, notes, shape 2, paragraph 1",
    ]
    done = translate_document(service, data, "deck.odp", "de", "en")
    loaded = odfload(io.BytesIO(done.data))
    pages = loaded.getElementsByType(Page)
    assert [[teletype.extractText(p) for p in pg.getElementsByType(odftext.P)] for pg in pages] == [
        ["The heading"],
        ["The ruler travels to Berlin.", "The cat sleeps.", "The picture shows the dog."],
    ]
    assert len(loaded.getElementsByType(Notes)) == 1
    assert len(loaded.getElementsByType(G)) == 1
    assert [t.location for t in done.terms] == ["slide 2, shape 1, paragraph 1"]


def test_odt_sent_as_text_plain_is_refused_with_415() -> None:
    assert refused(sample_odt(), "a.odt", content_type="text/plain").http_status == 415


def test_an_odt_with_basic_macros_is_refused() -> None:
    data = edited(
        sample_odt(),
        {
            "Basic/script-lc.xml": b"<library:libraries/>",
            "Basic/Standard/Module1.xml": b'<script:module>Sub Main\nShell("x")\nEnd Sub',
        },
    )
    error = refused(data, "a.odt")
    assert error.http_status == 400
    assert "contains macros" in str(error)


def test_an_odt_with_an_external_image_is_refused() -> None:
    data = sample_odt()
    content = members(data)["content.xml"].replace(
        b"</office:text>",
        b'<text:p><draw:frame><draw:image xlink:href="http://evil.example/a.png"/>'
        b"</draw:frame></text:p></office:text>",
    )
    if b"xmlns:draw=" not in content:
        content = content.replace(
            b"<office:document-content ",
            b'<office:document-content xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:'
            b'drawing:1.0" ',
        )
    error = refused(edited(data, {"content.xml": content}), "a.odt")
    assert "external image" in str(error)
    assert "content.xml" in str(error)


def test_an_odt_with_an_entity_declaration_is_refused() -> None:
    data = sample_odt()
    content = members(data)["content.xml"]
    laughs = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    error = refused(
        edited(data, {"content.xml": content.replace(b"?>", b"?>" + laughs, 1)}), "a.odt"
    )
    assert error.http_status == 400
    assert "content.xml" in str(error)


# -- DOCX as Word writes it --------------------------------------------------------------------
WORD_PARAGRAPH = """<w:p xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 w:rsidR="00A10001"><w:pPr><w:jc w:val="center"/></w:pPr>
<w:bookmarkStart w:id="0" w:name="anfang"/>
<w:r w:rsidR="00A10002"><w:rPr><w:lang w:val="de-DE"/></w:rPr><w:t
 xml:space="preserve">Der </w:t></w:r>
<w:proofErr w:type="spellStart"/>
<w:r w:rsidR="00A10003"><w:rPr><w:b/><w:lang w:val="de-DE"/></w:rPr><w:t>Herr</w:t></w:r>
<w:r w:rsidR="00A10004"><w:rPr><w:b/><w:lang w:val="de-DE"/></w:rPr><w:t>scher</w:t></w:r>
<w:proofErr w:type="spellEnd"/>
<w:r><w:rPr><w:lang w:val="de-DE"/></w:rPr><w:t
 xml:space="preserve"> reist nach Berlin. Seite </w:t></w:r>
<w:r><w:fldChar w:fldCharType="begin"/></w:r>
<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>
<w:r><w:fldChar w:fldCharType="separate"/></w:r>
<w:r><w:t>1</w:t></w:r>
<w:r><w:fldChar w:fldCharType="end"/></w:r>
<w:bookmarkEnd w:id="0"/>
</w:p>"""


def word_made_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("Platzhalter")
    document.paragraphs[0]._p.addprevious(etree.fromstring(WORD_PARAGRAPH))
    document.paragraphs[1]._p.getparent().remove(document.paragraphs[1]._p)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_as_word_writes_it_runs_split_anchors_and_a_field() -> None:
    _, parsed = read_document(word_made_docx(), "a.docx")
    [block] = parsed.blocks
    assert block.text == "Der Herrscher reist nach Berlin. Seite "
    # one bold mark over both runs (their rsids differ, their formatting not); the bookmark,
    # the proofing marks and the field (five runs) are empty marks where they stood
    assert sorted((m.start, m.end) for m in block.marks) == [
        (0, 0),
        (4, 4),
        (4, 13),
        (13, 13),
        *[(39, 39)] * 6,
    ]


def test_fake_engine_docx_as_word_writes_it_keeps_field_bookmarks_and_formatting(
    service: TranslationService,
) -> None:
    done = translate_document(service, word_made_docx(), "a.docx", "de", "en")
    english = docx.Document(io.BytesIO(done.data))
    paragraph = english.paragraphs[0]
    p = paragraph._p
    assert paragraph.alignment is not None  # pPr (centred) kept
    assert runs(paragraph) == [
        ("The ", False, False),
        ("ruler", True, False),
        (" travels to Berlin. Page 1", False, False),  # the field's result after the words
    ]
    kinds = [c.get(qn("w:fldCharType")) for c in p.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"]
    assert [t.text for t in p.iter(qn("w:instrText"))] == [" PAGE "]
    assert len(p.findall(qn("w:bookmarkStart"))) == len(p.findall(qn("w:bookmarkEnd"))) == 1
    assert len(p.findall(qn("w:proofErr"))) == 2
    languages = {e.get(qn("w:val")) for e in p.iter(qn("w:lang"))}
    assert languages == {"en-GB"}  # the runs' own formatting, copied, relabelled English
    [term] = [t for t in done.terms if t.report.term.source == "Herrscher"]
    assert term.location == "paragraph 1"


TRACKED_PARAGRAPH = """<w:p xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<w:r><w:t xml:space="preserve">Der </w:t></w:r>
<w:del w:id="1" w:author="Redaktion"><w:r><w:delText>Herrscher</w:delText></w:r></w:del>
<w:ins w:id="2" w:author="Redaktion"><w:r><w:rPr><w:b/></w:rPr><w:t>Hund</w:t></w:r></w:ins>
<w:r><w:t xml:space="preserve"> schläft.</w:t></w:r>
<w:hyperlink w:anchor="bild"><w:r><w:drawing/></w:r></w:hyperlink>
</w:p>"""


def test_fake_engine_docx_tracked_insertion_and_linked_picture(
    service: TranslationService,
) -> None:
    document = docx.Document()
    document.add_paragraph("Platzhalter")._p.addprevious(etree.fromstring(TRACKED_PARAGRAPH))
    document.paragraphs[1]._p.getparent().remove(document.paragraphs[1]._p)
    buffer = io.BytesIO()
    document.save(buffer)
    _, parsed = read_document(buffer.getvalue(), "a.docx")
    [block] = parsed.blocks
    assert block.text == "Der Hund schläft."  # the deleted word is no text of the paragraph
    done = translate_document(service, buffer.getvalue(), "a.docx", "de", "en")
    p = docx.Document(io.BytesIO(done.data)).paragraphs[0]._p
    inserted = p.findall(qn("w:ins"))
    assert len(inserted) == 1
    assert [t.text for t in inserted[0].iter(qn("w:t"))] == ["dog"]
    assert inserted[0].get(qn("w:author")) == "Redaktion"
    assert inserted[0].find(f"{qn('w:r')}/{qn('w:rPr')}/{qn('w:b')}") is not None
    assert [t.text for t in p.iter(qn("w:delText"))] == ["Herrscher"]  # kept as deleted
    words = "".join(t.text or "" for t in p.iter(qn("w:t")))
    assert words == "The dog sleeps."
    [link] = p.findall(qn("w:hyperlink"))  # the linked picture, whole
    assert link.get(qn("w:anchor")) == "bild"
    assert link.find(f"{qn('w:r')}/{qn('w:drawing')}") is not None


# -- the real model, once ---------------------------------------------------------------------
@pytest.fixture
def real_service(settings: Settings, terms_dir: Path) -> TranslationService:
    """The trained de→en package (as tests/test_real_model.py finds it) behind the service."""
    configured = os.environ.get(MODEL_ENV)
    archive = Path(configured) if configured else DEFAULT_MODEL
    if not archive.is_file():
        pytest.skip(f"real model not found: set ${MODEL_ENV} or put it at {DEFAULT_MODEL}")
    install_from_file(settings.packages_dir, archive)
    return TranslationService(dataclasses.replace(settings, terms_dir=terms_dir))


def test_real_model_docx_bold_words_stay_on_their_english(
    real_service: TranslationService,
) -> None:
    document = docx.Document()
    for before, bold, after in (
        ("Ein ", "Hund", " läuft über die Wiese."),
        ("Eine Frau mit einem ", "roten", " Hut sitzt auf einer Bank."),
        ("Zwei Kinder spielen im ", "Park", "."),
    ):
        paragraph = document.add_paragraph(before)
        paragraph.add_run(bold).bold = True
        paragraph.add_run(after)
    buffer = io.BytesIO()
    document.save(buffer)
    done = translate_document(real_service, buffer.getvalue(), "a.docx", "de", "en")
    english = docx.Document(io.BytesIO(done.data)).paragraphs
    bold = [[text.lower() for text, is_bold, _ in runs(p) if is_bold] for p in english]
    assert bold == [["dog"], ["red"], ["park"]]
    assert all(p.text.split()[0] in ("A", "Two") for p in english)


def test_fake_engine_pptx_line_break_and_slide_number_field(service: TranslationService) -> None:
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    frame = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(2)).text_frame
    frame.text = "Der Hund schläft.\vDie Katze schläft."  # \v: a line break (a:br)
    paragraph = frame.paragraphs[0]._p
    field = etree.SubElement(paragraph, qn("a:fld"), {"id": "{B6F15528}", "type": "slidenum"})
    etree.SubElement(field, qn("a:t")).text = "1"
    etree.SubElement(paragraph, qn("a:endParaRPr"), {"lang": "de-DE"})  # stays last
    buffer = io.BytesIO()
    deck.save(buffer)
    _, parsed = read_document(buffer.getvalue(), "deck.pptx")
    [block] = parsed.blocks
    assert block.text == "Der Hund schläft.\nDie Katze schläft."
    done = translate_document(service, buffer.getvalue(), "deck.pptx", "de", "en")
    english = pptx.Presentation(io.BytesIO(done.data)).slides[0].shapes[0].text_frame
    p = english.paragraphs[0]._p
    assert [etree.QName(c).localname for c in p] == ["r", "br", "r", "fld", "endParaRPr"]
    assert english.paragraphs[0].text == "The dog sleeps.\vThe cat sleeps.1"


FOOTNOTES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>
</w:r></w:p></w:footnote>
<w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t
 xml:space="preserve"> Der Herrscher schläft.</w:t></w:r></w:p></w:footnote>
</w:footnotes>""".encode()


def footnoted_docx() -> bytes:
    document = docx.Document()
    paragraph = document.add_paragraph("Der Hund schläft.")
    reference = etree.SubElement(paragraph._p, qn("w:r"))
    etree.SubElement(reference, qn("w:footnoteReference"), {qn("w:id"): "1"})
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    old = members(data)
    types = old["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.wordprocessingml.footnotes+xml"/></Types>',
    )
    rels = old["word/_rels/document.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId90" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/footnotes" Target="footnotes.xml"/></Relationships>',
    )
    change = {"[Content_Types].xml": types, "word/_rels/document.xml.rels": rels}
    return edited(data, {**change, "word/footnotes.xml": FOOTNOTES})


def test_fake_engine_docx_footnotes_translated_and_located(service: TranslationService) -> None:
    data = footnoted_docx()
    _, parsed = read_document(data, "a.docx")
    assert [(b.location, b.text) for b in parsed.blocks] == [
        ("paragraph 1", "Der Hund schläft."),
        ("footnote 1, paragraph 1", " Der Herrscher schläft."),
    ]
    done = translate_document(service, data, "a.docx", "de", "en")
    notes = etree.fromstring(members(done.data)["word/footnotes.xml"])
    body = notes.findall(qn("w:footnote"))
    assert len(body) == 3  # the separators as they were
    assert "".join(t.text or "" for t in body[2].iter(qn("w:t"))) == " The ruler sleeps."
    assert body[2].find(f".//{qn('w:footnoteRef')}") is not None
    p = docx.Document(io.BytesIO(done.data)).paragraphs[0]._p
    assert p.find(f".//{qn('w:footnoteReference')}") is not None
    located = [t.location for t in done.terms if t.report.term.source == "Herrscher"]
    assert located == ["footnote 1, paragraph 1"]


TEXT_BOX_PARAGRAPH = """<w:p xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
 xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
 xmlns:v="urn:schemas-microsoft-com:vml"><w:r><w:t>Das Bild</w:t></w:r><w:r>
<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent>
<w:p><w:r><w:t xml:space="preserve">Der </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>Herrscher</w:t>
</w:r><w:r><w:t xml:space="preserve"> schläft.</w:t></w:r></w:p>
</w:txbxContent></wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>
<w:txbxContent><w:p><w:r><w:t xml:space="preserve">Der </w:t></w:r><w:r><w:rPr><w:b/></w:rPr>
<w:t>Herrscher</w:t></w:r><w:r><w:t xml:space="preserve"> schläft.</w:t></w:r></w:p></w:txbxContent>
</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"""


def test_fake_engine_docx_text_box_and_its_fallback_translated_once(
    service: TranslationService,
) -> None:
    document = docx.Document()
    document.add_paragraph("Platzhalter")._p.addprevious(etree.fromstring(TEXT_BOX_PARAGRAPH))
    document.paragraphs[1]._p.getparent().remove(document.paragraphs[1]._p)
    buffer = io.BytesIO()
    document.save(buffer)
    _, parsed = read_document(buffer.getvalue(), "a.docx")
    assert [(b.location, b.text) for b in parsed.blocks] == [
        ("paragraph 1", "Das Bild"),
        ("paragraph 1, text box 1, paragraph 1", "Der Herrscher schläft."),
    ]
    done = translate_document(service, buffer.getvalue(), "a.docx", "de", "en")
    assert [t.location for t in done.terms] == ["paragraph 1, text box 1, paragraph 1"]
    p = docx.Document(io.BytesIO(done.data)).paragraphs[0]._p
    boxes = list(p.iter(qn("w:txbxContent")))
    assert len(boxes) == 2  # the drawing and its VML fallback, both English
    for box in boxes:
        assert "".join(t.text or "" for t in box.iter(qn("w:t"))) == "The ruler sleeps."
        [bold] = [
            r for r in box.iter(qn("w:r")) if r.find(f"{qn('w:rPr')}/{qn('w:b')}") is not None
        ]
        assert bold.find(qn("w:t")).text == "ruler"


# -- languages: what was translated says it is English ------------------------------------------
def _set_word_language(run: Any, tag: str) -> None:
    etree.SubElement(run._r.get_or_add_rPr(), qn("w:lang"), {qn("w:val"): tag})


def languages_docx(default: str) -> bytes:
    """A paragraph of German runs (de-DE) around a French one (fr-FR), a run with no language
    of its own, and the document's default language `default` (styles.xml)."""
    document = docx.Document()
    paragraph = document.add_paragraph()
    for text, tag in (("Der Hund ", "de-DE"), ("bonjour", "fr-FR"), (" schläft.", "de-DE")):
        _set_word_language(paragraph.add_run(text), tag)
    document.add_paragraph("Die Katze schläft.")  # its language is the default's
    defaults = document.styles.element.find(f"{qn('w:docDefaults')}//{qn('w:lang')}")
    assert defaults is not None
    defaults.set(qn("w:val"), default)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def word_languages(paragraph: docx.text.paragraph.Paragraph) -> list[tuple[str, str | None]]:
    out = []
    for run in paragraph.runs:
        lang = run._r.find(f"{qn('w:rPr')}/{qn('w:lang')}")
        out.append((run.text, None if lang is None else lang.get(qn("w:val"))))
    return out


def test_fake_engine_docx_translated_runs_and_default_say_english_a_french_run_stays(
    service: TranslationService,
) -> None:
    data = languages_docx("de-DE")
    done = translate_document(service, data, "a.docx", "de", "en")
    english = docx.Document(io.BytesIO(done.data))
    first = word_languages(english.paragraphs[0])
    assert "".join(text for text, _ in first) == "The dog bonjour sleeps."
    assert {tag for text, tag in first if "bonjour" in text} == {"fr-FR"}
    assert {tag for text, tag in first if "bonjour" not in text} == {"en-GB"}
    assert word_languages(english.paragraphs[1]) == [("The cat sleeps.", None)]
    defaults = english.styles.element.find(f"{qn('w:docDefaults')}//{qn('w:lang')}")
    assert defaults is not None
    assert defaults.get(qn("w:val")) == "en-GB"  # the unmarked runs' language, relabelled
    assert defaults.get(qn("w:eastAsia")) is not None  # the other scripts' as they were


def test_fake_engine_docx_styles_that_name_no_source_language_stay_byte_for_byte(
    service: TranslationService,
) -> None:
    data = languages_docx("en-US")
    done = translate_document(service, data, "a.docx", "de", "en")
    old, new = members(data), members(done.data)
    assert new["word/styles.xml"] == old["word/styles.xml"]
    changed = {name for name in old if old[name] != new[name]}
    assert changed == {"word/document.xml"}


def test_docx_identity_write_without_languages_is_byte_for_byte_with_languages_marked() -> None:
    data = languages_docx("de-DE")
    _, parsed = read_document(data, "a.docx")
    assert parsed.write(list(parsed.blocks)) == data
    assert parsed.write(list(parsed.blocks), None) == data
    # the French run is a mark of its own; de-DE and the default-less run are no formatting
    [first, _] = parsed.blocks
    assert first.text == "Der Hund bonjour schläft."
    assert [(m.start, m.end) for m in first.marks] == [(9, 16)]


def languages_pptx() -> bytes:
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    frame = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(2)).text_frame
    paragraph = frame.paragraphs[0]
    for text, tag in (("Der Hund ", "de-DE"), ("bonjour", "fr-FR"), (" schläft.", "de-DE")):
        run = paragraph.add_run()
        run.text = text
        run.font._rPr.set("lang", tag)
    etree.SubElement(paragraph._p, qn("a:endParaRPr"), {"lang": "de-DE"})
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def test_fake_engine_pptx_translated_runs_and_paragraph_end_say_english_a_french_run_stays(
    service: TranslationService,
) -> None:
    data = languages_pptx()
    done = translate_document(service, data, "deck.pptx", "de", "en")
    frame = pptx.Presentation(io.BytesIO(done.data)).slides[0].shapes[0].text_frame
    p = frame.paragraphs[0]
    assert p.text == "The dog bonjour sleeps."
    tags = [(run.text, run.font._rPr.get("lang")) for run in p.runs]
    assert {tag for text, tag in tags if "bonjour" in text} == {"fr-FR"}
    assert {tag for text, tag in tags if "bonjour" not in text} == {"en-GB"}
    assert p._p.find(qn("a:endParaRPr")).get("lang") == "en-GB"
    old, new = members(data), members(done.data)
    assert {name for name in old if old[name] != new[name]} == {"ppt/slides/slide1.xml"}
    _, parsed = read_document(data, "deck.pptx")
    assert parsed.write(list(parsed.blocks)) == data


def languages_odt() -> bytes:
    document = OpenDocumentText()
    german = Style(name="Deutsch", family="paragraph")
    german.addElement(TextProperties(language="de", country="DE"))
    document.automaticstyles.addElement(german)
    french = Style(name="Französisch", family="text")
    french.addElement(TextProperties(language="fr", country="FR"))
    document.automaticstyles.addElement(french)
    default = DefaultStyle(family="paragraph")
    default.addElement(TextProperties(language="de", country="DE"))
    document.styles.addElement(default)
    paragraph = odftext.P(stylename=german, text="Der Hund ")
    paragraph.addElement(odftext.Span(stylename=french, text="bonjour"))
    paragraph.addText(" schläft.")
    document.text.addElement(paragraph)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def odf_languages(xml: bytes) -> dict[str, tuple[str | None, str | None]]:
    """Style name (or "default") → (fo:language, fo:country)."""
    fo = "{urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0}"
    s = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
    found = {}
    for props in etree.fromstring(xml).iter(f"{s}text-properties"):
        owner = props.getparent()
        assert owner is not None
        name = owner.get(f"{s}name") or "default"
        found[name] = (props.get(f"{fo}language"), props.get(f"{fo}country"))
    return found


def test_fake_engine_odt_styles_of_translated_text_say_english_a_french_span_stays(
    service: TranslationService,
) -> None:
    data = languages_odt()
    done = translate_document(service, data, "a.odt", "de", "en")
    assert teletype.extractText(
        odfload(io.BytesIO(done.data)).text.getElementsByType(odftext.P)[0]
    ) == ("The dog bonjour sleeps.")
    new = members(done.data)
    content = odf_languages(new["content.xml"])
    assert content["Deutsch"] == ("en", "GB")
    assert content["Französisch"] == ("fr", "FR")
    assert odf_languages(new["styles.xml"])["default"] == ("en", "GB")
    old = members(data)
    assert {name for name in old if old[name] != new[name]} == {"content.xml", "styles.xml"}
    _, parsed = read_document(data, "a.odt")
    assert parsed.write(list(parsed.blocks)) == data


def test_odf_styles_relabelled_to_a_bare_code_lose_their_country() -> None:
    fo = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
    s = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
    root = etree.fromstring(
        f'<x xmlns:fo="{fo}" xmlns:style="{s}"><style:text-properties fo:language="de"'
        ' fo:country="AT" style:rfc-language-tag="de-AT"/><style:text-properties'
        ' fo:language="en" fo:country="US"/></x>'
    )
    assert relabel_styles(root, Languages("de", "fr"))
    german, english = root
    assert dict(german.attrib) == {f"{{{fo}}}language": "fr", f"{{{s}}}rfc-language-tag": "fr"}
    assert dict(english.attrib) == {f"{{{fo}}}language": "en", f"{{{fo}}}country": "US"}
    assert not relabel_styles(root, Languages("de", "fr"))  # nothing names German any more


def test_fake_engine_docx_regions_are_no_formatting_and_the_paragraph_mark_says_english(
    service: TranslationService,
) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph()
    mark = etree.SubElement(paragraph._p.get_or_add_pPr(), qn("w:rPr"))
    etree.SubElement(mark, qn("w:lang"), {qn("w:val"): "de-DE"})
    for text, tag in (("Der Hund ", "de-DE"), ("schläft.", "de-AT")):
        _set_word_language(paragraph.add_run(text), tag)
    buffer = io.BytesIO()
    document.save(buffer)
    _, parsed = read_document(buffer.getvalue(), "a.docx")
    assert [b.marks for b in parsed.blocks] == [()]  # de-DE and de-AT: one language
    done = translate_document(service, buffer.getvalue(), "a.docx", "de", "en")
    p = docx.Document(io.BytesIO(done.data)).paragraphs[0]
    assert p.text == "The dog sleeps."
    assert [e.get(qn("w:val")) for e in p._p.iter(qn("w:lang"))] == ["en-GB", "en-GB"]
