"""The formats we read and write, and which one a file is: by its extension, checked against
the content type it was sent with."""

from __future__ import annotations

from pathlib import PurePath

from glossary.documents.model import DocumentFormat
from glossary.errors import DocumentError


def formats() -> tuple[DocumentFormat, ...]:
    """Every format, in the order the APIs list them. Each module adds its own line here;
    imported here, not at the top, so that a format module may use this one."""
    from glossary.documents.docx import DOCX
    from glossary.documents.html import HTML
    from glossary.documents.markdown import MARKDOWN
    from glossary.documents.odt import ODP, ODT
    from glossary.documents.pptx import PPTX
    from glossary.documents.subtitles import SRT, VTT
    from glossary.documents.text import TEXT

    found: list[DocumentFormat] = [TEXT, MARKDOWN, HTML, SRT, VTT]
    found.append(DOCX)
    found.append(PPTX)
    found.extend((ODT, ODP))
    return tuple(found)


def format_for(filename: str, content_type: str | None = None) -> DocumentFormat:
    """The format of a file named `filename`; DocumentError (415) for an extension we do not
    read, or a content type that does not match it (a generic application/octet-stream is
    accepted: browsers and clients send it for any file)."""
    suffix = PurePath(filename).suffix.lower()
    for fmt in formats():
        if suffix in fmt.extensions:
            if content_type and not _fits(content_type, fmt):
                raise DocumentError(
                    f"{filename}: sent as {content_type}, which is not a {fmt.name} file",
                    http_status=415,
                )
            return fmt
    known = ", ".join(ext for fmt in formats() for ext in fmt.extensions)
    raise DocumentError(
        f"{filename}: documents of type {suffix or '(no extension)'} are not supported; "
        f"supported: {known}",
        http_status=415,
    )


_GENERIC = {"application/octet-stream", "binary/octet-stream", "application/zip"}


def _fits(content_type: str, fmt: DocumentFormat) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _GENERIC or media in fmt.media_types
