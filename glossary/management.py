"""Creating, renaming and deleting glossaries in the terms folder, for the page and the CLI,
with what hangs on a glossary's name kept consistent: the default set (kept by name), the
owner of a glossary made through the DeepL API, and the change log (which moves with the file
and goes when it is deleted; see glossary.history).

A glossary has a name (its file, `<name>.yaml`, which requests and API calls use) and a title
(`name:` inside the file, shown to people). Renaming may change either or both: the title is an
edit of the file (logged, revertible); the name is a move of the file (logged as a rename).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from glossary import termedit, termload, termwrite
from glossary.config import Settings
from glossary.errors import ConflictError, GlossaryError, InputError
from glossary.owners import API_MADE, DefaultGlossaries, Owners, api_made
from glossary.store import GlossaryStore
from glossary.term import Glossary


@dataclass(frozen=True)
class Summary:
    name: str
    glossary: Glossary | None  # None: the file is invalid and was never valid
    error: str | None


class GlossaryFolder:
    """The glossaries of one terms folder, as things to create, rename and delete."""

    def __init__(self, store: GlossaryStore, defaults: DefaultGlossaries, owners: Owners) -> None:
        self.store = store
        self.defaults = defaults
        self.owners = owners

    @classmethod
    def of(cls, settings: Settings) -> GlossaryFolder:
        return cls(
            GlossaryStore(settings.terms_dir), DefaultGlossaries.of(settings), Owners.of(settings)
        )

    def list(self) -> list[Summary]:
        rows = []
        for name in self.store.names():
            glossary: Glossary | None = None
            with contextlib.suppress(GlossaryError):
                glossary = self.store.get(name)
            error = self.store.errors.get(name)
            rows.append(Summary(name, glossary, None if error is None else str(error)))
        return rows

    @staticmethod
    def _not_api_made(name: str) -> None:
        if api_made(name):
            raise InputError(
                f"invalid glossary name {name!r}: names of the form deepl-<uuid> are kept for "
                "glossaries made through the DeepL API"
            )

    @staticmethod
    def _may_touch(name: str, allow_api_made: bool) -> None:
        if api_made(name) and not allow_api_made:
            raise InputError(
                f"glossary {name!r} was made through the DeepL API: only its owner (there) or "
                "an admin may rename or delete it"
            )

    def create(
        self,
        name: str,
        *,
        title: str | None = None,
        source_language: str = "de",
        target_language: str = "en",
    ) -> Glossary:
        """A new, empty glossary `name` (its file `<name>.yaml`); ConflictError if it exists."""
        self._not_api_made(name)
        path = self.store.new_path(name)
        title = (title or "").strip() or name
        return termwrite.create_glossary(
            path, title, source_language.strip(), target_language.strip(), []
        )

    def rename(
        self,
        name: str,
        new_name: str | None = None,
        *,
        title: str | None = None,
        allow_api_made: bool = False,
    ) -> str:
        """Change the title and/or the name; returns the name the glossary has now. A default
        stays a default under its new name; a glossary made through the DeepL API that is
        renamed leaves the API (and its owner's list) once no file of it is left there."""
        self._may_touch(name, allow_api_made)
        path = self.store.path(name)
        new_name = (new_name or "").strip() or name
        title = (title or "").strip() or None
        if new_name == name and title is None:
            raise InputError("give a new name or a new title")
        new_path = self.store.path(new_name)
        if new_name != name:
            self._not_api_made(new_name)
            if new_path.exists() or new_path.is_symlink():  # said before the title changes
                raise ConflictError(
                    f"a glossary named {new_name!r} already exists; nothing was renamed"
                )
        if title is not None and self.store.get(name).name != title:
            self._retitle(path, title)
        if new_name == name:
            return name
        termwrite.move_glossary(path, new_path)
        self.defaults.renamed(name, new_name)
        self._release_if_gone(name)
        return new_name

    def _retitle(self, path: Path, title: str) -> None:
        for _attempt in range(4):
            revision = termload.load_glossary(path, max_bytes=self.store.max_bytes).revision
            with contextlib.suppress(ConflictError):
                termedit.rename_glossary(
                    path, title, revision=revision, max_bytes=self.store.max_bytes
                )
                return
        raise ConflictError(f"glossary {path.stem} is being changed by someone else; try again")

    def delete(self, name: str, *, allow_api_made: bool = False) -> None:
        """Delete glossary `name` with its lock file and change log; it leaves the default
        set, and a DeepL glossary's owner is forgotten once none of its files is left."""
        self._may_touch(name, allow_api_made)
        termwrite.delete_glossary(self.store.path(name))
        self.defaults.forget(name)
        self._release_if_gone(name)

    def _release_if_gone(self, name: str) -> None:
        found = API_MADE.fullmatch(name)
        if found is None:
            return
        left = {m.group(1) for m in map(API_MADE.fullmatch, self.store.names()) if m}
        if found.group(1) not in left:
            self.owners.release(found.group(1))
