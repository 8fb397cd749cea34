"""GET /openapi.json (and LibreTranslate's /spec): an OpenAPI 3.1 description of the APIs,
built as a plain dict so that it needs no extra dependency."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from glossary import __version__, imports
from glossary.enforce import MODES
from glossary.jobs import STATES
from glossary.pipeline import SENTENCE_STATUSES
from glossary.report import TERM_STATUSES
from glossary.term import MATCH_MODES, STATUSES

bp = Blueprint("openapi", __name__)

Schema = dict[str, Any]
STRING: Schema = {"type": "string"}
TEXTS: Schema = {"oneOf": [STRING, {"type": "array", "items": STRING}]}
LT_ERROR: Schema = {"type": "object", "properties": {"error": STRING}, "required": ["error"]}
DEEPL_ERROR: Schema = {
    "type": "object",
    "properties": {"message": STRING, "detail": STRING},
    "required": ["message"],
}
OWN_ERROR: Schema = {
    "type": "object",
    "properties": {"error": STRING, "detail": STRING},
    "required": ["error"],
}
GLOSSARY_NAMES: Schema = {
    "type": ["array", "null"],
    "items": STRING,
    "description": "exactly these glossaries ([]: none); omitted or null: the pair's defaults",
}
FORMS = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


def _obj(required: list[str] | None = None, **properties: Schema) -> Schema:
    return {"type": "object", "properties": properties, "required": required or []}


def _json(schema: Schema) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _op(
    tag: str,
    summary: str,
    reply: Schema | None,
    error: Schema,
    *,
    body: Schema | None = None,
    forms: tuple[str, ...] = FORMS,
    status: str = "200",
    params: list[Any] | None = None,
    errors: tuple[str, ...] = ("400",),
) -> dict[str, Any]:
    responses: dict[str, Any] = {status: {"description": "success"}}
    if reply is not None:
        responses[status] |= _json(reply)
    for code in (*errors, "404", "405", "413"):
        responses[code] = {"description": "error"} | _json(error)
    op: dict[str, Any] = {"tags": [tag], "summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {kind: {"schema": body} for kind in forms},
        }
    if params:
        op["parameters"] = params
    return op


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": STRING}


TERM = _obj(
    ["source", "target"],
    source=STRING,
    target=STRING,
    target_plural=STRING,
    source_plural=STRING,
    match={"enum": list(MATCH_MODES)},
    case_sensitive={"type": "boolean"},
    forbidden={"type": "array", "items": STRING},
    status={"enum": list(STATUSES)},
    note=STRING,
    pos=STRING,
    gender=STRING,
)
SPAN = {"type": ["integer", "null"]}
INTEGER: Schema = {"type": "integer"}
STRINGS: Schema = {"type": "array", "items": STRING}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
# what TermReport.to_dict gives (glossary/report.py)
TERM_REPORT = _obj(
    ["source", "term", "form", "target", "status"],
    source=_obj(
        ["start", "end", "text"],
        start=INTEGER,
        end=INTEGER,
        text=STRING,
        parts={"type": "array", "items": {"type": "array", "items": INTEGER}},
    ),
    term=_obj(["source", "target"], source=STRING, target=STRING, note=NULLABLE_STRING),
    form=STRING,
    target={"oneOf": [{"type": "null"}, _obj(["start", "end"], start=INTEGER, end=INTEGER)]},
    status={"enum": list(TERM_STATUSES)},
    reason=NULLABLE_STRING,
    forbidden=STRINGS,
    plural={"type": ["boolean", "null"]},
    glossary=NULLABLE_STRING,
    overrides=STRINGS,
    warnings=STRINGS,
)
_COUNTED = [*TERM_STATUSES, "forbidden"]  # report.count_statuses: terms by status, forbidden
SUMMARY = _obj(_COUNTED, **dict.fromkeys(_COUNTED, INTEGER))
SENTENCE_STATUS = _obj(
    ["source", "status"],
    source=_obj(["text"], start=SPAN, end=SPAN, text=STRING),
    status={"enum": list(SENTENCE_STATUSES)},
    reason={
        "type": ["string", "null"],
        "description": "why the sentence was copied through untranslated",
    },
)
_SIDE = _obj(["start", "end", "text"], start=INTEGER, end=INTEGER, text=STRING)
# what TranslationResult.to_dict gives (glossary/pipeline.py): the own API's and a job's results
SENTENCE = _obj(
    ["source", "target", "score", "status"],
    source=_SIDE,
    target=_SIDE,
    score={"type": "number"},
    status={"enum": list(SENTENCE_STATUSES)},
    reason=NULLABLE_STRING,
)
RESULT: Schema = {
    "text": STRING,
    "sentences": {"type": "array", "items": SENTENCE},
    "terms": {"type": "array", "items": TERM_REPORT},
    "summary": SUMMARY,
}
# a term of a document's report (glossary.documents.translate.LocatedTerm.to_dict): the
# report's offsets are relative to the block's text and its translation
LOCATED_TERM: Schema = {
    **TERM_REPORT,
    "properties": {**TERM_REPORT["properties"], "location": STRING, "block": INTEGER},
    "required": [*TERM_REPORT["required"], "location", "block"],
}
BINARY: Schema = {"type": "string", "format": "binary"}
FILE_REPLY = {"*/*": {"schema": BINARY}}
DEEPL_DOCUMENT_STATUS = _obj(
    ["document_id", "status"],
    document_id=STRING,
    status={"enum": ["queued", "translating", "done", "error"]},
    seconds_remaining=INTEGER,
    billed_characters=INTEGER,
    error_message=STRING,
    message=STRING,
    done=INTEGER,
    total={"type": ["integer", "null"]},
)
DEEPL_ERROR_STATUSES = ("400", "403", "415")
DEEPL_GLOSSARY = _obj(
    ["glossary_id", "name", "ready", "source_lang", "target_lang", "creation_time", "entry_count"],
    glossary_id={"type": "string", "format": "uuid"},
    name=STRING,
    ready={"type": "boolean"},
    source_lang=STRING,
    target_lang=STRING,
    creation_time={"type": "string", "format": "date-time"},
    entry_count={"type": "integer"},
)


def _libretranslate() -> dict[str, Any]:
    lt = "LibreTranslate"
    translate_body = _obj(
        ["q", "source", "target"],
        q=TEXTS,
        source=STRING,
        target=STRING,
        format={"enum": ["text", "html"]},
        alternatives={"type": "integer"},
        api_key=STRING,
        glossary=TEXTS,
    )
    translated = _obj(
        ["translatedText"],
        translatedText=TEXTS,
        detectedLanguage={"type": ["object", "array"]},
        alternatives={"type": "array"},
        terms={"type": "array"},
        sentences={"type": "array"},
    )
    guess = _obj(["language", "confidence"], language=STRING, confidence={"type": "number"})
    language = _obj(
        ["code", "name", "targets"],
        code=STRING,
        name=STRING,
        targets={"type": "array", "items": STRING},
    )
    file_body = _obj(
        ["file", "source", "target"],
        file=BINARY,
        source=STRING,
        target=STRING,
        api_key=STRING,
        glossary=TEXTS,
    )
    file_reply = _obj(
        ["translatedFileUrl"],
        translatedFileUrl=STRING,
        terms={"type": "array", "items": LOCATED_TERM},
        summary=SUMMARY,
    )
    download = _op(
        lt,
        "The translated file (with the job's key from translatedFileUrl, or its maker's)",
        None,
        LT_ERROR,
        params=[
            _path_param("job_id"),
            _path_param("filename"),
            {"name": "key", "in": "query", "required": False, "schema": STRING},
        ],
    )
    download["responses"]["200"]["content"] = FILE_REPLY
    return {
        "/translate_file": {
            "post": _op(
                lt,
                "Translate a document (a job, waited for)",
                file_reply,
                LT_ERROR,
                body=file_body,
                forms=("multipart/form-data",),
                # 500: the translation failed; 504: it took longer than a request may
                errors=("400", "403", "415", "500", "503", "504"),
            )
        },
        "/download_file/{job_id}/{filename}": {"get": download},
        "/translate": {
            "post": _op(
                lt,
                "Translate text",
                translated,
                LT_ERROR,
                body=translate_body,
                errors=("400", "403", "503"),
            )
        },
        "/detect": {
            "post": _op(
                lt,
                "Detect the language",
                {"type": "array", "items": guess},
                LT_ERROR,
                body=_obj(["q"], q=TEXTS, api_key=STRING),
            )
        },
        "/languages": {
            "get": _op(
                lt, "Languages and their targets", {"type": "array", "items": language}, LT_ERROR
            )
        },
        "/frontend/settings": {
            "get": _op(lt, "Settings for front ends", {"type": "object"}, LT_ERROR)
        },
        "/spec": {"get": _op(lt, "This document", {"type": "object"}, LT_ERROR)},
    }


def _deepl() -> dict[str, Any]:
    d = "DeepL"
    translate_body = _obj(
        ["text", "target_lang"],
        text=TEXTS,
        target_lang=STRING,
        source_lang=STRING,
        glossary_id=STRING,
        glossary_ids={"type": "array", "items": STRING},
        tag_handling={"enum": ["html", "xml"]},
    )
    translation = _obj(
        ["detected_source_language", "text", "billed_characters"],
        detected_source_language=STRING,
        text=STRING,
        billed_characters={"type": "integer"},
        sentences={"type": "array", "items": SENTENCE_STATUS},
    )
    create_body = _obj(
        ["name", "source_lang", "target_lang", "entries"],
        name=STRING,
        source_lang=STRING,
        target_lang=STRING,
        entries=STRING,
        entries_format={"enum": list(imports.DEEPL_ENTRIES)},
    )
    ident = [_path_param("glossary_id")]
    entries_op = _op(d, "Entries as TSV", None, DEEPL_ERROR, params=ident, errors=("415",))
    entries_op["responses"]["200"]["content"] = {"text/tab-separated-values": {"schema": STRING}}
    languages = _op(
        d,
        "Source or target languages",
        {"type": "array"},
        DEEPL_ERROR,
        params=[{"name": "type", "in": "query", "schema": {"enum": ["source", "target"]}}],
    )
    usage = _op(
        d,
        "Characters translated",
        _obj(
            ["character_count", "character_limit"],
            character_count={"type": "integer"},
            character_limit={"type": "integer"},
        ),
        DEEPL_ERROR,
    )
    document_body = _obj(
        ["file", "target_lang"],
        file=BINARY,
        target_lang=STRING,
        source_lang=STRING,
        glossary_id=STRING,
        filename=STRING,
        output_format=STRING,
    )
    ident_doc = [_path_param("document_id")]
    key_body = _obj(["document_key"], document_key=STRING)
    status = _op(
        d,
        "A document's status",
        DEEPL_DOCUMENT_STATUS,
        DEEPL_ERROR,
        body=key_body,
        params=ident_doc,
        errors=("400", "403"),
    )
    result = _op(
        d,
        "The translated document (503 until it is done)",
        None,
        DEEPL_ERROR,
        body=key_body,
        params=ident_doc,
        errors=("400", "403", "503"),
    )
    result["responses"]["200"]["content"] = FILE_REPLY
    return {
        "/v2/document": {
            "post": _op(
                d,
                "Upload a document to translate (a job)",
                _obj(["document_id", "document_key"], document_id=STRING, document_key=STRING),
                DEEPL_ERROR,
                body=document_body,
                forms=("multipart/form-data",),
                errors=DEEPL_ERROR_STATUSES,
            )
        },
        "/v2/document/{document_id}": {"get": status, "post": status},
        "/v2/document/{document_id}/result": {"get": result, "post": result},
        "/v2/translate": {
            "post": _op(
                d,
                "Translate text",
                _obj(["translations"], translations={"type": "array", "items": translation}),
                DEEPL_ERROR,
                body=translate_body,
                errors=("400", "403"),
            )
        },
        "/v2/languages": {"get": languages, "post": languages},
        "/v2/usage": {"get": usage, "post": usage},
        "/v2/glossary-language-pairs": {
            "get": _op(d, "Pairs a glossary may have", {"type": "object"}, DEEPL_ERROR)
        },
        "/v2/glossaries": {
            "get": _op(
                d,
                "List glossaries",
                _obj(["glossaries"], glossaries={"type": "array", "items": DEEPL_GLOSSARY}),
                DEEPL_ERROR,
            ),
            "post": _op(
                d,
                "Create a glossary (a YAML file)",
                DEEPL_GLOSSARY,
                DEEPL_ERROR,
                body=create_body,
                forms=FORMS[:2],
                status="201",
                errors=("400", "403"),
            ),
        },
        "/v2/glossaries/{glossary_id}": {
            "get": _op(d, "One glossary", DEEPL_GLOSSARY, DEEPL_ERROR, params=ident),
            "delete": _op(
                d,
                "Delete a glossary made here",
                None,
                DEEPL_ERROR,
                params=ident,
                status="204",
                errors=("403",),
            ),
        },
        "/v2/glossaries/{glossary_id}/entries": {"get": entries_op},
    }


DICTIONARY = _obj(
    ["source_lang", "target_lang", "entries"],
    source_lang=STRING,
    target_lang=STRING,
    entries=STRING,
    entries_format={"enum": list(imports.DEEPL_ENTRIES)},
)
DICTIONARY_INFO = _obj(
    ["source_lang", "target_lang", "entry_count"],
    source_lang=STRING,
    target_lang=STRING,
    entry_count={"type": "integer"},
)
V3_GLOSSARY = _obj(
    ["glossary_id", "name", "dictionaries", "creation_time"],
    glossary_id={"type": "string", "format": "uuid"},
    name=STRING,
    dictionaries={"type": "array", "items": DICTIONARY_INFO},
    creation_time={"type": "string", "format": "date-time"},
)


def _deepl_v3() -> dict[str, Any]:
    d, json_only = "DeepL v3", ("application/json",)
    ident = [_path_param("glossary_id")]
    pair = [
        *ident,
        *(
            {"name": name, "in": "query", "required": True, "schema": STRING}
            for name in ("source_lang", "target_lang")
        ),
    ]
    dictionaries = {"type": "array", "items": DICTIONARY, "minItems": 1}
    entries = _obj(
        ["dictionaries"],
        dictionaries={
            "type": "array",
            "items": _obj(
                ["source_lang", "target_lang", "entries", "entries_format"],
                source_lang=STRING,
                target_lang=STRING,
                entries=STRING,
                entries_format={"enum": ["tsv"]},
            ),
        },
    )
    return {
        "/v3/glossaries": {
            "get": _op(
                d,
                "List glossaries",
                _obj(["glossaries"], glossaries={"type": "array", "items": V3_GLOSSARY}),
                DEEPL_ERROR,
            ),
            "post": _op(
                d,
                "Create a glossary (a YAML file per dictionary)",
                V3_GLOSSARY,
                DEEPL_ERROR,
                body=_obj(["name", "dictionaries"], name=STRING, dictionaries=dictionaries),
                forms=json_only,
                status="201",
                errors=("400", "403", "409"),
            ),
        },
        "/v3/glossaries/{glossary_id}": {
            "get": _op(d, "One glossary", V3_GLOSSARY, DEEPL_ERROR, params=ident),
            "patch": _op(
                d,
                "Rename and/or merge entries into dictionaries",
                V3_GLOSSARY,
                DEEPL_ERROR,
                body=_obj(name=STRING, dictionaries=dictionaries),
                forms=json_only,
                params=ident,
                errors=("400", "403", "409"),
            ),
            "delete": _op(
                d,
                "Delete a glossary made here",
                None,
                DEEPL_ERROR,
                params=ident,
                status="204",
                errors=("403",),
            ),
        },
        "/v3/glossaries/{glossary_id}/entries": {
            "get": _op(
                d, "A dictionary's entries as TSV in JSON", entries, DEEPL_ERROR, params=pair
            )
        },
        "/v3/glossaries/{glossary_id}/dictionaries": {
            "put": _op(
                d,
                "Replace (or add) one dictionary",
                DICTIONARY_INFO,
                DEEPL_ERROR,
                body=DICTIONARY,
                forms=json_only,
                params=ident,
                errors=("400", "403", "409"),
            ),
            "delete": _op(
                d,
                "Delete one dictionary (the last one: the glossary)",
                None,
                DEEPL_ERROR,
                params=pair,
                status="204",
                errors=("400", "403"),
            ),
        },
    }


def _own() -> dict[str, Any]:
    o = "Own API"
    name, source = [_path_param("name")], [_path_param("name"), _path_param("source")]
    if_match = {
        "name": "If-Match",
        "in": "header",
        "required": True,
        "schema": STRING,
        "description": "the glossary's ETag (its revision)",
    }
    glossary = _obj(
        ["name", "revision"],
        name=STRING,
        title=STRING,
        source_language=STRING,
        target_language=STRING,
        term_count={"type": "integer"},
        revision=STRING,
        terms={"type": "array", "items": TERM},
    )
    translate_body = _obj(
        ["text", "source", "target"],
        text=STRING,
        source=STRING,
        target=STRING,
        glossaries=GLOSSARY_NAMES,
        mode={"enum": list(MODES)},
    )
    json_only = ("application/json",)
    # 409: the file on disk is invalid; 503: the terms folder is read-only or missing
    edit_errors = ("400", "401", "403", "409", "412", "428", "503")
    return {
        "/api/translate": {
            "post": _op(
                o,
                "Translate with the full term report",
                _obj(
                    ["source", "target", "mode", "glossaries", "text", "sentences", "terms"],
                    source=STRING,
                    target=STRING,
                    mode={"enum": list(MODES)},
                    glossaries=STRINGS,
                    warnings=STRINGS,
                    **RESULT,
                ),
                OWN_ERROR,
                body=translate_body,
                forms=json_only,
                errors=("400", "415", "503"),
            )
        },
        "/api/languages": {"get": _op(o, "Installed pairs", {"type": "object"}, OWN_ERROR)},
        "/api/glossaries": {
            "get": _op(o, "List glossaries and files refused", {"type": "object"}, OWN_ERROR),
            "post": _op(
                o,
                "Create a glossary",
                glossary,
                OWN_ERROR,
                forms=json_only,
                body=_obj(
                    ["name", "source_language", "target_language"],
                    name=STRING,
                    title=STRING,
                    source_language=STRING,
                    target_language=STRING,
                    terms={"type": "array", "items": TERM},
                ),
                status="201",
                errors=("400", "401", "403", "409", "503"),
            ),
        },
        "/api/glossaries/{name}": {
            "get": _op(o, "A glossary with its terms (ETag)", glossary, OWN_ERROR, params=name)
        },
        "/api/glossaries/{name}/terms": {
            "post": _op(
                o,
                "Add a term",
                glossary,
                OWN_ERROR,
                body=TERM,
                forms=json_only,
                status="201",
                params=[*name, if_match],
                errors=edit_errors,
            )
        },
        "/api/glossaries/{name}/terms/{source}": {
            "put": _op(
                o,
                "Replace a term",
                glossary,
                OWN_ERROR,
                body=TERM,
                forms=json_only,
                params=[*source, if_match],
                errors=edit_errors,
            ),
            "delete": _op(
                o,
                "Delete a term",
                glossary,
                OWN_ERROR,
                params=[*source, if_match],
                errors=edit_errors,
            ),
        },
        "/api/glossaries/{name}/import": {
            "post": _op(
                o,
                "Import terms: the preview (added, changed, unchanged, duplicates, errors), "
                "applied in one write unless dry_run",
                {"type": "object"},
                OWN_ERROR,
                body=_obj(
                    ["format", "content"],
                    format={"enum": list(imports.FORMATS)},
                    content=STRING,
                    on_duplicate={"enum": list(imports.POLICIES)},
                    dry_run={"type": "boolean"},
                ),
                forms=json_only,
                params=[
                    *name,
                    if_match
                    | {
                        "required": False,
                        "description": "the glossary's ETag; required unless dry_run",
                    },
                ],
                errors=edit_errors,
            )
        },
        "/openapi.json": {"get": _op(o, "This document", {"type": "object"}, OWN_ERROR)},
    } | _jobs(translate_body)


def _jobs(translate_body: Schema) -> dict[str, Any]:
    o = "Jobs"
    # what Job.to_dict gives (glossary/jobs.py); the results so far unless asked without
    job = _obj(
        ["id", "state", "done", "total", "created", "updated", "error", "source", "target"],
        id=STRING,
        state={"enum": list(STATES)},
        done=INTEGER,
        total={"type": ["integer", "null"], "description": "null until the text is split"},
        created={"type": "number"},
        updated={"type": "number"},
        error=NULLABLE_STRING,
        source=STRING,
        target=STRING,
        **RESULT,
    )
    ident = [_path_param("job_id")]
    return {
        "/api/jobs": {
            "post": _op(
                o,
                "Start a translation job (Location: its address)",
                job,
                OWN_ERROR,
                body=translate_body,
                forms=("application/json",),
                status="202",
                errors=("400", "404", "413", "415"),
            )
        },
        "/api/jobs/{job_id}": {
            "get": _op(
                o, "Progress and the results so far", job, OWN_ERROR, params=ident, errors=("404",)
            ),
            "delete": _op(
                o,
                "Cancel and forget the job",
                None,
                OWN_ERROR,
                params=ident,
                status="204",
                errors=("404",),
            ),
        },
    }


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "glossary-mt",
            "version": __version__,
            "description": "Offline translation with an enforced glossary; "
            "LibreTranslate- and DeepL-compatible endpoints.",
        },
        "components": {
            "securitySchemes": {
                "deepl": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "DeepL-Auth-Key <key>",
                },
                "bearer": {"type": "http", "scheme": "bearer"},
                "header": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            }
        },
        # Every scheme works on every path; none is needed on an install without accounts and
        # keys, and reading needs none unless GLOSSARY_KEYS_FOR_TRANSLATE is set.
        "security": [{}, {"deepl": []}, {"bearer": []}, {"header": []}],
        "paths": _libretranslate() | _deepl() | _deepl_v3() | _own(),
    }


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())
