"""The zip packages under DOCX, PPTX, ODT and ODP, read without trusting them and written back.

Reading: the central directory is checked before anything is inflated (member count, names
that would leave the package, encrypted or oddly compressed members, the declared total
size and each member's declared ratio of unpacked to packed size), and every member is
inflated as a stream whose bytes are counted against the same limits, so a member that lies
about its size is stopped as soon as it passes them. XML parts are parsed with entities,
DTDs and the network off, and a part that declares a DTD at all (the billion laughs) is
refused. Macros (a vbaProject.bin, a macro-enabled content type, ODF Basic or scripts) and
relationships that reach outside the package other than hyperlinks (an attached template,
an OLE object or image linked from elsewhere, a frame) are refused: nothing of them is
followed. Hyperlinks are kept as they are and never opened.

Writing: every member in the same order and with the same compression method; the members
not rewritten with exactly the bytes they had, the rewritten parts with their new bytes."""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from lxml import etree

from glossary.documents.model import Block, Languages, Limits
from glossary.errors import DocumentError

_CHUNK = 64 * 1024
# A member smaller than this is never a bomb, whatever its ratio: a short run of spaces
# compresses far past any ratio limit, and the total limit bounds many of them.
RATIO_FLOOR = 1024 * 1024
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_ENCRYPTED = 0x1

MACRO_MESSAGE = "contains macros"
# What zipfile raises for a damaged package: bad headers, offsets, versions or flags.
_BROKEN = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    struct.error,
)
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_xml(data: bytes, part: str) -> etree._ElementTree:
    """The XML of a package part; DocumentError (400) naming the part for XML that is not
    well-formed or that declares a DTD (entities are never expanded)."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"{part}: not well-formed XML ({exc})") from exc
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise DocumentError(f"{part}: declares a DTD or entities, which office files never do")
    return tree


def serialize_xml(tree: etree._ElementTree) -> bytes:
    """The part's bytes as Office and LibreOffice write them: UTF-8, a declaration in double
    quotes (standalone as the part had it)."""
    standalone = tree.docinfo.standalone
    declaration = '<?xml version="1.0" encoding="UTF-8"'
    if standalone is not None:
        declaration += f' standalone="{"yes" if standalone else "no"}"'
    body = etree.tostring(tree, encoding="UTF-8", xml_declaration=False)
    return (declaration + "?>\r\n").encode() + body


def _safe_name(name: str) -> bool:
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return False
    if len(name) > 1 and name[1] == ":":  # a drive letter
        return False
    return ".." not in name.split("/")


@dataclass
class Archive:
    """A zip package whose directory passed the checks; members are inflated on demand,
    each through the counting reader, each at most once."""

    zip: zipfile.ZipFile
    infos: tuple[zipfile.ZipInfo, ...]
    limits: Limits
    what: str  # "docx": for the messages
    data: bytes  # the package as uploaded, whose members are copied from it as they are
    _inflated: dict[str, bytes] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(info.filename for info in self.infos)

    def has(self, name: str) -> bool:
        return any(info.filename == name for info in self.infos)

    def read(self, name: str) -> bytes:
        """A member's bytes; DocumentError if it is missing, corrupted or too large."""
        if name in self._inflated:
            return self._inflated[name]
        info = next((i for i in self.infos if i.filename == name), None)
        if info is None:
            raise DocumentError(f"not a valid {self.what} file: it has no {name}")
        data = self._inflate(info)
        self._inflated[name] = data
        return data

    def xml(self, name: str) -> etree._ElementTree:
        return parse_xml(self.read(name), name)

    def _inflate(self, info: zipfile.ZipInfo) -> bytes:
        used = sum(len(d) for d in self._inflated.values())
        out = bytearray()
        for chunk in self._stream(info, self.limits.max_unpacked_bytes - used):
            out += chunk
        return bytes(out)

    def verify(self) -> None:
        """Every member inflated once (and dropped), so that a corrupted one is refused
        however little of the package a format reads, and the total is counted as it is
        inflated, whatever the directory declared."""
        budget = self.limits.max_unpacked_bytes
        for info in self.infos:
            xml = info.filename.lower().endswith((".xml", ".rels"))
            tail = b""
            for chunk in self._stream(info, budget):
                budget -= len(chunk)
                if xml and _DECLARATION.search(tail + chunk):
                    # Not even a part we copy unread may carry one (the billion laughs).
                    raise DocumentError(
                        f"{self.what} file: {info.filename} declares a DTD or entities, "
                        "which office files never do"
                    )
                tail = chunk[-16:]

    def _stream(self, info: zipfile.ZipInfo, budget: int) -> Iterator[bytes]:
        """The member's bytes in chunks, stopped past `budget` or past its ratio."""
        ratio_cap = max(RATIO_FLOOR, info.compress_size * self.limits.max_ratio)
        size = 0
        try:
            with self.zip.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > budget:
                        raise _too_large(self.what, self.limits)
                    if size > ratio_cap:
                        raise _bomb(info, self.limits)
                    yield chunk
        except _BROKEN as exc:
            raise DocumentError(
                f"{self.what} file is corrupted: member {info.filename} cannot be read ({exc})"
            ) from exc

    def write(self, replaced: Mapping[str, bytes]) -> bytes:
        """The package with `replaced` parts' new bytes, every other member as it was: its
        local header, compressed bytes and directory entry copied from the upload. A package
        laid out unusually (zip64, data before the first member) is written member by member
        through zipfile instead: the same members, order, methods and contents."""
        unknown = set(replaced) - set(self.names)
        if unknown:
            raise ValueError(f"no such members: {sorted(unknown)}")
        copied = _raw_copy(self.data, self.infos, replaced)
        if copied is not None:
            return copied
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as out:
            for info in self.infos:
                data = replaced.get(info.filename)
                out.writestr(_copied_info(info), self.read(info.filename) if data is None else data)
        return buffer.getvalue()


def _copied_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    # A fresh entry with the same name, time, method and attributes; sizes, CRC and offsets
    # are the writer's, and extra fields (zip64, timestamps) are not carried over stale.
    copy = zipfile.ZipInfo(info.filename, info.date_time)
    copy.compress_type = info.compress_type
    copy.external_attr = info.external_attr
    copy.internal_attr = info.internal_attr
    copy.create_system = info.create_system
    copy.comment = info.comment
    return copy


# -- copying members as they are -------------------------------------------------------------
_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # the 30 bytes before a member's name
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")  # the 46 bytes of a directory entry
_END = struct.Struct("<4sHHHHIIH")  # the end of central directory record
_DESCRIPTOR = 0x08  # sizes and CRC follow the data
_FULL = 0xFFFFFFFF  # a size or offset that zip64 carries instead


def _raw_copy(
    data: bytes, infos: Sequence[zipfile.ZipInfo], new: Mapping[str, bytes]
) -> bytes | None:
    """The package with the members of `new` replaced and every other copied byte for
    byte; None where the layout is not the plain one this copies (zip64, a prefix)."""
    end_at = data.rfind(b"PK\x05\x06")
    if end_at < 0 or end_at + _END.size > len(data):
        return None
    if data[max(0, end_at - 20) : end_at - 16] == b"PK\x06\x07":  # a zip64 locator
        return None
    end = list(_END.unpack_from(data, end_at))
    count, directory_size, directory_at = end[4], end[5], end[6]
    if count != len(infos) or directory_at + directory_size != end_at:
        return None
    out = bytearray()
    entries: list[bytes] = []
    at = directory_at
    for info in infos:
        if data[at : at + 4] != b"PK\x01\x02":
            return None
        fields = list(_CENTRAL.unpack_from(data, at))
        name_len, extra_len, comment_len, local_at = fields[10], fields[11], fields[12], fields[16]
        entry_end = at + _CENTRAL.size + name_len + extra_len + comment_len
        if _FULL in (fields[8], fields[9], local_at) or local_at != info.header_offset:
            return None
        member = _local_member(data, info, local_at)
        if member is None:
            return None
        fields[16] = len(out)
        if info.filename in new:
            header, crc, packed, size, flags = _packed(new[info.filename], data, local_at, info)
            out += header
            fields[3], fields[7], fields[8], fields[9] = flags, crc, packed, size
        else:
            out += member
        entries.append(_CENTRAL.pack(*fields) + data[at + _CENTRAL.size : entry_end])
        at = entry_end
    end[5], end[6] = sum(len(e) for e in entries), len(out)
    out += b"".join(entries)
    return bytes(out + _END.pack(*end) + data[end_at + _END.size :])


def _local_member(data: bytes, info: zipfile.ZipInfo, at: int) -> bytes | None:
    """The member's local header, data and data descriptor, as they are in the upload."""
    if data[at : at + 4] != b"PK\x03\x04":
        return None
    fields = _LOCAL.unpack_from(data, at)
    flags, name_len, extra_len = fields[2], fields[9], fields[10]
    start = at + _LOCAL.size + name_len + extra_len
    stop = start + info.compress_size
    if flags & _DESCRIPTOR:
        stop += 16 if data[stop : stop + 4] == b"PK\x07\x08" else 12
    return data[at:stop] if stop <= len(data) else None


def _packed(
    body: bytes, data: bytes, at: int, info: zipfile.ZipInfo
) -> tuple[bytes, int, int, int, int]:
    """A new local header and data for a rewritten member: its name, time and method as
    before, no descriptor or extra field. (header + data, crc, packed size, size, flags)"""
    fields = list(_LOCAL.unpack_from(data, at))
    name = data[at + _LOCAL.size : at + _LOCAL.size + fields[9]]
    if info.compress_type == zipfile.ZIP_DEFLATED:
        squeeze = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = squeeze.compress(body) + squeeze.flush()
    else:
        packed = body
    crc = zlib.crc32(body)
    flags = fields[2] & ~_DESCRIPTOR
    fields[2], fields[6], fields[7], fields[8] = flags, crc, len(packed), len(body)
    fields[9], fields[10] = len(name), 0
    return _LOCAL.pack(*fields) + name + packed, crc, len(packed), len(body), flags


def _too_large(what: str, limits: Limits) -> DocumentError:
    return DocumentError(
        f"{what} file unpacks to more than {limits.max_unpacked_bytes} bytes, the limit",
        http_status=413,
    )


def _bomb(info: zipfile.ZipInfo, limits: Limits) -> DocumentError:
    return DocumentError(
        f"member {info.filename} unpacks to more than {limits.max_ratio} times its packed "
        f"size of {info.compress_size} bytes (a zip bomb?)",
        http_status=413,
    )


def open_archive(data: bytes, limits: Limits, what: str) -> Archive:
    """The package of an uploaded file, its directory checked; DocumentError (400 for a
    file that is no sound zip, 413 for one that would unpack past the limits)."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        infos = tuple(package.infolist())
    except _BROKEN as exc:
        raise DocumentError(
            f"not a valid {what} file: not a zip package, or a corrupted or truncated one ({exc})"
        ) from exc
    if len(infos) > limits.max_members:
        raise DocumentError(
            f"{what} file has {len(infos)} members; the limit is {limits.max_members}",
            http_status=413,
        )
    _check_directory(infos, limits, what)
    archive = Archive(package, infos, limits, what, data)
    archive.verify()
    return archive


def _check_directory(infos: Iterable[zipfile.ZipInfo], limits: Limits, what: str) -> None:
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if not _safe_name(name):
            raise DocumentError(f"{what} file has a member named {name!r}, outside the package")
        if name in seen:
            raise DocumentError(f"{what} file has two members named {name}")
        seen.add(name)
        if info.flag_bits & _ENCRYPTED:
            raise DocumentError(f"{what} file: member {name} is encrypted")
        if info.compress_type not in _METHODS:
            raise DocumentError(
                f"{what} file: member {name} uses compression method {info.compress_type}, "
                "which office files do not use"
            )
        total += info.file_size
        if total > limits.max_unpacked_bytes:
            raise _too_large(what, limits)
        if info.file_size > max(RATIO_FLOOR, info.compress_size * limits.max_ratio):
            raise _bomb(info, limits)


@dataclass
class ParsedPackage:
    """A package read into blocks: the XML trees of the parts they came from, and for each
    block what rewrites its paragraph in those trees. Writing rewrites only the paragraphs
    whose block changed, and re-serializes only the parts that hold one. Given the languages,
    it also relabels (`relabels`: a paragraph's runs, a part's default styles) what named the
    source language, and re-serializes the parts where that changed something."""

    archive: Archive
    trees: dict[str, etree._ElementTree] = field(default_factory=dict)
    found: list[Block] = field(default_factory=list)
    writers: list[tuple[str, Callable[[Block], None]]] = field(default_factory=list)
    relabels: list[tuple[str, Callable[[Languages], bool]]] = field(default_factory=list)

    @property
    def blocks(self) -> Sequence[Block]:
        return self.found

    def add(
        self,
        part: str,
        block: Block,
        writer: Callable[[Block], None],
        relabel: Callable[[Languages], bool] | None = None,
    ) -> None:
        self.found.append(block)
        self.writers.append((part, writer))
        if relabel is not None:
            self.relabels.append((part, relabel))

    def write(self, translated: Sequence[Block], language: Languages | None = None) -> bytes:
        if len(translated) != len(self.found):
            raise ValueError(f"{len(translated)} translations for {len(self.found)} blocks")
        changed: set[str] = set()
        for source, block, (part, writer) in zip(self.found, translated, self.writers, strict=True):
            if block != source:
                writer(block)
                changed.add(part)
        if language is not None:  # after the writers: the runs they made are relabelled too
            changed.update(part for part, relabel in self.relabels if relabel(language))
        return self.archive.write({part: serialize_xml(self.trees[part]) for part in changed})


# -- Office Open XML (docx, pptx) ----------------------------------------------------------
CONTENT_TYPES = "[Content_Types].xml"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


def content_types(archive: Archive) -> dict[str, str]:
    """Part name (without its leading slash) or "*.ext" → content type."""
    tree = archive.xml(CONTENT_TYPES)
    found: dict[str, str] = {}
    for item in tree.getroot():
        kind = str(item.get("ContentType", ""))
        if item.tag == f"{_CT}Default":
            found["*." + str(item.get("Extension", "")).lower()] = kind
        elif item.tag == f"{_CT}Override":
            found[str(item.get("PartName", "")).lstrip("/")] = kind
    return found


def content_type(types: Mapping[str, str], part: str) -> str:
    if part in types:
        return types[part]
    return types.get("*." + posixpath.splitext(part)[1].lstrip(".").lower(), "")


def main_part(archive: Archive, expected: str, what: str) -> str:
    """The package's main part (the officeDocument relationship), of content type
    `expected`; DocumentError otherwise."""
    types = content_types(archive)
    main = next(
        (path for kind, path in relationships(archive, "").values() if kind == "officeDocument"),
        None,
    )
    if main is None or not archive.has(main):
        raise DocumentError(f"not a valid {what} file: it names no main document part")
    found = content_type(types, main)
    if found != expected:
        raise DocumentError(f"not a {what} file: its main part {main} is {found or 'untyped'}")
    return main


def check_ooxml(archive: Archive) -> None:
    """Macros and external references refused (DocumentError 400 naming the part)."""
    for name in archive.names:
        if posixpath.basename(name).lower() in {"vbaproject.bin", "vbadata.xml"}:
            raise DocumentError(f"{archive.what} file {MACRO_MESSAGE} ({name})")
    for part, kind in content_types(archive).items():
        if "macroenabled" in kind.lower() or "vbaproject" in kind.lower():
            raise DocumentError(f"{archive.what} file {MACRO_MESSAGE} ({part}: {kind})")
    for name in archive.names:
        if name.endswith(".rels"):
            _check_relationships(archive, name)


def _check_relationships(archive: Archive, name: str) -> None:
    for rel in archive.xml(name).getroot():
        if rel.get("TargetMode") != "External":
            continue
        kind = str(rel.get("Type", ""))
        if kind == _HYPERLINK:
            continue
        if kind.endswith("/vbaProject"):
            raise DocumentError(f"{archive.what} file {MACRO_MESSAGE} ({name})")
        raise DocumentError(
            f"{archive.what} file refers to an external {kind.rsplit('/', 1)[-1]} "
            f"({rel.get('Target')!r} in {name}); external references are not followed"
        )


def relationships(archive: Archive, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id → (type's last word, target part path) for the ones
    inside the package."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    if not archive.has(rels):
        return {}
    found: dict[str, tuple[str, str]] = {}
    for rel in archive.xml(rels).getroot():
        if rel.tag != f"{_REL}Relationship" or rel.get("TargetMode") == "External":
            continue
        target = str(rel.get("Target", ""))
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        kind = str(rel.get("Type", "")).rsplit("/", 1)[-1]
        found[str(rel.get("Id", ""))] = (kind, path)
    return found


# -- OpenDocument (odt, odp) ---------------------------------------------------------------
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_SCRIPT_NS = "urn:oasis:names:tc:opendocument:xmlns:script:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
# Elements whose xlink:href is a link for the reader to follow, not content we would load.
_LINK_ELEMENTS = {
    "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}a",
    "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}a",
    "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}event-listener",
}


def check_odf(archive: Archive, mimetype: str) -> None:
    """The package's mimetype member says `mimetype`; no Basic or script macros."""
    found = archive.read("mimetype").decode("ascii", "replace").strip()
    if found != mimetype:
        raise DocumentError(f"not a valid {archive.what} file: its mimetype is {found!r}")
    for name in archive.names:
        top = name.split("/", 1)[0]
        if top in {"Basic", "Scripts"} and not name.endswith("/"):
            raise DocumentError(f"{archive.what} file {MACRO_MESSAGE} ({name})")


def check_odf_tree(tree: etree._ElementTree, part: str, what: str) -> None:
    """No macro event bindings, and nothing loaded from outside the package (an image, an
    object, a linked section); hyperlinks are kept."""
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag.startswith("{" + _SCRIPT_NS + "}") or element.tag == (
            "{" + _OFFICE_NS + "}scripts"
        ):
            if element.tag.endswith("}scripts") and not len(element):
                continue  # an empty office:scripts, as LibreOffice writes it
            raise DocumentError(f"{what} file {MACRO_MESSAGE} ({part}: script bindings)")
        href = element.get(_XLINK_HREF)
        if href is None or element.tag in _LINK_ELEMENTS:
            continue
        if ":" in href.split("/", 1)[0] or href.startswith(("/", "../")):
            local = etree.QName(element).localname
            raise DocumentError(
                f"{what} file refers to an external {local} ({href!r} in {part}); "
                "external references are not followed"
            )
