"""The application factory: configuration in, app out; no work at import time.

Every piece of the app is wired here and nowhere else. The blueprints reach the service
through web.services, never through this module, so importing them here makes no cycle."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask

from glossary.config import Settings
from glossary.engines import EngineRegistry
from glossary.service import TranslationService
from web import (
    access,
    account,
    api,
    csrf,
    deepl,
    deepl_v3,
    documents_pages,
    errors,
    headers,
    i18n,
    jobs,
    libretranslate,
    openapi,
    pages,
    scheduling,
    services,
    terms_pages,
)

# The order they always had (the terms pages used to come in with the translate page).
BLUEPRINTS: tuple[Blueprint, ...] = (
    pages.bp,
    terms_pages.bp,
    libretranslate.bp,
    deepl.bp,
    deepl_v3.bp,
    api.bp,
    openapi.bp,
    account.bp,
    jobs.bp,
    documents_pages.bp,
)


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
    app.extensions[services.KEY] = TranslationService(settings, engines)
    app.extensions[deepl.USAGE_KEY] = deepl.Usage()
    _wire(app)
    return app


def _wire(app: Flask) -> None:
    csrf.init_app(app)  # after test_config: a given SECRET_KEY wins over the kept one
    i18n.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    errors.register(app)
    headers.init_app(app)
    access.init_app(app)
    scheduling.init_app(app)  # after access: refused callers never take a place
