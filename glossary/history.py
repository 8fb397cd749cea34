"""Each glossary's change log: every write of its file, from any surface, one JSON line each.

Where: beside the glossary, as a hidden file (`terms/.<name>.yaml.history.jsonl`, like its
lock file). The terms folder is what machines share (several web servers and workers over
NFS, the CLI anywhere), while the state folder may be per machine; a log kept there would
split one glossary's history across machines, and `glossary terms history --glossary FILE`
could not find it from the file alone. The store skips dotfiles, so the log is never taken
for a glossary; it is opened with O_NOFOLLOW, so a link planted in its place is refused.

When: termwrite calls `record_edit` under the glossary's lock, right after the new file is in
place: the log's order is the order of the writes, on every machine, and an entry only ever
describes a write that happened. Each entry carries the revision before and after, so a write
without an entry (made by hand, by an old version, or whose entry could not be written) shows
as a gap in the chain, and the page says so (`Page.unrecorded`, `Entry.gap_before`).

A failed append does not undo the edit (the file is already written, and the caller asked for
the edit, not for the log) and is not silent: it is logged as an error, collected for the
current request or command (`problems()`: the page flashes it, the APIs send a header, the CLI
prints a warning) and, lastingly, shows as a gap in the chain. Translations never read the
log nor take the lock, so appending can never delay them.

Who: `set_author` is called once per surface (web/access.py for every request, the CLI's
main); the entry takes the author from there. `noted` adds what only the caller knows (this
write is a revert of change X, an import of file F).
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from glossary.errors import ConflictError, InputError, NotFoundError
from glossary.term import Glossary, Term
from glossary.termload import load_glossary
from glossary.termrules import DEFAULT_MAX_BYTES, duplicate_key
from glossary.termyaml import dump_term

log = logging.getLogger("glossary.history")

SUFFIX = ".history.jsonl"
_FIELDS = (
    "source",
    "target",
    "target_plural",
    "source_plural",
    "match",
    "case_sensitive",
    "forbidden",
    "status",
    "note",
    "pos",
    "gender",
)
_value_of = attrgetter(*_FIELDS)  # a term's content without its line number, as a tuple
_BLOCK = 64 * 1024


def history_path(path: Path) -> Path:
    """The log of glossary file `path`: `.<file name>.history.jsonl` beside it."""
    path = Path(path)
    return path.with_name(f".{path.name}{SUFFIX}")


# --- who, and what the caller knows ---------------------------------------------------------


@dataclass(frozen=True)
class Author:
    name: str | None = None  # the user or API key name; None where nobody is identified
    kind: str | None = None  # user, key (web); given (--author), os-user (the CLI)
    via: str | None = None  # page, api, deepl, deepl_v3, cli, ...


NOBODY = Author()
_author: ContextVar[Author | None] = ContextVar("glossary_history_author", default=None)
_problems: ContextVar[list[str] | None] = ContextVar("glossary_history_problems", default=None)
_note: ContextVar[dict[str, Any] | None] = ContextVar("glossary_history_note", default=None)


def set_author(name: str | None, *, kind: str | None = None, via: str | None = None) -> None:
    """Who makes the changes from here on in this context (a request, a command); also starts
    a fresh list of `problems`."""
    _author.set(Author(name, kind, via))
    _problems.set([])


def author() -> Author:
    return _author.get() or NOBODY


def problems() -> list[str]:
    """History entries that could not be written since `set_author` (the edits themselves were
    made)."""
    return list(_problems.get() or [])


@contextlib.contextmanager
def noted(**fields: Any) -> Iterator[None]:
    """Add `fields` (action=..., reverts=..., file=...) to the entries written inside."""
    token = _note.set({**(_note.get() or {}), **fields})
    try:
        yield
    finally:
        _note.reset(token)


# --- entries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One term before and after (as the YAML mapping of `termyaml.dump_term`); None before an
    addition, None after a removal."""

    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def source(self) -> str:
        return str((self.after or self.before or {}).get("source", ""))

    @property
    def kind(self) -> str:
        return "add" if self.before is None else "remove" if self.after is None else "update"


@dataclass(frozen=True)
class Entry:
    id: str
    time: str  # ISO 8601, UTC
    action: str  # add, update, remove, edit (several terms), title, create, rename, revert, ...
    author: str | None = None
    author_kind: str | None = None
    via: str | None = None
    revision_before: str | None = None
    revision_after: str | None = None
    changes: tuple[Change, ...] = ()
    title: tuple[str | None, str] | None = None  # (before, after); before is None at creation
    file: tuple[str, str] | None = None  # glossary name (before, after), for a rename
    extra: dict[str, Any] = field(default_factory=dict)  # reverts, file imported, ...
    gap_before: bool = False  # a write with no entry happened between this and the older one

    @property
    def revertible(self) -> bool:
        return bool(self.changes or self.title) and self.action != "create"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "time": self.time,
            "action": self.action,
            "author": self.author,
            "author_kind": self.author_kind,
            "via": self.via,
            "revision_before": self.revision_before,
            "revision_after": self.revision_after,
            "changes": [{"before": c.before, "after": c.after} for c in self.changes],
        }
        if self.title is not None:
            data["title"] = {"before": self.title[0], "after": self.title[1]}
        if self.file is not None:
            data["name"] = {"before": self.file[0], "after": self.file[1]}
        data.update(self.extra)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        known = {
            "id",
            "time",
            "action",
            "author",
            "author_kind",
            "via",
            "revision_before",
            "revision_after",
            "changes",
            "title",
            "name",
        }
        title, name = data.get("title"), data.get("name")
        return cls(
            id=str(data["id"]),
            time=str(data["time"]),
            action=str(data["action"]),
            author=data.get("author"),
            author_kind=data.get("author_kind"),
            via=data.get("via"),
            revision_before=data.get("revision_before"),
            revision_after=data.get("revision_after"),
            changes=tuple(
                Change(c.get("before"), c.get("after")) for c in data.get("changes") or []
            ),
            title=(title["before"], title["after"]) if isinstance(title, dict) else None,
            file=(name["before"], name["after"]) if isinstance(name, dict) else None,
            extra={k: v for k, v in data.items() if k not in known},
        )


def _now() -> str:
    stamp = datetime.now(UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _new_entry(action: str, **fields: Any) -> Entry:
    who = author()
    note = dict(_note.get() or {})
    action = str(note.pop("action", action))
    return Entry(
        id=secrets.token_hex(6),
        time=_now(),
        action=action,
        author=who.name,
        author_kind=who.kind,
        via=who.via,
        extra=note,
        **fields,
    )


def _term_dict(term: Term) -> dict[str, Any]:
    return dump_term(term)


def _fold(source: str) -> str:
    return duplicate_key(source, case_sensitive=False)


def term_changes(before: Sequence[Term], after: Sequence[Term]) -> list[Change]:
    """What changed between two versions of a glossary's terms, line numbers ignored: the
    common head and tail are skipped (an edit touches one entry), the rest is compared by
    content; a removed and an added term with the same source (compared as for duplicates)
    are one update, and so are the one removed and the one added term of a write that changed
    nothing else (an entry whose source was changed). Linear in the terms compared."""
    old, new = list(map(_value_of, before)), list(map(_value_of, after))
    if old == new:
        return []
    start, limit = 0, min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old, end_new = end_old - 1, end_new - 1
    removed_values, added_values = old[start:end_old], new[start:end_new]
    moved = set(removed_values) & set(added_values)  # reordered, not changed
    removed = [before[start + i] for i, v in enumerate(removed_values) if v not in moved]
    added = [after[start + i] for i, v in enumerate(added_values) if v not in moved]
    pending: dict[str, list[Term]] = {}
    for term in removed:
        pending.setdefault(_fold(term.source), []).append(term)
    changes: list[Change] = []
    additions: list[Term] = []
    for term in added:
        candidates = pending.get(_fold(term.source))
        if candidates:
            changes.append(Change(_term_dict(candidates.pop(0)), _term_dict(term)))
        else:
            additions.append(term)
    removals = [t for terms in pending.values() for t in terms]
    if not changes and len(removals) == 1 and len(additions) == 1:  # a source was changed
        return [Change(_term_dict(removals[0]), _term_dict(additions[0]))]
    changes += [Change(None, _term_dict(t)) for t in additions]
    return changes + [Change(_term_dict(t), None) for t in removals]


def _common_prefix(a: bytes, b: bytes) -> int:
    """Length of the common head of `a` and `b`, by halving (memcmp speed, about 2n bytes)."""
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    while hi - lo > 1:  # a[:lo] == b[:lo] and a[:hi] != b[:hi]
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _touched(
    before: Sequence[Term], after: Sequence[Term], old: bytes, new: bytes
) -> tuple[slice, slice] | None:
    """The terms of each version whose lines lie in the stretch of text that differs (an edit
    rewrites one entry's lines; every other entry's text, and so its value, is the same), or
    None when the terms carry no line numbers or the stretches do not line up."""
    ends = (before[0], before[-1], after[0], after[-1]) if before and after else (None,)
    if any(term is None or term.line is None for term in ends):
        return None
    head = _common_prefix(old, new)
    tail = _common_prefix(old[head:][::-1], new[head:][::-1])
    line = attrgetter("line")

    def span(terms: Sequence[Term], text: bytes) -> slice:
        first = text.count(b"\n", 0, head) + 1
        last = first + text.count(b"\n", head, len(text) - tail)
        start = max(0, bisect.bisect_right(terms, first, key=line) - 1)
        return slice(start, bisect.bisect_right(terms, last, key=line))

    old_span, new_span = span(before, old), span(after, new)
    same_head = old_span.start == new_span.start
    same_tail = len(before) - old_span.stop == len(after) - new_span.stop
    return (old_span, new_span) if same_head and same_tail else None


# --- writing --------------------------------------------------------------------------------


def _fail(path: Path, exc: BaseException) -> None:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    message = (
        f"glossary {path.stem}: the change was saved, but its history entry could not be "
        f"written to {history_path(path)}: {reason}"
    )
    log.error("%s", message, exc_info=not isinstance(exc, OSError))
    found = _problems.get()
    if found is not None:
        found.append(message)


def _append(path: Path, entry: Entry) -> None:
    """One line, appended with a single write where the system allows, then fsynced. Called
    under the glossary's lock: a line torn by a crash is ended before the next one."""
    target = history_path(path)
    line = json.dumps(entry.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"
    data = line.encode("utf-8")
    created = not os.path.lexists(target)
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(target, flags, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # the torn line stays unreadable; this one does not join it
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _record(path: Path, build: Callable[[], Entry | None]) -> None:
    try:
        entry = build()
        if entry is not None:
            _append(Path(path), entry)
    except Exception as exc:  # never fails the edit it describes; said instead
        _fail(Path(path), exc)


def record_edit(
    path: Path, before: Glossary, after: Glossary, texts: tuple[bytes, bytes] | None = None
) -> None:
    """Called by termwrite, under the lock, after `path` went from `before` to `after`;
    `texts`, the file's bytes before and after, narrow the comparison to the entries whose
    lines changed."""

    def build() -> Entry | None:
        if before.revision == after.revision:
            return None  # the same bytes: nothing happened
        spans = None if texts is None else _touched(before.terms, after.terms, *texts)
        if spans is None:
            changes = term_changes(before.terms, after.terms)
        else:
            changes = term_changes(before.terms[spans[0]], after.terms[spans[1]])
        title = (before.name, after.name) if before.name != after.name else None
        if title is not None and not changes:
            action = "title"
        elif len(changes) == 1:
            action = changes[0].kind
        else:
            action = "edit"
        return _new_entry(
            action,
            revision_before=before.revision,
            revision_after=after.revision,
            changes=tuple(changes),
            title=title,
        )

    _record(path, build)


def record_created(path: Path, glossary: Glossary) -> None:
    """Called by termwrite after a new glossary file was written: its first entry."""

    def build() -> Entry:
        changes = tuple(Change(None, _term_dict(t)) for t in glossary.terms)
        return _new_entry(
            "create", revision_after=glossary.revision, changes=changes, title=(None, glossary.name)
        )

    _record(path, build)


def record_renamed(path: Path, old_name: str, new_name: str, revision: str | None) -> None:
    """After glossary `old_name`'s file (and log) became `path` (`new_name`)."""

    def build() -> Entry:
        return _new_entry(
            "rename", revision_before=revision, revision_after=revision, file=(old_name, new_name)
        )

    _record(path, build)


def discard(path: Path) -> None:
    """Remove the log of a glossary whose file was deleted (called under its lock)."""
    try:
        history_path(path).unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.error(
            "cannot remove the history %s of deleted glossary %s: %s",
            history_path(path),
            path.stem,
            exc.strerror or exc,
        )


def move(old: Path, new: Path) -> None:
    """Move a glossary's log along with its file (called holding both files' locks)."""
    try:
        os.rename(history_path(old), history_path(new))
    except FileNotFoundError:
        with contextlib.suppress(FileNotFoundError):  # no log: drop an orphan at the new name
            history_path(new).unlink()


# --- reading --------------------------------------------------------------------------------


def _lines_backwards(path: Path) -> Iterator[bytes]:
    """The log's lines, newest first, read in blocks from the end."""
    try:
        fd = os.open(history_path(path), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{history_path(path)} is a symbolic link; it is not read") from None
        raise
    try:
        position = os.fstat(fd).st_size
        rest = b""
        while position > 0:
            size = min(_BLOCK, position)
            position -= size
            block = os.pread(fd, size, position) + rest
            lines = block.split(b"\n")
            rest = lines[0]
            for line in reversed(lines[1:]):
                if line.strip():
                    yield line
        if rest.strip():
            yield rest
    finally:
        os.close(fd)


def _entries_backwards(path: Path, unreadable: list[int]) -> Iterator[Entry]:
    for line in _lines_backwards(path):
        try:
            data = json.loads(line)
            yield Entry.from_json(data)
        except (ValueError, KeyError, TypeError, AttributeError):
            unreadable[0] += 1  # a line torn by a crash, or edited by hand


@dataclass(frozen=True)
class Page:
    entries: list[Entry]  # newest first
    more: bool  # older entries follow
    unreadable: int  # lines on this stretch that are not entries
    unrecorded: bool  # the file changed after the newest entry (only said on the first page)


def _gap(newer: Entry, older: Entry) -> bool:
    return (
        newer.revision_before is not None
        and older.revision_after is not None
        and newer.revision_before != older.revision_after
    )


def read(path: Path, *, offset: int = 0, limit: int = 50, current: str | None = None) -> Page:
    """Entries newest first: `limit` of them after skipping `offset` (one more is read to
    tell whether a write without an entry came before the oldest shown). `current` is the
    file's revision now: on the first page, a newest entry that does not end there means the
    file changed since without an entry."""
    unreadable = [0]
    found: list[Entry] = []
    for index, entry in enumerate(_entries_backwards(Path(path), unreadable)):
        if index >= offset:
            found.append(entry)
        if len(found) > limit:
            break
    shown = [
        replace(entry, gap_before=_gap(entry, found[i + 1])) if i + 1 < len(found) else entry
        for i, entry in enumerate(found[:limit])
    ]
    newest = found[0].revision_after if found and offset == 0 else None
    unrecorded = bool(current and newest and newest != current)
    return Page(shown, len(found) > limit, unreadable[0], unrecorded)


def find(path: Path, change_id: str) -> Entry:
    unreadable = [0]
    for entry in _entries_backwards(Path(path), unreadable):
        if entry.id == change_id:
            return entry
    raise NotFoundError(f"glossary {Path(path).stem}: no change {change_id!r} in its history")


# --- reverting ------------------------------------------------------------------------------


def _term(data: dict[str, Any]) -> Term:
    fields = dict(data)
    if "forbidden" in fields:
        fields["forbidden"] = tuple(fields["forbidden"])
    return Term(**fields)


class _Terms:
    """A glossary's terms by source: the exact spelling, else the one that folds the same (as
    termedit finds the entry to edit)."""

    def __init__(self, terms: Sequence[Term]) -> None:
        self.exact = {t.source: t for t in terms}
        self.folded: dict[str, list[Term]] = {}
        for term in terms:
            self.folded.setdefault(_fold(term.source), []).append(term)

    def get(self, source: str) -> Term | None:
        found = self.exact.get(source)
        if found is not None:
            return found
        folded = self.folded.get(_fold(source), [])
        return folded[0] if len(folded) == 1 else None


def _plan(entry: Entry, glossary: Glossary) -> list[tuple[str | None, Term | None]]:
    """The edits that undo `entry` on `glossary` as it is now: (source to change or remove,
    None to add; the term to write, None to remove). ConflictError when a term the entry
    touched has changed since."""
    plan: list[tuple[str | None, Term | None]] = []
    stale: list[str] = []
    terms = _Terms(glossary.terms)
    for change in entry.changes:
        now = terms.get(change.source)
        if change.after is None:  # a removal: add the term back, unless it is there again
            if now is not None:
                stale.append(repr(change.source))
            else:
                plan.append((None, _term(change.before or {})))
        elif now is None or _term_dict(now) != change.after:
            stale.append(repr(change.source))
        else:
            plan.append((now.source, None if change.before is None else _term(change.before)))
    if entry.title is not None and entry.action != "create" and glossary.name != entry.title[1]:
        stale.append(f"the title {entry.title[1]!r}")
    if stale:
        shown = ", ".join(stale[:5])
        more = f" and {len(stale) - 5} more" if len(stale) > 5 else ""
        raise ConflictError(
            f"glossary {Path(glossary.path or '').stem}: change {entry.id} cannot be reverted: "
            f"{shown}{more} changed since; nothing was changed"
        )
    # removals first, then changes, then additions: an addition may reuse a removed source
    return sorted(plan, key=lambda step: 0 if step[1] is None else 2 if step[0] is None else 1)


def revert(path: Path, change_id: str, *, max_bytes: int | None = None) -> Glossary:
    """Undo one change as a new edit, itself logged (action `revert`, `reverts`: the id).
    Refused (ConflictError) when a term it touched has changed since; the revision check of
    the write makes that hold up to the moment the file is replaced."""
    path = Path(path)
    entry = find(path, change_id)
    if not entry.revertible:
        raise InputError(f"change {change_id} ({entry.action}) cannot be reverted")
    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    with noted(action="revert", reverts=entry.id):
        for _attempt in range(4):
            current = load_glossary(path, max_bytes=limit)
            plan = _plan(entry, current)
            with contextlib.suppress(ConflictError):
                return _apply(path, entry, plan, current, limit)
    raise ConflictError(f"glossary {path.stem} is being changed by someone else; try again")


def _apply(
    path: Path,
    entry: Entry,
    plan: list[tuple[str | None, Term | None]],
    current: Glossary,
    limit: int,
) -> Glossary:
    from glossary import termedit  # termedit imports this module (through termwrite)

    revision = current.revision
    title = entry.title[0] if entry.title is not None else None
    if title is not None and not plan:
        return termedit.rename_glossary(path, title, revision=revision, max_bytes=limit)
    if len(plan) == 1 and title is None:
        ((source, term),) = plan
        if source is None and term is not None:
            return termedit.add_term(path, term, revision=revision, max_bytes=limit, base=current)
        if term is None and source is not None:
            return termedit.remove_term(
                path, source, revision=revision, max_bytes=limit, base=current
            )
        assert source is not None and term is not None
        return termedit.update_term(
            path, source, term, revision=revision, max_bytes=limit, base=current
        )
    return termedit.apply_changes(path, plan, title=title, revision=revision, max_bytes=limit)
