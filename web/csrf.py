"""CSRF protection for the HTML forms: one random token per session, kept in Flask's signed
session cookie, sent back in every form and compared on every POST to a protected blueprint.
The JSON APIs are not covered: they take no cookies' word for anything."""

from __future__ import annotations

import hmac
import logging
import secrets

from flask import Blueprint, Flask, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

FIELD = "csrf_token"
_SESSION_KEY = "csrf"
log = logging.getLogger("glossary.web")


def token() -> str:
    """The session's token, created on first use."""
    value = session.get(_SESSION_KEY)
    if not isinstance(value, str):
        value = secrets.token_urlsafe(32)
        session[_SESSION_KEY] = value
    return value


def _check() -> ResponseReturnValue | None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    expected = session.get(_SESSION_KEY)
    sent = request.form.get(FIELD, "")
    if isinstance(expected, str) and hmac.compare_digest(expected, sent):
        return None
    message = _("The form has expired or did not come from this site. Reload the page and "
                "send it again.")
    return render_template("error.html", message=message), 400


def protect(bp: Blueprint) -> None:
    bp.before_request(_check)


def init_app(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        key = app.extensions["glossary.settings"].secret_key
        if not key:
            key = secrets.token_hex(32)
            log.warning(
                "GLOSSARY_SECRET_KEY is not set: using a random key for this process; "
                "forms and language choices do not survive a restart or span processes"
            )
        app.config["SECRET_KEY"] = key
    app.jinja_env.globals["csrf_token"] = token
    app.jinja_env.globals["csrf_field"] = FIELD
