"""API keys: off when none are configured. When some are, writes always need one, and
translating and reading need one only with `keys_for_translate`. Each API sends its key its
own way; the views pass what they received here."""

from __future__ import annotations

import hmac

from flask import current_app, request

from glossary.config import Settings
from web.errors import ApiError


def _settings() -> Settings:
    settings: Settings = current_app.extensions["glossary.settings"]
    return settings


def key_needed(*, write: bool) -> bool:
    settings = _settings()
    return bool(settings.api_keys) and (write or settings.keys_for_translate)


def valid_key(key: str | None) -> bool:
    if not key:
        return False
    given = key.encode("utf-8")
    # compare with every key so that timing does not tell which prefix matched
    matches = [hmac.compare_digest(given, k.encode("utf-8")) for k in _settings().api_keys]
    return any(matches)


def check_key(key: str | None, *, write: bool, missing_status: int = 403) -> None:
    """Raise ApiError unless the request may go on: `missing_status` when no key was sent,
    403 when a wrong one was."""
    if not key_needed(write=write):
        return
    if not key:
        raise ApiError("an API key is required for this request", missing_status)
    if not valid_key(key):
        raise ApiError("invalid API key", 403)


def deepl_key() -> str | None:
    """DeepL's `Authorization: DeepL-Auth-Key <key>` header, or its older `auth_key` field."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "deepl-auth-key" and value.strip():
        return value.strip()
    return request.args.get("auth_key") or request.form.get("auth_key") or None


def bearer_key() -> str | None:
    """The own API's key: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("X-API-Key") or None
