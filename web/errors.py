"""Errors as JSON, each API in its own shape, mapped once for the whole app.

- DeepL paths (/v2/, /v3/): `{"message": ..., "detail"?: ...}`; a missing model is a 400 there,
  not a 503, because DeepL's client retries every 5xx for ~16 s and this one will not go away.
- Everything else (LibreTranslate, the own API, unknown paths): `{"error": ..., "detail"?: ...}`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import urllib.parse
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from glossary.errors import Busy, GlossaryError, GlossaryFileError, ModelNotInstalledError

log = logging.getLogger("glossary.web")


class ApiError(Exception):
    """An error a view raises on purpose: status, message and an optional detail."""

    def __init__(self, message: str, status: int = 400, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.detail = detail


def is_deepl_path(path: str) -> bool:
    return path.startswith(("/v2/", "/v3/"))


def error_response(message: str, status: int, detail: str | None = None) -> Response:
    if is_deepl_path(request.path):
        body: dict[str, object] = {"message": message}
    else:
        body = {"error": message}
    if detail:
        body["detail"] = detail
    response = jsonify(body)
    response.status_code = status
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = exc.description or exc.name
    if isinstance(exc, RequestEntityTooLarge):
        limit = request.max_content_length
        message = f"the request body is larger than the limit of {limit} bytes"
    response = error_response(message, status)
    for name, value in exc.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


# A library error's status is its class's `http_status`, declared once with the class
# (glossary/errors.py; only imports.ImportRefusedError, which carries its preview, lives beside
# its cause). This table is the one place where a path's API answers otherwise: (status,
# message), the error's own text becoming the detail. On DeepL paths a missing model is a 400,
# not a 503 (see the module docstring).
_DEEPL_ANSWERS: dict[type[GlossaryError], tuple[int, str]] = {
    ModelNotInstalledError: (400, "Language pair not supported."),
}


def _answer(exc: GlossaryError) -> tuple[str, int, str | None]:
    """(message, status, detail) for a library error on the current path."""
    if is_deepl_path(request.path):
        for cls in type(exc).__mro__:
            if cls in _DEEPL_ANSWERS:
                status, message = _DEEPL_ANSWERS[cls]
                return message, status, str(exc)
    detail = None
    if isinstance(exc, GlossaryFileError) and exc.line is not None:
        detail = f"line {exc.line}" + (f", column {exc.column}" if exc.column else "")
    return str(exc), exc.http_status, detail


def _library_error(exc: GlossaryError) -> Response:
    response = error_response(*_answer(exc))
    if isinstance(exc, Busy):  # 429 like any status; the header says when to come back
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _api_error(exc: ApiError) -> Response:
    return error_response(exc.message, exc.status, exc.detail)


def _bad_encoding(exc: UnicodeDecodeError) -> Response:
    return error_response(f"the request is not valid UTF-8: {exc.reason}", 400)


def _unexpected(exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response("internal error; see the server log", 500)


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(GlossaryError, _library_error)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(UnicodeDecodeError, _bad_encoding)
    app.register_error_handler(Exception, _unexpected)


# --- request bodies ---------------------------------------------------------------------


def _strict_pairs(raw: bytes) -> list[tuple[str, str]]:
    """urlencoded pairs, refusing invalid UTF-8 (Werkzeug would drop or mangle it)."""
    text = raw.decode("utf-8")  # raises UnicodeDecodeError → 400
    return urllib.parse.parse_qsl(text, keep_blank_values=True, errors="strict")


def _collect(pairs: list[tuple[str, str]], into: dict[str, Any]) -> None:
    seen: dict[str, list[str]] = {}
    for key, value in pairs:
        seen.setdefault(key, []).append(value)
    for key, values in seen.items():
        into[key] = values[0] if len(values) == 1 else values


def _lone_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds a string with an unpaired surrogate ("\\ud800"):
    JSON allows the escape, but such a string cannot be written as UTF-8 anywhere."""
    stack = [value]
    while stack:  # no recursion: the body may nest as deep as the decoder allowed
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack += [*item, *item.values()]
        elif isinstance(item, list):
            stack += item
    return False


def request_params() -> dict[str, Any]:
    """Query string and body together (the body wins): a JSON object, an urlencoded form or
    a multipart form. A key repeated in a form gives a list. A JSON body that is not an
    object, invalid JSON and invalid UTF-8 are 400s."""
    params: dict[str, Any] = {}
    _collect(_strict_pairs(request.query_string), params)
    if request.is_json:
        data = request.get_data(cache=True)
        if data.strip():
            try:
                body = json.loads(data)
            except ValueError as exc:
                raise ApiError(f"the body is not valid JSON: {exc}") from None
            except RecursionError:  # e.g. 100,000 levels of "[": the decoder gives up
                raise ApiError("the JSON body is nested too deeply") from None
            if not isinstance(body, dict):
                raise ApiError("the JSON body must be an object")
            if _lone_surrogate(body):
                raise ApiError(
                    "the JSON body is not valid Unicode: it has a lone surrogate "
                    "(an unpaired \\ud800-\\udfff escape)"
                )
            params.update(body)
    elif request.mimetype == "application/x-www-form-urlencoded":
        _collect(_strict_pairs(request.get_data(cache=True)), params)
    elif request.mimetype == "multipart/form-data":
        _collect(list(request.form.items(multi=True)), params)
    elif request.method != "GET" and request.get_data(cache=True).strip():
        raise ApiError(f"unsupported content type {request.mimetype!r}; send JSON or a form", 415)
    else:
        # A GET with a form body (libretranslatepy does this) and no Content-Type.
        with contextlib.suppress(UnicodeDecodeError, ValueError):
            _collect(_strict_pairs(request.get_data(cache=True)), params)
    return params
