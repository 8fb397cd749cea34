"""The interface language (English or German) with Flask-Babel: chosen by ?lang=, then the
`lang` cookie the switcher sets, then Accept-Language. Language names come from CLDR."""

from __future__ import annotations

from pathlib import Path

from babel import Locale
from flask import Flask, Response, request
from flask_babel import Babel, get_locale

LANGUAGES = ("en", "de")
COOKIE = "lang"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
UI_BLUEPRINTS = ("pages", "terms")


def select_locale() -> str:
    for candidate in (request.args.get(COOKIE), request.cookies.get(COOKIE)):
        if candidate in LANGUAGES:
            return str(candidate)
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def current() -> str:
    locale = get_locale()
    return str(locale.language) if locale is not None else LANGUAGES[0]


def language_name(code: str, display: str | None = None) -> str:
    """`code`'s name in the language `display` (default: the interface language)."""
    try:
        names = Locale.parse(display or current()).languages
    except (ValueError, TypeError):
        return code
    return str(names.get(code, code))


def _remember(response: Response) -> Response:
    chosen = request.args.get(COOKIE)
    if chosen in LANGUAGES and request.blueprint in UI_BLUEPRINTS:
        response.set_cookie(COOKIE, str(chosen), max_age=365 * 24 * 3600, samesite="Lax")
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    app.after_request(_remember)
    app.jinja_env.globals.update(
        language_name=language_name, ui_languages=LANGUAGES, ui_language=current
    )
