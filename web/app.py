"""The application factory: configuration in, app out; no work at import time."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from glossary.config import Settings
from glossary.engines import EngineRegistry
from glossary.errors import GlossaryError


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
    app.extensions["glossary.settings"] = settings
    app.extensions["glossary.engines"] = registry or EngineRegistry(settings)

    from web import pages

    app.register_blueprint(pages.bp)
    _register_errors(app)
    return app


def _register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        return jsonify(error=exc.description or exc.name), exc.code or 500

    @app.errorhandler(GlossaryError)
    def library_error(exc: GlossaryError) -> Any:
        return jsonify(error=str(exc)), exc.http_status
