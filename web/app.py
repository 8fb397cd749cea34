"""The application factory: configuration in, app out; no work at import time."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from glossary.config import Settings
from glossary.engines import EngineRegistry
from glossary.service import TranslationService
from web import headers


def create_app(
    settings: Settings | None = None,
    registry: EngineRegistry | None = None,
    test_config: dict[str, Any] | None = None,
) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=settings.max_chars * 4 + 64 * 1024,
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.from_mapping(test_config)
    engines = registry or EngineRegistry(settings)
    app.extensions["glossary.settings"] = settings
    app.extensions["glossary.engines"] = engines
    app.extensions["glossary.service"] = TranslationService(settings, engines)

    from web import (
        access,
        account,
        api,
        deepl,
        deepl_v3,
        errors,
        jobs,
        libretranslate,
        openapi,
        pages,
        scheduling,
    )

    for blueprint in (pages.bp, libretranslate.bp, deepl.bp, deepl_v3.bp, api.bp, openapi.bp,
                      account.bp, jobs.bp):
        app.register_blueprint(blueprint)
    errors.register(app)
    headers.init_app(app)
    access.init_app(app)
    scheduling.init_app(app)  # after access: refused callers never take a place
    return app


def service() -> TranslationService:
    """The app's one TranslationService (inside a request or app context)."""
    translation_service: TranslationService = current_app.extensions["glossary.service"]
    return translation_service
