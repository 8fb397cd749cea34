"""The one TranslationService the views use: the one `web.app.create_app` built for the app.

It lives here, not in web.app, so that the blueprints can reach it without importing the
factory that imports them."""

from __future__ import annotations

from flask import current_app

from glossary.service import TranslationService

KEY = "glossary.service"


def service() -> TranslationService:
    """The app's TranslationService (inside a request or app context)."""
    found: TranslationService | None = current_app.extensions.get(KEY)
    if found is None:
        # Building one here would hide a wrongly made app behind a second, differently
        # configured service; only the factory knows the settings and engines to use.
        raise RuntimeError(
            f"app.extensions[{KEY!r}] is not set: build the app with web.app.create_app"
        )
    return found
