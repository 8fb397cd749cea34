"""One exception hierarchy for the library; the CLI and the web map it once to exit codes / HTTP."""

from __future__ import annotations


class GlossaryError(Exception):
    """Base of every error the library raises on purpose."""

    exit_code = 1
    http_status = 500


class InputError(GlossaryError):
    """The caller must change what they sent (bad text, bad option, bad file)."""

    exit_code = 2
    http_status = 400


class ModelNotInstalledError(GlossaryError):
    """No installed package (direct or via English) serves the language pair."""

    exit_code = 2
    http_status = 503

    def __init__(self, from_code: str, to_code: str) -> None:
        self.from_code = from_code
        self.to_code = to_code
        super().__init__(
            f"no translation model installed for {from_code}→{to_code}; install one with "
            f"`glossary models install {from_code} {to_code}` (needs internet) or "
            f"`glossary models install --file PATH.argosmodel`"
        )


class PackageError(GlossaryError):
    """A package file or package directory is not a valid Argos package."""

    exit_code = 2
    http_status = 400


class IndexUnreachableError(GlossaryError):
    """The Argos package index (or a download link) could not be reached in time."""

    exit_code = 2
    http_status = 503


class ConflictError(GlossaryError):
    """An edit named a revision that is no longer current."""

    exit_code = 3
    http_status = 409
