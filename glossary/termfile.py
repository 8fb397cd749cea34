"""Glossary YAML files: load and validate with file:line:column errors, and edit them
atomically under a revision check (the directory of them is glossary/store.py).

Safety choices, made once here:
- ruamel.yaml round-trip mode (typ="rt"), so comments, key order and quoting written by hand
  survive an edit made from code.
- Anchors, aliases and explicit tags are refused while the document is composed, before any
  value is constructed. A glossary needs none of them, and refusing them outright is a complete
  answer both to alias-expansion bombs ("billion laughs": nothing is ever expanded) and to
  `!!python/object`-style tags (nothing is ever constructed from a tag).
- A size cap (default 10 MB, DeepL's dictionary limit), a nesting-depth cap, and a cap of
  1024 UTF-8 bytes a term (DeepL's per-term limit).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import hashlib
import io
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, NoReturn, cast

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer, ComposerError, MaxDepthExceededError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.reader import ReaderError

from glossary import history
from glossary.errors import (
    BrokenFileError,
    ConflictError,
    GlossaryFileError,
    InputError,
    NotFoundError,
    TermsFolderError,
)
from glossary.gcpause import gc_paused
from glossary.match import term_key
from glossary.term import MATCH_MODES, STATUSES, Glossary, MatchMode, Status, Term

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_TERM_BYTES = 1024
MAX_DEPTH = 20  # the format nests three levels deep; anything deeper is not a glossary

TOP_KEYS: tuple[str, ...] = ("source_language", "target_language", "name", "terms")
TERM_KEYS: tuple[str, ...] = (
    "source",
    "target",
    "target_plural",
    "match",
    "case_sensitive",
    "forbidden",
    "status",
    "note",
    "pos",
    "gender",
)
POS_VALUES: tuple[str, ...] = ("noun", "verb", "adjective", "adverb", "phrase", "other")
GENDERS: tuple[str, ...] = ("m", "f", "n")

LANGUAGE_RE = re.compile(r"[a-z]{2,3}")  # ISO 639-1/-2/-3 codes, as written in the file
_DEFAULT_INDENT = (4, 2)  # (sequence, offset): items written as "  - source: ..."


# --- text checks shared with glossary.formats --------------------------------------------


def control_character(text: str, *, allow: str = "") -> tuple[int, str] | None:
    """(index, character) of the first C0/C1 control or line/paragraph separator in `text`.

    These never belong in a term; they also break TSV, CSV and XML 1.0."""
    for index, char in enumerate(text):
        if char in allow:
            continue
        if unicodedata.category(char) == "Cc" or char in "\u2028\u2029":
            return index, char
    return None


def duplicate_key(source: str, *, case_sensitive: bool) -> str:
    """The form under which two sources count as the same term: the matcher's own
    (`match.term_key`: dash variants, spacing around dashes, soft hyphens, quotes between
    words and Unicode normalisation are ignored, and casefold() folds ß to ss), because the
    matcher finds such spellings as one term (issue 3): two entries for them could never both
    apply."""
    return term_key(source, case_sensitive=case_sensitive)


def clashes(term: Term, other: Term) -> bool:
    """Whether two terms have the same source (the rule for duplicates in one file and, in
    glossary/glossaries.py, across glossaries): they fold to the same key, unless both are
    case-sensitive and differ in case."""
    if duplicate_key(term.source, case_sensitive=False) != \
            duplicate_key(other.source, case_sensitive=False):  # fmt: skip
        return False
    both_sensitive = term.case_sensitive and other.case_sensitive
    return not both_sensitive or duplicate_key(term.source, case_sensitive=True) == \
        duplicate_key(other.source, case_sensitive=True)  # fmt: skip


def first_duplicate(terms: Sequence[Term]) -> tuple[int, int] | None:
    """(index, index of the earlier term) of the first term that `clashes` with an earlier
    one, or None."""
    first: dict[str, int] = {}
    same_key: dict[str, list[int]] = {}  # only keys held by more than one term
    for index, term in enumerate(terms):
        folded = duplicate_key(term.source, case_sensitive=False)
        if first.setdefault(folded, index) == index:
            continue
        earlier = same_key.setdefault(folded, [first[folded]])
        for other_index in earlier:
            if clashes(term, terms[other_index]):
                return index, other_index
        earlier.append(index)
    return None


_FEW_FRESH = 32  # beyond this many new terms, one pass over every key is cheaper


def first_duplicate_among(terms: Sequence[Term], fresh: Sequence[int]) -> tuple[int, int] | None:
    """(index, index) of a pair of `terms` that clash, at least one of them at an index in
    `fresh`, or None: for terms of which all the others came from one valid file (no two of
    them clash). With few fresh terms, only the terms that share a word with one of them are
    compared, found by one search of all the sources as a single text: a one-term edit of a
    100,000-term glossary folds a handful of keys instead of every one."""
    if len(fresh) > _FEW_FRESH:
        return first_duplicate(terms)
    folded = unicodedata.normalize("NFC", "\n".join(t.source for t in terms).replace("\xad", ""))
    text = folded.casefold()  # as duplicate_key folds each word: NFC, then casefold
    pairs = []
    for index in fresh:
        key = duplicate_key(terms[index].source, case_sensitive=False)
        needle = max(re.findall(r"\w+", key), key=len, default=key)
        other, counted = 0, 0  # the term at each hit: the line breaks before it, counted on
        for found in re.finditer(re.escape(needle), text):
            other += text.count("\n", counted, found.start())
            counted = found.start()
            if other != index and clashes(terms[index], terms[other]):
                pairs.append((max(index, other), min(index, other)))
    return min(pairs, default=None)


def revision_of(data: bytes) -> str:
    """The revision an edit must name: the SHA-256 of the file's bytes, as hex."""
    return hashlib.sha256(data).hexdigest()


# --- YAML reading ------------------------------------------------------------------------


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


def _yaml(indent: tuple[int, int] = _DEFAULT_INDENT) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Composer = _PlainComposer
    yaml.preserve_quotes = True  # so an edit leaves the quoting of untouched entries alone
    yaml.max_depth = MAX_DEPTH
    yaml.width = 4096  # never re-wrap a long note that the author kept on one line
    yaml.indent(mapping=2, sequence=indent[0], offset=indent[1])
    return yaml


@dataclass
class _Document:
    """A parsed file plus what is needed to write it back the way it was written."""

    root: Any
    text: str
    indent: tuple[int, int]


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _decode(data: bytes, path: str, max_bytes: int) -> str:
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


def _guess_indent(seq: Any, text: str) -> tuple[int, int]:
    """The (sequence, offset) indentation the author used for a block list of entries."""
    if not isinstance(seq, CommentedSeq) or not seq or not isinstance(seq[0], CommentedMap):
        return _DEFAULT_INDENT
    line, key_col = seq[0].lc.line, seq[0].lc.col
    dash_col = text.split("\n")[line].rfind("-", 0, key_col)
    if dash_col < 0 or key_col - dash_col < 2:
        return _DEFAULT_INDENT
    return key_col, dash_col


def _load_document(data: bytes, path: str, max_bytes: int) -> _Document:
    text = _decode(data, path, max_bytes)
    try:
        root = _yaml().load(text)
    except YAMLError as exc:
        raise _syntax_error(exc, text, path) from None
    terms = root.get("terms") if isinstance(root, CommentedMap) else None
    return _Document(root, text, _guess_indent(terms, text))


def _dump(document: _Document) -> bytes:
    """The whole document re-emitted by ruamel (used where line surgery is not possible)."""
    buffer = io.StringIO()
    _yaml(document.indent).dump(document.root, buffer)
    bom = "\ufeff" if document.text.startswith("\ufeff") else ""
    return (bom + buffer.getvalue()).encode("utf-8")


# --- validation --------------------------------------------------------------------------


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
    return Term(
        source=cast(str, _text(field("source"), required=True)),
        target=target,
        target_plural=_text(field("target_plural"), required=False),
        match=cast(MatchMode, _choice(field("match"), MATCH_MODES, "inflected")),
        case_sensitive=_flag(field("case_sensitive")),
        forbidden=_forbidden(field("forbidden"), target),
        status=cast(Status, _choice(field("status"), STATUSES, "approved")),
        note=_text(field("note"), required=False, term=False),
        pos=_choice(field("pos"), POS_VALUES, None),
        gender=_choice(field("gender"), GENDERS, None),
        line=node.where()[0],
    )


def _check_duplicates(
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


def _build_glossary(root: Any, path: str) -> Glossary:
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
    _check_duplicates(terms, seq, path)
    return Glossary(name, languages[0], languages[1], terms, path=path)


def check_terms(terms: Sequence[Term], path: str, labels: Sequence[str] | None = None) -> None:
    """Validate terms that did not come from a YAML file (imports) by the same rules; errors
    name `path` and the term's label (default terms[i])."""
    seq = [dump_term(term) for term in terms]
    names = labels if labels is not None else [f"terms[{i}]" for i in range(len(seq))]
    built = [_build_term(_Node(path, names[i], seq, i)) for i in range(len(seq))]
    _check_duplicates(built, seq, path, names)


# --- loading -----------------------------------------------------------------------------


def parse_glossary(data: bytes, path: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Glossary:
    """Validate and build a glossary from a file's bytes; `path` is used in messages.

    A valid file in the usual layout is read by the fast reader (glossary/termread.py); any
    other file, and every invalid one, by ruamel.yaml, whose errors say where."""
    from glossary.termread import fast_glossary  # termread imports this module

    glossary = fast_glossary(_decode(data, path, max_bytes), path)
    if glossary is None:
        glossary = _build_glossary(_load_document(data, path, max_bytes).root, path)
    return replace(glossary, revision=revision_of(data))


def read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # one byte more tells "too big" apart
    except FileNotFoundError:
        raise NotFoundError(f"{path}: no such glossary file") from None
    except OSError as exc:
        raise GlossaryFileError(f"cannot read: {exc.strerror}", path=str(path)) from None
    if len(data) > max_bytes:
        raise GlossaryFileError(
            f"file is larger than the limit of {max_bytes} bytes", path=str(path)
        )
    return data


def load_glossary(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Glossary:
    """Read and validate one glossary file (Glossary.path = str(path), revision = SHA-256)."""
    return parse_glossary(read_bytes(Path(path), max_bytes), str(path), max_bytes=max_bytes)


# --- writing -----------------------------------------------------------------------------


def dump_term(term: Term) -> dict[str, Any]:
    """The YAML mapping for a term: source and target, then only fields that differ from
    their defaults, in the canonical key order."""
    data: dict[str, Any] = {"source": term.source, "target": term.target}
    optional: dict[str, Any] = {
        "target_plural": term.target_plural,
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


def _term_map(term: Term) -> CommentedMap:
    return CommentedMap((key, _yaml_value(value)) for key, value in dump_term(term).items())


def _unchanged(old: Any, new: Any) -> bool:
    if isinstance(new, list):
        return isinstance(old, list) and [str(x) for x in old] == new
    if isinstance(new, bool):
        return old is new
    return isinstance(old, str) and str(old) == new


def _fill(entry: CommentedMap, term: Term) -> None:
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


def _lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def _open_lock(lock_path: Path) -> int:
    """A descriptor holding the flock on the lock file that is at `lock_path` now.

    Lock files are deleted once their glossary file is gone (see `_locked`), so the flock
    alone proves nothing: a waiter may wake up holding a file that was unlinked meanwhile
    while a newcomer locks a fresh one at the same path. Hence the check, after locking, that
    the path still names the locked inode; when it does not, start over. O_NOFOLLOW: a
    symbolic link planted as a lock file must not make us create a file elsewhere."""
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with contextlib.suppress(FileNotFoundError):
                if os.path.samestat(os.fstat(fd), os.lstat(lock_path)):
                    return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _drop_lock_if_orphan(path: Path, lock_path: Path) -> None:
    """Called holding the lock: remove the lock file when its glossary file is gone, so lock
    files do not pile up after deletes. Safe because every locker re-checks the inode after
    locking (`_open_lock`): anyone who wakes up on the unlinked file starts over."""
    if not os.path.lexists(path):
        with contextlib.suppress(OSError):  # a read-only folder keeps its lock: harmless
            os.unlink(lock_path)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Exclusive flock on `.<name>.yaml.lock` beside the file, across read-check-write."""
    lock_path = _lock_path(path)
    try:
        fd = _open_lock(lock_path)
    except OSError as exc:
        raise _write_failure(exc, path) from exc
    try:
        yield
    finally:
        _drop_lock_if_orphan(path, lock_path)
        os.close(fd)  # closing the descriptor releases the lock


def discard_orphan_lock(path: Path) -> None:
    """Remove the lock file of glossary file `path` if the glossary file is gone (deleted by
    hand, by an older version, or by a crash between the two unlinks). Never waits: a lock
    held now belongs to a writer that removes it itself when it finds the file gone."""
    lock_path = _lock_path(path)
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.path.samestat(os.fstat(fd), os.lstat(lock_path)):
            _drop_lock_if_orphan(path, lock_path)
    except OSError:
        pass  # held by a writer, or already gone
    finally:
        os.close(fd)


_READ_ONLY = (errno.EACCES, errno.EPERM, errno.EROFS)


def _write_failure(exc: OSError, path: Path) -> TermsFolderError:
    """A clear error for a glossary file that cannot be written, instead of a bare OSError
    (which reached users as a 500)."""
    if exc.errno in _READ_ONLY:
        return TermsFolderError(
            f"the terms folder {path.parent} is read-only: cannot save glossary {path.stem}; "
            "nothing was changed"
        )
    return TermsFolderError(
        f"cannot save glossary {path.stem} in the terms folder {path.parent}: "
        f"{exc.strerror or exc}; nothing was changed"
    )


def _check_writable(path: Path) -> None:
    """A glossary file without write permission is read-only on purpose. Checked by its mode
    bits too because the rename that replaces it would succeed regardless (and root passes
    every access check)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not mode & 0o222 or not os.access(path, os.W_OK):
        raise TermsFolderError(
            f"the glossary file {path} is read-only: cannot save glossary {path.stem}; "
            "nothing was changed"
        )


def _link_new(tmp_name: str, path: Path) -> None:
    """Publish a new file without ever replacing one: link() fails if `path` exists. Where a
    filesystem has no hard links, fall back to check-then-rename, which our lock still makes
    safe against other editors using this module."""
    try:
        os.link(tmp_name, path)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if path.exists():
            raise FileExistsError(errno.EEXIST, "file exists", str(path)) from None
        os.replace(tmp_name, path)
        return
    os.unlink(tmp_name)


STALE_TEMP_SECONDS = 60.0


def _sweep_stale_temps(path: Path) -> None:
    """Remove temp files a killed writer left beside `path`. Called under the file's lock, so
    no live writer of this file has one in flight; the age check is a second guard."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if stale.stat().st_mtime < cutoff:
                stale.unlink()


def _atomic_write(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Temp file in the same directory, write, fsync, rename over (or link, when `exclusive`,
    which fails instead of replacing), then fsync the directory so the rename is durable."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        if exclusive:
            _link_new(tmp_name, path)
        else:
            os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _edit(
    path: Path, revision: str, rewrite: Callable[[_Document], bytes], max_bytes: int
) -> Glossary:
    """Lock, check the revision, rewrite, validate the new bytes, write atomically."""
    path = Path(path)
    if not path.parent.is_dir():
        raise NotFoundError(f"{path}: no such directory for a glossary file")
    with _locked(path):
        data = read_bytes(path, max_bytes)
        # Validity before the revision: readers hold the last valid version, whose revision
        # never matches an invalid file, so checking the revision first answered "reload"
        # to every edit, forever.
        document, before = _valid_document(path, data, max_bytes)
        current = revision_of(data)
        if revision != current:
            raise ConflictError(
                f"{path}: the edit names revision {revision}, but the file is at revision "
                f"{current}; reload it and apply the edit again"
            )
        _check_writable(path)
        new_data = rewrite(document)
        glossary = parse_glossary(new_data, str(path), max_bytes=max_bytes)
        _sweep_stale_temps(path)
        try:
            _atomic_write(path, new_data)
        except OSError as exc:
            raise _write_failure(exc, path) from exc
        # the change log, still under the lock: before as re-read here, after as written
        history.record_edit(path, replace(before, revision=current), glossary, (data, new_data))
        return glossary


def _valid_document(path: Path, data: bytes, max_bytes: int) -> tuple[_Document, Glossary]:
    """The file's document and glossary, or BrokenFileError when the file on disk is not a
    valid glossary."""
    try:
        document = _load_document(data, str(path), max_bytes)
        glossary = _build_glossary(document.root, str(path))
    except GlossaryFileError as exc:
        raise _broken(path, exc) from exc
    return document, glossary


def delete_glossary(path: Path) -> None:
    """Delete a glossary file, and its lock file with it, under the lock: an edit in flight
    finishes first, and one waiting behind the delete finds the file gone (NotFoundError)
    instead of writing it back."""
    path = Path(path)
    with _locked(path):
        try:
            path.unlink()
        except FileNotFoundError:
            raise NotFoundError(f"{path}: no such glossary file") from None
        except OSError as exc:
            raise _write_failure(exc, path) from exc
        history.discard(path)  # its change log goes with it, as its lock file does


def move_glossary(path: Path, new_path: Path) -> None:
    """Give a glossary file a new name in the same folder, with its change log, holding both
    names' locks (taken in a fixed order): an edit in flight finishes first, one waiting finds
    the old file gone (NotFoundError), and an existing file is never replaced
    (ConflictError)."""
    path, new_path = Path(path), Path(new_path)
    if path == new_path:
        raise InputError(f"{path}: the new name is the old one; nothing was renamed")
    first, second = sorted([path, new_path])
    with _locked(first), _locked(second):
        if not path.is_file() or path.is_symlink():
            raise NotFoundError(f"{path}: no such glossary file")
        revision = revision_of(path.read_bytes())
        try:
            _link_new(str(path), new_path)  # link, then unlink the old name
        except FileExistsError:
            raise ConflictError(f"{new_path} already exists; nothing was renamed") from None
        except OSError as exc:
            raise _write_failure(exc, new_path) from exc
        history.move(path, new_path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        history.record_renamed(new_path, path.stem, new_path.stem, revision)


def _find(seq: Any, source: str, path: Path) -> int:
    """Index of the entry for `source`: exact spelling first, else the one duplicate-key match."""
    sources = [str(entry.get("source", "")) if isinstance(entry, Mapping) else "" for entry in seq]
    return _index_of(sources, source, path)


def _index_of(sources: Sequence[str], source: str, path: Path) -> int:
    with contextlib.suppress(ValueError):
        return sources.index(source)
    key = duplicate_key(source, case_sensitive=False)
    folded = [i for i, s in enumerate(sources) if duplicate_key(s, case_sensitive=False) == key]
    if len(folded) == 1:
        return folded[0]
    raise NotFoundError(f"{path}: no term with source {source!r}")


# One-term edits are line surgery on the original text (glossary/bulkedit.py, as imports):
# only the lines of the entry being added, changed or removed are touched, so every other byte
# (comments, blank lines, quoting, wrapping) stays as written. They start from the glossary as
# the caller read it when that is the revision the edit names (the server's copy), else from
# the file parsed once, and are checked against it: a one-term edit of 100,000 terms neither
# parses the file with the round-trip parser nor compares every pair of terms.

_ODD_BREAKS = re.compile(r"\r(?!\n)|[\x85\u2028\u2029]")  # ruamel counts these as lines


def _dump_entries(entries: CommentedSeq, indent: tuple[int, int]) -> str:
    buffer = io.StringIO()
    _yaml(indent).dump(entries, buffer)
    return buffer.getvalue()


_Plan = tuple[Sequence[Term], Mapping[int, Term], Sequence[int]]  # added, changed, removed


def _edit_terms(path: Path, revision: str, base: Glossary | None, max_bytes: int,
                plan: Callable[[Glossary], _Plan]) -> Glossary:  # fmt: skip
    from glossary import bulkedit  # bulkedit imports this module

    path = Path(path)
    if not path.parent.is_dir():
        raise NotFoundError(f"{path}: no such directory for a glossary file")
    if base is None or base.revision != revision:
        base = _current(path, max_bytes)
    if base.revision != revision:
        raise ConflictError(
            f"{path}: the edit names revision {revision}, but the file is at revision "
            f"{base.revision}; reload it and apply the edit again"
        )
    added, changed, removed = plan(base)
    known = base

    def build(text: str) -> tuple[str, Glossary]:
        with gc_paused():  # renumbering the terms below an entry that changed length
            return bulkedit.edited(known, text, added, changed, str(path), removed)

    return rewrite_at_revision(path, base, build, max_bytes=max_bytes)


def _current(path: Path, max_bytes: int) -> Glossary:
    """The file as it is, or BrokenFileError when it is not a valid glossary."""
    data = read_bytes(path, max_bytes)
    try:
        return parse_glossary(data, str(path), max_bytes=max_bytes)
    except GlossaryFileError as exc:
        raise _broken(path, exc) from exc


def _broken(path: Path, exc: GlossaryFileError) -> BrokenFileError:
    where = f" at line {exc.line}" if exc.line is not None else ""
    return BrokenFileError(
        f"glossary {path.stem}: the file {path} is invalid{where} ({exc.message}); it must "
        "be fixed (or restored) before it can be edited; nothing was changed"
    )


def add_term(path: Path, term: Term, *, revision: str, base: Glossary | None = None,
             max_bytes: int = DEFAULT_MAX_BYTES) -> Glossary:  # fmt: skip
    """Append a term; returns the glossary as written. `base`, where the caller has it, is
    the glossary as it read it (used when it is at `revision`)."""
    check_terms([term], str(path), ["term"])  # before YAML folds what it cannot hold (U+0085)
    return _edit_terms(path, revision, base, max_bytes, lambda _: ([term], {}, ()))


def update_term(path: Path, source: str, term: Term, *, revision: str,
                base: Glossary | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES) -> Glossary:  # fmt: skip
    """Replace the entry for `source` with `term` (which may rename it); the entry keeps its
    place and the comments on its unchanged lines."""
    check_terms([term], str(path), ["term"])

    def plan(glossary: Glossary) -> _Plan:
        return [], {_term_index(glossary, source, path): term}, ()

    return _edit_terms(path, revision, base, max_bytes, plan)


def remove_term(path: Path, source: str, *, revision: str, base: Glossary | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES) -> Glossary:  # fmt: skip
    """Delete the entry for `source`: its own lines go; full-line comments around it stay
    (they usually head a section or the next entry)."""

    def plan(glossary: Glossary) -> _Plan:
        return [], {}, (_term_index(glossary, source, path),)

    return _edit_terms(path, revision, base, max_bytes, plan)


def _term_index(glossary: Glossary, source: str, path: Path) -> int:
    return _index_of([term.source for term in glossary.terms], source, path)


def _block_terms(root: Any) -> Any:
    seq = root["terms"]
    if isinstance(seq, CommentedSeq) and seq.fa.flow_style():
        seq.fa.set_block_style()  # "terms: []" grows into a normal block list
    return seq


def rename_glossary(
    path: Path, name: str, *, revision: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> Glossary:
    """Change the glossary's display name; everything else stays as written."""

    def rewrite(document: _Document) -> bytes:
        document.root["name"] = name
        return _dump(document)

    return _edit(path, revision, rewrite, max_bytes)


def merge_terms(
    path: Path, terms: Sequence[Term], *, revision: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> Glossary:
    """Add the terms in one write; one whose source is already there (compared as for
    duplicates) replaces only that entry's target: its note, status and comments stay."""

    def rewrite(document: _Document) -> bytes:
        seq = _block_terms(document.root)
        key = partial(duplicate_key, case_sensitive=False)
        index = {key(str(e.get("source", ""))): i
                 for i, e in enumerate(seq) if isinstance(e, CommentedMap)}  # fmt: skip
        for term in terms:
            at = index.get(key(term.source))
            if at is None:
                index[key(term.source)] = len(seq)
                seq.append(_term_map(term))
            else:
                seq[at]["source"], seq[at]["target"] = term.source, term.target
        return _dump(document)

    return _edit(path, revision, rewrite, max_bytes)


def replace_terms(
    path: Path, terms: Sequence[Term], *, revision: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> Glossary:
    """Replace every entry with `terms` in one write (the file's header stays)."""

    def rewrite(document: _Document) -> bytes:
        document.root["terms"] = CommentedSeq(_term_map(term) for term in terms)
        return _dump(document)

    return _edit(path, revision, rewrite, max_bytes)


def apply_changes(
    path: Path,
    changes: Sequence[tuple[str | None, Term | None]],
    *,
    title: str | None = None,
    revision: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Glossary:
    """Several term edits in one write (a revert of a change that touched several terms):
    each is (source of the entry to change or remove, None to add; the term to write, None to
    remove), applied in order; `title`, when given, becomes the glossary's name."""
    check_terms([term for _source, term in changes if term is not None], str(path))

    def rewrite(document: _Document) -> bytes:
        seq = _block_terms(document.root)
        for source, term in changes:
            if source is None:
                seq.append(_term_map(cast(Term, term)))
                continue
            index = _find(seq, source, path)
            if term is None:
                del seq[index]
            elif isinstance(seq[index], CommentedMap):
                _fill(seq[index], term)
            else:
                seq[index] = _term_map(term)
        if title is not None:
            document.root["name"] = title
        return _dump(document)

    return _edit(path, revision, rewrite, max_bytes)


def rewrite_at_revision(
    path: Path,
    base: Glossary,
    build: Callable[[str], tuple[str, Glossary]],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Glossary:
    """One atomic write of a new text computed from the file as it is (imports: thousands of
    terms in one write, glossary/bulkedit.py). Under the lock the file must still be exactly
    `base`, the glossary parsed from it (ConflictError otherwise); that also proves it valid
    without parsing it again. `build` gets its text and returns the new text and the glossary
    it holds, checked by the caller. Written and recorded in the change log as every edit."""
    path = Path(path)
    if not path.parent.is_dir():
        raise NotFoundError(f"{path}: no such directory for a glossary file")
    with _locked(path):
        data = read_bytes(path, max_bytes)
        current = revision_of(data)
        if current != base.revision:
            try:
                parse_glossary(data, str(path), max_bytes=max_bytes)
            except GlossaryFileError as exc:  # as `_edit` says it: no revision would do
                raise _broken(path, exc) from exc
            raise ConflictError(
                f"{path}: the edit names revision {base.revision}, but the file is at revision "
                f"{current}; reload it and apply the edit again"
            )
        _check_writable(path)
        text, glossary = build(_decode(data, str(path), max_bytes))
        new_data = text.encode("utf-8")
        if len(new_data) > max_bytes:
            raise GlossaryFileError(
                f"the edit would make the file {len(new_data)} bytes; the limit is {max_bytes} "
                "bytes; nothing was changed", path=str(path)
            )
        glossary = replace(glossary, path=str(path), revision=revision_of(new_data))
        _sweep_stale_temps(path)
        try:
            _atomic_write(path, new_data)
        except OSError as exc:
            raise _write_failure(exc, path) from exc
        history.record_edit(path, base, glossary, (data, new_data))
        return glossary


def create_glossary(
    path: Path, name: str, source_language: str, target_language: str, terms: Sequence[Term]
) -> Glossary:
    """Write a new glossary file; refuses (ConflictError) if `path` already exists."""
    path = Path(path)
    check_terms(terms, str(path))
    entries = CommentedSeq(_term_map(term) for term in terms)
    if not terms:
        entries.fa.set_flow_style()
    root = CommentedMap(
        [
            ("source_language", source_language),
            ("target_language", target_language),
            ("name", name),
            ("terms", entries),
        ]
    )
    data = _dump(_Document(root, "", _DEFAULT_INDENT))
    glossary = parse_glossary(data, str(path))
    with _locked(path):
        try:
            _atomic_write(path, data, exclusive=True)
        except FileExistsError:
            raise ConflictError(f"{path} already exists; it was not overwritten") from None
        except OSError as exc:
            raise _write_failure(exc, path) from exc
        history.record_created(path, glossary)
    return glossary
