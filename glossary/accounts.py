"""People and API keys: who may use the service and with which role.

Accounts live in one JSON file (`<state_dir>/accounts.json`): users with scrypt password
hashes, API keys stored as SHA-256 digests (a key is 32 random bytes, so a fast digest is
enough; the secret itself is shown once, when it is made). The file is re-read when it
changes, so `glossary users add` takes effect on a running server, and written atomically.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from glossary.config import Settings
from glossary.errors import InputError
from glossary.state import StateFile

Role = Literal["reader", "editor", "admin"]
ROLES: tuple[Role, ...] = ("reader", "editor", "admin")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
# scrypt parameters: 16 MiB of memory and ~50 ms per check on these machines
_N, _R, _P = 2**14, 8, 1


def rank(role: str | None) -> int:
    """0 for no role; then reader < editor < admin."""
    return ROLES.index(role) + 1 if role in ROLES else 0


def loopback(host: str) -> bool:
    """Whether a host name or address is this machine only."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InputError(f"invalid name {name!r}: 1-64 letters, digits, '_', '.', '@' or '-'")
    return name


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user, the holder of an API key, anyone (`anonymous`), or,
    on an install with no accounts and no keys, the local user who may do everything."""

    name: str
    role: Role | None
    kind: Literal["user", "key", "anonymous", "local"]

    def may(self, role: str) -> bool:
        return rank(self.role) >= rank(role)

    @property
    def identified(self) -> bool:
        return self.kind != "anonymous"


LOCAL = Principal("local", "admin", "local")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        assert scheme == "scrypt"
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except (ValueError, AssertionError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def key_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_configured_key(entry: str, index: int) -> tuple[str, Role, str]:
    """A key from GLOSSARY_API_KEYS: `name:role:secret`, or a bare secret (an admin key named
    `key1`, `key2`, … as keys were before they had names)."""
    parts = entry.split(":", 2)
    if len(parts) == 3 and parts[1] in ROLES:
        return check_name(parts[0]), check_role(parts[1]), parts[2]
    return f"key{index}", "admin", entry


class Accounts:
    """The accounts file plus the keys configured in the environment. Thread-safe."""

    def __init__(self, path: Path, configured_keys: tuple[str, ...] = ()) -> None:
        self.file = StateFile(path, {"users": {}, "keys": {}})
        self._configured = [parse_configured_key(k, i + 1) for i, k in enumerate(configured_keys)]

    @classmethod
    def of(cls, settings: Settings) -> Accounts:
        return cls(settings.state_dir / "accounts.json", settings.api_keys)

    def _current(self) -> dict[str, Any]:
        return self.file.get()

    def open(self) -> bool:
        """True on a fresh install: no users and no keys, so nothing asks who you are."""
        data = self._current()
        return not (data["users"] or data["keys"] or self._configured)

    def users(self) -> list[tuple[str, Role]]:
        return sorted((name, u["role"]) for name, u in self._current()["users"].items())

    def api_keys(self) -> list[tuple[str, Role]]:
        stored = [(name, k["role"]) for name, k in self._current()["keys"].items()]
        return sorted(stored + [(name, role) for name, role, _ in self._configured])

    def sign_in(self, name: str, password: str) -> Principal | None:
        user = self._current()["users"].get(name)
        if user is None:
            verify_password(password, _DUMMY_HASH)  # the same time for unknown names
            return None
        if not verify_password(password, user["password"]):
            return None
        return Principal(name, user["role"], "user")

    def user(self, name: str, stamp: str) -> Principal | None:
        """A signed-in user as the accounts file has them now: None once removed or once the
        password changed since `stamp` was taken at sign-in; the role as it is now."""
        user = self._current()["users"].get(name)
        if not user or not hmac.compare_digest(stamp, self.stamp(name)):
            return None
        return Principal(name, user["role"], "user")

    def stamp(self, name: str) -> str:
        """Changes whenever the user's password does (ends the sessions signed in before)."""
        user = self._current()["users"].get(name) or {"password": ""}
        return hashlib.sha256(user["password"].encode()).hexdigest()[:16]

    def for_key(self, secret: str) -> Principal | None:
        """The key's holder; every key is compared, so timing tells nothing."""
        digest = key_digest(secret).encode()
        found: Principal | None = None
        for name, key in self._current()["keys"].items():
            if hmac.compare_digest(digest, key["sha256"].encode()):
                found = Principal(name, key["role"], "key")
        for name, role, configured in self._configured:
            if hmac.compare_digest(secret.encode("utf-8"), configured.encode("utf-8")):
                found = Principal(name, role, "key")
        return found

    def add_user(self, name: str, password: str, role: str) -> None:
        if len(password) < 8:
            raise InputError("the password must have at least 8 characters")
        check_name(name)
        old = self._current()["users"].get(name)
        # the same password keeps its hash, so a role change does not end the user's sessions
        kept = old["password"] if old and verify_password(password, old["password"]) else None
        entry = {"role": check_role(role), "password": kept or hash_password(password)}
        self.file.update(lambda data: data["users"].__setitem__(name, entry))

    def remove_user(self, name: str) -> None:
        self.file.update(lambda data: _pop(data["users"], name, "user"))

    def add_key(self, name: str, role: str) -> str:
        """A new key's secret (shown once; only its digest is kept)."""
        check_name(name)
        if name in {n for n, _, _ in self._configured}:
            raise InputError(f"key {name!r} is configured in GLOSSARY_API_KEYS")
        secret = secrets.token_urlsafe(32)
        entry = {"role": check_role(role), "sha256": key_digest(secret)}
        self.file.update(lambda data: data["keys"].__setitem__(name, entry))
        return secret

    def remove_key(self, name: str) -> None:
        self.file.update(lambda data: _pop(data["keys"], name, "key"))


def _pop(table: dict[str, Any], name: str, what: str) -> None:
    if table.pop(name, None) is None:
        raise InputError(f"no {what} named {name!r}")


_DUMMY_HASH = "$".join(["scrypt", str(_N), str(_R), str(_P), "A" * 22 + "==", "A" * 43 + "="])
