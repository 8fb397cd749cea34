"""Request bodies are held to the app's limit while they stream in (issue 11): `glossary serve`
(waitress) in a process of its own, TMPDIR pointed at an empty folder, bodies sent through a
raw socket. A chunked body has no Content-Length to refuse it by; by default waitress took
up to 1 GB of it, spooling everything past 512 KB to a temporary file, before the app's 413.

Waitress's temporary files are unlinked at once (O_TMPFILE), so the folder alone always looks
empty: the size of the server's open files in that folder is measured too."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from glossary.config import Settings
from glossary.packages import InstalledPackage
from tests.workers import free_port, process_env
from web.app import create_app
from web.serve import body_limits

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="reads the server's open files in /proc"
)
OVERSIZE = 32 * 1024 * 1024  # far past the limit and past what socket buffers hold
PIECE = 64 * 1024
QUERY = {"q": "Der Herrscher spricht.", "source": "de", "target": "en"}


@dataclass
class Server:
    port: int
    pid: int
    spool: Path  # the server's TMPDIR
    limit: int  # the app's MAX_CONTENT_LENGTH
    streaming: int  # what waitress takes of any body: the document upload limit (web/serve.py)

    def spooled(self) -> int:
        """Bytes in files under the spool folder: named ones and ones the server holds open."""
        seen: dict[tuple[int, int], int] = {}
        candidates = [*self.spool.rglob("*"), *Path(f"/proc/{self.pid}/fd").iterdir()]
        for path in candidates:
            try:
                if not os.path.realpath(path).startswith(str(self.spool)):
                    continue
                stat = os.stat(path)
            except OSError:
                continue  # closed or removed since the listing
            if os.path.isfile(path):
                seen[(stat.st_dev, stat.st_ino)] = stat.st_size
        return sum(seen.values())


@pytest.fixture
def server(
    env: dict[str, str],
    settings: Settings,
    installed: InstalledPackage,
    terms_dir: Path,
    tmp_path: Path,
) -> Iterator[Server]:
    spool = tmp_path / "spool"
    spool.mkdir()
    port = free_port()
    log = tmp_path / "server.log"
    command = [
        sys.executable,
        "-m",
        "glossary.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            env=process_env(env, GLOSSARY_TERMS_DIR=str(terms_dir), TMPDIR=str(spool)),
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_listening(port, proc, log)
        app = create_app(settings)
        limit = int(app.config["MAX_CONTENT_LENGTH"])  # the one source
        streaming = body_limits(app)["max_request_body_size"]
        yield Server(port, proc.pid, spool, limit, streaming)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"server not listening after 60 s:\n{log.read_text()}")


@dataclass
class Upload:
    reply: bytes
    sent: int  # body bytes the server took before it answered or hung up
    spooled: int  # the most bytes seen in the server's temporary files meanwhile
    seconds: float

    @property
    def status(self) -> int:
        return int(self.reply.split(b" ", 2)[1]) if self.reply.startswith(b"HTTP/") else 0

    def json(self) -> object:
        return json.loads(self.reply.partition(b"\r\n\r\n")[2])


def upload(server: Server, path: str, headers: str, pieces: Iterator[bytes]) -> Upload:
    """Sends the request piece by piece, measuring the spool folder after each, until the
    server answers, hangs up or 30 s pass; then reads the reply (the server closes after)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    reply = bytearray()

    def read() -> None:
        try:
            while data := sock.recv(65536):
                reply.extend(data)
        except OSError:
            pass  # a reset after the reply: what came is in `reply`

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    sent, spooled, start = 0, 0, time.monotonic()
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\r\n"
    try:
        sock.sendall(head.encode("ascii"))
        for piece in pieces:
            if reply or time.monotonic() - start > 30:
                break
            sock.sendall(piece)
            sent += len(piece)
            spooled = max(spooled, server.spooled())
    except OSError:
        pass  # the server hung up on the rest of the body
    reader.join(timeout=15)
    spooled = max(spooled, server.spooled())
    sock.close()
    return Upload(bytes(reply), sent, spooled, time.monotonic() - start)


def chunked(body: bytes, size: int = PIECE) -> Iterator[bytes]:
    for at in range(0, len(body), size):
        piece = body[at : at + size]
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
    yield b"0\r\n\r\n"


def endless_chunks(total: int) -> Iterator[bytes]:
    piece = b"%x\r\n%s\r\n" % (PIECE, b" " * PIECE)
    for _ in range(total // PIECE):
        yield piece
    yield b"0\r\n\r\n"


def pieces_of(body: bytes) -> Iterator[bytes]:
    return (body[at : at + PIECE] for at in range(0, len(body), PIECE))


def padded_query(size: int) -> bytes:
    """A valid /translate body of exactly `size` bytes (JSON allows trailing whitespace)."""
    body = json.dumps(QUERY).encode()
    return body + b" " * (size - len(body))


CHUNKED = "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"


@pytest.mark.parametrize("path", ["/translate", "/v2/glossaries"])
def test_a_chunked_body_over_the_limit_is_refused_while_it_streams(
    server: Server, path: str
) -> None:
    # Waitress reads a whole body before the app sees it, so one limit holds for every route
    # while a body streams: the largest, a document upload's; past it, nothing more is taken.
    oversize = max(OVERSIZE, 3 * server.streaming)
    sent = upload(server, path, CHUNKED, endless_chunks(oversize))
    assert sent.status == 413, sent.reply[:300]
    assert sent.seconds < 10
    # The server stopped taking the body soon after the limit: the rest was never sent.
    assert sent.sent < oversize // 2
    assert sent.spooled <= server.limit
    assert sent.spooled == 0  # nothing of any request body reached the disk at all


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    server: Server,
) -> None:
    headers = f"Content-Type: application/json\r\nContent-Length: {OVERSIZE}\r\n"
    sent = upload(server, "/translate", headers, pieces_of(b" " * OVERSIZE))
    assert sent.status == 413, sent.reply[:300]
    assert sent.sent < OVERSIZE // 2
    assert sent.spooled == 0


def test_a_body_of_exactly_the_limit_is_translated_without_touching_the_disk(
    server: Server,
) -> None:
    body = padded_query(server.limit)
    headers = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    sent = upload(server, "/translate", headers, pieces_of(body))
    assert sent.status == 200, sent.reply[:300]
    assert sent.sent == server.limit
    result = sent.json()
    assert isinstance(result, dict) and result["translatedText"]
    # Waitress's default spooled every body past 512 KB; the limit is 864 KB.
    assert server.limit > 512 * 1024
    assert sent.spooled == 0


def test_one_byte_over_the_limit_is_refused(server: Server) -> None:
    body = padded_query(server.limit + 1)
    headers = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    assert upload(server, "/translate", headers, pieces_of(body)).status == 413


@pytest.mark.parametrize("path", ["/translate", "/v2/glossaries"])
def test_a_chunked_text_request_over_the_apps_limit_is_refused(server: Server, path: str) -> None:
    """Under the upload limit waitress takes it, but only document uploads may be that large:
    Flask refuses a text request one byte past MAX_CONTENT_LENGTH."""
    assert server.streaming > server.limit + 1
    sent = upload(server, path, CHUNKED, chunked(padded_query(server.limit + 1), PIECE))
    assert sent.status == 413, sent.reply[:300]
    assert sent.spooled == 0


def test_a_small_chunked_request_is_translated(server: Server) -> None:
    sent = upload(server, "/translate", CHUNKED, chunked(json.dumps(QUERY).encode(), 7))
    assert sent.status == 200, sent.reply[:300]
    result = sent.json()
    assert isinstance(result, dict) and result["translatedText"]
