"""Glossary terms marked in text, as escaped HTML built from the report's offsets; in the
translation also the sentences copied through untranslated."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from flask_babel import gettext as _
from markupsafe import Markup, escape

from glossary.pipeline import SentenceResult
from glossary.report import TermReport

_MARK = Markup(
    '<mark class="{classes}" data-term="{term}" data-status="{status}" title="{title}" '
    'tabindex="0">{text}</mark>'
)


def status_label(status: str) -> str:
    labels = {
        "kept": _("kept"),
        "enforced": _("enforced"),
        "missed": _("missed"),
        "forbidden": _("forbidden"),
    }
    return str(labels.get(status, status))


def tooltip(report: TermReport) -> str:
    parts = [
        f"{report.term.source} → {report.form or report.term.target}",
        status_label(report.status),
    ]
    if report.glossary:
        parts.append(_("glossary %(name)s", name=report.glossary))
    if report.overrides:  # the rule: of several glossaries the first-named one's entry wins
        parts.append(_("wins over %(names)s (named first)", names=", ".join(report.overrides)))
    if report.term.note:
        parts.append(report.term.note)
    if report.reason:
        parts.append(report.reason)
    if report.forbidden:
        parts.append(_("forbidden wording: %(words)s", words=", ".join(report.forbidden)))
    return " · ".join(parts)


_UNTRANSLATED = Markup(
    '<span class="untranslated" data-status="untranslated" title="{title}" tabindex="0">'
    "{text}</span>"
)


def _mark(text: str, report: TermReport) -> Markup:
    classes = f"term term-{report.status}" + (" term-forbidden" if report.forbidden else "")
    return _MARK.format(
        classes=classes,
        term=report.term.source,
        status=report.status,
        title=tooltip(report),
        text=text,
    )


def untranslated_title(sentence: SentenceResult) -> str:
    return str(_("Not translated: %(reason)s", reason=sentence.reason or ""))


def _untranslated(text: str, sentence: SentenceResult) -> Markup:
    return _UNTRANSLATED.format(title=untranslated_title(sentence), text=text)


def _wrapped(text: str, spans: Iterable[tuple[int, int, Callable[[str], Markup]]]) -> Markup:
    """`text` escaped, with each span wrapped by its function; overlapping spans after the
    first are left unwrapped rather than producing broken nesting."""
    out: list[str] = []
    position = 0
    for start, end, wrap in sorted(spans, key=lambda span: (span[0], -span[1])):
        if start < position or not 0 <= start < end <= len(text):
            continue
        out.append(escape(text[position:start]))
        out.append(wrap(text[start:end]))
        position = end
    out.append(escape(text[position:]))
    return Markup("".join(out))


def marked(text: str, spans: Iterable[tuple[int, int, TermReport]]) -> Markup:
    """`text` escaped, with each span wrapped in a <mark>; overlapping spans after the first
    are left unmarked rather than producing broken nesting."""
    return _wrapped(text, ((s, e, partial(_mark, report=r)) for s, e, r in spans))


def source_marked(text: str, reports: Iterable[TermReport]) -> Markup:
    return marked(text, ((r.source_start, r.source_end, r) for r in reports))


def target_marked(
    text: str, reports: Iterable[TermReport], untranslated: Iterable[SentenceResult] = ()
) -> Markup:
    """The translation with its terms marked, and each sentence copied through untranslated
    in a <span class="untranslated"> whose title gives the reason."""
    spans: list[tuple[int, int, Callable[[str], Markup]]] = [
        (r.target_start, r.target_end, partial(_mark, report=r))
        for r in reports
        if r.target_start is not None and r.target_end is not None
    ]
    spans += [
        (s.target_start, s.target_end, partial(_untranslated, sentence=s)) for s in untranslated
    ]
    return _wrapped(text, spans)
