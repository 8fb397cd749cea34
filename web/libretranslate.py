"""The LibreTranslate-compatible API: /translate, /translate_file and /download_file,
/detect, /languages, /frontend/settings, /spec.

Extensions that LibreTranslate clients ignore: a `glossary` parameter (a name, a list of names,
or names separated by commas; none given: every glossary for the pair) and, in the /translate
reply, a `terms` report and `sentences`: per sentence its source span and text, `status`
("translated", or "untranslated" when the model failed on it and it was copied through) and
`reason`. With format=html the document is translated through the HTML reader of
glossary/documents (sentences whole across inline tags, scripts and translate="no" kept as
they were): each term also names its `block` and `location`, and its offsets are relative to
that block's text and its translation; the sentences' spans are null. `alternatives` is
accepted; the list it asks for comes back empty.

/translate_file runs a document job (glossary/documents/jobs.py) and waits for it as long as
a request may take (GLOSSARY_DEADLINE); its reply adds the document's `terms` and `summary`.
The download address is a capability, as LibreTranslate's is: it carries the job's own
random key (`?key=`), so a client that fetches it without its API key (LibreTranslate's
frontend does) gets the file; without that key only the job's maker or an admin does.
"""

from __future__ import annotations

import hmac
import io
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, request, send_file
from flask.typing import ResponseReturnValue

from glossary.config import Settings
from glossary.documents.jobs import DocumentJob
from glossary.documents.registry import formats
from glossary.documents.translate import translate_html
from glossary.errors import ModelNotInstalledError
from glossary.owners import owner_id
from web.access import check_names, principal
from web.detect import Guess, detect, language_name
from web.errors import ApiError, request_params
from web.openapi import document
from web.services import service

bp = Blueprint("libretranslate", __name__)


@bp.after_request
def cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
    return response


def _text(params: dict[str, Any], key: str, default: str | None = None) -> str:
    value = params.get(key, default)
    if value is None or value == "":
        raise ApiError(f"Invalid request: missing {key} parameter")
    if not isinstance(value, str):
        raise ApiError(f"Invalid request: {key} must be a string")
    return value


def _queries(params: dict[str, Any]) -> list[str] | str:
    q = params.get("q")
    if q is None or q == "" or q == []:
        raise ApiError("Invalid request: missing q parameter")
    if isinstance(q, list) and all(isinstance(item, str) for item in q):
        return q
    if not isinstance(q, str):
        raise ApiError("Invalid request: q must be a string or a list of strings")
    return q


def _glossaries(params: dict[str, Any]) -> list[str] | None:
    value = params.get("glossary", params.get("glossaries"))
    if value is None or value == "" or value == []:
        return None
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in items):
        raise ApiError("Invalid request: glossary must be a name or a list of names")
    return [name.strip() for item in items for name in item.split(",") if name.strip()]


def _language(code: str, codes: set[str]) -> str:
    code = code.strip().lower()
    if code not in codes and language_name(code) is None:
        raise ApiError(f"{code} is not supported")
    return code  # a real language without a model: the service answers 503 with instructions


def _limit(texts: list[str]) -> None:
    settings: Settings = current_app.extensions["glossary.settings"]
    total = sum(len(text) for text in texts)
    if total > settings.max_chars:
        raise ApiError(
            f"Invalid request: request ({total}) exceeds text limit ({settings.max_chars})"
        )


def _sources_for(target: str) -> list[str]:
    return sorted({a for a, b in service().engines.pairs() if b == target and a != target})


Report = list[dict[str, object]]


def _translate_one(
    text: str, source: str, target: str, fmt: str, names: list[str] | None
) -> tuple[str, Report, Report]:
    if fmt == "text":
        result = service().translate(text, source, target, names)
        return (
            result.text,
            [t.to_dict() for t in result.terms],
            [s.status_dict() for s in result.sentences],
        )
    written, located, sentences = translate_html(service(), text, source, target, names)
    return (
        written,
        [t.to_dict() for t in located],
        [s.status_dict(spans=False) for s in sentences],
    )


@bp.post("/translate")
def translate() -> ResponseReturnValue:
    params = request_params()
    q = _queries(params)
    texts = q if isinstance(q, list) else [q]
    source_param, target_param = _text(params, "source"), _text(params, "target")
    fmt = params.get("format") or "text"
    if fmt not in ("text", "html"):
        raise ApiError("Invalid request: format must be text or html")
    alternatives = params.get("alternatives", 0)
    try:
        alternatives = int(alternatives)
    except (TypeError, ValueError):
        raise ApiError("Invalid request: alternatives must be an integer") from None
    names = _glossaries(params)
    check_names(names)
    _limit(texts)
    codes = {code for pair in service().engines.pairs() for code in pair}
    target = _language(target_param, codes)
    guesses: list[Guess] = []
    if source_param == "auto":
        candidates = _sources_for(target) or sorted({a for a, _ in service().engines.pairs()})
        guesses = [
            detect(text, candidates)[0] if candidates else Guess("auto", 0.0) for text in texts
        ]
    else:
        source = _language(source_param, codes)
        guesses = [Guess(source, 100.0)] * len(texts)
    done = [
        _translate_one(text, guess.language, target, fmt, names)
        for text, guess in zip(texts, guesses, strict=True)
    ]
    reply: dict[str, Any] = {
        "translatedText": [d[0] for d in done],
        "terms": [d[1] for d in done],
        "sentences": [d[2] for d in done],
    }
    if source_param == "auto":
        reply["detectedLanguage"] = [g.to_dict() for g in guesses]
    if alternatives > 0:
        reply["alternatives"] = [[] for _ in texts]
    if not isinstance(q, list):
        reply = {key: value[0] for key, value in reply.items()}
    return jsonify(reply)


@bp.post("/detect")
def detect_language() -> ResponseReturnValue:
    params = request_params()
    q = _queries(params)
    text = q if isinstance(q, str) else "\n".join(q)
    _limit([text])
    candidates = sorted({a for a, _ in service().engines.pairs()})
    return jsonify([guess.to_dict() for guess in detect(text, candidates)])


@bp.get("/languages")
def languages() -> ResponseReturnValue:
    targets: dict[str, list[str]] = {}
    for source, target in service().engines.pairs():
        targets.setdefault(source, []).append(target)
        targets.setdefault(target, [])
    return jsonify(
        [
            {"code": code, "name": language_name(code) or code, "targets": sorted(targets[code])}
            for code in sorted(targets)
        ]
    )


@bp.get("/frontend/settings")
def frontend_settings() -> ResponseReturnValue:
    settings: Settings = current_app.extensions["glossary.settings"]
    pairs = service().engines.pairs()
    source, target = pairs[0] if pairs else ("de", "en")
    return jsonify(
        charLimit=settings.max_chars,
        apiKeys=bool(service().accounts.api_keys()),
        keyRequired=not service().accounts.open() and settings.keys_for_translate,
        suggestions=False,
        filesTranslation=True,
        supportedFilesFormat=[ext for fmt in formats() for ext in fmt.extensions],
        language={
            "source": {"code": source, "name": language_name(source) or source},
            "target": {"code": target, "name": language_name(target) or target},
        },
    )


# --- files ---------------------------------------------------------------------------------


@bp.post("/translate_file")
def translate_file() -> ResponseReturnValue:
    params = request_params()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError("Invalid request: missing file parameter")
    source_param, target_param = _text(params, "source"), _text(params, "target")
    names = _glossaries(params)
    check_names(names)
    codes = {code for pair in service().engines.pairs() for code in pair}
    target = _language(target_param, codes)
    data, content_type = upload.read(), upload.content_type or None
    documents = service().documents
    if source_param == "auto":
        candidates = _sources_for(target) or sorted({a for a, _ in service().engines.pairs()})
        sample = documents.text_of(data, upload.filename, content_type)
        source = detect(sample, candidates)[0].language if candidates else target
    else:
        source = _language(source_param, codes)
    if (source, target) not in service().engines.pairs():
        raise ModelNotInstalledError(source, target)
    job = documents.submit(
        owner_id(principal()),
        data,
        upload.filename,
        source,
        target,
        names,
        content_type=content_type,
    )
    # a client that hangs up (waitress tells) stops the job: nobody would download it
    probe = request.environ.get("waitress.client_disconnected")
    return _finished(documents.wait(job.id, service().settings.deadline, gone=probe))


def _finished(job: DocumentJob) -> ResponseReturnValue:
    """The reply for a job that was waited for: its download address and term report."""
    documents = service().documents
    report = documents.report(job.id) if job.state == "done" else None
    if report is None or job.result_filename is None:
        documents.delete(job.id)  # nobody will ask for it again
        if job.state == "failed":
            raise ApiError(f"Translation failed: {job.error}", 500)
        raise ApiError(
            f"the translation took longer than {service().settings.deadline:g} s and was "
            "stopped; send long documents to the DeepL-compatible /v2/document",
            504,
        )  # (or the client has gone, and nobody reads this)
    base = service().settings.public_url.rstrip("/") or request.host_url.rstrip("/")
    url = f"{base}/download_file/{job.id}/{quote(job.result_filename)}?key={quote(job.key)}"
    return jsonify(translatedFileUrl=url, terms=report["terms"], summary=report["summary"])


@bp.get("/download_file/<job_id>/<path:filename>")
def download_file(job_id: str, filename: str) -> ResponseReturnValue:
    documents = service().documents
    job = documents.get(job_id)
    data = documents.result(job_id) if job is not None else None
    if job is None or data is None or job.result_filename != filename or not _may_fetch(job):
        raise ApiError("file not found", 404)
    return send_file(
        io.BytesIO(data),
        mimetype=job.media_type or "application/octet-stream",
        as_attachment=True,
        download_name=filename,
    )


def _may_fetch(job: DocumentJob) -> bool:
    """The job's key in the address, or the job's maker or an admin asking."""
    if hmac.compare_digest(request.args.get("key", ""), job.key):
        return True
    caller = principal()
    return job.owner == owner_id(caller) or caller.may("admin")


@bp.get("/spec")
def spec() -> ResponseReturnValue:
    return jsonify(document())
