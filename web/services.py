"""The one TranslationService the views use, taken from the app (built there on first use
if the app factory did not build it)."""

from __future__ import annotations

import threading

from flask import current_app

from glossary.service import TranslationService

KEY = "glossary.service"
_lock = threading.Lock()


def service() -> TranslationService:
    extensions = current_app.extensions
    found: TranslationService | None = extensions.get(KEY)
    if found is not None:
        return found
    with _lock:
        if KEY not in extensions:
            extensions[KEY] = TranslationService(
                extensions["glossary.settings"], engines=extensions.get("glossary.engines")
            )
        built: TranslationService = extensions[KEY]
        return built
