"""Who owns a glossary made through the DeepL API, and which glossaries apply when a request
names none.

DeepL glossaries belong to the key that made them: only that key lists, reads, uses or deletes
them, and they never join the default set. The default set is what an admin marked; until an
admin marks any, it is every glossary managed as a file (on a fresh install: `de-en.yaml`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from glossary.accounts import Principal
from glossary.config import Settings
from glossary.state import StateFile

API_PREFIX = "deepl-"
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
API_MADE = re.compile(rf"{API_PREFIX}({_UUID})(?:\.[a-z]{{2,3}}-[a-z]{{2,3}})?")


def api_made(name: str) -> bool:
    """Whether a glossary file was made through the DeepL API (and so has an owner)."""
    return API_MADE.fullmatch(name) is not None


def owner_id(principal: Principal) -> str:
    return principal.kind if principal.kind == "local" else f"{principal.kind}:{principal.name}"


class Owners:
    """glossary_id → owner, in `<state_dir>/owners.json`."""

    def __init__(self, path: Path) -> None:
        self.file = StateFile(path, {"owners": {}})

    @classmethod
    def of(cls, settings: Settings) -> Owners:
        return cls(settings.state_dir / "owners.json")

    def owner(self, glossary_id: str) -> str | None:
        found: str | None = self.file.get()["owners"].get(glossary_id)
        return found

    def claim(self, glossary_id: str, principal: Principal) -> None:
        self.file.update(lambda data: data["owners"].__setitem__(glossary_id, owner_id(principal)))

    def release(self, glossary_id: str) -> None:
        self.file.update(lambda data: data["owners"].pop(glossary_id, None))

    def may_use(self, principal: Principal, name: str, *, as_admin: bool = True) -> bool:
        """Files managed as files are everyone's; an API-made one is its owner's, and, where
        `as_admin`, an admin's (the page and the own API let admins tidy up; the DeepL API
        does not, as DeepL does not)."""
        found = API_MADE.fullmatch(name)
        if found is None or principal.kind == "local":
            return True
        if as_admin and principal.may("admin"):
            return True
        return self.owner(found.group(1)) == owner_id(principal)


class DefaultGlossaries:
    """The glossaries used when a request names none, as an admin marked them."""

    def __init__(self, path: Path) -> None:
        self.file = StateFile(path, {"defaults": None})

    @classmethod
    def of(cls, settings: Settings) -> DefaultGlossaries:
        return cls(settings.state_dir / "defaults.json")

    def chosen(self, present: Iterable[str]) -> list[str]:
        """The defaults among the glossaries present now."""
        marked = self.file.get()["defaults"]
        names = list(present)
        if marked is None:
            return [name for name in names if not api_made(name)]
        return [name for name in names if name in set(marked) and not api_made(name)]

    def marked(self) -> list[str] | None:
        """What an admin marked; None when nobody has yet."""
        found = self.file.get()["defaults"]
        return None if found is None else list(found)

    def mark(self, names: Iterable[str]) -> None:
        chosen = sorted(set(names))
        self.file.update(lambda data: data.__setitem__("defaults", chosen))

    def renamed(self, old: str, new: str) -> None:
        """Glossary `old` is now called `new`: a default stays a default."""
        if old not in (self.marked() or []):
            return

        def edit(data: dict[str, Any]) -> None:
            marked = data["defaults"]
            if marked is not None and old in marked:
                data["defaults"] = sorted({*(n for n in marked if n != old), new})

        self.file.update(edit)

    def forget(self, name: str) -> None:
        """Glossary `name` was deleted: a new one made under that name later is not a default
        because this one was."""
        if name not in (self.marked() or []):
            return

        def edit(data: dict[str, Any]) -> None:
            marked = data["defaults"]
            if marked is not None and name in marked:
                data["defaults"] = [n for n in marked if n != name]

        self.file.update(edit)
