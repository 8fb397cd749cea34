"""Reading user text: strict UTF-8 with the byte offset of the first bad byte in the message."""

from __future__ import annotations

import sys
from pathlib import Path

from glossary.errors import InputError


def decode_utf8(data: bytes, source: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start}"
        ) from exc
    # A byte-order mark is an encoding artefact, not text to translate.
    return text.removeprefix("\ufeff")


def read_text(path: str) -> str:
    """Reads FILE, or standard input for '-'."""
    if path == "-":
        return decode_utf8(sys.stdin.buffer.read(), "<stdin>")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
    return decode_utf8(data, path)
