"""Offline (issue 5): `glossary serve` as a real process, with every socket call that could
reach another host refused (a sitecustomize.py on PYTHONPATH), starts, translates through the
LibreTranslate and own APIs, edits a term and renders the page: zero blocked attempts."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

from glossary.packages import InstalledPackage
from glossary.term import Term
from glossary.termload import load_glossary
from glossary.termwrite import create_glossary

BLOCKER = textwrap.dedent(
    """
    import os, socket
    LOG = os.environ["OFFLINE_TEST_LOG"]
    LOCAL = {"127.0.0.1", "localhost", "::1", None, ""}
    open(LOG + ".loaded", "w").close()

    def _record(what, address):
        with open(LOG, "a") as log:
            log.write(f"{what} {address!r}\\n")
        raise OSError(f"network blocked by test: {what} {address!r}")

    def _host(address):
        return address[0] if isinstance(address, tuple) else address

    _getaddrinfo, _connect, _connect_ex = (socket.getaddrinfo, socket.socket.connect,
                                          socket.socket.connect_ex)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOCAL:
            _record("getaddrinfo", host)
        return _getaddrinfo(host, *args, **kwargs)

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and _host(address) not in LOCAL:
            _record("connect", address)
        return _connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and _host(address) not in LOCAL:
            _record("connect_ex", address)
        return _connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    """
)


DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy for 127.0.0.1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(
    url: str,
    body: dict[str, Any] | None = None,
    method: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with DIRECT.open(request, timeout=60) as reply:
        return reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read()


def test_service_works_with_the_network_blocked(
    env: dict[str, str], installed: InstalledPackage, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    terms = tmp_path / "terms"
    terms.mkdir()
    create_glossary(terms / "p.yaml", "P", "de", "en", [Term("Herrscher", "ruler")])
    log = tmp_path / "blocked.log"
    port = free_port()
    server_env = env | {
        "PYTHONPATH": str(site),
        "OFFLINE_TEST_LOG": str(log),
        "GLOSSARY_TERMS_DIR": str(terms),
        "GLOSSARY_SECRET_KEY": "t",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "glossary.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=server_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert server.stdout is not None
        for line in server.stdout:  # waitress says so once it has bound the port
            if b"Serving on" in line:
                break
        assert server.poll() is None, "the server exited"
        assert call(base + "/health")[0] == 200
        status, _h, body = call(
            base + "/translate", {"q": "Der Herrscher spricht.", "source": "de", "target": "en"}
        )
        assert status == 200 and json.loads(body)["terms"][0]["term"]["target"] == "ruler"
        status, _h, body = call(
            base + "/api/translate", {"text": "Der Herrscher.", "source": "de", "target": "en"}
        )
        assert status == 200 and json.loads(body)["glossaries"] == ["P"]
        _s, headers, _b = call(base + "/api/glossaries/p")
        status, _h, _b = call(
            base + "/api/glossaries/p/terms",
            {"source": "Kanzler", "target": "chancellor"},
            "POST",
            {"If-Match": headers["etag"]},
        )
        assert status == 201
        assert [t.source for t in load_glossary(terms / "p.yaml").terms] == ["Herrscher", "Kanzler"]
        status, _h, page = call(base + "/terms/p")
        assert status == 200 and b"Kanzler" in page
        status, _h, page = call(base + "/")
        assert status == 200 and b"<form" in page
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert (tmp_path / "blocked.log.loaded").exists(), "the blocker was not loaded"
    assert not log.exists(), log.read_text()
