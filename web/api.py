"""The own JSON API, for the page's scripts and for people's scripts.

- POST /api/translate: {text, source, target, glossaries?, mode?} → the full result and report.
  `glossaries` omitted or null: the pair's default glossaries; a list: exactly those ([]: none).
- GET /api/languages: the pairs the installed models serve.
- GET/POST /api/glossaries, GET /api/glossaries/<name>: list, create, read (with terms).
- POST /api/glossaries/<name>/terms, PUT/DELETE /api/glossaries/<name>/terms/<source>: edit.
- POST /api/glossaries/<name>/import: {format, content, on_duplicate?, dry_run?} → the
  preview (glossary/imports.py), applied in one write unless dry_run (then no If-Match needed).
  The glossary's revision is its ETag; every edit must send it back as If-Match (428 without,
  412 when the file changed since). Errors: {"error": ..., "detail"?: ...}. With API keys
  configured, edits need `Authorization: Bearer <key>` (or X-API-Key).
"""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from glossary import imports
from glossary.enforce import DEFAULT_MODE, MODES, Mode
from glossary.errors import ConflictError
from glossary.jobs import JobRequest
from glossary.term import MATCH_MODES, STATUSES, Glossary, Term
from glossary.termedit import add_term, remove_term, update_term
from glossary.termwrite import create_glossary
from glossary.termyaml import dump_term
from web.access import check_names, visible
from web.detect import language_name
from web.errors import ApiError, request_params
from web.services import service

bp = Blueprint("api", __name__, url_prefix="/api")
_OPTIONAL_TEXT = ("target_plural", "source_plural", "note", "pos", "gender")


def _body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError("send a JSON object with Content-Type: application/json", 415)
    return request_params()


def _string(body: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ApiError(f"{key!r} must be a non-empty string")
    return value


def translation_request(body: dict[str, Any]) -> JobRequest:
    """`text`, `source`, `target`, optional `glossaries` and `mode` of a translation, checked
    (the same for /api/translate and /api/jobs)."""
    text = _string(body, "text")
    source, target = _string(body, "source"), _string(body, "target")
    names = body.get("glossaries")
    if names is not None and not (
        isinstance(names, list) and all(isinstance(n, str) for n in names)
    ):
        raise ApiError("'glossaries' must be a list of glossary names")
    mode = body.get("mode", DEFAULT_MODE)
    if mode not in MODES:
        raise ApiError(f"'mode' must be one of {', '.join(MODES)}")
    assert text is not None and source is not None and target is not None
    codes = {code for pair in service().engines.pairs() for code in pair}
    for code in (source, target):
        if code not in codes and language_name(code) is None:
            raise ApiError(f"{code!r} is not a language code (such as 'de' or 'en')")
    check_names(names)
    return JobRequest(text, source, target, names, cast(Mode, mode))  # [] is none, as named


@bp.post("/translate")
def translate() -> ResponseReturnValue:
    asked = translation_request(_body())
    text, source, target, names, mode = (
        asked.text,
        asked.source,
        asked.target,
        asked.glossaries,
        asked.mode,
    )
    chosen = service().glossaries_for(source, target, names)
    result = service().translate_with(text, source, target, chosen, mode)
    used = [g.name for g in chosen]
    warnings = service().store.warnings_for(chosen)  # e.g. the last valid version is in use
    return jsonify(
        source=source,
        target=target,
        mode=mode,
        glossaries=used,
        warnings=warnings,
        **result.to_dict(),
    )


@bp.get("/languages")
def languages() -> ResponseReturnValue:
    pairs = service().engines.pairs()
    return jsonify(pairs=[{"source": a, "target": b} for a, b in pairs])


# --- glossaries and terms -------------------------------------------------------------------


def _summary(name: str, glossary: Glossary) -> dict[str, object]:
    return {
        "name": name,
        "title": glossary.name,
        "source_language": glossary.source_language,
        "target_language": glossary.target_language,
        "term_count": len(glossary.terms),
        "revision": glossary.revision,
    }


def _with_etag(body: dict[str, object], glossary: Glossary, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["ETag"] = f'"{glossary.revision}"'
    return response


def _full(name: str, glossary: Glossary, status: int = 200) -> Response:
    body = _summary(name, glossary) | {"terms": [dump_term(t) for t in glossary.terms]}
    return _with_etag(body, glossary, status)


def _if_match() -> str:
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise ApiError("send the glossary's revision (its ETag) in an If-Match header", 428)
    if header.startswith("W/"):
        header = header[2:]
    return header.strip('"')


def _term(body: dict[str, Any]) -> Term:
    fields: dict[str, Any] = {"source": _string(body, "source"), "target": _string(body, "target")}
    for key in _OPTIONAL_TEXT:
        fields[key] = _string(body, key, required=False)
    for key, choices in (("match", MATCH_MODES), ("status", STATUSES)):
        if key in body and body[key] not in choices:
            raise ApiError(f"{key!r} must be one of {', '.join(choices)}")
        if key in body:
            fields[key] = body[key]
    if "case_sensitive" in body:
        if not isinstance(body["case_sensitive"], bool):
            raise ApiError("'case_sensitive' must be true or false")
        fields["case_sensitive"] = body["case_sensitive"]
    forbidden = body.get("forbidden", [])
    if not isinstance(forbidden, list) or not all(isinstance(f, str) for f in forbidden):
        raise ApiError("'forbidden' must be a list of strings")
    unknown = set(body) - {*fields, "match", "status", "case_sensitive", "forbidden"}
    if unknown:
        raise ApiError(f"unknown term fields: {', '.join(sorted(unknown))}")
    return Term(**fields, forbidden=tuple(forbidden))


@bp.get("/glossaries")
def list_glossaries() -> ResponseReturnValue:
    store = service().store
    glossaries = {g.path: g for g in store.list()}
    items = []
    for name in store.names():
        glossary = glossaries.get(str(store.path(name)))
        if glossary is not None and visible(name):
            items.append(_summary(name, glossary))
    errors = {name: str(exc) for name, exc in store.errors.items() if visible(name)}
    return jsonify(glossaries=items, errors=errors)


@bp.post("/glossaries")
def create() -> ResponseReturnValue:
    body = _body()
    name = cast(str, _string(body, "name"))
    title = _string(body, "title", required=False) or name
    source, target = _string(body, "source_language"), _string(body, "target_language")
    terms = body.get("terms", [])
    if not isinstance(terms, list) or not all(isinstance(t, dict) for t in terms):
        raise ApiError("'terms' must be a list of term objects")
    path = service().store.new_path(name)
    glossary = create_glossary(
        path, title, cast(str, source), cast(str, target), [_term(t) for t in terms]
    )
    return _full(name, glossary, 201)


@bp.get("/glossaries/<name>")
def get(name: str) -> ResponseReturnValue:
    glossary = service().store.get(name)
    if request.if_none_match.contains(glossary.revision):
        return Response(status=304, headers={"ETag": f'"{glossary.revision}"'})
    return _full(name, glossary)


def _edit(name: str, action: Any) -> Response:
    revision = _if_match()
    path = service().store.path(name)
    base = service().store.get(name)  # 404 before anything else; the edit's starting point
    try:
        glossary: Glossary = action(path, revision, base)
    except ConflictError as exc:
        raise ApiError(
            "the glossary changed since you read it; reload and edit again", 412, str(exc)
        ) from None
    return _full(name, glossary)


@bp.post("/glossaries/<name>/terms")
def add(name: str) -> ResponseReturnValue:
    term = _term(_body())
    response = _edit(name, lambda path, rev, base: add_term(path, term, revision=rev, base=base))
    response.status_code = 201
    return response


@bp.put("/glossaries/<name>/terms/<path:source>")
def update(name: str, source: str) -> ResponseReturnValue:
    term = _term(_body())
    return _edit(
        name, lambda path, rev, base: update_term(path, source, term, revision=rev, base=base)
    )


@bp.delete("/glossaries/<name>/terms/<path:source>")
def delete(name: str, source: str) -> ResponseReturnValue:
    return _edit(name, lambda path, rev, base: remove_term(path, source, revision=rev, base=base))


@bp.post("/glossaries/<name>/import")
def import_terms(name: str) -> ResponseReturnValue:
    """The same preview as the page and `glossary terms import --dry-run`; applied (all of it,
    in one write) unless `dry_run`. 400 with the preview when it has errors."""
    body = _body()
    fmt = imports.format_of(_string(body, "format"))
    content = _string(body, "content", required=False) or ""
    policy = imports.policy_of(body.get("on_duplicate", imports.DEFAULT_POLICY))
    dry_run = body.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise ApiError("'dry_run' must be true or false")
    unknown = set(body) - {"format", "content", "on_duplicate", "dry_run"}
    if unknown:
        raise ApiError(f"unknown fields: {', '.join(sorted(unknown))}")
    store = service().store
    glossary = store.get(name)  # 404 before anything else
    revision = None if dry_run else _if_match()
    preview = imports.preview_file(
        glossary,
        content,
        fmt,
        policy,
        name=name,
        filename=f"{name}.{fmt}",
        max_bytes=store.max_bytes,
    )
    answer: dict[str, object] = preview.to_dict() | {"applied": False}
    if not preview.ok:
        response = jsonify({"error": str(imports.ImportRefusedError(preview))} | answer)
        response.status_code = 400
        return response
    if dry_run:
        return _with_etag(answer, glossary)
    try:
        done = imports.apply(
            store.path(name),
            glossary,
            preview,
            revision=cast(str, revision),
            max_bytes=store.max_bytes,
            file=f"API import ({fmt})",
        )
    except ConflictError as exc:
        raise ApiError(
            "the glossary changed since you read it; preview and import again", 412, str(exc)
        ) from None
    answer |= {
        "applied": preview.writes,
        "new_revision": done.revision,
        "term_count": len(done.terms),
    }
    return _with_etag(answer, done)
