"""The Argos package index against a real HTTP server on 127.0.0.1 and file:// URLs: install,
progress, checksums, and failing fast when nothing answers. No traffic leaves 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import glossary.index as index
from glossary.config import Settings
from glossary.errors import IndexUnreachableError, InputError, PackageError
from glossary.index import (
    IndexEntry,
    download,
    fetch_index,
    install_from_index,
    progress_bar,
)
from glossary.packages import list_packages
from tests.modelkit import build_package

TIMEOUT = 1.0  # seconds; every "fails fast" test must finish well inside 3 x this


class _Handler(BaseHTTPRequestHandler):
    server: LocalServer

    def do_GET(self) -> None:
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        mode = self.server.modes.get(self.path, "full")
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        sent = len(body) if mode == "full" else len(body) // 2
        for start in range(0, sent, 16 * 1024):  # several chunks, so progress can grow
            self.wfile.write(body[start : min(sent, start + 16 * 1024)])
        if mode == "stall":
            self.wfile.flush()
            self.server.release.wait(30)
        # "truncate": returning closes the connection short of Content-Length

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LocalServer(ThreadingHTTPServer):
    """Serves `files` by path; `modes[path]` may be "stall" or "truncate"."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.modes: dict[str, str] = {}
        self.release = threading.Event()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    httpd = LocalServer()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def dead_url() -> str:
    """A 127.0.0.1 port with nothing listening (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/index.json"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A server that accepts connections (the kernel does, into the backlog) but never answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as sock:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/index.json"


def entry(
    links: list[Any],
    version: str = "1.0",
    pair: tuple[str, str] = ("de", "en"),
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "type": "translate",
        "from_code": pair[0],
        "to_code": pair[1],
        "package_version": version,
        "links": links,
        **(extra or {}),
    }


def publish(server: LocalServer, archive: Path, extra: dict[str, str]) -> str:
    """Puts the archive and an index listing it on the server; returns the index URL."""
    server.files["/pkg.argosmodel"] = archive.read_bytes()
    listing = [
        entry([server.url("/pkg.argosmodel")], extra=extra),
        entry([server.url("/none")], pair=("en", "fr")),
    ]
    server.files["/index.json"] = json.dumps(listing).encode()
    return server.url("/index.json")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_index(tmp_path: Path, entries: list[Any]) -> str:
    path = tmp_path / "index.json"
    path.write_text(json.dumps(entries))
    return path.as_uri()


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


# --- parsing the index ----------------------------------------------------------------------

DIGEST = "ab" * 32
CHECKSUMS = [
    ({"sha256": DIGEST}, DIGEST),
    ({"sha256sum": DIGEST.upper()}, DIGEST),
    ({"checksum": f"sha256:{DIGEST}"}, DIGEST),
    ({"checksum": DIGEST}, DIGEST),
    ({"checksum": "md5:0123"}, None),  # an algorithm we cannot verify
    ({}, None),
]


@pytest.mark.parametrize(("fields", "expected"), CHECKSUMS)
def test_checksum_keys(tmp_path: Path, fields: dict[str, str], expected: str | None) -> None:
    url = write_index(tmp_path, [entry(["http://127.0.0.1:9/x"], extra=fields)])
    (parsed,) = fetch_index(url, TIMEOUT)
    assert parsed.sha256 == expected


def test_index_keeps_only_installable_translate_entries(tmp_path: Path) -> None:
    url = write_index(
        tmp_path,
        [
            entry(["http://127.0.0.1:9/a", "ftp://127.0.0.1/b", 7]),
            {"type": "sbd", "from_code": "de", "links": []},
            {"from_code": "de"},
            "not an object",
        ],
    )
    assert fetch_index(url, TIMEOUT) == [IndexEntry("de", "en", "1.0", ("http://127.0.0.1:9/a",))]


INDEX_FAILURES: list[tuple[bytes, type[Exception], str]] = [
    (b"<html>captive portal</html>", IndexUnreachableError, "is not JSON"),
    (b'{"packages": []}', IndexUnreachableError, "not a JSON list"),
    (b"\xff\xfe", IndexUnreachableError, "is not JSON"),
]


@pytest.mark.parametrize(("body", "error", "message"), INDEX_FAILURES)
def test_bad_index_body(tmp_path: Path, body: bytes, error: type[Exception], message: str) -> None:
    (tmp_path / "index.json").write_bytes(body)
    with pytest.raises(error, match=message):
        fetch_index((tmp_path / "index.json").as_uri(), TIMEOUT)


def test_unsupported_scheme_is_an_input_error() -> None:
    with pytest.raises(InputError, match="must start with http"):
        fetch_index("ftp://127.0.0.1/index.json", TIMEOUT)


# --- installing -----------------------------------------------------------------------------


def test_install_from_index_over_http(
    server: LocalServer, settings: Settings, tiny_archive: Path
) -> None:
    url = publish(server, tiny_archive, {"sha256": sha256(tiny_archive)})
    seen: list[tuple[int, int | None]] = []
    package = install_from_index(
        replace(settings, index_url=url), "de", "en", lambda done, total: seen.append((done, total))
    )
    assert package.pair == ("de", "en")
    assert [p.path for p in list_packages(settings.packages_dir)] == [package.path]
    size = tiny_archive.stat().st_size
    counts = [done for done, _ in seen]
    assert len(counts) > 2 and counts == sorted(set(counts)) and counts[-1] == size
    assert {total for _, total in seen} == {size}
    assert leftovers(settings.downloads_dir) == []  # the download is gone once installed


def test_newest_version_is_installed(
    server: LocalServer, settings: Settings, tmp_path: Path
) -> None:
    listing = []
    for version in ("1.9", "1.10", "1.2"):
        archive = build_package(tmp_path, version=version)
        server.files[f"/{version}"] = archive.read_bytes()
        listing.append(entry([server.url(f"/{version}")], version=version))
    server.files["/index.json"] = json.dumps(listing).encode()
    package = install_from_index(replace(settings, index_url=server.url("/index.json")), "de", "en")
    assert (package.package_version, package.path.name) == ("1.10", "translate-de_en-1_10")


def test_links_are_tried_in_order(
    server: LocalServer, settings: Settings, tiny_archive: Path, dead_url: str
) -> None:
    server.files["/good"] = tiny_archive.read_bytes()
    links = [dead_url, server.url("/missing"), server.url("/good")]
    server.files["/index.json"] = json.dumps([entry(links)]).encode()
    package = install_from_index(replace(settings, index_url=server.url("/index.json")), "de", "en")
    assert package.pair == ("de", "en")


def test_checksum_mismatch_installs_nothing(
    server: LocalServer, settings: Settings, tiny_archive: Path
) -> None:
    url = publish(server, tiny_archive, {"sha256": "0" * 64})
    with pytest.raises(PackageError, match="checksum mismatch"):
        install_from_index(replace(settings, index_url=url), "de", "en")
    assert leftovers(settings.packages_dir) == []
    assert leftovers(settings.downloads_dir) == []  # the partial file is deleted


def test_file_urls_for_index_and_package(
    settings: Settings, tiny_archive: Path, tmp_path: Path
) -> None:
    checked = entry([tiny_archive.as_uri()], extra={"sha256": sha256(tiny_archive)})
    url = write_index(tmp_path, [checked])
    package = install_from_index(replace(settings, index_url=url), "de", "en")
    assert package.pair == ("de", "en")
    assert tiny_archive.exists()  # a file:// source is copied, never moved


def test_pair_missing_from_index_lists_what_is_offered(settings: Settings, tmp_path: Path) -> None:
    url = write_index(tmp_path, [entry([], pair=("de", "en")), entry([], pair=("en", "fr"))])
    with pytest.raises(InputError, match="no fr→de package; it offers: de→en, en→fr"):
        install_from_index(replace(settings, index_url=url), "fr", "de")


def test_entry_without_links(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="no usable link"):
        download(IndexEntry("de", "en", "1.0", ()), tmp_path, TIMEOUT)


# --- failing fast ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dead", "silent"])
def test_unreachable_index_fails_fast(
    kind: str, dead_url: str, silent_url: str, settings: Settings
) -> None:
    url = dead_url if kind == "dead" else silent_url
    started = time.monotonic()
    with pytest.raises(IndexUnreachableError) as caught:
        install_from_index(replace(settings, index_url=url, network_timeout=TIMEOUT), "de", "en")
    assert time.monotonic() - started < 3 * TIMEOUT
    assert "--file PATH.argosmodel" in str(caught.value)
    assert leftovers(settings.packages_dir) == []


def test_hanging_name_lookup_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Socket timeouts do not cover DNS; the deadline thread does."""
    release = threading.Event()

    def hanging_urlopen(url: str, timeout: float) -> Any:
        release.wait(30)
        raise OSError("lookup finally failed")

    monkeypatch.setattr(index, "_urlopen", hanging_urlopen)
    started = time.monotonic()
    try:
        with pytest.raises(IndexUnreachableError, match=r"no answer within 0\.5 s"):
            fetch_index("https://index.invalid/index.json", 0.5)
    finally:
        release.set()
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("mode", ["stall", "truncate"])
def test_broken_download_leaves_no_partial_file(
    mode: str, server: LocalServer, tiny_archive: Path, tmp_path: Path
) -> None:
    server.files["/pkg"] = tiny_archive.read_bytes()
    server.modes["/pkg"] = mode
    started = time.monotonic()
    with pytest.raises(IndexUnreachableError, match="--file"):
        download(IndexEntry("de", "en", "1.0", (server.url("/pkg"),)), tmp_path / "dl", TIMEOUT)
    assert time.monotonic() - started < 3 * TIMEOUT
    assert leftovers(tmp_path / "dl") == []


# --- progress bar ---------------------------------------------------------------------------


@pytest.mark.parametrize(("force", "drawn"), [(True, True), (False, False)])
def test_progress_bar_only_on_a_terminal_unless_forced(
    capsys: pytest.CaptureFixture[str], force: bool, drawn: bool
) -> None:
    with progress_bar("downloading de→en", force=force) as progress:
        for done in (0, 512, 1024):
            progress(done, 1024)
    err = capsys.readouterr().err
    assert ("100%" in err and "downloading de→en" in err) is drawn
    assert drawn or err == ""
