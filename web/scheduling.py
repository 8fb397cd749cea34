"""Each translating request holds one scheduler ticket from its start to its end: its deadline
counts from arrival, and a client that hangs up (waitress tells through
`waitress.client_disconnected`) stops its work within one batch. Beyond the scheduler's limit
of requests in flight the request is refused at once with 429 and Retry-After."""

from __future__ import annotations

import contextlib

from flask import Flask, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from glossary.errors import Busy
from glossary.scheduler import set_client_probe
from web.services import service

# The routes that translate (and so queue for the model); everything else never waits for it.
TRANSLATING = frozenset(
    {
        "pages.translate",
        "libretranslate.translate",
        "deepl.translate",
        "api.translate",
    }
)


def _admit() -> ResponseReturnValue | None:
    if request.endpoint not in TRANSLATING:
        return None
    set_client_probe(request.environ.get("waitress.client_disconnected"))
    stack = contextlib.ExitStack()
    try:
        stack.enter_context(service().scheduler.admit())
    except Busy as exc:
        if request.blueprint != "pages":
            raise  # each API's own 429 shape, through the error handlers
        page = render_template(
            "error.html",
            message=_(
                "The server is busy; try again in %(seconds)d seconds.", seconds=exc.retry_after
            ),
        )
        return page, 429, {"Retry-After": str(exc.retry_after)}
    g.scheduler_ticket = stack
    return None


def _release(_exc: BaseException | None) -> None:
    stack: contextlib.ExitStack | None = g.pop("scheduler_ticket", None)
    if stack is not None:
        stack.close()
    set_client_probe(None)


def init_app(app: Flask) -> None:
    app.before_request(_admit)
    app.teardown_request(_release)
