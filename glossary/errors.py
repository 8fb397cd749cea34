"""One exception hierarchy for the library; the CLI and the web map it once to exit codes / HTTP."""

from __future__ import annotations

from functools import partial
from typing import Any


class GlossaryError(Exception):
    """Base of every error the library raises on purpose."""

    exit_code = 1
    http_status = 500


class InputError(GlossaryError):
    """The caller must change what they sent (bad text, bad option, bad file)."""

    exit_code = 2
    http_status = 400


class ConfigError(InputError, ValueError):
    """A setting (environment variable or Argos settings.json entry) has a value that cannot be
    used; the message names the setting and where its value came from. Also a ValueError, as
    callers of Settings.from_env caught that before this class existed."""

    http_status = 500  # the server is misconfigured; nothing the client sends would help


class OptionError(InputError, ValueError):
    """An option outside its allowed values (the enforcement mode, say). A ValueError too,
    as the callers that validate options themselves catch that."""


class ContractError(ValueError):
    """Library code was called against its own contract (arguments that no request can
    produce): a bug in the calling code, not bad input. Deliberately not a GlossaryError, so
    the web logs it with its traceback as an unexpected 500 instead of showing it as the
    caller's fault."""


class NotFoundError(InputError):
    """No glossary of that name, or no term with that source."""

    http_status = 404


class GlossaryFileError(InputError):
    """A glossary file (or text meant to become one) is not valid.

    `line` and `column` are 1-based and None where no position is known."""

    def __init__(
        self, message: str, *, path: str, line: int | None = None, column: int | None = None
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments defeat the default exception pickling (multiprocessing).
        rebuild = partial(GlossaryFileError, path=self.path, line=self.line, column=self.column)
        return (rebuild, (self.message,))


class EntriesError(InputError):
    """Entries (TSV, CSV, TBX) that cannot become glossary terms; `line` is 1-based where it
    is known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (partial(EntriesError, line=self.line), (self.message,))


class DocumentError(InputError):
    """A document that cannot be translated as sent: not a valid file of its format, of a
    format we do not read, too large, or unsafe (a zip bomb, macros, external references).
    Nothing is written."""

    def __init__(self, message: str, *, http_status: int = 400) -> None:
        super().__init__(message)
        self.http_status = http_status  # 413 for a file over the size limit, 415 for a format


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


# --- serving: the scheduler, jobs and the queue, kept uploads ---------------------------------


class Abandoned(GlossaryError):
    """The request's work stopped before it was done; no partial text is returned."""


class DeadlineExceeded(Abandoned):
    exit_code = 4
    http_status = 504


class ClientGone(Abandoned):
    http_status = 499  # nginx's "client closed request"; nobody reads it


class Busy(GlossaryError):
    """Too many requests in flight: come back later."""

    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueueUnavailable(GlossaryError):
    """The Redis server named by GLOSSARY_QUEUE_URL cannot be reached."""

    exit_code = 2
    http_status = 503


class UploadGoneError(InputError):
    """No kept upload for this token (expired, imported already, or not this session's)."""

    http_status = 410
