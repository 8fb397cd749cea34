"""Validation of a parsed glossary document: every rule of the format, each error naming the
file, the entry and the line and column where it sits."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, cast

from glossary.errors import GlossaryFileError
from glossary.term import MATCH_MODES, STATUSES, Glossary, MatchMode, Status, Term
from glossary.termrules import (
    GENDERS,
    LANGUAGE_RE,
    MAX_TERM_BYTES,
    POS_VALUES,
    TERM_KEYS,
    TOP_KEYS,
    control_character,
    first_duplicate,
)
from glossary.termyaml import dump_term


@dataclass(frozen=True)
class _Node:
    """A value in the document, with how to name it and where it sits."""

    path: str
    label: str
    container: Any
    key: Any

    def child(self, label: str, container: Any, key: Any) -> _Node:
        return _Node(self.path, label, container, key)

    @property
    def value(self) -> Any:
        if isinstance(self.container, list):
            return self.container[self.key]
        return self.container.get(self.key)

    def where(self, *, at_key: bool = False) -> tuple[int | None, int | None]:
        lc = getattr(self.container, "lc", None)
        if lc is None or lc.line is None:
            return None, None
        position: Any = None
        with contextlib.suppress(KeyError, IndexError, TypeError):
            if isinstance(self.container, list):
                position = lc.item(self.key)
            elif at_key or self.value is None:
                # A null value's mark points at the next token; the key is the useful spot.
                position = lc.key(self.key)
            else:
                position = lc.value(self.key)
        line, column = position if position else (lc.line, lc.col)
        return line + 1, column + 1

    def fail(self, message: str, *, at_key: bool = False) -> NoReturn:
        line, column = self.where(at_key=at_key)
        prefix = f"{self.label}: " if self.label else ""
        raise GlossaryFileError(prefix + message, path=self.path, line=line, column=column)

    def mapping_fail(self, mapping: Any, message: str) -> NoReturn:
        """Fail at the start of `mapping` itself (for a missing key)."""
        lc = getattr(mapping, "lc", None)
        line = None if lc is None else lc.line + 1
        column = None if lc is None else lc.col + 1
        prefix = f"{self.label}: " if self.label else ""
        raise GlossaryFileError(prefix + message, path=self.path, line=line, column=column)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _check_keys(mapping: Mapping[Any, Any], allowed: tuple[str, ...], node: _Node) -> None:
    for key in mapping:
        if key not in allowed:
            label = f"{node.label}.{key}" if node.label else str(key)
            node.child(label, mapping, key).fail(
                f"unknown key; allowed keys are {', '.join(allowed)}", at_key=True
            )


def _text(node: _Node, *, required: bool, term: bool = True) -> str | None:
    """A string field. `term` strings are one line with no control characters at all."""
    value = node.value
    if value is None and not required:
        return None
    if value is None or (isinstance(value, str) and not value.strip()):
        node.fail("must not be empty")
    if not isinstance(value, str):
        node.fail(f"must be a string, not {_kind(value)}; quote it if it is meant as text")
    text = str(value)
    if term and text != text.strip():
        node.fail("has leading or trailing whitespace")
    if not term:
        text = text.strip()  # a "|" block scalar ends in a newline that is not part of the note
    found = control_character(text, allow="" if term else "\n\t")
    if found is not None:
        node.fail(f"contains control character U+{ord(found[1]):04X} at position {found[0]}")
    if term and len(text.encode("utf-8")) > MAX_TERM_BYTES:
        node.fail(f"is longer than {MAX_TERM_BYTES} UTF-8 bytes")
    return text


def _choice(node: _Node, choices: tuple[str, ...], default: str | None) -> str | None:
    value = node.value
    if value is None:
        return default
    if not isinstance(value, str) or value not in choices:
        node.fail(f"must be one of {', '.join(choices)}, not {value!r}")
    return str(value)


def _flag(node: _Node) -> bool:
    value = False if node.value is None else node.value
    if not isinstance(value, bool):
        node.fail(f"must be true or false, not {value!r}")
    return value


def _forbidden(node: _Node, target: str) -> tuple[str, ...]:
    value = node.value
    if value is None:
        return ()
    if not isinstance(value, list):
        node.fail(f"must be a list of strings, not {_kind(value)}")
    items: list[str] = []
    for index in range(len(value)):
        item = node.child(f"{node.label}[{index}]", value, index)
        text = cast(str, _text(item, required=True))
        if text == target:
            item.fail("is the approved target itself")
        if text in items:
            item.fail("is listed twice")
        items.append(text)
    return tuple(items)


def _source_plural(node: _Node, source: str) -> str | None:
    """The plural the finder uses for the source's head noun, word for word: "Praxen" for
    "Praxis", "klinische Praxen" for "klinische Praxis"."""
    plural = _text(node, required=False)
    if plural is not None and len(plural.split()) != len(source.split()):
        node.fail(
            f"must have as many words as the source ({len(source.split())}): the plural of "
            f"{source!r} word for word"
        )
    return plural


def _build_term(node: _Node) -> Term:
    item = node.container[node.key]
    if not isinstance(item, Mapping):
        node.fail(f"must be a mapping with at least source and target, not {_kind(item)}")
    _check_keys(item, TERM_KEYS, node)
    for key in ("source", "target"):
        if key not in item:
            node.mapping_fail(item, f"missing required key {key!r}")

    def field(key: str) -> _Node:
        return node.child(f"{node.label}.{key}", item, key)

    target = cast(str, _text(field("target"), required=True))
    source = cast(str, _text(field("source"), required=True))
    return Term(
        source=source,
        target=target,
        target_plural=_text(field("target_plural"), required=False),
        source_plural=_source_plural(field("source_plural"), source),
        match=cast(MatchMode, _choice(field("match"), MATCH_MODES, "inflected")),
        case_sensitive=_flag(field("case_sensitive")),
        forbidden=_forbidden(field("forbidden"), target),
        status=cast(Status, _choice(field("status"), STATUSES, "approved")),
        note=_text(field("note"), required=False, term=False),
        pos=_choice(field("pos"), POS_VALUES, None),
        gender=_choice(field("gender"), GENDERS, None),
        line=node.where()[0],
    )


def check_duplicates(
    terms: Sequence[Term], seq: Any, path: str, labels: Sequence[str] | None = None
) -> None:
    """Refuse the first term that `clashes` with an earlier one."""
    found = first_duplicate(terms)
    if found is None:
        return
    index, other_index = found
    other = terms[other_index]
    where = f" at line {other.line}" if other.line is not None else ""
    label = labels[index] if labels else f"terms[{index}]"
    other_label = labels[other_index] if labels else f"terms[{other_index}]"
    _Node(path, f"{label}.source", seq[index], "source").fail(
        f"duplicate of {other_label} {other.source!r}{where}; sources are "
        "compared ignoring case and dash variants unless both set case_sensitive: true"
    )


def build_glossary(root: Any, path: str) -> Glossary:
    top = _Node(path, "", root, None)
    if not isinstance(root, Mapping):
        raise GlossaryFileError(
            "the top level must be a mapping with the keys " + ", ".join(TOP_KEYS),
            path=path,
            line=1,
            column=1,
        )
    _check_keys(root, TOP_KEYS, top)
    for key in TOP_KEYS:
        if key not in root:
            top.mapping_fail(root, f"missing required key {key!r}")
    languages = []
    for key in ("source_language", "target_language"):
        node = top.child(key, root, key)
        code = cast(str, _text(node, required=True))
        if not LANGUAGE_RE.fullmatch(code):
            node.fail(
                f"must be a 2- or 3-letter lowercase language code such as 'de', not {code!r}"
            )
        languages.append(code)
    name = cast(str, _text(top.child("name", root, "name"), required=True))
    seq = root["terms"]
    if not isinstance(seq, list):
        top.child("terms", root, "terms").fail(
            f"must be a list (write [] for none), not {_kind(seq)}"
        )
    terms = tuple(_build_term(_Node(path, f"terms[{i}]", seq, i)) for i in range(len(seq)))
    check_duplicates(terms, seq, path)
    return Glossary(name, languages[0], languages[1], terms, path=path)


def check_terms(terms: Sequence[Term], path: str, labels: Sequence[str] | None = None) -> None:
    """Validate terms that did not come from a YAML file (imports) by the same rules; errors
    name `path` and the term's label (default terms[i])."""
    seq = [dump_term(term) for term in terms]
    names = labels if labels is not None else [f"terms[{i}]" for i in range(len(seq))]
    built = [_build_term(_Node(path, names[i], seq, i)) for i in range(len(seq))]
    check_duplicates(built, seq, path, names)
