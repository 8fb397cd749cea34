"""The documents page: upload a file (any format of glossary.documents.registry), choose the
glossaries and mode as on the translate page, and follow the job it becomes
(glossary/documents/jobs.py) at /documents/<id>: progress by blocks with the time left, kept
current by web/static/documents.js polling /documents/<id>/status (a meta refresh without
script), then the translated file, the term report as JSON, and the report as a table.

A job is its maker's (or an admin's); anyone else gets 404, as for text jobs. A file the
document layer refuses (400, 413, 415) gives the form back with the reason and that status;
nothing is stored then."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import cast

from flask import Blueprint, jsonify, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from glossary.documents.jobs import DocumentJob
from glossary.documents.registry import formats
from glossary.enforce import DEFAULT_MODE, MODES, Mode
from glossary.errors import GlossaryError
from glossary.jobs import FINISHED
from glossary.owners import owner_id
from glossary.report import TermReport
from web import csrf, marks
from web.access import principal
from web.pages import _glossaries as glossaries_for_pair
from web.services import service

bp = Blueprint("documents", __name__, url_prefix="/documents")
POLL_MS = 500  # how often the page's script asks for the job's progress
REFRESH_SECONDS = 2  # the same without script: the page reloads itself


csrf.protect(bp)


@dataclass
class Form:
    pair: tuple[str, str] = ("de", "en")
    glossaries: list[str] | None = None  # None: the pair's defaults
    mode: str = DEFAULT_MODE
    errors: list[str] = field(default_factory=list)


def _extensions() -> list[str]:
    return [ext for fmt in formats() for ext in fmt.extensions]


def _render_form(form: Form, status: int = 200) -> ResponseReturnValue:
    pairs = service().engines.pairs()
    glossaries = glossaries_for_pair(form.pair)
    if form.glossaries is None:
        chosen = service().defaults.chosen(list(glossaries))
    else:
        chosen = form.glossaries
    page = render_template(
        "documents.html",
        form=form,
        pairs=pairs,
        glossaries=glossaries,
        chosen=chosen,
        modes=MODES,
        extensions=_extensions(),
        max_bytes=service().documents.limits.max_bytes,
        job=None,
    )
    return page, status


def _read_form() -> Form:
    form = Form(mode=request.form.get("mode", DEFAULT_MODE))
    source, _sep, target = request.form.get("pair", "de:en").partition(":")
    form.pair = (source, target)
    form.glossaries = request.form.getlist("glossary")
    if form.mode not in MODES:
        form.errors.append(_("Unknown mode %(mode)s.", mode=form.mode))
    if form.pair not in service().engines.pairs():
        form.errors.append(
            _(
                "No translation model is installed for %(source)s → %(target)s.",
                source=source,
                target=target,
            )
        )
    return form


@bp.get("/")
def form() -> ResponseReturnValue:
    pairs = service().engines.pairs()
    shown = Form()
    if pairs and shown.pair not in pairs:
        shown.pair = pairs[0]
    return _render_form(shown)


@bp.post("/")
def upload() -> ResponseReturnValue:
    form = _read_form()
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        form.errors.append(_("Choose a document to translate."))
    if form.errors or sent is None or sent.filename is None:
        status = 503 if form.pair not in service().engines.pairs() else 400
        return _render_form(form, status)
    try:
        service().store.require_folder()  # the boxes are all unticked then; that is no choice
        names = [n for n in glossaries_for_pair(form.pair) if n in (form.glossaries or [])]
        job = service().documents.submit(
            owner_id(principal()),
            sent.read(),
            sent.filename,
            form.pair[0],
            form.pair[1],
            names,
            cast(Mode, form.mode),
            content_type=sent.mimetype or None,
        )
    except GlossaryError as exc:
        form.errors.append(str(exc))
        return _render_form(form, exc.http_status)
    return redirect(url_for("documents.job", job_id=job.id), 303)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    limit = service().documents.limits.max_bytes
    form = Form(errors=[_("The file is larger than the limit of %(limit)d bytes.", limit=limit)])
    return _render_form(form, 413)


def owned(job_id: str) -> DocumentJob | None:
    """The job if the caller made it (or is an admin); None for one that never existed,
    expired, or is someone else's."""
    job = service().documents.get(job_id)
    caller = principal()
    if job is None or (job.owner != owner_id(caller) and not caller.may("admin")):
        return None
    return job


def _not_found() -> ResponseReturnValue:
    message = _("No such document: it never existed, has expired, or is not yours.")
    return render_template("error.html", message=message), 404


@bp.get("/<job_id>")
def job(job_id: str) -> ResponseReturnValue:
    found = owned(job_id)
    if found is None:
        return _not_found()
    report = service().documents.report(found.id) if found.state == "done" else None
    return render_template(
        "documents.html",
        job=found,
        finished=found.state in FINISHED,
        seconds_left=_seconds_left(found),
        report=report,
        terms=_rows(report),
        marks=marks,
        poll_ms=POLL_MS,
        refresh_seconds=REFRESH_SECONDS,
    )


@dataclass(frozen=True)
class Row:
    """One term occurrence of the report, for the table."""

    location: str
    report: TermReport


def _rows(report: dict[str, object] | None) -> list[Row]:
    found = report.get("terms") if report else None
    if not isinstance(found, list):
        return []
    return [Row(str(t.get("location", "")), TermReport.from_dict(t)) for t in found]


@bp.get("/<job_id>/status")
def status(job_id: str) -> ResponseReturnValue:
    found = owned(job_id)
    if found is None:
        return jsonify(error="no such document job"), 404
    return jsonify({**found.to_dict(), "seconds_remaining": _seconds_left(found)})


def _seconds_left(job: DocumentJob) -> int | None:
    """The jobs' estimate, which knows the work queued ahead of this one too."""
    return service().documents.seconds_remaining(job)


@bp.get("/<job_id>/file")
def download(job_id: str) -> ResponseReturnValue:
    found = owned(job_id)
    data = service().documents.result(found.id) if found is not None else None
    if found is None or data is None:
        return _not_found()
    return send_file(
        io.BytesIO(data),
        mimetype=found.media_type or "application/octet-stream",
        as_attachment=True,
        download_name=found.result_filename or found.filename,
    )


@bp.get("/<job_id>/report.json")
def report(job_id: str) -> ResponseReturnValue:
    found = owned(job_id)
    data = service().documents.report(found.id) if found is not None else None
    if found is None or data is None:
        return _not_found()
    stem = PurePath(found.result_filename or found.filename).stem
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    return send_file(
        io.BytesIO(body),
        mimetype="application/json",
        as_attachment=True,
        download_name=f"{stem}.terms.json",
    )
