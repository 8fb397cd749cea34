"""The zip packages under the office formats (glossary/documents/archive.py): what is refused
before anything is inflated, what is stopped while inflating, and that writing back keeps
every member it did not rewrite."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Sequence

import pytest

from glossary.documents.archive import (
    check_odf,
    check_odf_tree,
    check_ooxml,
    open_archive,
    parse_xml,
)
from glossary.documents.model import Limits
from glossary.errors import DocumentError

LIMITS = Limits()
TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="%s"/></Types>'
)
DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def make_zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, data in members:
            out.writestr(name, data, compress_type=method)
    return buffer.getvalue()


def rels(*relationships: tuple[str, str, str | None]) -> bytes:
    items = "".join(
        f'<Relationship Id="rId{i}" Type="{REL_NS}/{kind}" Target="{target}"'
        + (f' TargetMode="{mode}"' if mode else "")
        + "/>"
        for i, (kind, target, mode) in enumerate(relationships, 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
        f'"http://schemas.openxmlformats.org/package/2006/relationships">{items}</Relationships>'
    ).encode()


def ooxml(extra: Sequence[tuple[str, bytes]] = (), main: bytes = DOCX_MAIN) -> bytes:
    return make_zip(
        [
            ("[Content_Types].xml", TYPES % main),
            ("_rels/.rels", rels(("officeDocument", "word/document.xml", None))),
            ("word/document.xml", b"<w:document xmlns:w='urn:w'/>"),
            *extra,
        ]
    )


def refused(data: bytes, limits: Limits = LIMITS) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        archive = open_archive(data, limits, "docx")
        check_ooxml(archive)
        for name in archive.names:
            archive.read(name)
    return caught.value


# -- the package itself --------------------------------------------------------------------
def test_bytes_that_are_no_zip_are_refused_with_400() -> None:
    error = refused(b"PK\x03\x04 this is not really a zip file at all")
    assert error.http_status == 400
    assert "not a valid docx file" in str(error)


def test_a_truncated_package_is_refused_with_400() -> None:
    data = ooxml([("word/media/big.bin", bytes(range(256)) * 400)])
    error = refused(data[: len(data) // 2])
    assert error.http_status == 400
    assert "truncated" in str(error)


def test_a_corrupted_member_is_refused_naming_it() -> None:
    payload = ("Der Kreml-Herrscher reist nach Pjöngjang. " * 200).encode()
    data = bytearray(ooxml([("word/styles.xml", payload)]))
    compressed = zlib_of(payload)
    at = bytes(data).find(compressed[:40])
    assert at > 0
    data[at + 10 : at + 30] = b"\xff" * 20  # the deflate stream broken in its middle
    error = refused(bytes(data))
    assert error.http_status == 400
    assert "word/styles.xml" in str(error)
    assert "corrupted" in str(error)


def zlib_of(payload: bytes) -> bytes:
    squeeze = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return squeeze.compress(payload) + squeeze.flush()


def test_a_zip_bomb_is_refused_from_its_directory_before_inflating() -> None:
    bomb = make_zip([("word/document.xml", bytes(50 * 1024 * 1024))])
    assert len(bomb) < 100_000  # about a thousand to one
    error = refused(bomb)
    assert error.http_status == 413
    assert "word/document.xml" in str(error)
    assert "100 times" in str(error)


def test_a_member_that_lies_about_its_size_is_stopped_while_inflating() -> None:
    payload = bytes(5 * 1024 * 1024)
    data = bytearray(make_zip([("word/document.xml", payload)]))
    # The central directory entry's "uncompressed size" says 200 kB: within the ratio.
    directory = bytes(data).rfind(b"PK\x01\x02")
    data[directory + 24 : directory + 28] = struct.pack("<I", 200_000)
    with pytest.raises(DocumentError) as caught:
        open_archive(bytes(data), LIMITS, "docx")  # the directory passes; inflating does not
    error = caught.value
    assert error.http_status == 400
    assert "word/document.xml" in str(error)


def test_the_total_unpacked_size_is_limited_before_inflating() -> None:
    members = [(f"word/media/part{i}.bin", bytes(range(256)) * 40) for i in range(10)]
    error = refused(ooxml(members), Limits(max_unpacked_bytes=50_000))
    assert error.http_status == 413
    assert "50000" in str(error)


def test_too_many_members_are_refused_with_413() -> None:
    members = [(f"customXml/item{i}.xml", b"<a/>") for i in range(60)]
    error = refused(ooxml(members), Limits(max_members=50))
    assert error.http_status == 413
    assert "members" in str(error)


@pytest.mark.parametrize("name", ["../evil.xml", "/etc/passwd", "word\\..\\x.xml", "C:/x.xml"])
def test_a_member_named_outside_the_package_is_refused(name: str) -> None:
    error = refused(ooxml([(name, b"<a/>")]))
    assert error.http_status == 400
    assert "outside the package" in str(error)


# -- macros and external references -------------------------------------------------------
def test_a_vba_project_is_refused_as_macros() -> None:
    error = refused(ooxml([("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro bytes")]))
    assert error.http_status == 400
    assert "contains macros" in str(error)
    assert "word/vbaProject.bin" in str(error)


def test_a_macro_enabled_content_type_is_refused_as_macros() -> None:
    error = refused(ooxml(main=b"application/vnd.ms-word.document.macroEnabled.main+xml"))
    assert "contains macros" in str(error)
    assert "word/document.xml" in str(error)


def test_an_external_attached_template_is_refused_naming_the_part() -> None:
    settings = rels(("attachedTemplate", "http://evil.example/t.dotm", "External"))
    error = refused(ooxml([("word/_rels/settings.xml.rels", settings)]))
    assert error.http_status == 400
    assert "attachedTemplate" in str(error)
    assert "word/_rels/settings.xml.rels" in str(error)


def test_an_image_linked_from_outside_is_refused() -> None:
    document = rels(("image", "file:///C:/secret.png", "External"))
    error = refused(ooxml([("word/_rels/document.xml.rels", document)]))
    assert "external image" in str(error)


def test_external_hyperlinks_are_kept_and_not_refused() -> None:
    document = rels(("hyperlink", "https://example.org/", "External"))
    archive = open_archive(ooxml([("word/_rels/document.xml.rels", document)]), LIMITS, "docx")
    check_ooxml(archive)  # no error: a hyperlink is the reader's to follow, not ours


def test_an_entity_declaration_is_refused_naming_the_part() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<w:document xmlns:w='urn:w'>&lol3;</w:document>"
    )
    with pytest.raises(DocumentError) as caught:
        parse_xml(laughs, "word/document.xml")
    assert caught.value.http_status == 400
    assert "word/document.xml" in str(caught.value)
    assert "DTD" in str(caught.value)


def test_xml_that_is_not_well_formed_is_refused_naming_the_part() -> None:
    with pytest.raises(DocumentError, match=r"word/document\.xml: not well-formed"):
        parse_xml(b"<w:document xmlns:w='urn:w'><w:body></w:document>", "word/document.xml")


ODT = "application/vnd.oasis.opendocument.text"


def odf(extra: Sequence[tuple[str, bytes]] = ()) -> bytes:
    return make_zip([("mimetype", ODT.encode()), ("content.xml", b"<a/>"), *extra])


def test_odf_basic_macros_are_refused() -> None:
    data = odf([("Basic/Standard/Module1.xml", b"<script:module/>")])
    archive = open_archive(data, LIMITS, "odt")
    with pytest.raises(DocumentError, match=r"contains macros \(Basic/Standard/Module1\.xml\)"):
        check_odf(archive, ODT)


def test_odf_with_another_mimetype_is_refused() -> None:
    archive = open_archive(odf(), LIMITS, "odt")
    with pytest.raises(DocumentError, match="mimetype"):
        check_odf(archive, "application/vnd.oasis.opendocument.presentation")


def test_odf_script_bindings_and_external_images_are_refused_but_links_kept() -> None:
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    script = "urn:oasis:names:tc:opendocument:xmlns:script:1.0"
    text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    draw = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
    xlink = "http://www.w3.org/1999/xlink"
    ns = f'xmlns:office="{office}" xmlns:script="{script}" xmlns:text="{text}" '
    ns += f'xmlns:draw="{draw}" xmlns:xlink="{xlink}"'
    bound = f"<office:document-content {ns}><office:scripts><script:event-listener/>"
    bound += "</office:scripts></office:document-content>"
    with pytest.raises(DocumentError, match="contains macros"):
        check_odf_tree(parse_xml(bound.encode(), "content.xml"), "content.xml", "odt")
    image = f"<office:document-content {ns}><draw:image xlink:href='http://x.example/a.png'/>"
    image += "</office:document-content>"
    with pytest.raises(DocumentError, match="external image"):
        check_odf_tree(parse_xml(image.encode(), "content.xml"), "content.xml", "odt")
    linked = f"<office:document-content {ns}><text:a xlink:href='https://example.org/'>x</text:a>"
    linked += "<draw:image xlink:href='Pictures/a.png'/><office:scripts/></office:document-content>"
    check_odf_tree(parse_xml(linked.encode(), "content.xml"), "content.xml", "odt")


# -- writing back ----------------------------------------------------------------------------
def test_writing_back_keeps_every_other_member_order_and_compression() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("mimetype", ODT, compress_type=zipfile.ZIP_STORED)
        out.writestr("content.xml", "<a>alt</a>", compress_type=zipfile.ZIP_DEFLATED)
        out.writestr("Pictures/p.png", bytes(range(256)) * 3, compress_type=zipfile.ZIP_STORED)
        out.writestr("styles.xml", "<s/>" * 100, compress_type=zipfile.ZIP_DEFLATED)
    archive = open_archive(buffer.getvalue(), LIMITS, "odt")
    written = archive.write({"content.xml": b"<a>new</a>"})
    before = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    after = zipfile.ZipFile(io.BytesIO(written))
    assert after.namelist() == before.namelist()
    old = {i.filename: i for i in before.infolist()}
    for info in after.infolist():
        assert info.compress_type == old[info.filename].compress_type
        assert info.date_time == old[info.filename].date_time
        if info.filename != "content.xml":
            assert after.read(info) == before.read(info.filename)
    assert after.read("content.xml") == b"<a>new</a>"
    assert written.startswith(b"PK\x03\x04") and written[30:38] == b"mimetype"


def local_records(data: bytes) -> dict[str, bytes]:
    """Each member's local header and compressed bytes, as they lie in the file."""
    found = {}
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for info in package.infolist():
            at = info.header_offset
            name_len, extra_len = struct.unpack_from("<HH", data, at + 26)
            found[info.filename] = data[at : at + 30 + name_len + extra_len + info.compress_size]
    return found


def test_writing_back_copies_untouched_members_byte_for_byte() -> None:
    members = [
        ("mimetype", ODT.encode(), zipfile.ZIP_STORED),
        ("content.xml", ("<a>" + "Wort " * 500 + "</a>").encode(), zipfile.ZIP_DEFLATED),
        ("Pictures/p.png", bytes(range(256)) * 3, zipfile.ZIP_STORED),
        ("styles.xml", b"<s/>" * 100, zipfile.ZIP_DEFLATED),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, body, method in members:
            # level 1: a different deflate than the writer's own, which a copy must keep
            out.writestr(name, body, compress_type=method, compresslevel=1)
    data = buffer.getvalue()
    written = open_archive(data, LIMITS, "odt").write({"content.xml": b"<a>neu</a>"})
    before, after = local_records(data), local_records(written)
    assert list(after) == list(before)
    for name in ("mimetype", "Pictures/p.png", "styles.xml"):
        assert after[name] == before[name], name
    assert after["content.xml"] != before["content.xml"]
    with zipfile.ZipFile(io.BytesIO(written)) as package:
        assert package.testzip() is None
        assert package.read("content.xml") == b"<a>neu</a>"
        assert package.getinfo("content.xml").compress_type == zipfile.ZIP_DEFLATED


def test_a_package_with_data_before_it_is_written_back_member_by_member() -> None:
    inner = odf([("styles.xml", b"<s/>")])
    prefixed = b"#!/bin/sh\nexit 0\n" + inner  # zipfile reads it; its offsets are shifted
    archive = open_archive(prefixed, LIMITS, "odt")
    written = archive.write({"content.xml": b"<b/>"})
    with zipfile.ZipFile(io.BytesIO(written)) as package:
        assert package.namelist() == ["mimetype", "content.xml", "styles.xml"]
        assert package.read("content.xml") == b"<b/>"
        assert package.read("styles.xml") == b"<s/>"
        assert package.getinfo("mimetype").compress_type == zipfile.ZIP_DEFLATED  # as it was


def test_an_entity_declaration_in_a_part_nobody_parses_is_refused_too() -> None:
    laughs = b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaa">]><s>&a;</s>'
    error = refused(ooxml([("word/styles.xml", laughs)]))
    assert error.http_status == 400
    assert "word/styles.xml declares a DTD" in str(error)


def test_a_member_needing_an_unknown_zip_version_is_refused_with_400() -> None:
    data = bytearray(ooxml())
    at = bytes(data).find(b"PK\x01\x02")  # the first member's directory entry
    data[at + 6 : at + 8] = struct.pack("<H", 99)  # "version needed": zip 9.9
    error = refused(bytes(data))
    assert error.http_status == 400
    assert "zip file version 9.9" in str(error)


def test_random_damage_to_a_package_is_a_document_error_or_harmless() -> None:
    data = ooxml([("word/styles.xml", ("<s>" + "Stil " * 300 + "</s>").encode())])
    rng = random.Random(13)
    outcomes = set()
    for _ in range(300):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            archive = open_archive(bytes(damaged), LIMITS, "docx")
            check_ooxml(archive)
            archive.write({})
            outcomes.add("read")
        except DocumentError as error:
            assert error.http_status in (400, 413)
            outcomes.add("refused")
    assert "refused" in outcomes
