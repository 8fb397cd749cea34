"""The human-facing pages (a status page until the translate page lands)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue

from glossary.engines import EngineRegistry

bp = Blueprint("pages", __name__)


def engines() -> EngineRegistry:
    registry: EngineRegistry = current_app.extensions["glossary.engines"]
    return registry


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("index.html", pairs=engines().pairs())


@bp.get("/health")
def health() -> ResponseReturnValue:
    return jsonify(status="ok")
