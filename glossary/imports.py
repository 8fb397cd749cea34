"""Imports into a glossary, the same for the page, the CLI, the own API and the DeepL API:
read a file (glossary/formats.py), plan what it would do (a preview), then apply the plan in
one atomic write, or not at all.

The preview lists what would be added, what would change (old → new), what is already there
unchanged, the duplicates (within the file, and against the glossary) with what is done about
each, and the errors (where, field, message). Nothing is written while there are errors.

One duplicate policy, decided here for every surface:
- `skip`: the first row for a source wins; a row for a source already in the glossary with
  different content leaves the glossary's term alone.
- `overwrite`: the last row for a source wins; a row for a source already in the glossary
  replaces the fields the file gives (a two-column TSV gives source and target: note, status
  and the rest stay), the entry keeping its place, comments and key order.
- `fail`: any duplicate source within the file, or any row that would change a term already in
  the glossary, is an error, and nothing is imported.
A row identical to the glossary's term is `unchanged` under every policy (a rerun of the same
import changes nothing and fails on nothing). Sources are compared as the glossary file
compares them (case, dashes, ß/ss; two case-sensitive terms differing in case are two terms).

The DeepL API keeps DeepL's behaviour through the same code: entries with a duplicate source
are refused (`fail`), and merging entries into a dictionary (v3 PATCH) overwrites the target
of an existing source (`overwrite`, two fields given). DeepL entries have no header row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from glossary import bulkedit, formats, history
from glossary.errors import ConflictError, EntriesError, GlossaryFileError, InputError
from glossary.formats import BASIC_FIELDS, Entries, Row, RowError
from glossary.term import Glossary, Term
from glossary.termcheck import check_terms
from glossary.termrules import DEFAULT_MAX_BYTES, clashes, duplicate_key
from glossary.termwrite import rewrite_at_revision
from glossary.termyaml import dump_term
from glossary.textio import decode_utf8

Policy = Literal["skip", "overwrite", "fail"]
POLICIES: tuple[str, ...] = ("skip", "overwrite", "fail")
DEFAULT_POLICY: Policy = "skip"


# --- the file formats: one table for the page, the CLI and the own API ------------------------


def _text(data: bytes | str, name: str) -> str:
    return data if isinstance(data, str) else decode_utf8(data, name)


def _read_yaml(data: bytes | str, source: str, target: str, name: str, max_bytes: int) -> Entries:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return formats.read_yaml(raw, name, max_bytes=max_bytes)


def _read_tsv(data: bytes | str, source: str, target: str, name: str, max_bytes: int) -> Entries:
    return formats.read_tsv(
        _text(data, name), source_language=source, target_language=target, max_bytes=max_bytes
    )


def _read_csv(data: bytes | str, source: str, target: str, name: str, max_bytes: int) -> Entries:
    return formats.read_csv(
        _text(data, name), source_language=source, target_language=target, max_bytes=max_bytes
    )


def _read_tbx(data: bytes | str, source: str, target: str, name: str, max_bytes: int) -> Entries:
    return formats.read_tbx(
        data, source_language=source, target_language=target, max_bytes=max_bytes
    )


def _write_yaml(glossary: Glossary, all_fields: bool) -> bytes:
    # the file itself, comments and all: YAML is the glossary's own format
    if glossary.path is None:
        raise InputError(f"{glossary.name}: no file to export")
    return Path(glossary.path).read_bytes()


def _write_tsv(glossary: Glossary, all_fields: bool) -> str:
    return formats.terms_to_tsv(glossary.terms, all_fields=all_fields)


def _write_csv(glossary: Glossary, all_fields: bool) -> str:
    return formats.terms_to_csv(glossary.terms, all_fields=all_fields)


def _write_tbx(glossary: Glossary, all_fields: bool) -> str:
    return formats.terms_to_tbx(glossary)  # TBX has a place for every field


@dataclass(frozen=True)
class FileFormat:
    """One import/export format: the suffixes that name it, its content type, and how a file
    is read into rows (data, source and target language, name for messages, size limit) and
    a glossary written out (`all_fields`: every field, not DeepL's two; TSV and CSV only)."""

    suffixes: tuple[str, ...]
    content_type: str
    read: Callable[[bytes | str, str, str, str, int], Entries]
    write: Callable[[Glossary, bool], str | bytes]


FILE_FORMATS: dict[str, FileFormat] = {
    "yaml": FileFormat(("yaml", "yml"), "application/yaml", _read_yaml, _write_yaml),
    "tsv": FileFormat(("tsv", "tab"), "text/tab-separated-values", _read_tsv, _write_tsv),
    "csv": FileFormat(("csv",), "text/csv", _read_csv, _write_csv),
    "tbx": FileFormat(("tbx", "xml"), "application/x-tbx+xml", _read_tbx, _write_tbx),
}
FORMATS: tuple[str, ...] = tuple(FILE_FORMATS)
_SUFFIXES = {suffix: name for name, fmt in FILE_FORMATS.items() for suffix in fmt.suffixes}


def export(glossary: Glossary, fmt: str, *, all_fields: bool = True) -> str | bytes:
    """`glossary` written in the format named `fmt` (one of FORMATS)."""
    return FILE_FORMATS[fmt].write(glossary, all_fields)


def policy_of(value: object) -> Policy:
    """A duplicate policy named by a caller (InputError for anything else)."""
    if value not in POLICIES:
        raise InputError(f"on_duplicate must be one of {', '.join(POLICIES)}, not {value!r}")
    return cast(Policy, value)


def format_of(value: object, filename: str | None = None) -> str:
    """The format a caller names, else the one the file name's suffix says."""
    if value:
        if value not in FORMATS:
            raise InputError(f"format must be one of {', '.join(FORMATS)}, not {value!r}")
        return str(value)
    suffix = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if suffix not in _SUFFIXES:
        raise InputError(
            f"{filename or 'the file'}: unknown format; use .yaml, .tsv, .csv or "
            ".tbx (or name the format)"
        )
    return _SUFFIXES[suffix]


def read(
    data: bytes | str,
    fmt: str,
    glossary: Glossary,
    *,
    name: str = "import",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Entries:
    """The rows of an import file for `glossary` (whose languages a YAML or TBX file must
    have, and a CSV file's language columns must name)."""
    source, target = glossary.source_language, glossary.target_language
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(
                f"{name}: not valid Unicode: {exc.reason} at position {exc.start}"
            ) from None
    entries = FILE_FORMATS[fmt].read(data, source, target, name, max_bytes)
    found = (entries.source_language, entries.target_language)
    if None not in found and found != (source, target):
        entries.errors.append(
            RowError(name, f"the file is {found[0]}→{found[1]}; the glossary is {source}→{target}")
        )
    elif not entries.rows and not entries.errors:
        entries.errors.append(RowError(name, f"no {source}→{target} terms in the file"))
    return entries


def entries_of(terms: Iterable[Term], fields: frozenset[str] = BASIC_FIELDS) -> Entries:
    """Terms already read (and checked) as rows, numbered from 1, giving `fields`."""
    return Entries([Row(f"entry {n}", n, term, fields) for n, term in enumerate(terms, 1)])


# --- the plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Added:
    where: str
    line: int | None
    term: Term


@dataclass(frozen=True)
class Changed:
    where: str
    line: int | None
    index: int  # in the glossary's terms
    old: Term
    new: Term


@dataclass(frozen=True)
class Duplicate:
    """A row whose source is already taken: by an earlier row (`of` is where that row is) or
    by the glossary (`of` is "glossary"); `action`: skipped, overwritten, refused."""

    where: str
    line: int | None
    source: str
    of: str
    other: str  # the other row's or the glossary's source
    action: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "line": self.line,
            "source": self.source,
            "of": self.of,
            "other": self.other,
            "action": self.action,
        }


@dataclass
class Preview:
    """What an import would do; nothing is written while `errors` is not empty."""

    name: str
    revision: str
    fmt: str
    policy: Policy
    header: tuple[str, ...] | None = None
    header_line: int | None = None
    added: list[Added] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    unchanged: list[Added] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def writes(self) -> bool:
        return bool(self.added or self.changed)

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "duplicates": len(self.duplicates),
            "errors": len(self.errors),
        }

    def summary(self) -> str:
        return ", ".join(f"{count} {what}" for what, count in self.counts().items())

    def to_dict(self) -> dict[str, Any]:
        """The preview as the API returns it (terms as the YAML mappings of dump_term)."""
        return {
            "glossary": self.name,
            "revision": self.revision,
            "format": self.fmt,
            "on_duplicate": self.policy,
            "ok": self.ok,
            "counts": self.counts(),
            "header": list(self.header) if self.header else None,
            "header_line": self.header_line,
            "added": [
                {"where": a.where, "line": a.line, "term": dump_term(a.term)} for a in self.added
            ],
            "changed": [
                {"where": c.where, "line": c.line, "old": dump_term(c.old), "new": dump_term(c.new)}
                for c in self.changed
            ],
            "unchanged": [
                {"where": u.where, "line": u.line, "source": u.term.source} for u in self.unchanged
            ],
            "duplicates": [d.to_dict() for d in self.duplicates],
            "errors": [e.to_dict() for e in self.errors],
        }


def _same(a: Term, b: Term) -> bool:
    return replace(a, line=None) == replace(b, line=None)


@dataclass
class _Pending:
    """A row that takes a source (the first for it; under `overwrite`, the last)."""

    row: Row
    term: Term
    key: str  # duplicate_key(source, case_sensitive=False) of the first row


class _Planner:
    def __init__(self, glossary: Glossary, preview: Preview, within: Policy) -> None:
        self.glossary, self.preview, self.within = glossary, preview, within
        self.existing: dict[str, list[int]] = {}
        for index, term in enumerate(glossary.terms):
            self.existing.setdefault(duplicate_key(term.source, case_sensitive=False), []).append(
                index
            )
        self.pending: dict[str, list[_Pending]] = {}
        self.order: list[_Pending] = []
        self.claimed: dict[int, _Pending] = {}

    def take(self, row: Row) -> None:
        """A row of the file, against the rows before it."""
        term = cast(Term, row.term)
        key = duplicate_key(term.source, case_sensitive=False)
        earlier = next((p for p in self.pending.get(key, []) if clashes(p.term, term)), None)
        if earlier is None:
            pending = _Pending(row, term, key)
            self.pending.setdefault(key, []).append(pending)
            self.order.append(pending)
            return
        action = {"skip": "skipped", "overwrite": "overwritten", "fail": "refused"}[self.within]
        self.preview.duplicates.append(
            Duplicate(
                row.where, row.line, term.source, earlier.row.where, earlier.term.source, action
            )
        )
        if self.within == "overwrite":
            earlier.row, earlier.term = row, term
        elif self.within == "fail":
            self.preview.errors.append(
                RowError(
                    row.where,
                    f"{term.source!r} is a duplicate (first on {earlier.row.where})",
                    "source",
                    row.line,
                )
            )

    def settle(self, policy: Policy) -> None:
        """Each row that takes a source, against the glossary."""
        for pending in self.order:
            self._settle(pending, policy)

    def _settle(self, pending: _Pending, policy: Policy) -> None:
        row, term, key = pending.row, pending.term, pending.key  # a later row folds alike
        matches = [i for i in self.existing.get(key, []) if clashes(self.glossary.terms[i], term)]
        if not matches:
            self.preview.added.append(Added(row.where, row.line, term))
            return
        if len(matches) > 1 or matches[0] in self.claimed:
            sources = ", ".join(repr(self.glossary.terms[i].source) for i in matches)
            self.preview.errors.append(
                RowError(
                    row.where,
                    f"matches more than one term or row of the glossary ({sources})",
                    "source",
                    row.line,
                )
            )
            return
        index = matches[0]
        self.claimed[index] = pending
        old = self.glossary.terms[index]
        new = replace(old, **{name: getattr(term, name) for name in row.fields}, line=None)
        if _same(new, old):
            self.preview.unchanged.append(Added(row.where, row.line, old))
            return
        action = {"skip": "skipped", "overwrite": "overwritten", "fail": "refused"}[policy]
        self.preview.duplicates.append(
            Duplicate(row.where, row.line, term.source, "glossary", old.source, action)
        )
        if policy == "fail":
            self.preview.errors.append(
                RowError(
                    row.where,
                    f"{old.source!r} is already in the glossary, as {old.target!r}",
                    "source",
                    row.line,
                )
            )
        elif policy == "overwrite":
            self._change(row, index, old, new)

    def _change(self, row: Row, index: int, old: Term, new: Term) -> None:
        """A changed term is checked as a whole: the file's fields with the glossary's."""
        try:
            check_terms([new], "import", ["term"])
        except GlossaryFileError as exc:
            self.preview.errors.append(formats.field_error(exc, row.where, row.line))
            return
        self.preview.changed.append(Changed(row.where, row.line, index, old, new))


def plan(
    glossary: Glossary,
    entries: Entries,
    policy: Policy = DEFAULT_POLICY,
    *,
    name: str = "",
    fmt: str = "",
    within: Policy | None = None,
) -> Preview:
    """What importing `entries` into `glossary` would do under `policy` (for duplicates
    within the file, `within`, by default the same)."""
    preview = Preview(
        name or glossary.name,
        glossary.revision,
        fmt,
        policy,
        entries.header,
        entries.header_line,
        errors=entries.all_errors(),
    )
    planner = _Planner(glossary, preview, within or policy)
    for row in entries.rows:
        if row.term is not None:
            planner.take(row)
    planner.settle(policy)
    preview.errors.sort(key=lambda e: (e.line is None, e.line or 0))
    return preview


# --- applying -------------------------------------------------------------------------------


class ImportRefusedError(InputError):
    """An import with errors: nothing was written. Carries the preview."""

    def __init__(self, preview: Preview) -> None:
        self.preview = preview
        first = preview.errors[0] if preview.errors else None
        more = len(preview.errors) - 1
        detail = f"{first}" + (f" (and {more} more)" if more > 0 else "") if first else ""
        super().__init__(f"nothing was imported: {detail}")


def apply(
    path: Path,
    glossary: Glossary,
    preview: Preview,
    *,
    revision: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    file: str | None = None,
) -> Glossary:
    """Write what `preview` (planned against `glossary`, parsed from `path`) says, in one
    atomic write: all of it or, on any error or conflict, nothing. `revision` is the one
    the caller saw (If-Match, the confirm form): ConflictError unless the file is still
    there. The change log names the import and its `file`."""
    if not preview.ok:
        raise ImportRefusedError(preview)
    if revision != glossary.revision or preview.revision != glossary.revision:
        raise ConflictError(
            f"{path}: the import names revision {revision}, but the glossary is "
            f"at revision {glossary.revision}; preview it again"
        )
    if not preview.writes:
        return glossary
    added = [a.term for a in preview.added]
    changed = {c.index: c.new for c in preview.changed}

    def build(text: str) -> tuple[str, Glossary]:
        return bulkedit.edited(glossary, text, added, changed, str(path))

    if file is None:
        return rewrite_at_revision(path, glossary, build, max_bytes=max_bytes)
    with history.noted(action="import", import_file=file, on_duplicate=preview.policy):
        return rewrite_at_revision(path, glossary, build, max_bytes=max_bytes)


def preview_file(
    glossary: Glossary,
    data: bytes | str,
    fmt: str,
    policy: Policy,
    *,
    name: str = "",
    filename: str = "import",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Preview:
    """Read and plan in one: the preview of importing a file's content."""
    entries = read(data, fmt, glossary, name=filename, max_bytes=max_bytes)
    return plan(glossary, entries, policy, name=name, fmt=fmt)


# --- DeepL entries --------------------------------------------------------------------------


def _strict(entries: Entries, source: str | None, target: str | None) -> list[Term]:
    """DeepL's rule: any problem, a duplicate source included, refuses the entries; the
    error is the first one in the file."""
    preview = plan(Glossary("", source or "", target or ""), entries, "fail")
    if preview.errors:
        first = min(preview.errors, key=lambda e: e.line if e.line is not None else 0)
        text = f"{first.field} {first.message}" if first.field else first.message
        raise EntriesError(text, line=first.line)
    return [added.term for added in preview.added]


def terms_from_tsv(text: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Term]:
    """DeepL TSV entries (no header row): blank lines are skipped, every other problem, a
    duplicate source included, raises EntriesError naming its line."""
    return _strict(formats.read_tsv(text, headers=False, max_bytes=max_bytes), None, None)


def terms_from_csv(
    text: str,
    *,
    source_language: str | None = None,
    target_language: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[Term]:
    """DeepL CSV entries (`source,target[,source_lang,target_lang]`, no header row), as
    strictly as `terms_from_tsv`."""
    entries = formats.read_csv(
        text,
        source_language=source_language,
        target_language=target_language,
        headers=False,
        max_bytes=max_bytes,
    )
    return _strict(entries, source_language, target_language)


def _deepl_tsv(text: str, source: str, target: str) -> list[Term]:
    return terms_from_tsv(text)


def _deepl_csv(text: str, source: str, target: str) -> list[Term]:
    return terms_from_csv(text, source_language=source, target_language=target)


# DeepL's `entries_format`s: entries (text, source and target language) to terms, as strictly
# as DeepL reads them
DEEPL_ENTRIES: dict[str, Callable[[str, str, str], list[Term]]] = {
    "tsv": _deepl_tsv,
    "csv": _deepl_csv,
}


def merge(
    path: Path, glossary: Glossary, terms: Sequence[Term], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Glossary:
    """DeepL's merge of entries into a dictionary: new sources added, an existing source's
    target (and spelling) replaced, everything else of that entry kept; one write."""
    preview = plan(glossary, entries_of(terms), "overwrite", within="fail")
    return apply(path, glossary, preview, revision=glossary.revision, max_bytes=max_bytes)
