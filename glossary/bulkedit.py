"""Many term edits to a glossary file as one rewrite of its text (imports): fast at tens of
thousands of terms, and as careful of the file as a one-term edit (glossary/termedit.py).

- New terms are appended after the last entry, written by a small emitter of our own (ruamel
  needs about 0.5 ms a term to emit; this needs a few µs). A string is written plain where
  both YAML 1.1 and YAML 1.2 readers read it back as the same string, else double-quoted with
  escapes; a forbidden list is written in flow style, as termyaml writes it.
- A changed entry keeps its place. Where each of its keys sits on one line of its own
  (`key: value`, no comments), the lines of unchanged fields are kept byte for byte, changed
  ones are rewritten, removed ones dropped and new ones inserted in the canonical key order:
  what `termedit.update_term` does, line by line. Any other entry (comments inside it, block
  scalars, multi-line values) goes through the round-trip parser, as `update_term` does.
- Where the entries sit is read with libyaml's composer (PyYAML's C loader, which CTranslate2
  already brings), about ten times faster than ruamel's; only positions are taken from it.
- Layouts that line surgery cannot handle (a flow-style list, odd line breaks) are re-emitted
  by ruamel like every other edit there.

The result is checked before anything is written: every new or changed term by the glossary
file's rules, and duplicates across the whole list (glossary/termwrite.py does the locking,
revision check and atomic write).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.nodes import ScalarNode as RuamelScalar
from ruamel.yaml.resolver import VersionedResolver

from glossary.errors import GlossaryFileError
from glossary.term import Glossary, Term
from glossary.termcheck import check_duplicates
from glossary.termload import parse_glossary
from glossary.termrules import TERM_KEYS, first_duplicate_among
from glossary.termyaml import (
    dump,
    dump_entries,
    dump_term,
    fill,
    guess_indent,
    load_document,
    round_trip_yaml,
    term_map,
)

_STR = "tag:yaml.org,2002:str"
_RESOLVER_12 = VersionedResolver(version=(1, 2))
_RESOLVER_11 = yaml.resolver.Resolver()
# The first characters any implicit type (bool, null, numbers, dates, merge) can start with,
# in either YAML version: a plain string starting otherwise is a string to both.
_TYPED_FIRST = frozenset(
    key
    for key in [*_RESOLVER_12.versioned_resolver, *yaml.resolver.Resolver.yaml_implicit_resolvers]
    if key
)
# Characters never written plain: C0/C1 controls and DEL, YAML 1.1's line breaks (U+0085,
# U+2028, U+2029), the byte-order mark, non-characters and lone surrogates.
_UNSAFE = re.compile(
    "[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_INDICATORS = "-?:,[]{}#&*!|>'\"%@`"
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_SIMPLE_LINE = re.compile(r"(\s*)(?:-(\s+))?([a-z_]+):(?: (.*))?")


# --- writing values -----------------------------------------------------------------------


def _plain(text: str, *, flow: bool) -> bool:
    """Whether `text` may be written as a plain scalar and read back as this same string by
    both YAML 1.2 (ruamel) and YAML 1.1 (PyYAML) readers."""
    if not text or text != text.strip() or text[0] in _INDICATORS or _UNSAFE.search(text):
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    if flow and any(char in text for char in ",[]{}:#?"):
        return False
    if text[0] not in _TYPED_FIRST:
        return True
    tags = {
        str(_RESOLVER_12.resolve(RuamelScalar, text, (True, False))),
        str(_RESOLVER_11.resolve(yaml.ScalarNode, text, (True, False))),
    }
    return tags == {_STR}


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if not _UNSAFE.match(char):
        return char
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code <= 0xFF
        else f"\\u{code:04x}"
        if code <= 0xFFFF
        else f"\\U{code:08x}"
    )


def scalar(text: str, *, flow: bool = False) -> str:
    """A string as YAML: plain where that is safe, else double-quoted."""
    if _plain(text, flow=flow):
        return text
    return '"' + "".join(_escape(char) for char in text) + '"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(scalar(str(item), flow=True) for item in value) + "]"
    return scalar(str(value))


def _key_line(pad: str, key: str, value: Any) -> str:
    return f"{pad}{key}: {_value(value)}"


def entry_lines(term: Term, indent: tuple[int, int]) -> list[str]:
    """The lines of one entry of a block list whose keys sit at column indent[0] and dashes at
    indent[1] (termyaml's (sequence, offset))."""
    key_col, dash_col = indent
    first = " " * dash_col + "-" + " " * (key_col - dash_col - 1)
    pad = " " * key_col
    return [
        _key_line(first if n == 0 else pad, key, value)
        for n, (key, value) in enumerate(dump_term(term).items())
    ]


# --- where the entries are ----------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """The file's lines and, for the entries asked about, each one's first and last line
    (0-based, inclusive); the indentation of entries (termyaml's (sequence, offset))."""

    lines: list[str]
    spans: dict[int, tuple[int, int]]
    indent: tuple[int, int]


def _last_line(node: yaml.Node) -> int:
    """0-based last line of a node's own text (libyaml's marks)."""
    while (
        isinstance(node, yaml.MappingNode | yaml.SequenceNode)
        and not node.flow_style
        and node.value
    ):
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    mark = node.end_mark
    return int(mark.line) - 1 if mark.column == 0 else int(mark.line)


def _span(item: yaml.Node, lines: list[str], offset: int) -> tuple[int, int]:
    """First and last line of an entry; `item` was composed from lines[offset:]."""
    first = offset + item.start_mark.line
    while not lines[first].lstrip().startswith("-"):  # "-" alone, entry on the next line
        first -= 1
    last = offset + _last_line(item)
    while last > first and not lines[last].strip():
        last -= 1  # a block scalar's end mark lies past the blank lines that follow it
    return first, last


def _indent(item: yaml.Node, lines: list[str], offset: int) -> tuple[int, int]:
    key_col = item.start_mark.column
    dash_col = lines[offset + item.start_mark.line].rfind("-", 0, key_col)
    return (key_col, dash_col) if dash_col >= 0 and key_col - dash_col >= 2 else (4, 2)


def _full_layout(text: str, lines: list[str]) -> Layout | None:
    """Every entry's span, from the whole document composed."""
    root = yaml.compose(text, Loader=yaml.CBaseLoader)
    if not isinstance(root, yaml.MappingNode):
        return None
    terms = next((value for key, value in root.value if key.value == "terms"), None)
    if not isinstance(terms, yaml.SequenceNode) or terms.flow_style or not terms.value:
        return None
    spans = {n: _span(item, lines, 0) for n, item in enumerate(terms.value)}
    return Layout(lines, spans, _indent(terms.value[0], lines, 0))


def _dash_lines(lines: list[str], base: Glossary, wanted: Iterable[int]) -> dict[int, int] | None:
    """The line of the dash of each `wanted` entry, from where the parser said it is."""
    found = {}
    for index in wanted:
        term = base.terms[index]
        if term.line is None or term.line > len(lines):
            return None
        line = term.line - 1
        while line > 0 and not lines[line].lstrip().startswith("-"):
            line -= 1
        found[index] = line
    return found


def _odd_breaks(text: str) -> bool:
    """Whether `text` breaks lines other than by LF and CRLF (ruamel counts those as lines);
    plain string searches, which beat a regular expression on a file of many megabytes."""
    return text.count("\r") != text.count("\r\n") or any(c in text for c in "\x85\u2028\u2029")


def _tail_end(lines: list[str], start: int) -> int:
    """Where the last entry's text must end: the next top-level key, else the end."""
    for number in range(start + 1, len(lines)):
        line = lines[number]
        if line[:1] not in ("", " ", "\t", "#", "-", "\r"):
            return number
    return len(lines)


def _entry_alone(
    lines: list[str], start: int, stop: int, term: Term
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(span, indent) of the entry whose text is somewhere in lines[start:stop], composed on
    its own; None unless that is exactly one entry, the one for `term`."""
    try:
        root = yaml.compose("\n".join(lines[start:stop]) + "\n", Loader=yaml.CBaseLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.SequenceNode) or root.flow_style or len(root.value) != 1:
        return None
    item = root.value[0]
    if not isinstance(item, yaml.MappingNode):
        return None
    source = next((v for k, v in item.value if k.value == "source"), None)
    if not isinstance(source, yaml.ScalarNode) or source.value != term.source:
        return None
    return _span(item, lines, start), _indent(item, lines, start)


def layout(text: str, base: Glossary, wanted: Iterable[int]) -> Layout | None:
    """Where the `wanted` entries of a block-style terms list are (the last one always), or
    None for other layouts. Each is composed on its own, between the lines where the parser
    of `base` found it and the next one; where that does not give exactly that entry, the
    whole document is composed."""
    if _odd_breaks(text) or not base.terms:
        return None
    lines = text.split("\n")
    count = len(base.terms)
    indices = sorted({*wanted, count - 1})
    dashes = _dash_lines(lines, base, {*indices, *(i + 1 for i in indices if i + 1 < count)})
    if dashes is not None:
        spans: dict[int, tuple[int, int]] = {}
        indent = None
        for index in indices:
            stop = dashes[index + 1] if index + 1 < count else _tail_end(lines, dashes[index])
            found = _entry_alone(lines, dashes[index], stop, base.terms[index])
            if found is None:
                break
            spans[index], indent = found
        else:
            return Layout(lines, spans, cast(tuple[int, int], indent))
    return _full_layout(text, lines)


# --- changed entries ----------------------------------------------------------------------


def _simple_keys(lines: list[str]) -> list[str] | None:
    """The key of each line of an entry written one `key: value` a line in canonical key
    order with no comments, else None."""
    keys = []
    for number, line in enumerate(lines):
        found = _SIMPLE_LINE.fullmatch(line.rstrip("\r"))
        if found is None or "#" in line or (number == 0) != (found.group(2) is not None):
            return None
        if found.group(3) not in TERM_KEYS or found.group(4) is None:
            return None
        keys.append(found.group(3))
    ranks = [TERM_KEYS.index(key) for key in keys]
    return keys if ranks == sorted(set(ranks)) and keys[:1] == ["source"] else None


def _changed_lines(lines: list[str], old: Term, new: Term) -> list[str] | None:
    """A simple entry changed line by line: unchanged fields keep their lines (quoting,
    spacing), like `termyaml.fill` keeps their nodes. None when the entry is not simple."""
    keys = _simple_keys(lines)
    if keys is None:
        return None
    before, after = dump_term(old), dump_term(new)
    if set(keys) != set(before):
        return None  # a default written out (match: inflected): leave it to the parser
    eol = "\r" if lines[0].endswith("\r") else ""
    pad = re.match(r"\s*-\s+", lines[0])
    assert pad is not None
    first, rest = lines[0][: pad.end()], " " * pad.end()
    kept = dict(zip(keys, lines, strict=True))
    out = []
    for key, value in after.items():  # source first, in both: the dash stays on line one
        if key in before and before[key] == value:
            out.append(kept[key])
        else:
            out.append(_key_line(rest if out else first, key, value) + eol)
    return out


def _parsed_change(lines: list[str], new: Term) -> list[str]:
    """Any other entry: through the round-trip parser, keeping its comments."""
    text = "\n".join(line.rstrip("\r") for line in lines) + "\n"  # the caller adds CRLF back
    entries = round_trip_yaml().load(text)
    fill(entries[0], new)
    return dump_entries(entries, guess_indent(entries, text)).split("\n")[:-1]


# --- the rewrite --------------------------------------------------------------------------


class _Lazy(Sequence[Any]):
    """The YAML mappings of terms, made only for the one an error message points at."""

    def __init__(self, terms: Sequence[Term]) -> None:
        self._terms = terms

    def __len__(self) -> int:
        return len(self._terms)

    def __getitem__(self, index: Any) -> Any:
        return dump_term(self._terms[index])


def result_terms(
    base: Glossary,
    added: Sequence[Term],
    changed: Mapping[int, Term],
    path: str,
    removed: Collection[int] = (),
) -> list[Term]:
    """The terms after the edit, with no two of them duplicates of each other, by the file's
    own rule (GlossaryFileError otherwise). The new and changed terms themselves must have
    passed `termcheck.check_terms` (glossary/imports.py checks every row it plans). `base`
    came from one valid file, so only new and changed terms can clash."""
    terms = list(base.terms)
    for index, term in changed.items():
        terms[index] = term
    gone = sorted(removed)
    if gone:
        drop = set(gone)
        terms = [term for index, term in enumerate(terms) if index not in drop]
    kept = len(base.terms) - len(gone)
    fresh = [index - bisect.bisect_left(gone, index) for index in changed]
    fresh += range(kept, kept + len(added))
    terms += added
    found = first_duplicate_among(terms, fresh)
    if found is not None:
        pair = sorted(found)
        check_duplicates(
            [terms[i] for i in pair],
            _Lazy([terms[i] for i in pair]),
            path,
            [f"terms[{i}]" for i in pair],
        )
    return terms


@dataclass
class _Rewrite:
    """The new text, line by line; where each entry written anew starts (changed ones by their
    index in the old list of terms, added ones in order); how far the entries after each
    changed or removed one moved."""

    lines: list[str]
    starts: dict[int, int]  # 0-based first line of each changed entry
    added_starts: list[int]  # 0-based first line of each added entry
    moved: list[tuple[int, int]]  # (old index of a changed or removed entry, lines moved after it)
    written: list[str]  # the lines written anew (changed and added entries), for checking

    def line_of(self, index: int, old_line: int | None) -> int | None:
        """1-based line of the entry that was `index` (at `old_line`) before."""
        if index in self.starts:
            return self.starts[index] + 1
        at = bisect.bisect_left(self.moved, (index, -(10**12))) - 1
        shift = self.moved[at][1] if at >= 0 else 0
        return None if old_line is None else old_line + shift


def _rewrite(
    found: Layout,
    base: Glossary,
    added: Sequence[Term],
    changed: Mapping[int, Term],
    removed: Collection[int],
    eol: str,
) -> _Rewrite:
    lines, spans = found.lines, found.spans
    result = _Rewrite([], {}, [], [], [])
    out, done = result.lines, 0
    for index in sorted({*changed, *removed}):
        first, last = spans[index]
        out += lines[done:first]
        done = last + 1
        if index in removed:
            if out and not out[-1].strip() and done < len(lines) and not lines[done].strip():
                done += 1  # an entry between blank lines leaves one, not two
            result.moved.append((index, len(out) - done))
            continue
        old_lines = lines[first : last + 1]
        new_lines = _changed_lines(old_lines, base.terms[index], changed[index])
        if new_lines is None:
            new_lines = [line + eol for line in _parsed_change(old_lines, changed[index])]
        result.starts[index] = len(out)
        out += new_lines
        result.written += new_lines
        result.moved.append((index, len(out) - done))
    end = max(done, spans[len(base.terms) - 1][1] + 1)
    out += lines[done:end]
    for term in added:
        result.added_starts.append(len(out))
        new_lines = [line + eol for line in entry_lines(term, found.indent)]
        out += new_lines
        result.written += new_lines
    out += lines[end:]
    return result


def _grown_from_empty(text: str, added: Sequence[Term]) -> _Rewrite | None:
    """`terms: []` as the file's last line grows into a block list by line surgery."""
    empty = re.search(r"^terms:[ \t]*\[[ \t]*\][ \t]*(\r?)\n?\Z", text, re.M)
    if empty is None:
        return None
    eol = empty.group(1)
    result = _Rewrite([*text[: empty.start()].split("\n")[:-1], f"terms:{eol}"], {}, [], [], [])
    for term in added:
        result.added_starts.append(len(result.lines))
        new_lines = [line + eol for line in entry_lines(term, (4, 2))]
        result.lines += new_lines
        result.written += new_lines
    result.lines.append("")
    return result


def _reemitted(
    text: str,
    base: Glossary,
    added: Sequence[Term],
    changed: Mapping[int, Term],
    removed: Collection[int],
) -> str:
    """Layouts without entry lines (flow style, odd line breaks): the round-trip parser, as
    every edit does there."""
    document = load_document(text.encode("utf-8"), base.path or "glossary", len(text) * 4 + 1)
    seq = document.root["terms"]
    if isinstance(seq, CommentedSeq) and seq.fa.flow_style():
        if not seq:  # a fresh list: ruamel emits a comment it holds before "[]" as invalid YAML
            seq = document.root["terms"] = CommentedSeq()
        seq.fa.set_block_style()
    for index, term in changed.items():
        if isinstance(seq[index], CommentedMap):
            fill(seq[index], term)
        else:
            seq[index] = term_map(term)
    for index in sorted(removed, reverse=True):
        del seq[index]
    if not seq and not added:  # ruamel would write a comment it holds before "[]": invalid
        seq = document.root["terms"] = CommentedSeq()
        seq.fa.set_flow_style()
    seq.extend(term_map(term) for term in added)
    return dump(document).decode("utf-8")


def _as_written(value: Any) -> Any:
    """A dump_term value as libyaml reads it back without types (every scalar a string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _read_back(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_read_back(item) for item in node.value]
    return {key.value: _read_back(value) for key, value in node.value}


def _written_as_meant(written: list[str], terms: Sequence[Term]) -> bool:
    """Whether the lines written anew read back (libyaml, no type resolution) as the terms."""
    try:
        root = yaml.compose(
            "\n".join(line.rstrip("\r") for line in written), Loader=yaml.CBaseLoader
        )
    except yaml.YAMLError:
        return False
    if not isinstance(root, yaml.SequenceNode) or len(root.value) != len(terms):
        return False
    for node, term in zip(root.value, terms, strict=True):
        got = _read_back(node)
        if isinstance(got, dict) and str(got.get("case_sensitive", "")).lower() == "true":
            got["case_sensitive"] = "true"  # True, TRUE: kept as the author wrote it
        if got != {key: _as_written(value) for key, value in dump_term(term).items()}:
            return False
    return True


def edited(
    base: Glossary,
    text: str,
    added: Sequence[Term],
    changed: Mapping[int, Term],
    path: str,
    removed: Collection[int] = (),
) -> tuple[str, Glossary]:
    """The new text, and the glossary it holds: `changed` (by index into base.terms) replaced
    in place, `removed` (indices too) taken out, `added` appended; each term's `line` where
    its entry now starts. `text` must be the text `base` was parsed from.

    What was written anew is read back before it is used; should it not read back as meant
    (an emitter bug), the whole new text is parsed and compared instead, and refused
    (GlossaryFileError) unless it holds exactly the terms meant."""
    terms = result_terms(base, added, changed, path, removed)
    everything = len(removed) == len(base.terms) and not added
    found = None if everything else layout(text, base, {*changed, *removed})
    grown = None if found is not None or changed or base.terms else _grown_from_empty(text, added)
    if found is None and grown is None:
        new_text = _reemitted(text, base, added, changed, removed)
        return new_text, _checked(new_text, base, terms, path)
    eol = "\r" if "\r\n" in text else ""
    result = grown or _rewrite(cast(Layout, found), base, added, changed, removed, eol)
    new_text = "\n".join(result.lines)
    fresh = [changed[index] for index in sorted(changed)] + list(added)
    if not _written_as_meant(result.written, fresh):
        return new_text, _checked(new_text, base, terms, path)
    return new_text, replace(base, terms=tuple(_numbered(base, terms, result, removed)))


def _numbered(
    base: Glossary, terms: list[Term], result: _Rewrite, removed: Collection[int]
) -> list[Term]:
    """`terms` with the lines their entries start at now. Between two changed or removed
    entries every entry moved by the same number of lines; where that is none, the terms are
    the same objects (a one-term edit of 100,000 terms copies none of the others)."""
    out: list[Term] = []
    at, previous, shift = 0, -1, 0
    for index, after in [*result.moved, (len(base.terms), 0)]:
        segment = terms[at : at + index - previous - 1]
        out += segment if shift == 0 else _shifted(segment, shift)
        at += len(segment)
        if index < len(base.terms) and index not in removed:
            term, line = terms[at], result.starts[index] + 1
            out.append(term if term.line == line else replace(term, line=line))
            at += 1
        previous, shift = index, after
    for term, start in zip(terms[at:], result.added_starts, strict=True):
        out.append(replace(term, line=start + 1))
    return out


def _shifted(terms: Sequence[Term], shift: int) -> list[Term]:
    """`replace(term, line=term.line + shift)` of each term, without the dataclass machinery
    (thousands of terms move when an entry near the top changes its length)."""
    if hasattr(Term, "__slots__"):
        return [t if t.line is None else replace(t, line=t.line + shift) for t in terms]
    new, set_attribute, out = object.__new__, object.__setattr__, []
    for term in terms:
        line = term.line
        if line is None:
            out.append(term)
            continue
        moved = new(Term)
        set_attribute(moved, "__dict__", {**term.__dict__, "line": line + shift})
        out.append(moved)
    return out


def _checked(new_text: str, base: Glossary, terms: list[Term], path: str) -> Glossary:
    """The slow, sure way: parse the whole new text; it must hold exactly `terms`."""
    glossary = parse_glossary(new_text.encode("utf-8"), path, max_bytes=len(new_text) * 4 + 1)
    if [replace(t, line=None) for t in glossary.terms] != [replace(t, line=None) for t in terms]:
        raise GlossaryFileError(
            "the rewritten file does not hold the terms meant; nothing was changed", path=path
        )
    return replace(glossary, revision=base.revision)
