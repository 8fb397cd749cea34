"""The terms pages: the glossaries in the terms directory (with the errors of invalid files),
created, renamed and deleted; one glossary browsed, searched and filtered a page at a time on
the server; terms added, edited and deleted under a revision check; import and export; each
glossary's change log, and one change reverted."""

from __future__ import annotations

import contextlib
import re
import threading
from collections import OrderedDict
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

from glossary import history, imports
from glossary.errors import ConflictError, GlossaryError, GlossaryFileError
from glossary.management import GlossaryFolder
from glossary.owners import api_made
from glossary.store import GlossaryStore
from glossary.term import MATCH_MODES, STATUSES, Glossary, MatchMode, Status, Term
from glossary.termcheck import check_terms
from glossary.termedit import add_term, remove_term, update_term
from glossary.termrules import GENDERS, POS_VALUES, find_source
from glossary.termyaml import dump_term
from web import csrf, uploads
from web.access import principal, visible
from web.services import service

bp = Blueprint("terms", __name__, url_prefix="/terms")
csrf.protect(bp)

FIELDS = (
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
_FIELD_ERROR = re.compile(r"(?:term|terms\[\d+\])\.(\w+)(?:\[\d+\])?: (.*)", re.S)
EXPORTS = ("tsv", "csv", "tbx", "yaml")  # the page's order of imports.FILE_FORMATS


def _store() -> GlossaryStore:
    return service().store


def _loaded(name: str) -> Glossary | None:
    """The store's copy, which spares an edit of a big file parsing it again (the edit reads
    the file itself when the copy is not at the revision the form names)."""
    try:
        return _store().get(name)
    except GlossaryError:
        return None


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


def _folder() -> GlossaryFolder:
    return GlossaryFolder(_store(), service().defaults, service().owners)


def _list_page(
    errors: list[str] | None = None, values: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    rows = []
    for name in filter(visible, _store().names()):
        glossary: Glossary | None = None
        with contextlib.suppress(GlossaryError):
            glossary = _store().get(name)
        rows.append((name, glossary, _store().errors.get(name)))
    page = render_template(
        "terms.html",
        rows=rows,
        warnings=_store().warnings(),
        errors=errors or [],
        values=values or {},
    )
    return page, status


@bp.get("/")
def glossaries() -> ResponseReturnValue:
    return _list_page()


@bp.post("/")
def create_glossary() -> ResponseReturnValue:
    fields = ("name", "title", "source_language", "target_language")
    values = {key: request.form.get(key, "").strip() for key in fields}
    try:
        _folder().create(
            values["name"],
            title=values["title"],
            source_language=values["source_language"] or "de",
            target_language=values["target_language"] or "en",
        )
    except GlossaryError as exc:
        return _list_page([str(exc)], values, exc.http_status)
    flash(_("Created the glossary %(name)s.", name=values["name"]))
    return redirect(url_for("terms.browse", name=values["name"]), 303)


# --- one glossary, a page of terms at a time -----------------------------------------------

PER_PAGE = 100
_SEARCH_CACHE = 4  # glossaries whose search text is kept (the ones browsed lately)
_search_lock = threading.Lock()
_search_text: OrderedDict[tuple[str, str], list[str]] = OrderedDict()


def _haystacks(glossary: Glossary) -> list[str]:
    """Each term's searchable text (source, targets, note; casefolded), built once per revision
    of the glossary: a search of 100,000 terms is then one substring test per term."""
    key = (glossary.path or glossary.name, glossary.revision)
    with _search_lock:
        found = _search_text.get(key)
        if found is not None:
            _search_text.move_to_end(key)
            return found
    built = [
        "\n".join((t.source, t.target, t.target_plural or "", t.note or "")).casefold()
        for t in glossary.terms
    ]
    with _search_lock:
        _search_text[key] = built
        while len(_search_text) > _SEARCH_CACHE:
            _search_text.popitem(last=False)
    return built


def _filtered(
    glossary: Glossary, query: str, status: str, match: str
) -> tuple[Term, ...] | list[Term]:
    """The terms that contain `query` (ignoring case) and have the status and matching mode
    asked for (empty: any)."""
    if not (query or status or match):
        return glossary.terms
    needle = query.casefold()
    texts = _haystacks(glossary) if needle else [""] * len(glossary.terms)
    return [
        term
        for term, text in zip(glossary.terms, texts, strict=True)
        if needle in text
        and (not status or term.status == status)
        and (not match or term.match == match)
    ]


def _page_number(pages: int) -> int:
    try:
        wanted = int(request.args.get("page", "1"))
    except ValueError:
        wanted = 1
    return min(max(wanted, 1), pages)


def _browse(
    name: str, messages: list[str], errors: list[str], status: int = 200
) -> ResponseReturnValue:
    glossary = _store().get(name)
    query = request.args.get("q", "").strip()
    wanted = request.args.get("status", "")
    match = request.args.get("match", "")
    found = _filtered(glossary, query, wanted, match)
    pages = max(1, -(-len(found) // PER_PAGE))
    number = _page_number(pages)
    first = (number - 1) * PER_PAGE
    filters = {
        key: value for key, value in (("q", query), ("status", wanted), ("match", match)) if value
    }
    page = render_template(
        "glossary.html",
        glossary=glossary,
        name=name,
        terms=found[first : first + PER_PAGE],
        found=len(found),
        first=first,
        page=number,
        pages=pages,
        filters=filters,
        query=query,
        wanted=wanted,
        match=match,
        statuses=STATUSES,
        match_modes=MATCH_MODES,
        file_error=_store().errors.get(name),
        messages=messages,
        errors=errors,
        exports=EXPORTS,
        warnings=_store().warnings([name]),
    )
    return page, status


@bp.get("/<name>")
def browse(name: str) -> ResponseReturnValue:
    return _browse(name, [], [])


def _term_from(form: MultiDict[str, str]) -> Term:
    def optional(key: str) -> str | None:
        return form.get(key, "").strip() or None

    forbidden = tuple(w.strip() for w in form.get("forbidden", "").splitlines() if w.strip())
    return Term(
        source=form.get("source", "").strip(),
        target=form.get("target", "").strip(),
        target_plural=optional("target_plural"),
        source_plural=optional("source_plural"),
        match=cast(MatchMode, form.get("match") or "inflected"),
        case_sensitive=form.get("case_sensitive") == "on",
        forbidden=forbidden,
        status=cast(Status, form.get("status") or "approved"),
        note=optional("note"),
        pos=optional("pos"),
        gender=optional("gender"),
    )


def _field_errors(exc: GlossaryFileError) -> dict[str, str]:
    found = _FIELD_ERROR.match(exc.message)
    if found and found.group(1) in FIELDS:
        return {found.group(1): found.group(2)}
    return {"": exc.message}


def _form_page(
    name: str,
    values: dict[str, Any],
    revision: str,
    original: str | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    theirs: Term | None = None,
) -> ResponseReturnValue:
    page = render_template(
        "term_form.html",
        name=name,
        values=values,
        revision=revision,
        original=original,
        errors=errors or {},
        statuses=STATUSES,
        match_modes=MATCH_MODES,
        pos_values=POS_VALUES,
        genders=GENDERS,
        theirs=theirs,
    )
    return page, status


def _values(term: Term | None) -> dict[str, Any]:
    if term is None:
        return {"match": "inflected", "status": "approved"}
    values = {key: getattr(term, key) for key in FIELDS}
    values["forbidden"] = "\n".join(term.forbidden)
    return values


def _find(glossary: Glossary, source: str) -> Term | None:
    index = find_source([t.source for t in glossary.terms], source)
    return None if index is None else glossary.terms[index]


@bp.get("/<name>/new")
def new_term(name: str) -> ResponseReturnValue:
    return _form_page(name, _values(None), _store().get(name).revision, None)


@bp.get("/<name>/edit")
def edit_term(name: str) -> ResponseReturnValue:
    glossary = _store().get(name)
    term = _find(glossary, request.args.get("source", ""))
    if term is None:
        message = _(
            "The term %(source)s is not in this glossary (any more).",
            source=request.args.get("source", ""),
        )
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
            add_term(path, term, revision=revision, base=_loaded(name))
        else:
            update_term(path, original, term, revision=revision, base=_loaded(name))
    except ConflictError:
        current = _store().get(name)
        theirs = _find(current, original or term.source)
        message = _(
            "Someone else changed this glossary while you were editing. Your input "
            "is kept below; compare it with the current version and save again."
        )
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
        remove_term(
            _store().path(name),
            source,
            revision=request.form.get("revision", ""),
            base=_loaded(name),
        )
    except ConflictError:
        message = _(
            "The glossary changed since you loaded it; nothing was deleted. Check the "
            "term below and delete it again if you still want to."
        )
        return _browse(name, [], [message], 409)
    except GlossaryError as exc:
        return _browse(name, [], [str(exc)], exc.http_status)
    flash(_("Deleted %(source)s.", source=source))
    kept: dict[str, Any] = {
        key: request.args[key] for key in ("q", "status", "match", "page") if request.args.get(key)
    }  # back to the page it was deleted from
    return redirect(url_for("terms.browse", name=name, **kept), 303)


# --- import: upload → preview → confirm (glossary/imports.py; uploads kept in web/uploads.py)

PREVIEW_ROWS = 200  # per section of the preview page; the counts say how many there are


def _session_secret() -> str:
    return csrf.token()


def _policy() -> imports.Policy:
    value = request.form.get("on_duplicate") or imports.DEFAULT_POLICY
    return imports.policy_of(value)


def _import_differences(old: Term, new: Term) -> list[tuple[str, str, str]]:
    """(field, before, after) for each field an import changes."""
    before, after = dump_term(old), dump_term(new)

    def shown(fields: dict[str, Any], key: str) -> str:
        value = fields.get(key)
        return "—" if value is None else ", ".join(value) if isinstance(value, list) else str(value)

    return [
        (key, shown(before, key), shown(after, key))
        for key in FIELDS
        if before.get(key) != after.get(key)
    ]


def _preview_page(
    name: str,
    upload: uploads.Upload,
    preview: imports.Preview,
    errors: list[str] | None = None,
    status: int | None = None,
) -> ResponseReturnValue:
    changes = [(c, _import_differences(c.old, c.new)) for c in preview.changed[:PREVIEW_ROWS]]
    page = render_template(
        "import_preview.html",
        name=name,
        upload=upload,
        preview=preview,
        changes=changes,
        limit=PREVIEW_ROWS,
        policies=imports.POLICIES,
        errors=errors or [],
    )
    return page, status or (200 if preview.ok else 400)


@bp.post("/<name>/import")
def import_terms(name: str) -> ResponseReturnValue:
    """Upload: nothing is written; the preview page shows what the import would do."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return _browse(name, [], [_("Choose a file to import.")], 400)
    glossary = _store().get(name)
    data = file.read()
    try:
        fmt = imports.format_of(None, file.filename)
        preview = imports.preview_file(
            glossary,
            data,
            fmt,
            _policy(),
            name=name,
            filename=file.filename,
            max_bytes=_store().max_bytes,
        )
    except GlossaryError as exc:
        return _browse(name, [], [str(exc)], exc.http_status)
    upload = uploads.Upload("", name, file.filename, fmt, data)
    token = uploads.keep(service().settings.state_dir, upload, _session_secret())
    return _preview_page(name, replace(upload, token=token), preview)


@bp.post("/<name>/import/confirm")
def import_confirm(name: str) -> ResponseReturnValue:
    """Confirm (or preview again with another duplicate policy) the upload kept under the
    form's token; the form names the revision the preview was made against."""
    state_dir = service().settings.state_dir
    try:
        upload = uploads.load(state_dir, request.form.get("token", ""), name, _session_secret())
        glossary = _store().get(name)
        preview = imports.preview_file(
            glossary,
            upload.data,
            upload.fmt,
            _policy(),
            name=name,
            filename=upload.filename,
            max_bytes=_store().max_bytes,
        )
    except GlossaryError as exc:
        return _browse(name, [], [str(exc)], exc.http_status)
    if request.form.get("do") != "import" or request.form.get("previewed") != preview.policy:
        return _preview_page(name, upload, preview)  # only what was previewed is imported
    try:
        done = imports.apply(
            _store().path(name),
            glossary,
            preview,
            revision=request.form.get("revision", ""),
            max_bytes=_store().max_bytes,
            file=upload.filename,
        )
    except ConflictError:
        message = _(
            "The glossary changed since the preview; nothing was imported. This is "
            "the preview against its current version: check it and import again."
        )
        return _preview_page(name, upload, preview, [message], 409)
    except GlossaryError as exc:
        return _preview_page(name, upload, preview, [str(exc)], exc.http_status)
    uploads.drop(state_dir, upload.token)
    flash(
        _(
            "Imported %(file)s: %(added)d added, %(changed)d changed, %(unchanged)d already "
            "there, %(duplicates)d duplicates (%(policy)s); %(count)d terms now.",
            file=upload.filename,
            policy=preview.policy,
            count=len(done.terms),
            **preview.counts(),
        )
    )
    return redirect(url_for("terms.browse", name=name), 303)


def _all_fields() -> bool:
    return request.args.get("fields") != "basic"


@bp.get("/<name>/export.<fmt>")
def export(name: str, fmt: str) -> ResponseReturnValue:
    if fmt not in EXPORTS:
        return render_template("error.html", message=_("Unknown export format.")), 404
    # TSV and CSV: every field behind a header line; ?fields=basic: DeepL's two
    body = imports.export(_store().get(name), fmt, all_fields=_all_fields())
    response = Response(body, mimetype=imports.FILE_FORMATS[fmt].content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- renaming and deleting a glossary (admins; see web/access.py) ---------------------------


def _manage_page(
    name: str,
    errors: list[str] | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> ResponseReturnValue:
    path = _store().path(name)
    if not path.is_file():
        message = _("There is no glossary named %(name)s.", name=name)
        return render_template("error.html", message=message), 404
    glossary: Glossary | None = None
    with contextlib.suppress(GlossaryError):
        glossary = _store().get(name)
    page = render_template(
        "manage.html",
        name=name,
        glossary=glossary,
        errors=errors or [],
        values=values or {},
        api_made=api_made(name),
        defaults=service().defaults.marked(),
    )
    return page, status


@bp.get("/<name>/manage")
def manage(name: str) -> ResponseReturnValue:
    return _manage_page(name)


@bp.post("/<name>/rename")
def rename_glossary(name: str) -> ResponseReturnValue:
    values = {key: request.form.get(key, "").strip() for key in ("new_name", "title")}
    try:
        now = _folder().rename(
            name, values["new_name"], title=values["title"], allow_api_made=principal().may("admin")
        )
    except GlossaryError as exc:
        return _manage_page(name, [str(exc)], exc.http_status, values)
    flash(_("Saved the glossary %(name)s.", name=now))
    return redirect(url_for("terms.browse", name=now), 303)


@bp.post("/<name>/delete-glossary")
def delete_glossary(name: str) -> ResponseReturnValue:
    if request.form.get("confirm", "").strip() != name:
        message = _(
            "Type the glossary's name, %(name)s, to confirm that it is to be deleted.", name=name
        )
        return _manage_page(name, [message], 400)
    try:
        _folder().delete(name, allow_api_made=principal().may("admin"))
    except GlossaryError as exc:
        return _manage_page(name, [str(exc)], exc.http_status)
    flash(_("Deleted the glossary %(name)s.", name=name))
    return redirect(url_for("terms.glossaries"), 303)


# --- the change log ---------------------------------------------------------------------------

HISTORY_PER_PAGE = 50
CHANGES_SHOWN = 20  # per entry; an import's entry can hold thousands


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _differences(change: history.Change) -> list[tuple[str, str, str]]:
    """(field, before, after) for each field that differs, in the file's key order."""
    before, after = change.before or {}, change.after or {}
    return [
        (key, _shown(before.get(key)), _shown(after.get(key)))
        for key in FIELDS
        if before.get(key) != after.get(key)
    ]


def _history_page(
    name: str, errors: list[str] | None = None, status: int = 200
) -> ResponseReturnValue:
    path = _store().path(name)
    glossary: Glossary | None = None
    with contextlib.suppress(GlossaryError):
        glossary = _store().get(name)
    if glossary is None and not path.is_file():
        message = _("There is no glossary named %(name)s.", name=name)
        return render_template("error.html", message=message), 404
    try:
        number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        number = 1
    current = None if glossary is None or _store().errors.get(name) else glossary.revision
    found = history.read(
        path, offset=(number - 1) * HISTORY_PER_PAGE, limit=HISTORY_PER_PAGE, current=current
    )
    rows = [
        (
            entry,
            [(c, _differences(c)) for c in entry.changes[:CHANGES_SHOWN]],
            max(0, len(entry.changes) - CHANGES_SHOWN),
        )
        for entry in found.entries
    ]
    page = render_template(
        "history.html",
        name=name,
        glossary=glossary,
        rows=rows,
        page=number,
        more=found.more,
        unreadable=found.unreadable,
        unrecorded=found.unrecorded,
        errors=errors or [],
    )
    return page, status


@bp.get("/<name>/history")
def history_of(name: str) -> ResponseReturnValue:
    return _history_page(name)


@bp.post("/<name>/history/<change_id>/revert")
def revert(name: str, change_id: str) -> ResponseReturnValue:
    try:
        history.revert(_store().path(name), change_id, max_bytes=_store().max_bytes)
    except ConflictError as exc:
        message = _("The change was not reverted: the glossary changed since.")
        return _history_page(name, [message, str(exc)], 409)
    except GlossaryError as exc:
        return _history_page(name, [str(exc)], exc.http_status)
    flash(_("Reverted change %(id)s.", id=change_id))
    return redirect(url_for("terms.history_of", name=name), 303)


@bp.after_app_request
def _say_history_problems(response: Response) -> Response:
    """An edit whose history entry could not be written was still made; say so (the server
    log has the details): a header on every surface, and a message on the next page."""
    found = history.problems()
    if found:
        response.headers["X-Glossary-History-Error"] = (
            " ".join(found[0].split()).encode("ascii", "replace").decode("ascii")[:500]
        )
        if request.blueprint in ("terms", "pages"):
            flash(
                _(
                    "The change was saved, but it could not be written to the glossary's "
                    "history: %(reason)s",
                    reason=found[0],
                )
            )
    return response
