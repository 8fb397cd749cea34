"""CSRF protection for the HTML forms: one random token per session, kept in Flask's signed
session cookie, sent back in every form and compared on every POST to a protected blueprint.
The JSON APIs are not covered: they take no cookies' word for anything."""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from flask import Blueprint, Flask, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

FIELD = "csrf_token"
SESSION_KEY = "csrf"
log = logging.getLogger("glossary.web")


def token() -> str:
    """The session's token, created on first use."""
    value = session.get(SESSION_KEY)
    if not isinstance(value, str):
        value = secrets.token_urlsafe(32)
        session[SESSION_KEY] = value
    return value


def _check() -> ResponseReturnValue | None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    expected = session.get(SESSION_KEY)
    sent = request.form.get(FIELD, "")
    if isinstance(expected, str) and hmac.compare_digest(expected, sent):
        return None
    message = _(
        "The form has expired or did not come from this site. Reload the page and send it again."
    )
    return render_template("error.html", message=message), 400


def protect(bp: Blueprint) -> None:
    bp.before_request(_check)


def init_app(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        settings = app.extensions["glossary.settings"]
        app.config["SECRET_KEY"] = settings.secret_key or kept_secret(settings.state_dir)
    app.jinja_env.globals["csrf_token"] = token
    app.jinja_env.globals["csrf_field"] = FIELD


def kept_secret(state_dir: Path) -> str:
    """The session key kept in `state_dir/secret_key`, made on first use: sessions (a form's
    token, the language, typed text) then survive restarts and are shared by every process
    serving from the same state folder."""
    path = state_dir / "secret_key"
    try:
        return _read_secret(path) or _write_secret(path)
    except (OSError, ValueError) as exc:
        log.warning(
            "cannot keep the session key in %s (%s): using a random key for this "
            "process; forms and language choices do not survive a restart",
            path,
            exc,
        )
        return secrets.token_hex(32)


def _read_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def _write_secret(path: Path) -> str:
    """Written to a private temporary file, then linked into place: a reader never sees half
    a key, and when two processes start at once the first link wins and both use its key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: its key
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    key = _read_secret(path)
    if not key:
        raise OSError(f"{path} is empty")
    return key
