"""Serving the app with waitress, a production WSGI server that runs on any platform."""

from __future__ import annotations

import logging

import waitress
from flask import Flask
from waitress.adjustments import Adjustments

from glossary.config import Settings
from web.access import upload_limit
from web.app import create_app
from web.services import service


def body_limits(app: Flask) -> dict[str, int]:
    """Waitress settings that hold request bodies to the app's MAX_CONTENT_LENGTH while they
    stream in. By default waitress accepts 1 GB and spools everything over 512 KB to a
    temporary file before the app can say 413; chunked bodies have no Content-Length to refuse
    them by, so only waitress can stop them early. Document uploads may be larger (the
    document size limit, web.access.upload_limit); Flask holds every other route to
    MAX_CONTENT_LENGTH."""
    with app.app_context():
        documents = upload_limit(service().documents.limits.max_bytes)
    limit = max(int(app.config["MAX_CONTENT_LENGTH"]), documents)
    # Waitress refuses a body when its size (chunk framing included) reaches the maximum, so
    # one more byte lets a body of exactly the limit through, as Flask does.
    maximum = limit + 1
    return {
        "max_request_body_size": maximum,
        # Bodies stay in memory: the buffer only goes to a temporary file at this size, and a
        # refused body has grown by at most one read past the maximum.
        "inbuf_overflow": maximum + Adjustments.recv_bytes,
    }


def serve(settings: Settings, host: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app(settings)
    with app.app_context():
        service().jobs.start()  # jobs left from before the restart go on
        service().documents.start()  # document jobs too
    logging.getLogger("glossary").info("serving on http://%s:%d/", host, port)
    # A translating request mostly waits for the scheduler, so every request it admits gets a
    # thread, and a few more stay free for /health and the pages. The lookahead lets waitress
    # notice a client that hung up (environ["waitress.client_disconnected"]).
    waitress.serve(
        app,
        host=host,
        port=port,
        threads=settings.max_requests + 8,
        channel_request_lookahead=1,
        ident="glossary",
        **body_limits(app),
    )
