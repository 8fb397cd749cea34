"""A term report is built by field name only, and a stored report (a job's results) reads back
as the same report, every field kept."""

from __future__ import annotations

import pytest

from glossary.report import TermReport
from glossary.term import Term

FULL = TermReport(
    source_start=4,
    source_end=19,
    source_text="rüstet … auf",
    term=Term("aufrüsten", "rearm", note="verb"),
    form="rearms",
    status="enforced",
    target_start=2,
    target_end=8,
    reason=None,
    forbidden=("arms up",),
    plural=False,
    glossary="politik",
    overrides=("de-en",),
    warnings=("look-alike letters",),
    source_parts=((4, 10), (16, 19)),
)


def test_positional_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        TermReport(0, 4, "Hund", Term("Hund", "dog"), "dog", "kept")  # type: ignore[misc]


def test_every_field_survives_to_dict_and_back() -> None:
    assert TermReport.from_dict(FULL.to_dict()) == FULL


def test_a_missed_report_has_no_target() -> None:
    missed = TermReport(
        source_start=0,
        source_end=4,
        source_text="Hund",
        term=Term("Hund", "dog"),
        form="dog",
        status="missed",
        reason="the sentence was not translated",
    )
    data = missed.to_dict()
    assert data["target"] is None
    assert TermReport.from_dict(data) == missed
