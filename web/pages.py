"""The translate page: German in, English beside it with every glossary term marked in both,
and a summary of what happened to the terms. Plus /health."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import cast

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from glossary.enforce import DEFAULT_MODE, MODES, Mode
from glossary.errors import GlossaryError, ModelNotInstalledError
from glossary.jobs import Job
from glossary.pipeline import TranslationResult
from glossary.report import summarize
from glossary.term import Glossary
from glossary.textio import decode_utf8
from web import csrf, marks
from web.access import visible
from web.jobs import owned
from web.services import service

bp = Blueprint("pages", __name__)
csrf.protect(bp)


@dataclass
class Form:
    text: str = ""
    pair: tuple[str, str] = ("de", "en")
    glossaries: list[str] | None = None  # None: every glossary for the pair
    mode: str = DEFAULT_MODE
    errors: list[str] = field(default_factory=list)
    install: tuple[str, str] | None = None  # a pair whose model is missing
    job: Job | None = None  # a job of the page's script still running: it follows it again


def _pairs() -> list[tuple[str, str]]:
    return service().engines.pairs()


def _glossaries(pair: tuple[str, str]) -> dict[str, Glossary]:
    """The usable glossaries for the pair, by file name."""
    store = service().store
    found = {}
    for name in filter(visible, store.names()):
        with contextlib.suppress(GlossaryError):
            glossary = store.get(name)
            if (glossary.source_language, glossary.target_language) == pair:
                found[name] = glossary
    return found


def _warnings(form: Form) -> list[str]:
    """The terms folder's faults, for a banner; invalid files only among the glossaries this
    caller may see."""
    store = service().store
    found = store.folder_warnings() + store.warnings(filter(visible, sorted(store.errors)))
    return [w for w in found if w not in form.errors]


def _render(
    form: Form, result: TranslationResult | None = None, status: int = 200
) -> ResponseReturnValue:
    pairs = _pairs()
    glossaries = _glossaries(form.pair)
    if form.glossaries is None:
        chosen = service().defaults.chosen(list(glossaries))
    else:
        chosen = form.glossaries
    page = render_template(
        "index.html",
        form=form,
        pairs=pairs,
        glossaries=glossaries,
        chosen=chosen,
        modes=MODES,
        result=result,
        marks=marks,
        warnings=_warnings(form),
        summary=summarize(result.terms) if result else None,
        max_chars=service().settings.max_chars,
    )
    return page, status


def _read_form() -> Form:
    form = Form(text=request.form.get("text", ""), mode=request.form.get("mode", DEFAULT_MODE))
    source, _sep, target = request.form.get("pair", "de:en").partition(":")
    form.pair = (source, target)
    form.glossaries = request.form.getlist("glossary")
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        try:
            form.text = decode_utf8(upload.read(), upload.filename)
        except GlossaryError as exc:
            form.errors.append(str(exc))
    if form.mode not in MODES:
        form.errors.append(_("Unknown mode %(mode)s.", mode=form.mode))
    limit = service().settings.max_chars
    if len(form.text) > limit:
        form.errors.append(
            _(
                "The text has %(count)d characters; the limit is %(limit)d.",
                count=len(form.text),
                limit=limit,
            )
        )
    if not form.text.strip() and not form.errors:
        form.errors.append(_("Enter some text to translate, or choose a .txt file."))
    return form


def _translate(form: Form) -> TranslationResult:
    svc = service()
    svc.store.require_folder()  # the boxes are all unticked then; that is not a choice
    source, target = form.pair
    names = [name for name in _glossaries(form.pair) if name in (form.glossaries or [])]
    return svc.translate(form.text, source, target, names, cast(Mode, form.mode))


@bp.get("/")
def index() -> ResponseReturnValue:
    pairs = _pairs()
    form = Form()
    if pairs and form.pair not in pairs:
        form.pair = pairs[0]
    return _render(form)


@bp.post("/")
def translate() -> ResponseReturnValue:
    form = _read_form()
    if form.errors:
        return _render(form, status=400)
    try:
        result = _translate(form)
    except ModelNotInstalledError as exc:
        form.install = (exc.from_code, exc.to_code)
        return _render(form, status=503)
    except GlossaryError as exc:
        form.errors.append(str(exc))
        return _render(form, status=exc.http_status)
    except Exception:
        current_app.logger.exception("translation failed")
        form.errors.append(
            _(
                "The translation failed because of an error in the service. "
                "It has been logged; please try again later."
            )
        )
        return _render(form, status=500)
    return _render(form, result)


@bp.get("/jobs/<job_id>")
def job(job_id: str) -> ResponseReturnValue:
    """A translation the page's script ran as a job, shown as the page shows any: the form as
    it was sent and, once done, the result marked by the same template and code as after a
    POST. Still running: a notice (the script follows it on); failed: the reason. The job's
    maker's only, as in the jobs API."""
    found = owned(job_id)
    if found is None:
        message = _("No such translation: it never existed, was deleted, or is not yours.")
        return render_template("error.html", message=message), 404
    asked = found.request
    form = Form(
        text=asked.text,
        pair=(asked.source, asked.target),
        glossaries=asked.glossaries,
        mode=asked.mode,
    )
    if found.state == "done":
        return _render(
            form,
            TranslationResult.from_dict(
                {"text": found.text, "sentences": found.sentences, "terms": found.terms}
            ),
        )
    if found.state == "failed":
        form.errors.append(_("The translation failed: %(error)s", error=found.error or ""))
    elif found.state == "cancelled":
        form.errors.append(_("Cancelled. Your text is still in the box."))
    else:
        form.job = found
    return _render(form)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = _("The request is larger than the limit of %(limit)d bytes.", limit=limit)
    return render_template("error.html", message=message), 413


@bp.get("/health")
def health() -> ResponseReturnValue:
    return jsonify(status="ok")
