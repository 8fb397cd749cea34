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


class TermsFolderError(GlossaryError):
    """The terms folder cannot be used as it is (read-only, full, missing): the operator must
    fix the folder; the request itself was fine. 503 because the service cannot do this now
    but will once the folder is fixed, and nothing the caller changes would help (409/4xx
    would tell the caller to change their request)."""

    exit_code = 2
    http_status = 503


class TermsFolderMissingError(TermsFolderError):
    """The terms folder does not exist: translating on without glossaries would silently drop
    every term, so requests that would use glossaries fail instead."""

    def __init__(self, directory: object) -> None:
        self.directory = directory
        super().__init__(
            f"the terms folder {directory} is missing (or is not a folder), so no glossary can "
            "be applied; restore it (GLOSSARY_TERMS_DIR names it)"
        )


class BrokenFileError(GlossaryError):
    """An edit was refused because the glossary file as it is on disk is invalid.

    409 rather than 412: no revision the caller could send would make the edit apply; the file
    must be fixed by hand first. Applying the edit to the last valid version instead would
    silently throw away whatever was written to the file since."""

    exit_code = 2
    http_status = 409


class DeviceUnavailableError(GlossaryError):
    """The engine was asked to run on a device this machine does not have (ARGOS_DEVICE_TYPE=cuda
    with no CUDA device): the operator must change the setting; 503 like a missing model."""

    exit_code = 2
    http_status = 503

    def __init__(self, requested: str, cuda_devices: int) -> None:
        self.requested = requested
        self.cuda_devices = cuda_devices
        super().__init__(
            f"ARGOS_DEVICE_TYPE={requested} asks for a CUDA GPU, but CTranslate2 sees "
            f"{cuda_devices} CUDA devices; set ARGOS_DEVICE_TYPE=cpu (or auto, which uses a GPU "
            "only when there is one)"
        )
