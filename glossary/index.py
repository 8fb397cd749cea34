"""The Argos package index: fetching it, downloading a package it lists and installing the
newest package for a pair. The only code in the project that uses the network, and only when
a user asks for a model. argostranslate's own index functions are never called: they open
URLs without a timeout and recurse when offline (see ENGINE-FACTS.md).

The index is a JSON list of package metadata objects (the same fields as a package's
metadata.json plus `links`). Checksums: an entry may carry `sha256` or `sha256sum` (hex
digest) or `checksum` (`sha256:<hex>` or a bare hex digest); the first present is verified.
The public Argos index gives none today, in which case nothing is verified."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from tqdm import tqdm

from glossary.config import Settings
from glossary.errors import IndexUnreachableError, InputError, PackageError
from glossary.packages import InstalledPackage, install_from_file, version_key

OFFLINE_HINT = (
    "without internet, install from a file: `glossary models install --file PATH.argosmodel`"
)
CHECKSUM_KEYS = ("sha256", "sha256sum", "checksum")
SCHEMES = ("http", "https", "file")
MAX_INDEX_BYTES = 16 * 1024 * 1024  # the public index is ~100 kB; more is not an index
_CHUNK = 64 * 1024
# Everything urllib raises for an unreachable or misbehaving server: URLError, HTTPError,
# TimeoutError, ConnectionError and socket.gaierror are all OSErrors.
_NETWORK_ERRORS = (OSError, http.client.HTTPException)

Progress = Callable[[int, int | None], None]
T = TypeVar("T")


@dataclass(frozen=True)
class IndexEntry:
    from_code: str
    to_code: str
    package_version: str
    links: tuple[str, ...]
    sha256: str | None = None
    from_name: str = ""
    to_name: str = ""

    @property
    def pair(self) -> tuple[str, str]:
        return self.from_code, self.to_code

    @property
    def file_name(self) -> str:
        """argospm's download name plus the version; index data never reaches the path raw."""
        raw = f"translate-{self.from_code}_{self.to_code}-{self.package_version}"
        return re.sub(r"[^A-Za-z0-9_.-]", "_", raw).lstrip(".") + ".argosmodel"

    def describe(self) -> str:
        return f"{self.from_code}→{self.to_code} {self.package_version}".rstrip()


def _checksum(raw: dict[str, Any]) -> str | None:
    for key in CHECKSUM_KEYS:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        algorithm, colon, digest = value.strip().lower().rpartition(":")
        if colon and algorithm != "sha256":
            continue  # another algorithm: we can only verify sha256
        return digest
    return None


def _parse_entry(raw: object) -> IndexEntry | None:
    """One index entry, or None for entries we cannot install (sentence-boundary packages,
    entries without codes or usable links)."""
    if not isinstance(raw, dict) or raw.get("type", "translate") != "translate":
        return None
    from_code, to_code = raw.get("from_code"), raw.get("to_code")
    if not isinstance(from_code, str) or not isinstance(to_code, str):
        return None
    links = raw.get("links")
    usable = tuple(
        link
        for link in (links if isinstance(links, list) else [])
        if isinstance(link, str) and urllib.parse.urlsplit(link).scheme in SCHEMES
    )
    return IndexEntry(
        from_code=from_code,
        to_code=to_code,
        package_version=str(raw.get("package_version", "")),
        links=usable,
        sha256=_checksum(raw),
        from_name=str(raw.get("from_name", "")),
        to_name=str(raw.get("to_name", "")),
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def _with_deadline(work: Callable[[], T], seconds: float, discard: Callable[[T], None]) -> T:
    """Runs `work` in a daemon thread and gives up after `seconds`. Socket timeouts bound
    connecting and each read, but not the DNS lookup, which can hang far longer on a machine
    without network. A result that arrives too late is passed to `discard` (to close it)."""
    outcome: list[tuple[bool, Any]] = []
    lock = threading.Lock()
    finished = threading.Event()
    abandoned = threading.Event()

    def run() -> None:
        try:
            result: tuple[bool, Any] = (True, work())
        except BaseException as exc:  # re-raised in the caller's thread below
            result = (False, exc)
        with lock:
            if abandoned.is_set():
                if result[0]:
                    discard(result[1])
                return
            outcome.append(result)
        finished.set()

    threading.Thread(target=run, daemon=True, name="glossary-network").start()
    finished.wait(seconds)
    with lock:
        if not outcome:
            abandoned.set()
            raise TimeoutError(f"no answer within {seconds:g} s")
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


def _check_scheme(url: str) -> None:
    if urllib.parse.urlsplit(url).scheme not in SCHEMES:
        raise InputError(f"package index URL {url!r} must start with http://, https:// or file://")


def _urlopen(url: str, timeout: float) -> IO[bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": "glossary-mt"})
    response: IO[bytes] = urllib.request.urlopen(request, timeout=timeout)
    return response


def _read_index(url: str, timeout: float) -> bytes:
    with _urlopen(url, timeout) as response:
        body = response.read(MAX_INDEX_BYTES + 1)
    if len(body) > MAX_INDEX_BYTES:
        raise IndexUnreachableError(f"{url}: larger than {MAX_INDEX_BYTES} bytes, not an index")
    return body


def fetch_index(url: str, timeout: float) -> list[IndexEntry]:
    """The translate packages the index at `url` offers. The whole fetch, DNS lookup included,
    is bounded by `timeout` seconds; failing that, IndexUnreachableError names the offline way."""
    _check_scheme(url)
    try:
        body = _with_deadline(lambda: _read_index(url, timeout), timeout, lambda _: None)
    except _NETWORK_ERRORS as exc:
        raise IndexUnreachableError(
            f"cannot reach the Argos package index at {url} ({_reason(exc)}); {OFFLINE_HINT}"
        ) from exc
    try:
        data = json.loads(body.decode("utf-8"))
    except ValueError as exc:  # also UnicodeDecodeError: a proxy or captive portal page
        raise IndexUnreachableError(
            f"the package index at {url} is not JSON ({exc}); {OFFLINE_HINT}"
        ) from exc
    if not isinstance(data, list):
        raise IndexUnreachableError(f"the package index at {url} is not a JSON list of packages")
    return [entry for entry in map(_parse_entry, data) if entry is not None]


def _open(url: str, timeout: float) -> IO[bytes]:
    return _with_deadline(lambda: _urlopen(url, timeout), timeout, lambda late: late.close())


def _content_length(response: IO[bytes]) -> int | None:
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    return int(value) if value is not None and str(value).isdigit() else None


def _copy(response: IO[bytes], sink: IO[bytes], progress: Progress | None) -> str:
    """Streams the body into `sink` chunk by chunk (each read bounded by the socket timeout)
    and returns its sha256. A body shorter than announced is a network failure."""
    total = _content_length(response)
    digest = hashlib.sha256()
    done = 0
    while chunk := response.read(_CHUNK):
        digest.update(chunk)
        try:
            sink.write(chunk)
        except OSError as exc:  # disk full: not the network's fault, so no retry elsewhere
            raise PackageError(f"cannot write the download to {sink.name}: {exc}") from exc
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    if total is not None and done < total:
        raise ConnectionError(f"connection closed after {done} of {total} bytes")
    return digest.hexdigest()


def _fetch_to(
    link: str, target: Path, sha256: str | None, timeout: float, progress: Progress | None
) -> None:
    """Downloads `link` into a temporary file beside `target`, renamed into place only when
    complete and verified; the partial file never outlives a failure."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    partial = Path(name)
    try:
        with os.fdopen(fd, "wb") as sink, _open(link, timeout) as response:
            digest = _copy(response, sink, progress)
        if sha256 is not None and digest != sha256:
            raise PackageError(
                f"{link}: checksum mismatch (the index says sha256 {sha256}, "
                f"the download has {digest}); nothing was installed"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def download(
    entry: IndexEntry, dest_dir: Path, timeout: float, progress: Progress | None = None
) -> Path:
    """Downloads the package, trying its links in order, and returns the file's path.
    All links unreachable → IndexUnreachableError; a checksum mismatch on every link that
    answered → PackageError."""
    if not entry.links:
        raise PackageError(f"the package index gives no usable link for {entry.describe()}")
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PackageError(f"cannot create the download directory {dest_dir}: {exc}") from exc
    target = dest_dir / entry.file_name
    failures: list[str] = []
    bad_file: PackageError | None = None
    for link in entry.links:
        try:
            _fetch_to(link, target, entry.sha256, timeout, progress)
            return target
        except PackageError as exc:
            bad_file = exc
        except _NETWORK_ERRORS as exc:
            failures.append(f"{link}: {_reason(exc)}")
    if bad_file is not None:
        raise bad_file
    raise IndexUnreachableError(
        f"cannot download {entry.describe()} ({'; '.join(failures)}); {OFFLINE_HINT}"
    )


def newest_entry(
    entries: list[IndexEntry], from_code: str, to_code: str, index_url: str
) -> IndexEntry:
    matches = [entry for entry in entries if entry.pair == (from_code, to_code)]
    if not matches:
        offered = sorted({f"{e.from_code}→{e.to_code}" for e in entries})
        raise InputError(
            f"the package index at {index_url} has no {from_code}→{to_code} package; "
            f"it offers: {', '.join(offered) or 'nothing'}"
        )
    return max(matches, key=lambda entry: version_key(entry.package_version))


def install_from_index(
    settings: Settings, from_code: str, to_code: str, progress: Progress | None = None
) -> InstalledPackage:
    """Fetches the index, downloads the newest package for the pair and installs it. The
    download is deleted afterwards: the installed folder is all the service needs."""
    entries = fetch_index(settings.index_url, settings.network_timeout)
    entry = newest_entry(entries, from_code, to_code, settings.index_url)
    archive = download(entry, settings.downloads_dir, settings.network_timeout, progress)
    try:
        return install_from_file(settings.packages_dir, archive)
    finally:
        archive.unlink(missing_ok=True)


@contextmanager
def progress_bar(description: str, force: bool = False) -> Iterator[Progress]:
    """A download progress bar on stderr, drawn from the first byte on (so a failure to reach
    the index prints no empty bar); silent when stderr is not a terminal (logs, CI, `make run`
    piped somewhere) unless forced."""
    enabled = force or sys.stderr.isatty()
    bars: list[tqdm[Any]] = []

    def update(done: int, total: int | None) -> None:
        if not enabled:
            return
        if not bars:
            bars.append(
                tqdm(
                    desc=description,
                    total=total,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    file=sys.stderr,
                )
            )
        bar = bars[0]
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)  # a retry on the next link starts again from 0

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()
