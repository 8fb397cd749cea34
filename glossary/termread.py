"""The fast read path for glossary files (issue 10): a reader for the layout glossary files
have, about fifty times faster than the round-trip parser.

`termload.parse_glossary` tries this reader first and falls back to the precise parser
(ruamel.yaml: glossary/termyaml.py, glossary/termcheck.py) whenever it returns None: for any
layout it does not read, and for every file that is not a valid glossary, so that every
error message, with its line and column, still comes from the one precise parser. What it
does accept it reads exactly as the precise parser does (the same values, YAML 1.2's
resolution of plain scalars taken from ruamel.yaml's own table, the same validation, the same
entry line numbers); tests/test_glossary_scale.py compares the two on the test files and on
generated and mutated ones.

The layout read here (what the tools write, and what people write by hand):
- UTF-8 without tabs or characters YAML refuses; "\\n" or "\\r\\n" line ends; a BOM at the start;
- `key: value` lines at column 0; `terms:` followed by a block list of entries (or `terms: []`);
- each entry `- key: value`, its further keys on lines of their own at the column of its first;
- values: plain scalars, 'single' and "double" quoted scalars and flow lists ([a, 'b', "c"]),
  each on one line; block scalars (| and >, with - or + chomping);
- full-line comments anywhere, comments after values, blank lines.
Anything else (anchors, aliases and tags, flow mappings, block lists inside an entry, scalars
over several lines, document markers, directives, duplicate keys...) is left to the precise
parser, which reads it, or refuses it, as it always did.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ruamel.yaml.resolver import implicit_resolvers

from glossary import termrules
from glossary.term import MATCH_MODES, STATUSES, Glossary, Term


class _Unusual(Exception):
    """Not the layout read here, or not a valid glossary: the precise parser decides."""


# YAML 1.2's implicit types of plain scalars, from ruamel.yaml's own table (first character →
# [(tag, regexp)]), so that "true", "~" or "1984" are read exactly as the precise parser reads
# them. Only text, booleans and null occur in a valid glossary; anything else is _Unusual.
_RESOLVERS: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
for _versions, _tag, _regexp, _first in implicit_resolvers:
    if (1, 2) in _versions:
        for _char in _first:
            # ruamel compiles its patterns lazily behind a proxy: take the compiled pattern
            _RESOLVERS.setdefault(_char, []).append((_tag, _regexp.lazy_self()))
_BOOL, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"

# Characters the precise parser refuses or reads as line breaks, tabs, and a BOM after the start.
_NOT_READ_HERE = re.compile(
    "[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    "|\r(?!\n)"
)
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: +(.*))?$")
# Most lines of a glossary: (indent, "-" or None, key, a plain value without ":" or "#").
_SIMPLE = re.compile(
    r"( *)(?:(-) +)?([A-Za-z_][A-Za-z0-9_]*): +([^-?:,\[\]{}#&*!|>'\"%@` ][^:#]*?) *$"
)
_AFTER_VALUE = re.compile(r"(?: +(?:#.*)?)?")  # spaces, then a comment (after a space)
_SINGLE = re.compile(r"'((?:[^']|'')*)'")
_DOUBLE = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ESCAPES = {
    "0": "\0",
    "a": "\x07",
    "b": "\x08",
    "t": "\t",
    "n": "\n",
    "v": "\x0b",
    "f": "\x0c",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_FLOW_PLAIN = re.compile(r"[^,\[\]{}#:'\"\s][^,\[\]{}#:]*")
_BLOCK = re.compile(r"([|>])([-+]?)(?: +(?:#.*)?)?$")


def _plain(value: str) -> Any:
    """A plain scalar's value under YAML 1.2: text, a boolean or None."""
    for tag, regexp in _RESOLVERS.get(value[0], ()):
        if regexp.match(value):
            if tag == _BOOL:
                return value.lower() == "true"
            if tag == _NULL:
                return None
            raise _Unusual  # a number, a date, "<<", "="...
    return value


def _block_plain(rest: str) -> Any:
    cut = rest.find(" #")
    value = (rest if cut < 0 else rest[:cut]).rstrip(" ")
    if ": " in value or value.endswith(":"):
        raise _Unusual
    return _plain(value)


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1) or match.group(2) or match.group(3)
    if code is not None:
        return chr(int(code, 16))
    replacement = _ESCAPES.get(match.group(4))
    if replacement is None:
        raise _Unusual
    return replacement


def _quoted(rest: str, pattern: re.Pattern[str]) -> tuple[str, int]:
    """A quoted scalar at the start of `rest`: (its value, where it ends)."""
    match = pattern.match(rest)
    if match is None:
        raise _Unusual  # not closed on this line
    body = match.group(1)
    if pattern is _SINGLE:
        return body.replace("''", "'"), match.end()
    return (_ESCAPE.sub(_unescape, body) if "\\" in body else body), match.end()


def _single_line(rest: str) -> Any:
    """A value that starts and ends on its key's line."""
    first = rest[0]
    value: Any
    if first == "'" or first == '"':
        value, end = _quoted(rest, _SINGLE if first == "'" else _DOUBLE)
    elif first == "[":
        value, end = _flow_list(rest)
    elif first in _INDICATORS:
        raise _Unusual
    else:
        return _block_plain(rest)
    if not _AFTER_VALUE.fullmatch(rest, end):
        raise _Unusual
    return value


def _skip_spaces(text: str, at: int) -> int:
    while at < len(text) and text[at] == " ":
        at += 1
    return at


def _flow_list(rest: str) -> tuple[list[Any], int]:
    """`[a, 'b', "c"]` on one line: (the items, where the list ends)."""
    items: list[Any] = []
    at = _skip_spaces(rest, 1)
    if rest[at : at + 1] == "]":
        return items, at + 1
    while True:
        first = rest[at : at + 1]
        if first == "'" or first == '"':
            item, length = _quoted(rest[at:], _SINGLE if first == "'" else _DOUBLE)
            at += length
        else:
            match = _FLOW_PLAIN.match(rest, at)
            if match is None or match.group()[0] in _INDICATORS:
                raise _Unusual
            item = _plain(match.group().rstrip(" "))
            at = match.end()
        items.append(item)
        at = _skip_spaces(rest, at)
        separator = rest[at : at + 1]
        if separator == "]":
            return items, at + 1
        if separator != ",":
            raise _Unusual
        at = _skip_spaces(rest, at + 1)
        if rest[at : at + 1] in ("]", ""):
            raise _Unusual  # a trailing comma, or the list goes on on the next line


class _Reader:
    """One file's lines, read top to bottom."""

    def __init__(self, text: str, term: Callable[[dict[str, Any], int], Term]) -> None:
        self.term = term  # an entry's Term, built as soon as the entry has been read
        lines = text.split("\n")
        self.final_break = lines[-1] == ""
        if self.final_break:
            lines.pop()
        if "\r" in text:
            lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        self.lines = lines
        self.spans: list[list[int]] = []  # [first, last] 0-based line of each entry
        self.value_end = 0  # the last line of the value read last

    def document(self) -> dict[str, Any]:
        """The top-level mapping, with the Terms of its block list `terms`."""
        lines, top = self.lines, {}
        i = 0
        while i < len(lines):
            line = lines[i]
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                i += 1
                continue
            match = _KEY.match(line)
            if match is None or match.group(1) in top:
                raise _Unusual
            key, rest = match.group(1), match.group(2)
            if key == "terms" and (not rest or rest[0] == "#"):
                top[key], i = self.entries(i + 1)
                continue
            top[key], i = self.value(i, rest, 0)
            if key == "terms" and top[key]:
                raise _Unusual  # terms: [a]: an item that is not an entry
        return top

    def entries(self, i: int) -> tuple[list[Term], int]:
        """The Terms of the block list of entries starting at line i, and the line after
        it. Each entry's Term is built as soon as the entry ends: no entry is kept."""
        lines, term = self.lines, self.term
        terms: list[Term] = []
        dash_column, key_column, entry_line = -1, -1, 0
        entry: dict[str, Any] = {}
        simple, resolvers = _SIMPLE.match, _RESOLVERS
        while i < len(lines):
            line = lines[i]
            found = simple(line)
            if found is not None:  # the common case, in one regular expression
                spaces, dash, key, value = found.groups()
                if dash is not None:
                    if dash_column < 0:
                        dash_column = len(spaces)
                    elif len(spaces) != dash_column:
                        raise _Unusual
                    key_column = found.start(3)
                    if entry_line:
                        terms.append(term(entry, entry_line))
                    entry, entry_line = {}, i + 1
                    self.spans.append([i, i])
                elif len(spaces) != key_column:
                    if spaces or not entry_line:
                        raise _Unusual
                    break  # a key at the top level after the list
                if key in entry:
                    raise _Unusual
                entry[key] = _plain(value) if value[0] in resolvers else value
                self.spans[-1][1] = i
                i += 1
                continue
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                i += 1
                continue
            indent = len(line) - len(stripped)
            if stripped[0] == "-" and stripped[1:2] in (" ", ""):
                if dash_column < 0:
                    dash_column = indent
                body = stripped[1:].lstrip(" ")
                if indent != dash_column or not body or body[0] == "#":
                    raise _Unusual
                match = _KEY.match(body)
                key_column = indent + len(stripped) - len(body)
                if entry_line:
                    terms.append(term(entry, entry_line))
                entry, entry_line = {}, i + 1
                self.spans.append([i, i])
            elif indent == key_column:
                match = _KEY.match(stripped)
            elif indent == 0 and entry_line:
                break
            else:
                raise _Unusual
            if match is None or match.group(1) in entry:
                raise _Unusual
            entry[match.group(1)], i = self.value(i, match.group(2), key_column)
            self.spans[-1][1] = self.value_end
        if not entry_line:
            raise _Unusual  # "terms:" and no list: null
        terms.append(term(entry, entry_line))
        return terms, i

    def value(self, i: int, rest: str | None, indent: int) -> tuple[Any, int]:
        """The value after the key on line i (`rest`), of a mapping at column `indent`; and
        the line after it. A following line indented deeper than `indent` that the value
        does not take is left for the caller to refuse."""
        self.value_end = i
        if not rest or rest[0] == "#":
            return None, i + 1
        if rest[0] in "|>":
            return self.block_scalar(i, rest, indent)
        return _single_line(rest), i + 1

    def block_scalar(self, i: int, rest: str, indent: int) -> tuple[str, int]:
        """A literal (|) or folded (>) block scalar whose indicator ends line i."""
        header = _BLOCK.match(rest)
        if header is None:
            raise _Unusual  # an indentation indicator, or something after the indicator
        lines, taken, content = self.lines, [], -1
        j = i + 1
        while j < len(lines):
            line = lines[j]
            stripped = line.lstrip(" ")
            if stripped:
                column = len(line) - len(stripped)
                if content < 0:
                    if column <= indent:
                        break
                    content = column
                elif column < content:
                    break
            elif line and content < 0:
                raise _Unusual  # leading spaces-only lines: ruamel's rules there are its own
            taken.append(line)
            j += 1
        if content < 0 or (j == len(lines) and not self.final_break):
            raise _Unusual  # empty, or its last line has no line break
        if any(len(line) > content and not line.strip(" ") for line in taken):
            raise _Unusual  # a line of spaces only, longer than the indentation
        body = [line[content:] for line in taken]
        last = max(k for k, line in enumerate(body) if line)
        self.value_end = i + 1 + last
        trailing, body = len(body) - last - 1, body[: last + 1]
        text = "\n".join(body) if header.group(1) == "|" else _folded(body)
        chomp = header.group(2)
        if chomp == "-":
            return text, j
        return text + "\n" + ("\n" * trailing if chomp == "+" else ""), j


def _folded(body: list[str]) -> str:
    """Lines of a folded scalar: lines next to each other joined by a space, each empty line
    between them one line break."""
    out: list[str] = []
    empty, started = 0, False
    for line in body:
        if not line:
            empty += 1
            continue
        if line[0] == " ":
            raise _Unusual  # a more-indented line keeps its breaks: left to the precise parser
        if started:
            out.append(" " if empty == 0 else "\n" * empty)
        else:
            out.append("\n" * empty)
        out.append(line)
        empty, started = 0, True
    return "".join(out)


# --- validation: the rules of termcheck.build_glossary, for the values read here ----------

# Control characters, line separators and lone surrogates. Text read here can only hold them
# where it came from a block scalar or a double-quoted escape: `_build` looks only then.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NOTE_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


class _Rules:
    """termcheck's rules for one file's values; every method returns the value as the precise
    parser would build it, or raises _Unusual where the precise parser would refuse it."""

    def __init__(self, check_controls: bool) -> None:
        self.check_controls = check_controls
        self.max_bytes = termrules.MAX_TERM_BYTES
        self.term_keys = frozenset(termrules.TERM_KEYS)
        self.pos_values, self.genders = termrules.POS_VALUES, termrules.GENDERS

    def text(self, value: Any) -> str:
        """A term string (source, target, target_plural, forbidden wordings, header values)."""
        if type(value) is not str or not value.strip() or value != value.strip():
            raise _Unusual
        if self.check_controls and _CONTROL.search(value):
            raise _Unusual
        if len(value) * 4 > self.max_bytes and len(value.encode("utf-8")) > self.max_bytes:
            raise _Unusual
        return value

    def note(self, value: Any) -> str | None:
        if value is None:
            return None
        if type(value) is not str or not value.strip():
            raise _Unusual
        text = value.strip()
        if self.check_controls and _NOTE_CONTROL.search(text):
            raise _Unusual
        return text

    def forbidden(self, value: Any, target: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if type(value) is not list:
            raise _Unusual
        items = tuple(self.text(item) for item in value)
        if target in items or len(set(items)) != len(items):
            raise _Unusual
        return items

    def term(self, entry: dict[str, Any], line: int) -> Term:
        if not self.term_keys.issuperset(entry) or "source" not in entry or "target" not in entry:
            raise _Unusual
        source, target = self.text(entry["source"]), self.text(entry["target"])
        if len(entry) == 2:  # the most common entry: source and target only
            return Term(source, target, line=line)
        get = entry.get
        plural, source_plural = get("target_plural"), get("source_plural")
        if source_plural is not None:
            source_plural = self.text(source_plural)
            if len(source_plural.split()) != len(source.split()):
                raise _Unusual  # the checked path says why
        return Term(
            source,
            target,
            None if plural is None else self.text(plural),
            source_plural,
            _choice(get("match"), MATCH_MODES, "inflected"),
            _flag(get("case_sensitive")),
            self.forbidden(get("forbidden"), target),
            _choice(get("status"), STATUSES, "approved"),
            self.note(get("note")),
            _choice(get("pos"), self.pos_values, None),
            _choice(get("gender"), self.genders, None),
            line,
        )


def _choice(value: Any, choices: tuple[str, ...], default: str | None) -> Any:
    if value is None:
        return default
    if type(value) is not str or value not in choices:
        raise _Unusual
    return choices[choices.index(value)]  # the one string object, not one per entry


def _flag(value: Any) -> bool:
    if value is None:
        return False
    if type(value) is not bool:
        raise _Unusual
    return value


def _build(top: dict[str, Any], path: str, rules: _Rules) -> Glossary:
    terms = top.get("terms")
    if set(top) != set(termrules.TOP_KEYS) or type(terms) is not list:
        raise _Unusual
    languages = [rules.text(top[key]) for key in ("source_language", "target_language")]
    if not all(termrules.LANGUAGE_RE.fullmatch(code) for code in languages):
        raise _Unusual
    name = rules.text(top["name"])
    if termrules.first_duplicate(terms) is not None:
        raise _Unusual
    return Glossary(name, languages[0], languages[1], tuple(terms), path=path)


def fast_glossary(text: str, path: str) -> Glossary | None:
    """The glossary in `text` (decoded file content; `path` for Glossary.path) when it has the
    layout read here and is valid; None for anything else (the precise parser decides)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if _NOT_READ_HERE.search(text):
        return None
    # Only escapes in double quotes and block scalars (| >) can bring in control characters.
    rules = _Rules(check_controls="\\" in text or "|" in text or ">" in text)
    try:
        return _build(_Reader(text, rules.term).document(), path, rules)
    except (_Unusual, ValueError, UnicodeError, IndexError, KeyError, TypeError):
        return None
