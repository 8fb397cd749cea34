"""Import files kept between the preview and the confirmation on the terms page.

The page shows a preview of an upload before anything is written; confirming must apply the
file that was previewed without the browser sending it again (a hidden form field would run
into the form-field size limit, and would let the confirmation carry other content than the
preview showed). So the upload is kept on the server, in `<state_dir>/imports/`, under a
random token (256 bits; the file name is the token, checked to be one before any path is
made from it), readable by the server's user only, written atomically.

A kept upload belongs to one glossary and one browser session (the digest of the session's
CSRF token is kept with it): a token is useless to anyone else, and a token for another
glossary is refused. Uploads are deleted once imported, and any older than an hour (or beyond
the 100 newest) whenever a new one is kept.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from glossary.errors import InputError, UploadGoneError
from glossary.state import write_private_json

MAX_AGE_SECONDS = 3600
MAX_KEPT = 100
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class Upload:
    token: str
    glossary: str
    filename: str
    fmt: str
    data: bytes


def _folder(state_dir: Path) -> Path:
    return Path(state_dir) / "imports"


def _path(state_dir: Path, token: str) -> Path:
    if not _TOKEN.fullmatch(token or ""):
        raise UploadGoneError("this import is not known (any more); upload the file again")
    return _folder(state_dir) / f"{token}.json"


def _digest(session_secret: str) -> str:
    return hashlib.sha256(session_secret.encode("utf-8")).hexdigest()


def _sweep(folder: Path) -> None:
    """Delete uploads older than MAX_AGE_SECONDS, and all but the MAX_KEPT newest."""
    with contextlib.suppress(OSError):
        found = sorted(((p.stat().st_mtime, p) for p in folder.glob("*.json")), reverse=True)
        cutoff = time.time() - MAX_AGE_SECONDS
        for number, (mtime, path) in enumerate(found):
            if mtime < cutoff or number >= MAX_KEPT:
                path.unlink(missing_ok=True)


def keep(state_dir: Path, upload: Upload, session_secret: str) -> str:
    """Keep an upload for the session with this secret; returns its token."""
    folder = _folder(state_dir)
    _sweep(folder)
    token = secrets.token_urlsafe(32)
    write_private_json(
        _path(state_dir, token),
        {
            "glossary": upload.glossary,
            "filename": upload.filename,
            "format": upload.fmt,
            "session": _digest(session_secret),
            "data": base64.b64encode(upload.data).decode(),
        },
    )
    return token


def load(state_dir: Path, token: str, glossary: str, session_secret: str) -> Upload:
    """The upload kept under `token` for this glossary and session (UploadGoneError
    otherwise)."""
    path = _path(state_dir, token)
    try:
        if time.time() - path.stat().st_mtime > MAX_AGE_SECONDS:
            raise FileNotFoundError(path)
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UploadGoneError(
            "this import has expired or was done already; upload the file again"
        ) from None
    mine = hmac.compare_digest(str(record.get("session", "")), _digest(session_secret))
    if not mine or record.get("glossary") != glossary:
        raise UploadGoneError("this import is not known (any more); upload the file again")
    return Upload(
        token,
        glossary,
        str(record["filename"]),
        str(record["format"]),
        base64.b64decode(record["data"]),
    )


def drop(state_dir: Path, token: str) -> None:
    with contextlib.suppress(OSError, InputError):
        _path(state_dir, token).unlink(missing_ok=True)
