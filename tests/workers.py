"""Real processes for the load, concurrency, crash and reload tests: the server as `make run`
starts it, a small HTTP client, and the editor and writer loops those tests run in processes
of their own (`python -m tests.workers ROLE ...`)."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import random
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


# --- the server in a process of its own ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_env(env: Mapping[str, str], **extra: str) -> dict[str, str]:
    """The test's isolated environment, able to import this repository's `tests` package."""
    return {**env, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **extra}


@contextlib.contextmanager
def server_process(env: Mapping[str, str], terms_dir: Path, log: Path) -> Iterator[str]:
    """`glossary serve` on a free port of 127.0.0.1 with GLOSSARY_TERMS_DIR=`terms_dir`, as
    `make run` starts it; yields its base URL once /health answers. Output goes to `log`."""
    port = free_port()
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
            env=process_env(env, GLOSSARY_TERMS_DIR=str(terms_dir)),
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc, log)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            if call(base, "GET", "/health", timeout=2).status == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server not healthy after 60 s:\n{log.read_text()}")


def copy_terms(source: Path, directory: Path) -> Path:
    """A fresh terms directory holding a copy of `source`; returns the copy's path."""
    directory.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(source, directory / source.name))


# --- a small HTTP client (one connection a request, like most API clients) ---------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def etag(self) -> str:
        return self.headers.get("etag", "").strip('"')


def call(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> Reply:
    """One request; raises OSError (timeouts included) when no reply comes."""
    host, port = base.removeprefix("http://").split(":")
    data = None if body is None else json.dumps(body).encode("utf-8")
    sent = {"Content-Type": "application/json"} if data is not None else {}
    sent.update(headers or {})
    start = time.perf_counter()
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        payload = response.read()
    finally:
        conn.close()
    elapsed = time.perf_counter() - start
    found = {k.lower(): v for k, v in response.getheaders()}
    return Reply(response.status, found, payload, elapsed)


# --- editors: each makes `count` edits to its own term, retrying on conflicts ------------


@dataclass
class EditLog:
    """What one editor saw: (revision edited, revision written, target) per acknowledged edit."""

    acked: list[tuple[str, str, str]] = field(default_factory=list)
    conflicts: int = 0

    def dump(self) -> str:
        return json.dumps({"acked": self.acked, "conflicts": self.conflicts})


def _back_off(rng: random.Random, attempt: int) -> None:
    """Exponential back-off with jitter after a conflict, as a well-behaved client does: on
    two cores, eight editors retrying at once mostly starve the one holding the lock."""
    time.sleep(rng.uniform(0, 0.01 * 2 ** min(attempt, 5)))


def _await_go() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


def api_editor(base: str, name: str, editor: int, count: int) -> EditLog:
    """Adds the term `Editor<n>`, then updates its target count-1 times, all through the API,
    always naming the revision just read (If-Match); a 412 means re-read and try again."""
    log, source, rng = EditLog(), f"Editor{editor}", random.Random(editor)
    for k in range(count):
        target = f"editor {editor} v{k}"
        for attempt in range(1_000):
            revision = call(base, "GET", f"/api/glossaries/{name}").etag
            body, headers = {"source": source, "target": target}, {"If-Match": f'"{revision}"'}
            if k == 0:
                reply = call(base, "POST", f"/api/glossaries/{name}/terms", body, headers)
            else:
                reply = call(base, "PUT", f"/api/glossaries/{name}/terms/{source}", body, headers)
            if reply.status in (200, 201):
                log.acked.append((revision, reply.etag, target))
                break
            if reply.status != 412:
                raise RuntimeError(f"edit refused with {reply.status}: {reply.body!r}")
            log.conflicts += 1
            _back_off(rng, attempt)
        else:
            raise RuntimeError(f"edit {k} still conflicting after 1000 attempts")
    return log


_WROTE = re.compile(r"revision ([0-9a-f]{64})")


def cli_editor(path: Path, editor: int, count: int) -> EditLog:
    """The same edits through the `glossary terms add/update --revision R` command line, run
    in this process (an interpreter start per edit would make 200 edits take a minute); exit
    status 3 means conflict: re-read the revision and try again."""
    from glossary.cli import main
    from glossary.termload import revision_of

    log, source, rng = EditLog(), f"Editor{editor}", random.Random(editor)
    for k in range(count):
        target = f"editor {editor} v{k}"
        action = "add" if k == 0 else "update"
        for attempt in range(1_000):
            revision = revision_of(path.read_bytes())
            stderr = io.StringIO()
            with contextlib.redirect_stderr(stderr):
                code = main(
                    [
                        "terms",
                        action,
                        "--glossary",
                        str(path),
                        "--source",
                        source,
                        "--target",
                        target,
                        "--revision",
                        revision,
                    ]
                )
            if code == 0:
                written = _WROTE.search(stderr.getvalue())
                assert written, stderr.getvalue()
                log.acked.append((revision, written.group(1), target))
                break
            if code != 3:
                raise RuntimeError(f"exit {code}: {stderr.getvalue()}")
            log.conflicts += 1
            _back_off(rng, attempt)
        else:
            raise RuntimeError(f"edit {k} still conflicting after 1000 attempts")
    return log


# --- the crash-safety writer ----------------------------------------------------------------


def _say(word: str, revision: str) -> None:
    # One write per line: print() writes its parts separately, and a kill between them
    # would leave a line without its revision.
    sys.stdout.write(f"{word} {revision}\n")
    sys.stdout.flush()


def crash_writer(path: Path, scratch: Path, seed: int) -> None:
    """Edits `path` in a loop until killed. Before each edit it makes the same edit to a copy
    in `scratch` and prints `next <revision>` (the version about to be written), after it
    `done <revision>`; `start <revision>` first. Deterministic edits make both copies equal."""
    from glossary.term import Term
    from glossary.termedit import add_term, update_term
    from glossary.termload import load_glossary, revision_of

    rng = random.Random(seed)
    _say("start", revision_of(path.read_bytes()))
    for step in range(1_000_000):
        current = load_glossary(path)
        own = [t.source for t in current.terms if t.source.startswith("Wort")]
        copy = Path(shutil.copy(path, scratch / path.name))
        if len(own) < 12:
            term = Term(f"Wort{seed}x{step}", f"word {seed} {step}")
            expected = add_term(copy, term, revision=current.revision).revision
            _say("next", expected)
            written = add_term(path, term, revision=current.revision).revision
        else:
            old = rng.choice(own)
            term = Term(old, f"word {seed} {step} updated")
            expected = update_term(copy, old, term, revision=current.revision).revision
            _say("next", expected)
            written = update_term(path, old, term, revision=current.revision).revision
        if written != expected:
            _say("mismatch", written)
            sys.exit(1)
        _say("done", written)


def main(argv: list[str]) -> int:
    role, *args = argv
    if role == "crash-writer":
        crash_writer(Path(args[0]), Path(args[1]), int(args[2]))
        return 0
    if role == "api-editor":
        _await_go()
        print(api_editor(args[0], args[1], int(args[2]), int(args[3])).dump(), flush=True)
        return 0
    if role == "cli-editor":
        _await_go()
        print(cli_editor(Path(args[0]), int(args[1]), int(args[2])).dump(), flush=True)
        return 0
    raise SystemExit(f"unknown role {role!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
