"""The DeepL-compatible API (v2): translate, languages, usage, glossaries.

A glossary created here is a YAML file `deepl-<uuid>.yaml` in the glossary folder, like any
other. Its glossary_id is a version-7 UUID, which carries its creation time to the
millisecond. Glossaries that came from elsewhere (`de-en.yaml`) are listed too, under a
UUID derived from the file name and with the file's modification time; they can be used and
read here but not deleted (403: they are managed as files).
"""

from __future__ import annotations

import os
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from glossary.errors import InputError
from glossary.formats import terms_from_csv, terms_from_tsv, terms_to_tsv
from glossary.term import Glossary
from glossary.termfile import create_glossary
from web.app import service
from web.auth import check_key, deepl_key
from web.detect import detect, language_name
from web.errors import ApiError, request_params

bp = Blueprint("deepl", __name__, url_prefix="/v2")
PREFIX = "deepl-"
_FOREIGN = uuid.UUID("5d0a3f6e-8f1c-4c55-9a3e-2f7f1b0c9e11")  # namespace for file-name ids
_usage_lock = threading.Lock()
_usage = {"characters": 0}
CHARACTER_LIMIT = 1_000_000_000_000  # no quota; DeepL clients expect a number


def _lang(value: Any, field: str) -> str:
    """`EN-US` → `en`: DeepL codes are upper case with optional variants; ours are base codes."""
    if not isinstance(value, str) or not value.strip():
        raise ApiError(f"Value for '{field}' not supported.")
    return value.strip().split("-")[0].lower()


def _pairs() -> list[tuple[str, str]]:
    return service().engines.pairs()


# --- translate ------------------------------------------------------------------------------


def _texts(params: dict[str, Any]) -> list[str]:
    text = params.get("text")
    if text is None or text == []:
        raise ApiError("Parameter 'text' not specified.")
    texts = text if isinstance(text, list) else [text]
    if not all(isinstance(t, str) for t in texts):
        raise ApiError("Parameter 'text' must be a string or a list of strings.")
    return texts


def _glossary_names(params: dict[str, Any], has_source: bool) -> list[str] | None:
    ids: list[Any] = []
    for key in ("glossary_id", "glossary_ids"):
        value = params.get(key)
        if value:
            ids += value if isinstance(value, list) else str(value).split(",")
    if not ids:
        return None
    if not has_source:
        raise ApiError("Use of a glossary requires the source_lang parameter to be specified.")
    return [_find(str(glossary_id).strip()) for glossary_id in ids]


@bp.post("/translate")
def translate() -> ResponseReturnValue:
    params = request_params()
    check_key(deepl_key(), write=False)
    texts = _texts(params)
    if not params.get("target_lang"):
        raise ApiError("Parameter 'target_lang' not specified.")
    target = _lang(params["target_lang"], "target_lang")
    pairs = _pairs()
    if target not in {b for _, b in pairs}:
        raise ApiError("Value for 'target_lang' not supported.")
    source = _lang(params["source_lang"], "source_lang") if params.get("source_lang") else None
    if source is not None and (source, target) not in pairs:
        raise ApiError("Value for 'source_lang' not supported.",
                       detail=f"no installed model translates {source}→{target}")  # fmt: skip
    names = _glossary_names(params, source is not None)
    candidates = sorted({a for a, b in pairs if b == target})
    translations = []
    for text in texts:
        lang = source or detect(text, candidates)[0].language
        result = service().translate(text, lang, target, names)
        translations.append({"detected_source_language": lang.upper(), "text": result.text,
                             "billed_characters": len(text)})  # fmt: skip
    with _usage_lock:
        _usage["characters"] += sum(len(text) for text in texts)
    return jsonify(translations=translations)


@bp.route("/languages", methods=["GET", "POST"])
def languages() -> ResponseReturnValue:
    params = request_params()
    check_key(deepl_key(), write=False)
    kind = params.get("type", "source")
    if kind not in ("source", "target"):
        raise ApiError("Value for 'type' not supported.")
    index = 0 if kind == "source" else 1
    codes = sorted({pair[index] for pair in _pairs()})
    out: list[dict[str, object]] = []
    for code in codes:
        name = language_name(code) or code
        if kind == "source":
            out.append({"language": code.upper(), "name": name})
            continue
        variants = ["EN-GB", "EN-US"] if code == "en" else [code.upper()]
        out += [{"language": v, "name": name, "supports_formality": False} for v in variants]
    return jsonify(out)


@bp.route("/usage", methods=["GET", "POST"])
def usage() -> ResponseReturnValue:
    check_key(deepl_key(), write=False)
    with _usage_lock:
        count = _usage["characters"]
    return jsonify(character_count=count, character_limit=CHARACTER_LIMIT)


@bp.get("/glossary-language-pairs")
def glossary_language_pairs() -> ResponseReturnValue:
    check_key(deepl_key(), write=False)
    return jsonify(supported_languages=[{"source_lang": a, "target_lang": b} for a, b in _pairs()])


# --- glossaries -----------------------------------------------------------------------------


def new_id() -> uuid.UUID:
    """A version-7 UUID: 48 bits of Unix time in milliseconds, then random bits."""
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return uuid.UUID(int=value)


def id_for(name: str) -> str:
    if name.startswith(PREFIX):
        return name[len(PREFIX):]
    return str(uuid.uuid5(_FOREIGN, name))


def _find(given: str) -> str:
    """The store name for a glossary_id; 404 when there is none."""
    try:
        wanted = str(uuid.UUID(given))
    except ValueError:
        raise ApiError("Glossary not found", 404, f"{given!r} is not a glossary ID") from None
    for name in service().store.names():
        if id_for(name) == wanted:
            return name
    raise ApiError("Glossary not found", 404)


def _creation_time(name: str, glossary: Glossary) -> str:
    ident = uuid.UUID(id_for(name))
    if name.startswith(PREFIX) and ident.version == 7:
        seconds = (ident.int >> 80) / 1000
    else:
        seconds = os.stat(glossary.path or service().store.path(name)).st_mtime
    stamp = datetime.fromtimestamp(seconds, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _info(name: str, glossary: Glossary) -> dict[str, object]:
    return {
        "glossary_id": id_for(name), "name": glossary.name, "ready": True,
        "source_lang": glossary.source_language, "target_lang": glossary.target_language,
        "creation_time": _creation_time(name, glossary), "entry_count": len(glossary.terms),
    }  # fmt: skip


def _entries(params: dict[str, Any], source: str, target: str) -> list[Any]:
    entries, fmt = params.get("entries"), params.get("entries_format", "tsv")
    if not isinstance(entries, str):
        raise ApiError("Parameter 'entries' not specified.")
    if fmt not in ("tsv", "csv"):
        raise ApiError("Value for 'entries_format' not supported.")
    try:
        if fmt == "tsv":
            terms = terms_from_tsv(entries)
        else:
            terms = terms_from_csv(entries, source_language=source, target_language=target)
    except InputError as exc:
        raise ApiError("Invalid glossary entries provided", detail=str(exc)) from None
    if not terms:
        raise ApiError("Invalid glossary entries provided", detail="no entries")
    return terms


@bp.post("/glossaries")
def create() -> ResponseReturnValue:
    params = request_params()
    check_key(deepl_key(), write=True)
    name = params.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError("Parameter 'name' not specified.")
    source = _lang(params.get("source_lang"), "source_lang")
    target = _lang(params.get("target_lang"), "target_lang")
    if (source, target) not in _pairs():
        raise ApiError("Unsupported glossary source and target language pair.")
    terms = _entries(params, source, target)
    store_name = PREFIX + str(new_id())
    path = service().store.path(store_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    glossary = create_glossary(path, name.strip(), source, target, terms)
    return jsonify(_info(store_name, glossary)), 201


@bp.get("/glossaries")
def list_glossaries() -> ResponseReturnValue:
    check_key(deepl_key(), write=False)
    store = service().store
    found = {g.path: g for g in store.list()}
    infos = []
    for name in store.names():
        glossary = found.get(str(store.path(name)))
        if glossary is not None:
            infos.append(_info(name, glossary))
    return jsonify(glossaries=infos)


@bp.get("/glossaries/<glossary_id>")
def get(glossary_id: str) -> ResponseReturnValue:
    check_key(deepl_key(), write=False)
    name = _find(glossary_id)
    return jsonify(_info(name, service().store.get(name)))


@bp.delete("/glossaries/<glossary_id>")
def delete(glossary_id: str) -> ResponseReturnValue:
    check_key(deepl_key(), write=True)
    name = _find(glossary_id)
    if not name.startswith(PREFIX):
        raise ApiError("Glossary is managed as a file; delete it there.", 403)
    service().store.path(name).unlink(missing_ok=True)
    return Response(status=204)


@bp.get("/glossaries/<glossary_id>/entries")
def entries(glossary_id: str) -> ResponseReturnValue:
    check_key(deepl_key(), write=False)
    name = _find(glossary_id)
    accept = request.accept_mimetypes
    if request.headers.get("Accept") and not accept.best_match(["text/tab-separated-values"]):
        raise ApiError("Unsupported Accept header; use text/tab-separated-values.", 415)
    body = terms_to_tsv(service().store.get(name).terms)
    return Response(body, content_type="text/tab-separated-values; charset=UTF-8")
