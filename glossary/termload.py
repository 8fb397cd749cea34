"""Loading a glossary file: its bytes read within the size cap, then validated by the fast
reader (glossary/termread.py) or, for any other layout and every invalid file, by the precise
one (glossary/termyaml.py, glossary/termcheck.py), whose errors say where."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from glossary.errors import GlossaryFileError, NotFoundError
from glossary.term import Glossary
from glossary.termcheck import build_glossary
from glossary.termread import fast_glossary
from glossary.termrules import DEFAULT_MAX_BYTES
from glossary.termyaml import decode, load_document


def revision_of(data: bytes) -> str:
    """The revision an edit must name: the SHA-256 of the file's bytes, as hex."""
    return hashlib.sha256(data).hexdigest()


def parse_glossary(data: bytes, path: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Glossary:
    """Validate and build a glossary from a file's bytes; `path` is used in messages.

    A valid file in the usual layout is read by the fast reader (glossary/termread.py); any
    other file, and every invalid one, by ruamel.yaml, whose errors say where."""
    glossary = fast_glossary(decode(data, path, max_bytes), path)
    if glossary is None:
        glossary = build_glossary(load_document(data, path, max_bytes).root, path)
    return replace(glossary, revision=revision_of(data))


def read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # one byte more tells "too big" apart
    except FileNotFoundError:
        raise NotFoundError(f"{path}: no such glossary file") from None
    except OSError as exc:
        raise GlossaryFileError(f"cannot read: {exc.strerror}", path=str(path)) from None
    if len(data) > max_bytes:
        raise GlossaryFileError(
            f"file is larger than the limit of {max_bytes} bytes", path=str(path)
        )
    return data


def load_glossary(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Glossary:
    """Read and validate one glossary file (Glossary.path = str(path), revision = SHA-256)."""
    return parse_glossary(read_bytes(Path(path), max_bytes), str(path), max_bytes=max_bytes)
