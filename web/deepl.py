"""The DeepL-compatible API (v2): translate, documents, languages, usage, glossaries.

`tag_handling=html` translates each text through the HTML reader of glossary/documents
(markup kept, sentences whole across inline tags, scripts untouched). Documents
(`/v2/document`) are document jobs (glossary/documents/jobs.py): upload → `document_id` and
`document_key`; status (`queued`, `translating`, `done`, `error`) with `seconds_remaining`;
the result once done (503 before, as at DeepL, which the client retries). A document is its
maker's: another caller, or a wrong `document_key`, gets 404.

A glossary created here is a YAML file `deepl-<uuid>.yaml` in the glossary folder, like any
other (web/deepl_common.py has the whole mapping). Glossaries that came from elsewhere
(`de-en.yaml`) are listed too; they can be used and read here but not deleted (403: they are
managed as files). As at DeepL, the v2 glossary endpoints show glossaries of one dictionary;
one with several (made or grown through /v3) is a 400 here, but usable in /v2/translate.
"""

from __future__ import annotations

import hmac
import io
import threading
from pathlib import PurePath
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_file
from flask.typing import ResponseReturnValue

from glossary.documents.jobs import DocumentJob
from glossary.documents.translate import translate_html
from glossary.formats import terms_to_tsv
from glossary.owners import owner_id
from web.access import principal
from web.deepl_common import (
    PREFIX,
    Dictionary,
    creation_time,
    delete_files,
    every_glossary,
    find,
    for_pair,
    glossary_pair,
    id_for,
    new_id,
    parse_entries,
    write_new,
)
from web.deepl_common import lang as _lang
from web.deepl_common import pairs as _pairs
from web.detect import detect, language_name
from web.errors import ApiError, request_params
from web.services import service

bp = Blueprint("deepl", __name__, url_prefix="/v2")
CHARACTER_LIMIT = 1_000_000_000_000  # no quota; DeepL clients expect a number
USAGE_KEY = "glossary.deepl_usage"


class Usage:
    """The characters /v2/translate has translated, for /v2/usage: one count per app (built
    by web.app.create_app), so two apps in one process (tests, an embedding) count apart."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._characters = 0

    def add(self, characters: int) -> None:
        with self._lock:
            self._characters += characters

    @property
    def characters(self) -> int:
        with self._lock:
            return self._characters


def _usage() -> Usage:
    usage: Usage = current_app.extensions[USAGE_KEY]
    return usage


# --- translate ------------------------------------------------------------------------------


def _texts(params: dict[str, Any]) -> list[str]:
    text = params.get("text")
    if text is None or text == []:
        raise ApiError("Parameter 'text' not specified.")
    texts = text if isinstance(text, list) else [text]
    if not all(isinstance(t, str) for t in texts):
        raise ApiError("Parameter 'text' must be a string or a list of strings.")
    return texts


def _glossary_names(params: dict[str, Any], source: str | None, target: str) -> list[str] | None:
    """The files a request's glossary_id(s) name: of each glossary, its dictionary for the
    request's pair (a v3 glossary may hold several)."""
    ids: list[Any] = []
    for key in ("glossary_id", "glossary_ids"):
        value = params.get(key)
        if value:
            ids += value if isinstance(value, list) else str(value).split(",")
    if not ids:
        return None
    if source is None:
        raise ApiError("Use of a glossary requires the source_lang parameter to be specified.")
    names = []
    for glossary_id in ids:
        dictionaries = find(str(glossary_id).strip())
        dictionary = for_pair(dictionaries, source, target)
        if dictionary is None:
            raise ApiError(
                f"The glossary has no dictionary for {source}→{target}.",
                detail=", ".join("→".join(d.pair) for d in dictionaries),
            )
        names.append(dictionary.name)
    return names


def _languages(params: dict[str, Any]) -> tuple[str | None, str, list[str]]:
    """A request's source (None: to be detected) and target, both served by a model, and
    the sources a detection may choose from."""
    if not params.get("target_lang"):
        raise ApiError("Parameter 'target_lang' not specified.")
    target = _lang(params["target_lang"], "target_lang")
    pairs = _pairs()
    if target not in {b for _, b in pairs}:
        raise ApiError("Value for 'target_lang' not supported.")
    source = _lang(params["source_lang"], "source_lang") if params.get("source_lang") else None
    if source is not None and (source, target) not in pairs:
        raise ApiError(
            "Value for 'source_lang' not supported.",
            detail=f"no installed model translates {source}→{target}",
        )
    return source, target, sorted({a for a, b in pairs if b == target})


def _translated(
    text: str, source: str, target: str, names: list[str] | None, html: bool
) -> dict[str, object]:
    # `sentences` (each one's span, status and reason) is ours; DeepL's clients ignore it.
    if html:
        written, _terms, sentences = translate_html(service(), text, source, target, names)
        statuses = [s.status_dict(spans=False) for s in sentences]
    else:
        result = service().translate(text, source, target, names)
        written, statuses = result.text, [s.status_dict() for s in result.sentences]
    return {
        "detected_source_language": source.upper(),
        "text": written,
        "billed_characters": len(text),
        "sentences": statuses,
    }


@bp.post("/translate")
def translate() -> ResponseReturnValue:
    params = request_params()
    texts = _texts(params)
    source, target, candidates = _languages(params)
    names = _glossary_names(params, source, target)
    html = params.get("tag_handling") == "html"
    translations = []
    for text in texts:
        lang = source or detect(text, candidates)[0].language
        translations.append(_translated(text, lang, target, names, html))
    _usage().add(sum(len(text) for text in texts))
    return jsonify(translations=translations)


# --- documents ------------------------------------------------------------------------------

# a job's state as DeepL names it
DOCUMENT_STATUS = {
    "queued": "queued",
    "running": "translating",
    "done": "done",
    "failed": "error",
    "cancelled": "error",
}


@bp.post("/document")
def document_upload() -> ResponseReturnValue:
    params = request_params()
    upload = request.files.get("file")
    if upload is None:
        raise ApiError("Invalid file data.")
    source, target, candidates = _languages(params)
    names = _glossary_names(params, source, target)
    filename = str(params.get("filename") or upload.filename or "")
    output = params.get("output_format")
    if output and f".{str(output).lower().lstrip('.')}" != PurePath(filename).suffix.lower():
        raise ApiError("Value for 'output_format' not supported.", detail="it must be the input's")
    data, content_type = upload.read(), upload.content_type or None
    documents = service().documents
    if source is None:
        source = detect(documents.text_of(data, filename, content_type), candidates)[0].language
    job = documents.submit(
        owner_id(principal()), data, filename, source, target, names, content_type=content_type
    )
    _usage().add(job.characters)
    return jsonify(document_id=job.id, document_key=job.key)


def _document(document_id: str) -> DocumentJob:
    """The caller's document with the key sent; 404 for a wrong key, as at DeepL."""
    key = request_params().get("document_key")
    if not isinstance(key, str) or not key:
        raise ApiError("Parameter 'document_key' not specified.")
    job = service().documents.get(document_id)
    caller = principal()
    if (
        job is None
        or not hmac.compare_digest(key.encode(), job.key.encode())
        or (job.owner != owner_id(caller) and not caller.may("admin"))
    ):
        raise ApiError("Document not found", 404)
    return job


@bp.route("/document/<document_id>", methods=["GET", "POST"])
def document_status(document_id: str) -> ResponseReturnValue:
    job = _document(document_id)
    status = DOCUMENT_STATUS[job.state]
    body: dict[str, object] = {"document_id": job.id, "status": status}
    remaining = service().documents.seconds_remaining(job)
    if remaining is not None:
        body["seconds_remaining"] = remaining
    if status == "done":
        body["billed_characters"] = job.characters
    if status == "error":
        body["error_message"] = body["message"] = job.error or "the translation was stopped"
    # ours, which DeepL's clients ignore: blocks done out of total
    body |= {"done": job.done, "total": job.total}
    return jsonify(body)


@bp.route("/document/<document_id>/result", methods=["GET", "POST"])
def document_result(document_id: str) -> ResponseReturnValue:
    job = _document(document_id)
    if DOCUMENT_STATUS[job.state] == "error":
        raise ApiError("Document translation failed", 400, job.error)
    data = service().documents.result(job.id)
    if data is None or job.result_filename is None:
        raise ApiError("Document translation is not done", 503)
    return send_file(
        io.BytesIO(data),
        mimetype=job.media_type or "application/octet-stream",
        as_attachment=True,
        download_name=job.result_filename,
    )


@bp.route("/languages", methods=["GET", "POST"])
def languages() -> ResponseReturnValue:
    params = request_params()
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
    return jsonify(character_count=_usage().characters, character_limit=CHARACTER_LIMIT)


@bp.get("/glossary-language-pairs")
def glossary_language_pairs() -> ResponseReturnValue:
    return jsonify(supported_languages=[{"source_lang": a, "target_lang": b} for a, b in _pairs()])


# --- glossaries -----------------------------------------------------------------------------


def _info(dictionaries: list[Dictionary]) -> dict[str, object]:
    [dictionary] = dictionaries
    glossary = dictionary.glossary
    return {
        "glossary_id": id_for(dictionary.name),
        "name": glossary.name,
        "ready": True,
        "source_lang": glossary.source_language,
        "target_lang": glossary.target_language,
        "creation_time": creation_time(dictionaries),
        "entry_count": len(glossary.terms),
    }


def _single(glossary_id: str) -> list[Dictionary]:
    dictionaries = find(glossary_id)
    if len(dictionaries) != 1:
        raise ApiError(
            "This glossary has several dictionaries; use the /v3 endpoints.",
            detail=", ".join("→".join(d.pair) for d in dictionaries),
        )
    return dictionaries


@bp.post("/glossaries")
def create() -> ResponseReturnValue:
    params = request_params()
    name = params.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError("Parameter 'name' not specified.")
    source, target = glossary_pair(params)
    terms = parse_entries(params, source, target)
    store_name = PREFIX + str(new_id())
    glossary = write_new(store_name, name.strip(), source, target, terms)
    return jsonify(_info([Dictionary(store_name, glossary)])), 201


@bp.get("/glossaries")
def list_glossaries() -> ResponseReturnValue:
    found = every_glossary().values()
    return jsonify(glossaries=[_info(d) for d in found if len(d) == 1])


@bp.get("/glossaries/<glossary_id>")
def get(glossary_id: str) -> ResponseReturnValue:
    return jsonify(_info(_single(glossary_id)))


@bp.delete("/glossaries/<glossary_id>")
def delete(glossary_id: str) -> ResponseReturnValue:
    delete_files(find(glossary_id))
    return Response(status=204)


@bp.get("/glossaries/<glossary_id>/entries")
def entries(glossary_id: str) -> ResponseReturnValue:
    [dictionary] = _single(glossary_id)
    accept = request.accept_mimetypes
    if request.headers.get("Accept") and not accept.best_match(["text/tab-separated-values"]):
        raise ApiError("Unsupported Accept header; use text/tab-separated-values.", 415)
    body = terms_to_tsv(dictionary.glossary.terms)
    return Response(body, content_type="text/tab-separated-values; charset=UTF-8")
