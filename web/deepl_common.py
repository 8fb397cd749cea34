"""DeepL glossaries as YAML files: what the v2 and v3 endpoints share.

A DeepL glossary holds one or more dictionaries (one language direction each); a glossary
file holds one direction. So every dictionary is one file in the glossary folder, and the
files of one glossary share its UUID in their names and its name in their `name` field:

- `deepl-<uuid>.yaml`: made through /v2/glossaries (one dictionary);
- `deepl-<uuid>.<src>-<tgt>.yaml`: a dictionary made through /v3/glossaries;
- any other file (`de-en.yaml`): a glossary of one dictionary, managed as a file, under a
  UUID derived from its name; readable and usable here, but not changed or deleted here.

A glossary exists while one of its files does: deleting its last dictionary deletes it. A
file's language pair is read from its content, not from its name. The UUIDs made here are
version 7, so a glossary's creation time (to the millisecond) is in its ID.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from glossary import imports, termedit, termwrite
from glossary.errors import ConflictError, InputError, NotFoundError
from glossary.owners import API_MADE, API_PREFIX, api_made
from glossary.term import Glossary, Term
from glossary.termload import load_glossary
from glossary.termwrite import create_glossary
from web.access import principal
from web.errors import ApiError
from web.services import service

PREFIX = API_PREFIX
_FOREIGN = uuid.UUID("5d0a3f6e-8f1c-4c55-9a3e-2f7f1b0c9e11")  # namespace for file-name ids


@dataclass(frozen=True)
class Dictionary:
    """One file of a DeepL glossary: its store name and its content."""

    name: str
    glossary: Glossary

    @property
    def pair(self) -> tuple[str, str]:
        return self.glossary.source_language, self.glossary.target_language


# --- ids and names ---------------------------------------------------------------------------


def new_id() -> uuid.UUID:
    """A version-7 UUID: 48 bits of Unix time in milliseconds, then random bits."""
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return uuid.UUID(int=value)


def managed(name: str) -> bool:
    """Whether a store name is a file made through the DeepL API (deletable here)."""
    return api_made(name)


def id_for(name: str) -> str:
    """The glossary_id of a store name (several dictionary files share one)."""
    found = API_MADE.fullmatch(name)
    return found.group(1) if found else str(uuid.uuid5(_FOREIGN, name))


def dictionary_name(ident: str, source: str, target: str) -> str:
    return f"{PREFIX}{ident}.{source}-{target}"


def lang(value: Any, field: str) -> str:
    """`EN-US` → `en`: DeepL codes are upper case with optional variants; ours are base codes."""
    if not isinstance(value, str) or not value.strip():
        raise ApiError(f"Value for '{field}' not supported.")
    return value.strip().split("-")[0].lower()


def pairs() -> list[tuple[str, str]]:
    return service().engines.pairs()


def glossary_pair(params: dict[str, Any]) -> tuple[str, str]:
    """`source_lang` and `target_lang` of a request: a pair a glossary may have."""
    source = lang(params.get("source_lang"), "source_lang")
    target = lang(params.get("target_lang"), "target_lang")
    if (source, target) not in pairs():
        raise ApiError(
            "Unsupported glossary source and target language pair.",
            detail=f"no installed model translates {source}→{target}",
        )
    return source, target


# --- finding ---------------------------------------------------------------------------------


def find(given: str) -> list[Dictionary]:
    """The dictionaries of a glossary_id, in file-name order; 404 when there are none."""
    try:
        wanted = str(uuid.UUID(given))
    except (ValueError, TypeError):
        raise ApiError("Glossary not found", 404, f"{given!r} is not a glossary ID") from None
    store = service().store
    names = [name for name in store.names() if id_for(name) == wanted and _mine(name)]
    if not names:
        raise ApiError("Glossary not found", 404)
    return [Dictionary(name, store.get(name)) for name in names]


def _mine(name: str) -> bool:
    """Whether the caller may see a glossary through the DeepL API: one made through it only
    by the key (or user) that made it, as at DeepL; admins included."""
    return service().owners.may_use(principal(), name, as_admin=False)


def every_glossary() -> dict[str, list[Dictionary]]:
    """Every glossary with a valid file, by glossary_id (files refused as invalid left out)."""
    store = service().store
    found = {g.path: g for g in store.list()}
    out: dict[str, list[Dictionary]] = {}
    for name in store.names():
        glossary = found.get(str(store.path(name)))
        if glossary is not None and _mine(name):
            out.setdefault(id_for(name), []).append(Dictionary(name, glossary))
    return out


def for_pair(dictionaries: list[Dictionary], source: str, target: str) -> Dictionary | None:
    return next((d for d in dictionaries if d.pair == (source, target)), None)


def creation_time(dictionaries: list[Dictionary]) -> str:
    """`2026-01-02T03:04:05.123Z`: from a version-7 ID, else the oldest file's mtime."""
    first = dictionaries[0]
    ident = uuid.UUID(id_for(first.name))
    if managed(first.name) and ident.version == 7:
        seconds = (ident.int >> 80) / 1000
    else:
        store = service().store
        seconds = min(os.stat(d.glossary.path or store.path(d.name)).st_mtime for d in dictionaries)
    stamp = datetime.fromtimestamp(seconds, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


# --- entries ---------------------------------------------------------------------------------


def parse_entries(params: dict[str, Any], source: str, target: str) -> list[Term]:
    """`entries` in `entries_format` (tsv, the default, or csv); at least one entry."""
    entries, fmt = params.get("entries"), params.get("entries_format", "tsv")
    if not isinstance(entries, str):
        raise ApiError("Parameter 'entries' not specified.")
    if fmt not in imports.DEEPL_ENTRIES:
        raise ApiError("Value for 'entries_format' not supported.")
    try:  # any duplicate source refuses the entries, as at DeepL (glossary/imports.py)
        terms = imports.DEEPL_ENTRIES[fmt](entries, source, target)
    except InputError as exc:
        raise ApiError("Invalid glossary entries provided", detail=str(exc)) from None
    if not terms:
        raise ApiError("Invalid glossary entries provided", detail="no entries")
    return terms


# --- writing ---------------------------------------------------------------------------------


def write_new(name: str, title: str, source: str, target: str, terms: list[Term]) -> Glossary:
    """A new dictionary file (refused with 409 if the file exists)."""
    path = service().store.new_path(name)
    # owned before the file exists: an unowned API-made file is nobody's to see
    service().owners.claim(id_for(name), principal())
    return create_glossary(path, title, source, target, terms)


def delete_files(dictionaries: list[Dictionary]) -> None:
    """Delete the files of a glossary made here; 403 for one managed as a file."""
    if not all(managed(d.name) for d in dictionaries):
        raise ApiError("Glossary is managed as a file; change it there.", 403)
    store = service().store
    for dictionary in dictionaries:
        with contextlib.suppress(NotFoundError):  # deleted meanwhile: gone either way
            termwrite.delete_glossary(store.path(dictionary.name))
    gone = {id_for(d.name) for d in dictionaries} - {id_for(n) for n in store.names()}
    for glossary_id in gone:
        service().owners.release(glossary_id)


def _max() -> int:
    return service().store.max_bytes


def _retrying(edit: Callable[..., Glossary], path: Path) -> Glossary:
    """An API edit that names no revision: take the current one, and retry when another
    writer got in between."""
    for _ in range(4):
        revision = load_glossary(path, max_bytes=_max()).revision
        with contextlib.suppress(ConflictError):
            return edit(revision=revision)
    raise ApiError("The glossary is being changed by someone else; try again.", 409)


def rename(dictionary: Dictionary, title: str) -> Glossary:
    path = service().store.path(dictionary.name)
    return _retrying(partial(termedit.rename_glossary, path, title, max_bytes=_max()), path)


def merge(dictionary: Dictionary, terms: list[Term]) -> Glossary:
    """Entries added, or replacing the target of the entry with the same source; the other
    fields of a replaced entry (note, status, ...) stay: the `overwrite` policy of
    glossary/imports.py with source and target given, in one write."""
    path = service().store.path(dictionary.name)
    for _ in range(4):
        current = load_glossary(path, max_bytes=_max())
        with contextlib.suppress(ConflictError):
            return imports.merge(path, current, terms, max_bytes=_max())
    raise ApiError("The glossary is being changed by someone else; try again.", 409)


def replace_terms(dictionary: Dictionary, terms: list[Term]) -> Glossary:
    path = service().store.path(dictionary.name)
    return _retrying(partial(termedit.replace_terms, path, terms, max_bytes=_max()), path)
