"""What happened to each glossary term occurrence in a translation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

from glossary.term import Term

TermStatus = Literal["kept", "enforced", "missed"]
TERM_STATUSES: tuple[TermStatus, ...] = get_args(TermStatus)


@dataclass(frozen=True)
class Origin:
    """Where a term comes from: the glossary that gave it (its name in the terms folder: the
    file name without .yaml), and the later-named glossaries whose entry for the same source
    it overrode, because of several glossaries the first-named one's entry wins (one rule, in
    glossary.glossaries.combined)."""

    glossary: str
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TermReport:
    source_start: int
    source_end: int
    source_text: str
    term: Term
    form: str  # the English wording required here (singular/plural, capitalised)
    status: TermStatus
    target_start: int | None = None
    target_end: int | None = None
    reason: str | None = None
    forbidden: tuple[str, ...] = ()
    plural: bool | None = None
    glossary: str | None = None  # the glossary the term came from (Origin.glossary)
    overrides: tuple[str, ...] = ()  # glossaries whose entry for the same source lost to it
    warnings: tuple[str, ...] = ()  # about the source text: look-alike letters (lookalike.py)
    source_parts: tuple[tuple[int, int], ...] = ()  # a term in parts: rüstet … auf (match.py)

    def shifted(self, source: int, target: int) -> TermReport:
        """The same report with sentence-relative offsets made document-relative."""
        return replace(
            self,
            source_start=self.source_start + source,
            source_end=self.source_end + source,
            target_start=None if self.target_start is None else self.target_start + target,
            target_end=None if self.target_end is None else self.target_end + target,
            source_parts=tuple((start + source, end + source) for start, end in self.source_parts),
        )

    def with_origin(self, origin: Origin | None) -> TermReport:
        """The same report naming where its term came from (nothing changes for None)."""
        if origin is None:
            return self
        return replace(self, glossary=origin.glossary, overrides=origin.overrides)

    def to_dict(self) -> dict[str, object]:
        target = None
        if self.target_start is not None:
            target = {"start": self.target_start, "end": self.target_end}
        return {
            "source": {
                "start": self.source_start,
                "end": self.source_end,
                "text": self.source_text,
                "parts": [list(p) for p in self.source_parts],
            },
            "term": {
                "source": self.term.source,
                "target": self.term.target,
                "note": self.term.note,
            },
            "form": self.form,
            "target": target,
            "status": self.status,
            "reason": self.reason,
            "forbidden": list(self.forbidden),
            "plural": self.plural,
            "glossary": self.glossary,
            "overrides": list(self.overrides),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TermReport:
        """The report `to_dict` gave (a job's stored results); of the term only what that
        keeps: source, target and note. Results stored before reports named their glossary
        have none."""
        source, term, target = data["source"], data["term"], data.get("target")
        return cls(
            source_start=source["start"],
            source_end=source["end"],
            source_text=source["text"],
            term=Term(term["source"], term["target"], note=term.get("note")),
            form=data["form"],
            status=data["status"],
            target_start=None if target is None else target["start"],
            target_end=None if target is None else target["end"],
            reason=data.get("reason"),
            forbidden=tuple(data.get("forbidden") or ()),
            plural=data.get("plural"),
            glossary=data.get("glossary"),
            overrides=tuple(data.get("overrides") or ()),
            warnings=tuple(data.get("warnings") or ()),
            source_parts=tuple((p[0], p[1]) for p in source.get("parts") or ()),
        )


def summarize(reports: list[TermReport]) -> dict[str, int]:
    return count_statuses((r.status, bool(r.forbidden)) for r in reports)


def count_statuses(reports: Iterable[tuple[str, bool]]) -> dict[str, int]:
    """Terms by status, and how many carried a forbidden wording, from (status, forbidden)."""
    counts = {"kept": 0, "enforced": 0, "missed": 0, "forbidden": 0}
    for status, forbidden in reports:
        counts[status] += 1
        counts["forbidden"] += forbidden
    return counts
