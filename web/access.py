"""Who may do what, decided once per request for every route of the app.

Each request gets a principal (`principal()`): the holder of an API key sent with it, else
the user signed in to the page, else, on an install with no accounts and no keys, the local
user who may do everything, else anonymous. Each endpoint needs a role (`required_role`):
reading needs `reader`, changing needs `editor`, marking defaults and managing people needs
`admin`; a few routes are public. Anonymous has the role `reader`, or none when
`GLOSSARY_KEYS_FOR_TRANSLATE` is set.

Before that, a request that changes state and that a browser marks as sent from another site
(`Sec-Fetch-Site`, `Origin`) is refused unless it carries an API key in a header: a key in a
header is something another site's page cannot make a browser send.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote, urlsplit

from flask import Flask, g, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from glossary import history
from glossary.accounts import LOCAL as LOCAL_PRINCIPAL
from glossary.accounts import Accounts, Principal, Role, loopback
from web.errors import ApiError, error_response, request_params
from web.services import service

Need = Role | Literal["public", "owner", "capability"]

PUBLIC = frozenset(
    {
        "static",
        "pages.health",
        "account.login",
        "account.sign_in",
        "account.logout",
        "openapi.openapi",
        "libretranslate.spec",
        "libretranslate.frontend_settings",
    }
)
# POSTs that only read: translating and detecting change nothing.
READING_POSTS = frozenset(
    {
        "pages.translate",
        "libretranslate.translate",
        "libretranslate.detect_language",
        "libretranslate.languages",
        "deepl.translate",
        "deepl.languages",
        "deepl.usage",
        "api.translate",
        "jobs.create",
        # documents: a job of the caller's own, like jobs.create
        "libretranslate.translate_file",
        "deepl.document_upload",
        "deepl.document_status",
        "deepl.document_result",
        "documents.upload",  # the documents page's upload: a job, as pages.translate
    }
)
# Uploads of documents, whose body may be larger than a text request's (MAX_CONTENT_LENGTH):
# up to the document size limit, and room for the form's other fields.
DOCUMENT_UPLOADS = frozenset(
    {"libretranslate.translate_file", "deepl.document_upload", "documents.upload"}
)
UPLOAD_SLACK = 64 * 1024
# Addresses that carry a secret of their own, which the view checks: the caller is known (a
# wrong API key is still refused) but needs no role. /translate_file's download address holds
# the job's key, as LibreTranslate's holds a random name, for clients that fetch it bare.
CAPABILITIES = frozenset({"libretranslate.download_file"})
# Pages that only show a form for a change: shown to those who may make it.
EDITOR_PAGES = frozenset({"terms.edit_term", "terms.new_term"})
# A job belongs to whoever made it; cancelling it is the maker's (the view checks the owner).
OWNED_JOBS = frozenset({"jobs.delete"})
# DeepL glossaries belong to whoever made them, so any identified caller may make their own.
OWNED_WRITES = frozenset(
    {
        "deepl.create",
        "deepl.delete",
        "deepl_v3.create",
        "deepl_v3.delete",
        "deepl_v3.update",
        "deepl_v3.replace_dictionary",
        "deepl_v3.delete_dictionary",
    }
)
# Renaming and deleting a glossary break every client, job and default that names it, and a
# delete cannot be undone (its change log goes with it): admins'. Creating one is an editor's.
ADMIN = frozenset(
    {"account.defaults", "terms.manage", "terms.rename_glossary", "terms.delete_glossary"}
)
PAGE_BLUEPRINTS = frozenset({"pages", "terms", "account", "documents"})
JSON_ONLY_BLUEPRINTS = frozenset({"api", "deepl_v3", "jobs"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What each API answers when a key is missing: LibreTranslate's clients expect 400 there,
# DeepL's raise AuthorizationException on 403, our own API says 401.
MISSING_KEY_STATUS = {"libretranslate": 400, "api": 401, "jobs": 401}


def accounts() -> Accounts:
    return service().accounts


def principal() -> Principal:
    """The caller of the current request (the local user outside of requests' checks)."""
    found: Principal | None = g.get("principal")
    return found if found is not None else LOCAL_PRINCIPAL


def required_role(endpoint: str | None, method: str) -> Need:
    if endpoint is None or endpoint in PUBLIC:
        return "public"
    if endpoint in ADMIN:
        return "admin"
    if endpoint in CAPABILITIES:
        return "capability"
    if endpoint in OWNED_WRITES:
        return "owner"
    if endpoint in OWNED_JOBS:
        return "reader"
    if endpoint in EDITOR_PAGES:
        return "editor"
    if method in SAFE_METHODS or endpoint in READING_POSTS:
        return "reader"
    return "editor"


def changes_state() -> bool:
    need = required_role(request.endpoint, request.method)
    if request.endpoint == "account.sign_in":
        return True  # a forged sign-in would log the victim in as someone else
    return request.method not in SAFE_METHODS and need in ("editor", "admin", "owner")


# --- credentials -----------------------------------------------------------------------------


def header_key() -> str | None:
    """A key in a header: `Authorization: Bearer|DeepL-Auth-Key <key>` or `X-API-Key`."""
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() in ("bearer", "deepl-auth-key") and value.strip():
        return value.strip()
    return request.headers.get("X-API-Key", "").strip() or None


def _body_key() -> str | None:
    """LibreTranslate's `api_key` and DeepL's older `auth_key`, in the query or the body."""
    if request.blueprint not in ("libretranslate", "deepl"):
        return request.args.get("api_key") or None
    params = request_params()
    for name in ("api_key", "auth_key"):
        value = params.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _who() -> Principal | None:
    """The caller, or None for a key that is not valid."""
    book = accounts()
    if book.open():
        return LOCAL_PRINCIPAL
    key = header_key() or _body_key()
    if key:
        return book.for_key(key)
    name, stamp = session.get("user"), session.get("stamp")
    user = book.user(name, stamp) if isinstance(name, str) and isinstance(stamp, str) else None
    if user is not None:
        return user
    settings = service().settings
    return Principal("anonymous", None if settings.keys_for_translate else "reader", "anonymous")


# --- the checks ------------------------------------------------------------------------------


def _own_origin() -> str:
    base = service().settings.public_url or request.host_url
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_site() -> bool:
    """Whether a browser says this request comes from a page of another site or origin."""
    if request.headers.get("Sec-Fetch-Site", "").lower() in ("cross-site", "same-site"):
        return True
    origin = request.headers.get("Origin")
    return origin is not None and origin.rstrip("/").lower() != _own_origin()


def _refuse(message: str, status: int) -> ResponseReturnValue:
    if request.blueprint in PAGE_BLUEPRINTS:
        return render_template("error.html", message=message), status
    return error_response(message, status)


def _sign_in_first() -> ResponseReturnValue:
    if request.blueprint in PAGE_BLUEPRINTS:
        target = request.full_path.rstrip("?") if request.method == "GET" else "/"
        return "", 303, {"Location": f"/login?next={quote(target)}"}
    status = MISSING_KEY_STATUS.get(request.blueprint or "", 403)
    return error_response("an API key is required for this request", status)


def _allowed(who: Principal, need: Need) -> bool:
    if need == "capability":
        return True
    if need == "owner":
        return who.identified and who.may("reader")
    return who.may(need)


def rebound() -> bool:
    """An open install listens on loopback only; a request to it naming another host came
    through DNS rebinding (another site's name made to resolve to 127.0.0.1), which would
    make that site same-origin with us."""
    settings = service().settings
    if not loopback(settings.host) or not accounts().open():
        return False
    host = urlsplit(f"//{request.host}").hostname or ""
    public = urlsplit(settings.public_url).hostname
    return not loopback(host) and host != public


def upload_limit(max_bytes: int) -> int:
    """The largest body a document upload may have: the file and the form around it."""
    return max_bytes + UPLOAD_SLACK


def check_request() -> ResponseReturnValue | None:
    if request.endpoint in DOCUMENT_UPLOADS:  # before anything reads the body
        limit = upload_limit(service().documents.limits.max_bytes)
        request.max_content_length = max(limit, request.max_content_length or 0)
    need = required_role(request.endpoint, request.method)
    history.set_author(None)  # nothing carries over from this thread's previous request
    if rebound():
        return _refuse(_("Refused: this server answers to its own address only."), 421)
    if changes_state() and cross_site() and header_key() is None:
        return _refuse(_("Refused: this change was sent from a page of another site."), 403)
    if (
        request.blueprint in JSON_ONLY_BLUEPRINTS
        and request.method not in SAFE_METHODS
        and request.content_length
        and not request.is_json
    ):
        return error_response("send JSON (Content-Type: application/json)", 415)
    if need == "public":
        return None
    who = _who()
    if who is None:
        return _refuse("invalid API key", 403)
    g.principal = who
    named = who.kind in ("user", "key")  # the local user of an open install is anyone there
    via = "page" if request.blueprint in PAGE_BLUEPRINTS else request.blueprint
    history.set_author(who.name if named else None, kind=who.kind if named else None, via=via)
    if not _allowed(who, need):
        if not who.identified:
            return _sign_in_first()
        return _refuse(_("Your role (%(role)s) may not do this.", role=who.role or "none"), 403)
    name = (request.view_args or {}).get("name")
    if isinstance(name, str) and not visible(name):
        return _refuse(f"no glossary named {name!r}", 404)
    return None


def visible(name: str) -> bool:
    """Whether the caller may see and use a glossary (one made through the DeepL API is its
    owner's, and admins')."""
    return service().owners.may_use(principal(), name)


def check_names(names: list[str] | None) -> None:
    """Refuse a request naming a glossary the caller may not use, as if it did not exist."""
    for name in names or []:
        if not visible(name):
            raise ApiError(f"no glossary named {name!r}", 404)


def init_app(app: Flask) -> None:
    app.before_request(check_request)
    app.teardown_request(lambda _exc: history.set_author(None))
    app.jinja_env.globals["current_principal"] = principal
