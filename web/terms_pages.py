"""The terms pages: the glossaries in the terms directory (with the errors of invalid files),
one glossary browsed and filtered, terms added, edited and deleted under a revision check,
import and export."""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from typing import Any, cast

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from glossary import formats
from glossary.errors import ConflictError, GlossaryError, InputError
from glossary.store import GlossaryStore
from glossary.term import MATCH_MODES, STATUSES, Glossary, MatchMode, Status, Term
from glossary.termfile import (
    GENDERS,
    POS_VALUES,
    GlossaryFileError,
    add_term,
    check_terms,
    duplicate_key,
    parse_glossary,
    remove_term,
    update_term,
)
from glossary.textio import decode_utf8
from web import csrf
from web.access import visible
from web.services import service

bp = Blueprint("terms", __name__, url_prefix="/terms")
csrf.protect(bp)

FIELDS = ("source", "target", "target_plural", "match", "case_sensitive", "forbidden",
          "status", "note", "pos", "gender")  # fmt: skip
_FIELD_ERROR = re.compile(r"(?:term|terms\[\d+\])\.(\w+)(?:\[\d+\])?: (.*)", re.S)
EXPORTS = {"tsv": "text/tab-separated-values", "csv": "text/csv",
           "tbx": "application/x-tbx+xml", "yaml": "application/yaml"}  # fmt: skip


def _store() -> GlossaryStore:
    return service().store


@bp.errorhandler(GlossaryError)
def library_error(exc: GlossaryError) -> ResponseReturnValue:
    return render_template("error.html", message=str(exc)), exc.http_status


@bp.errorhandler(OSError)
def folder_error(exc: OSError) -> ResponseReturnValue:
    """A file-system fault the library did not turn into a GlossaryError: still a page, not
    the app's JSON error (which is what these pages showed for a read-only folder)."""
    current_app.logger.exception("terms folder fault on %s", request.path)
    message = _("The terms folder could not be used: %(reason)s", reason=exc.strerror or exc)
    return render_template("error.html", message=message), 503


@bp.get("/")
def glossaries() -> ResponseReturnValue:
    rows = []
    for name in filter(visible, _store().names()):
        glossary: Glossary | None = None
        with contextlib.suppress(GlossaryError):
            glossary = _store().get(name)
        rows.append((name, glossary, _store().errors.get(name)))
    return render_template("terms.html", rows=rows, warnings=_store().warnings())


def _matches(term: Term, query: str, status: str, match: str) -> bool:
    if status and term.status != status:
        return False
    if match and term.match != match:
        return False
    haystack = " ".join([term.source, term.target, term.target_plural or "", term.note or ""])
    return query.casefold() in haystack.casefold()


def _browse(name: str, messages: list[str], errors: list[str], status: int = 200) -> \
        ResponseReturnValue:
    glossary = _store().get(name)
    query = request.args.get("q", "").strip()
    wanted = request.args.get("status", "")
    match = request.args.get("match", "")
    terms = [t for t in glossary.terms if _matches(t, query, wanted, match)]
    page = render_template(
        "glossary.html", glossary=glossary, name=name, terms=terms, query=query,
        wanted=wanted, match=match, statuses=STATUSES, match_modes=MATCH_MODES,
        file_error=_store().errors.get(name), messages=messages, errors=errors,
        exports=EXPORTS, warnings=_store().warnings([name]),
    )  # fmt: skip
    return page, status


@bp.get("/<name>")
def browse(name: str) -> ResponseReturnValue:
    return _browse(name, [], [])


def _term_from(form: MultiDict[str, str]) -> Term:
    def optional(key: str) -> str | None:
        return form.get(key, "").strip() or None

    forbidden = tuple(w.strip() for w in form.get("forbidden", "").splitlines() if w.strip())
    return Term(
        source=form.get("source", "").strip(), target=form.get("target", "").strip(),
        target_plural=optional("target_plural"),
        match=cast(MatchMode, form.get("match") or "inflected"),
        case_sensitive=form.get("case_sensitive") == "on", forbidden=forbidden,
        status=cast(Status, form.get("status") or "approved"), note=optional("note"),
        pos=optional("pos"), gender=optional("gender"),
    )  # fmt: skip


def _field_errors(exc: GlossaryFileError) -> dict[str, str]:
    found = _FIELD_ERROR.match(exc.message)
    if found and found.group(1) in FIELDS:
        return {found.group(1): found.group(2)}
    return {"": exc.message}


def _form_page(name: str, values: dict[str, Any], revision: str, original: str | None,
               errors: dict[str, str] | None = None, status: int = 200,
               theirs: Term | None = None) -> ResponseReturnValue:  # fmt: skip
    page = render_template(
        "term_form.html", name=name, values=values, revision=revision, original=original,
        errors=errors or {}, statuses=STATUSES, match_modes=MATCH_MODES, pos_values=POS_VALUES,
        genders=GENDERS, theirs=theirs,
    )  # fmt: skip
    return page, status


def _values(term: Term | None) -> dict[str, Any]:
    if term is None:
        return {"match": "inflected", "status": "approved"}
    values = {key: getattr(term, key) for key in FIELDS}
    values["forbidden"] = "\n".join(term.forbidden)
    return values


def _find(glossary: Glossary, source: str) -> Term | None:
    key = duplicate_key(source, case_sensitive=False)
    return next((t for t in glossary.terms
                 if duplicate_key(t.source, case_sensitive=False) == key), None)  # fmt: skip


@bp.get("/<name>/new")
def new_term(name: str) -> ResponseReturnValue:
    return _form_page(name, _values(None), _store().get(name).revision, None)


@bp.get("/<name>/edit")
def edit_term(name: str) -> ResponseReturnValue:
    glossary = _store().get(name)
    term = _find(glossary, request.args.get("source", ""))
    if term is None:
        message = _("The term %(source)s is not in this glossary (any more).",
                    source=request.args.get("source", ""))  # fmt: skip
        return render_template("error.html", message=message), 404
    return _form_page(name, _values(term), glossary.revision, term.source)


@bp.post("/<name>/new")
@bp.post("/<name>/edit")
def save_term(name: str) -> ResponseReturnValue:
    form = request.form
    original = form.get("original") or None
    values: dict[str, Any] = {key: form.get(key, "") for key in FIELDS}
    values["case_sensitive"] = form.get("case_sensitive") == "on"
    revision = form.get("revision", "")
    term = _term_from(form)
    path = _store().path(name)
    try:
        check_terms([term], "form", ["term"])
        if original is None:
            add_term(path, term, revision=revision)
        else:
            update_term(path, original, term, revision=revision)
    except ConflictError:
        current = _store().get(name)
        theirs = _find(current, original or term.source)
        message = _("Someone else changed this glossary while you were editing. Your input "
                    "is kept below; compare it with the current version and save again.")
        return _form_page(name, values, current.revision, original, {"": message}, 409, theirs)
    except GlossaryFileError as exc:
        return _form_page(name, values, revision, original, _field_errors(exc), 400)
    except GlossaryError as exc:
        return _form_page(name, values, revision, original, {"": str(exc)}, exc.http_status)
    flash(_("Saved %(source)s.", source=term.source))
    return redirect(url_for("terms.browse", name=name), 303)


@bp.post("/<name>/delete")
def delete_term(name: str) -> ResponseReturnValue:
    source = request.form.get("source", "")
    try:
        remove_term(_store().path(name), source, revision=request.form.get("revision", ""))
    except ConflictError:
        message = _("The glossary changed since you loaded it; nothing was deleted. Check the "
                    "term below and delete it again if you still want to.")
        return _browse(name, [], [message], 409)
    except GlossaryError as exc:
        return _browse(name, [], [str(exc)], exc.http_status)
    flash(_("Deleted %(source)s.", source=source))
    return redirect(url_for("terms.browse", name=name), 303)


def _imported(filename: str, data: bytes, glossary: Glossary) -> list[Term]:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    source, target = glossary.source_language, glossary.target_language
    if suffix in ("yaml", "yml", "tbx", "xml"):
        found = (parse_glossary(data, filename) if suffix in ("yaml", "yml")
                 else formats.glossary_from_tbx(data, source_language=source,
                                                target_language=target))  # fmt: skip
        if (found.source_language, found.target_language) != (source, target):
            raise InputError(_("The file is %(a)s→%(b)s; this glossary is %(c)s→%(d)s.",
                               a=found.source_language, b=found.target_language,
                               c=source, d=target))  # fmt: skip
        return list(found.terms)
    text = decode_utf8(data, filename)
    if suffix == "tsv":
        return formats.terms_from_tsv(text)
    if suffix == "csv":
        return formats.terms_from_csv(text, source_language=source, target_language=target)
    raise InputError(_("Unknown file type: use .yaml, .tsv, .csv or .tbx."))


@bp.post("/<name>/import")
def import_terms(name: str) -> ResponseReturnValue:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _browse(name, [], [_("Choose a file to import.")], 400)
    glossary = _store().get(name)
    revision = request.form.get("revision", "")
    added = skipped = 0
    try:
        terms = [replace(t, line=None) for t in _imported(upload.filename, upload.read(), glossary)]
        for term in terms:
            if _find(glossary, term.source) is not None:
                skipped += 1
                continue
            glossary = add_term(_store().path(name), term, revision=revision)
            revision, added = glossary.revision, added + 1
    except ConflictError:
        message = _("The glossary changed since you loaded it; reload the page and import again.")
        return _browse(name, [], [message], 409)
    except GlossaryError as exc:
        return _browse(name, [], [str(exc)], exc.http_status)
    flash(_("Imported %(added)d terms; %(skipped)d were already there and were left "
            "unchanged.", added=added, skipped=skipped))
    return redirect(url_for("terms.browse", name=name), 303)


@bp.get("/<name>/export.<fmt>")
def export(name: str, fmt: str) -> ResponseReturnValue:
    if fmt not in EXPORTS:
        return render_template("error.html", message=_("Unknown export format.")), 404
    glossary = _store().get(name)
    if fmt == "yaml":
        body: str | bytes = _store().path(name).read_bytes()
    elif fmt == "tbx":
        body = formats.terms_to_tbx(glossary)
    elif fmt == "csv":
        body = formats.terms_to_csv(glossary.terms)
    else:
        body = formats.terms_to_tsv(glossary.terms)
    response = Response(body, mimetype=EXPORTS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
