"""Headers on every response: no framing by other sites, no MIME sniffing, no referrer leaving
the site, a strict content security policy, SameSite session cookies, and redirects that never
repeat the request's Host header (relative, or on the configured public URL)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, request

# The templates load one stylesheet and one script from /static and have no inline script,
# style or event handler, so pages can forbid everything else.
PAGE_POLICY = (
    "default-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'; "
    "frame-ancestors 'none'"
)
# JSON, files and static assets are never documents that run anything.
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
FIXED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    # Lax: a cross-site POST (a form on another site) arrives without the session, so it can
    # neither pass the CSRF check nor act as the signed-in user.
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    public_url = app.extensions["glossary.settings"].public_url

    def add_headers(response: Response) -> Response:
        for name, value in FIXED.items():
            response.headers.setdefault(name, value)
        html = response.mimetype == "text/html"
        response.headers.setdefault(
            "Content-Security-Policy", PAGE_POLICY if html else OTHER_POLICY
        )
        location = response.headers.get("Location")
        if location:
            response.headers["Location"] = own_location(location, public_url)
        return response

    app.after_request(add_headers)


def own_location(location: str, public_url: str = "") -> str:
    """`location` without the request's host: relative, or under `public_url` when one is
    configured. Werkzeug's trailing-slash redirects (308) are built absolute from the Host
    header; a Location on another host was chosen by a view and stays."""
    parts = urlsplit(location)
    if parts.netloc and parts.netloc.lower() != request.host.lower():
        return location
    if not parts.netloc and not parts.path.startswith("/"):
        return location  # relative to the current URL, which has no host in it either
    # One leading slash: "//x" or "/\\x" would be read by browsers as another host.
    path = "/" + urlunsplit(("", "", parts.path, parts.query, parts.fragment)).lstrip("/\\")
    if not public_url:
        return path
    # public_url stands for the application root, as request.script_root does here.
    root = request.script_root
    if root and (path == root or path.startswith(root + "/")):
        path = path[len(root) :] or "/"
    return public_url.rstrip("/") + path
