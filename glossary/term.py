"""A glossary entry and a glossary as plain values, shared by the loader, matcher and enforcer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

MatchMode = Literal["inflected", "exact"]
Status = Literal["approved", "proposed", "deprecated"]
MATCH_MODES: tuple[MatchMode, ...] = get_args(MatchMode)
STATUSES: tuple[Status, ...] = get_args(Status)


@dataclass(frozen=True)
class Term:
    source: str
    target: str
    target_plural: str | None = None
    # the German plural where the rules miss it (Praxis → Praxen), word for word as source
    source_plural: str | None = None
    match: MatchMode = "inflected"
    case_sensitive: bool = False
    forbidden: tuple[str, ...] = ()
    status: Status = "approved"
    note: str | None = None
    pos: str | None = None
    gender: str | None = None
    line: int | None = None  # 1-based line of the entry in its YAML file, for messages

    @property
    def enforced(self) -> bool:
        return self.status == "approved"


@dataclass(frozen=True)
class Glossary:
    name: str
    source_language: str
    target_language: str
    terms: tuple[Term, ...] = field(default_factory=tuple)
    path: str | None = None
    revision: str = ""
