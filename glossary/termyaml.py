"""Glossary YAML through ruamel.yaml's round-trip mode: parsing with errors that say
file:line:column, and writing back so that comments, key order and quoting written by hand
survive an edit made from code.

Anchors, aliases and explicit tags are refused while the document is composed, before any
value is constructed. A glossary needs none of them, and refusing them outright is a complete
answer both to alias-expansion bombs ("billion laughs": nothing is ever expanded) and to
`!!python/object`-style tags (nothing is ever constructed from a tag). A nesting-depth cap
stops documents that are nothing but nesting.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer, ComposerError, MaxDepthExceededError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.reader import ReaderError

from glossary.errors import GlossaryFileError
from glossary.term import Term
from glossary.termrules import TERM_KEYS

MAX_DEPTH = 20  # the format nests three levels deep; anything deeper is not a glossary
DEFAULT_INDENT = (4, 2)  # (sequence, offset): items written as "  - source: ..."


class _RefusedError(ComposerError):
    """Raised while composing, so it carries a mark like every other YAML error."""


class _PlainComposer(Composer):
    """Composer that refuses anchors, aliases and explicit tags (see the module docstring)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _RefusedError(
                None,
                None,
                "YAML anchors and aliases (&name, *name) are not allowed in a glossary",
                event.start_mark,
            )
        tag = getattr(event, "ctag", None)
        if tag is not None and str(tag) != "!":
            shown = str(tag).replace("tag:yaml.org,2002:", "!!")
            raise _RefusedError(
                None,
                None,
                f"YAML tags are not allowed in a glossary (found {shown!r}); "
                "write plain values, quoted if they are text",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def round_trip_yaml(indent: tuple[int, int] = DEFAULT_INDENT) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Composer = _PlainComposer
    yaml.preserve_quotes = True  # so an edit leaves the quoting of untouched entries alone
    yaml.max_depth = MAX_DEPTH
    yaml.width = 4096  # never re-wrap a long note that the author kept on one line
    yaml.indent(mapping=2, sequence=indent[0], offset=indent[1])
    return yaml


@dataclass
class Document:
    """A parsed file plus what is needed to write it back the way it was written."""

    root: Any
    text: str
    indent: tuple[int, int]


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def decode(data: bytes, path: str, max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise GlossaryFileError(
            f"file is {len(data)} bytes; the limit is {max_bytes} bytes", path=path
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise GlossaryFileError(
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start}; "
            "save the file as UTF-8",
            path=path,
            line=line,
            column=column,
        ) from None


def _syntax_error(exc: YAMLError, text: str, path: str) -> GlossaryFileError:
    if isinstance(exc, ReaderError):
        line, column = _position(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return GlossaryFileError(
            f"character U+{code:04X} is not allowed in YAML",
            path=path,
            line=line,
            column=column,
        )
    if isinstance(exc, MaxDepthExceededError):
        mark = exc.problem_mark
        return GlossaryFileError(
            f"nested deeper than {MAX_DEPTH} levels; a glossary needs three",
            path=path,
            line=mark.line + 1,
            column=mark.column + 1,
        )
    if isinstance(exc, MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        problem = " ".join(str(exc.problem or "invalid YAML").split())
        if exc.context and not isinstance(exc, _RefusedError):
            context = " ".join(str(exc.context).split())
            if exc.context_mark is not None:
                context += f" (line {exc.context_mark.line + 1})"
            problem = f"{problem}, {context}"
        kind = "" if isinstance(exc, _RefusedError) else "YAML syntax: "
        return GlossaryFileError(
            kind + problem, path=path, line=mark.line + 1, column=mark.column + 1
        )
    return GlossaryFileError(f"YAML syntax: {exc}", path=path)


def guess_indent(seq: Any, text: str) -> tuple[int, int]:
    """The (sequence, offset) indentation the author used for a block list of entries."""
    if not isinstance(seq, CommentedSeq) or not seq or not isinstance(seq[0], CommentedMap):
        return DEFAULT_INDENT
    line, key_col = seq[0].lc.line, seq[0].lc.col
    dash_col = text.split("\n")[line].rfind("-", 0, key_col)
    if dash_col < 0 or key_col - dash_col < 2:
        return DEFAULT_INDENT
    return key_col, dash_col


def load_document(data: bytes, path: str, max_bytes: int) -> Document:
    text = decode(data, path, max_bytes)
    try:
        root = round_trip_yaml().load(text)
    except YAMLError as exc:
        raise _syntax_error(exc, text, path) from None
    terms = root.get("terms") if isinstance(root, CommentedMap) else None
    return Document(root, text, guess_indent(terms, text))


def dump(document: Document) -> bytes:
    """The whole document re-emitted by ruamel (used where line surgery is not possible)."""
    buffer = io.StringIO()
    round_trip_yaml(document.indent).dump(document.root, buffer)
    bom = "\ufeff" if document.text.startswith("\ufeff") else ""
    return (bom + buffer.getvalue()).encode("utf-8")


def dump_entries(entries: CommentedSeq, indent: tuple[int, int]) -> str:
    buffer = io.StringIO()
    round_trip_yaml(indent).dump(entries, buffer)
    return buffer.getvalue()


def dump_term(term: Term) -> dict[str, Any]:
    """The YAML mapping for a term: source and target, then only fields that differ from
    their defaults, in the canonical key order."""
    data: dict[str, Any] = {"source": term.source, "target": term.target}
    optional: dict[str, Any] = {
        "target_plural": term.target_plural,
        "source_plural": term.source_plural,
        "match": None if term.match == "inflected" else term.match,
        "case_sensitive": True if term.case_sensitive else None,
        "forbidden": list(term.forbidden) or None,
        "status": None if term.status == "approved" else term.status,
        "note": term.note,
        "pos": term.pos,
        "gender": term.gender,
    }
    data.update((key, value) for key, value in optional.items() if value is not None)
    return data


def _yaml_value(value: Any) -> Any:
    if isinstance(value, list):
        seq = CommentedSeq(value)
        seq.fa.set_flow_style()  # forbidden: [a, b] keeps an entry compact
        return seq
    return value


def term_map(term: Term) -> CommentedMap:
    return CommentedMap((key, _yaml_value(value)) for key, value in dump_term(term).items())


def _unchanged(old: Any, new: Any) -> bool:
    if isinstance(new, list):
        return isinstance(old, list) and [str(x) for x in old] == new
    if isinstance(new, bool):
        return old is new
    return isinstance(old, str) and str(old) == new


def fill(entry: CommentedMap, term: Term) -> None:
    """Update an entry in place, so comments on unchanged keys stay where they are."""
    wanted = dump_term(term)
    for key in [key for key in entry if key not in wanted]:
        del entry[key]
    for key, value in wanted.items():
        if key in entry and _unchanged(entry[key], value):
            continue
        if key in entry:
            entry[key] = _yaml_value(value)
            continue
        rank = TERM_KEYS.index(key)
        position = sum(1 for k in entry if k in TERM_KEYS and TERM_KEYS.index(k) < rank)
        entry.insert(position, key, _yaml_value(value))
