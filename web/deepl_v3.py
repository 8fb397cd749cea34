"""DeepL's v3 (multilingual, editable) glossary endpoints, on the files of
web/deepl_common.py: one YAML file per dictionary, all sharing the glossary's UUID and name.

Replies use the shapes the official `deepl` client parses: a glossary is
`{glossary_id, name, dictionaries: [{source_lang, target_lang, entry_count}], creation_time}`,
entries are `{dictionaries: [{source_lang, target_lang, entries (TSV), entries_format}]}`.
Errors are DeepL's `{"message", "detail"?}`; glossaries managed as files are read-only (403).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue

from glossary.formats import terms_to_tsv
from glossary.term import Term
from web.deepl_common import (
    Dictionary,
    creation_time,
    delete_files,
    dictionary_name,
    every_glossary,
    find,
    for_pair,
    glossary_pair,
    id_for,
    lang,
    managed,
    merge,
    new_id,
    parse_entries,
    rename,
    replace_terms,
    write_new,
)
from web.errors import ApiError, request_params

bp = Blueprint("deepl_v3", __name__, url_prefix="/v3")

Entries = tuple[str, str, list[Term]]  # source, target, terms


def _summary(dictionary: Dictionary) -> dict[str, object]:
    source, target = dictionary.pair
    return {
        "source_lang": source,
        "target_lang": target,
        "entry_count": len(dictionary.glossary.terms),
    }


def _info(dictionaries: list[Dictionary]) -> dict[str, object]:
    return {
        "glossary_id": id_for(dictionaries[0].name),
        "name": dictionaries[0].glossary.name,
        "dictionaries": [_summary(d) for d in dictionaries],
        "creation_time": creation_time(dictionaries),
    }


def _name(params: dict[str, Any]) -> str:
    name = params.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError("Parameter 'name' not specified.")
    return name.strip()


def _dictionary(value: Any) -> Entries:
    if not isinstance(value, dict):
        raise ApiError(
            "Each dictionary must be an object with source_lang, target_lang, "
            "entries and entries_format."
        )
    source, target = glossary_pair(value)
    return source, target, parse_entries(value, source, target)


def _dictionaries(params: dict[str, Any]) -> list[Entries]:
    given = params.get("dictionaries")
    if not isinstance(given, list) or not given:
        raise ApiError(
            "Parameter 'dictionaries' not specified.", detail="a list of at least one dictionary"
        )
    parsed = [_dictionary(value) for value in given]
    seen = [(source, target) for source, target, _ in parsed]
    if len(set(seen)) != len(seen):
        raise ApiError("Each language pair may have only one dictionary in a glossary.")
    return parsed


def _editable(glossary_id: str) -> list[Dictionary]:
    dictionaries = find(glossary_id)
    if not all(managed(d.name) for d in dictionaries):
        raise ApiError("Glossary is managed as a file; change it there.", 403)
    return dictionaries


def _pair_in_query() -> tuple[str, str]:
    params = request_params()
    for field in ("source_lang", "target_lang"):
        if not params.get(field):
            raise ApiError(f"Parameter '{field}' not specified.")
    return lang(params["source_lang"], "source_lang"), lang(params["target_lang"], "target_lang")


def _dictionary_for(dictionaries: list[Dictionary], source: str, target: str) -> Dictionary:
    found = for_pair(dictionaries, source, target)
    if found is None:
        raise ApiError(
            "Dictionary not found", 404, f"the glossary has no dictionary for {source}→{target}"
        )
    return found


@bp.post("/glossaries")
def create() -> ResponseReturnValue:
    params = request_params()
    name, dictionaries = _name(params), _dictionaries(params)
    ident = str(new_id())
    made: list[Dictionary] = []
    try:
        for source, target, terms in dictionaries:
            file_name = dictionary_name(ident, source, target)
            made.append(Dictionary(file_name, write_new(file_name, name, source, target, terms)))
    except BaseException:
        delete_files(made)  # all or nothing
        raise
    return jsonify(_info(made)), 201


@bp.get("/glossaries")
def list_glossaries() -> ResponseReturnValue:
    return jsonify(glossaries=[_info(d) for d in every_glossary().values()])


@bp.get("/glossaries/<glossary_id>")
def get(glossary_id: str) -> ResponseReturnValue:
    return jsonify(_info(find(glossary_id)))


@bp.delete("/glossaries/<glossary_id>")
def delete(glossary_id: str) -> ResponseReturnValue:
    delete_files(find(glossary_id))
    return Response(status=204)


@bp.get("/glossaries/<glossary_id>/entries")
def entries(glossary_id: str) -> ResponseReturnValue:
    source, target = _pair_in_query()
    dictionary = _dictionary_for(find(glossary_id), source, target)
    return jsonify(
        dictionaries=[
            {
                "source_lang": source,
                "target_lang": target,
                "entries": terms_to_tsv(dictionary.glossary.terms),
                "entries_format": "tsv",
            }
        ]
    )


def _add_or_merge(existing: list[Dictionary], name: str, entries: Entries) -> None:
    source, target, terms = entries
    found = for_pair(existing, source, target)
    if found is None:
        write_new(
            dictionary_name(id_for(existing[0].name), source, target), name, source, target, terms
        )
    else:
        merge(found, terms)


@bp.patch("/glossaries/<glossary_id>")
def update(glossary_id: str) -> ResponseReturnValue:
    """Rename, and/or merge entries into dictionaries (adding those that are new)."""
    params = request_params()
    existing = _editable(glossary_id)
    if "name" not in params and "dictionaries" not in params:
        raise ApiError("Nothing to update: give 'name' and/or 'dictionaries'.")
    name = _name(params) if "name" in params else existing[0].glossary.name
    changes = _dictionaries(params) if "dictionaries" in params else []
    for entries_ in changes:
        _add_or_merge(existing, name, entries_)
    if "name" in params:
        for dictionary in existing:
            rename(dictionary, name)
    return jsonify(_info(find(glossary_id)))


@bp.put("/glossaries/<glossary_id>/dictionaries")
def replace_dictionary(glossary_id: str) -> ResponseReturnValue:
    """Replace the entries of one dictionary, or add it."""
    params = request_params()
    existing = _editable(glossary_id)
    source, target, terms = _dictionary(params)
    found = for_pair(existing, source, target)
    if found is None:
        file_name = dictionary_name(id_for(existing[0].name), source, target)
        glossary = write_new(file_name, existing[0].glossary.name, source, target, terms)
    else:
        file_name, glossary = found.name, replace_terms(found, terms)
    return jsonify(_summary(Dictionary(file_name, glossary)))


@bp.delete("/glossaries/<glossary_id>/dictionaries")
def delete_dictionary(glossary_id: str) -> ResponseReturnValue:
    """Delete one dictionary; deleting the last one deletes the glossary."""
    existing = _editable(glossary_id)
    source, target = _pair_in_query()
    delete_files([_dictionary_for(existing, source, target)])
    return Response(status=204)
