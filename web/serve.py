"""Serving the app with waitress, a production WSGI server that runs on any platform."""

from __future__ import annotations

import logging

import waitress

from glossary.config import Settings
from web.app import create_app


def serve(settings: Settings, host: str, port: int, threads: int = 4) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app(settings)
    logging.getLogger("glossary").info("serving on http://%s:%d/", host, port)
    waitress.serve(app, host=host, port=port, threads=threads, ident="glossary")
