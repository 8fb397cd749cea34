"""Signing in and out of the page, and the account page, where an admin marks the default
glossaries (those used when a request names none). Accounts themselves are managed with
`glossary users` and `glossary keys` on the server."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from glossary.owners import api_made
from web import csrf
from web.access import accounts, principal
from web.services import service

bp = Blueprint("account", __name__)
csrf.protect(bp)


def _next_page(value: str | None) -> str:
    """Only a path on this site: never `//other.example` or `https://other.example`, nor what
    browsers turn into one (they drop tabs and line breaks, and read `\\` as `/`)."""
    if not value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "/"
    cleaned = value.replace("\\", "/")
    parts = urlsplit(cleaned)
    if not cleaned.startswith("/") or cleaned.startswith("//") or parts.scheme or parts.netloc:
        return "/"
    return value


@bp.get("/login")
def login() -> ResponseReturnValue:
    return render_template("login.html", next=_next_page(request.args.get("next")), error=None)


@bp.post("/login")
def sign_in() -> ResponseReturnValue:
    name = request.form.get("name", "").strip()
    target = _next_page(request.form.get("next"))
    user = accounts().sign_in(name, request.form.get("password", ""))
    if user is None:
        error = _("Unknown name or wrong password.")
        return render_template("login.html", next=target, error=error, name=name), 401
    language = session.get("lang")
    session.clear()  # a fresh session (and CSRF token) for the signed-in user
    session["user"] = user.name
    session["stamp"] = accounts().stamp(user.name)
    if language:
        session["lang"] = language
    return redirect(target, 303)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    session.pop("user", None)
    session.pop("stamp", None)
    session.pop(csrf.SESSION_KEY, None)
    return redirect("/", 303)


@bp.get("/account")
def overview() -> ResponseReturnValue:
    store = service().store
    candidates = [(Path(g.path or g.name).stem, g.name) for g in store.list()]
    names = [name for name, _title in candidates]
    return render_template(
        "account.html",
        who=principal(),
        open=accounts().open(),
        candidates=[c for c in candidates if not api_made(c[0])],
        chosen=set(service().defaults.chosen(names)),
        users=accounts().users(),
        keys=accounts().api_keys(),
    )


@bp.post("/account/defaults")
def defaults() -> ResponseReturnValue:
    service().defaults.mark(request.form.getlist("default"))
    return redirect("/account", 303)
