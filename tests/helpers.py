"""Helpers shared by several test modules: the CLI in a real process, the app on a live port."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import waitress


def run_glossary(
    env: dict[str, str], *args: str, stdin: bytes = b"", timeout: float = 300
) -> subprocess.CompletedProcess[bytes]:
    """`glossary ARGS...` in a process of its own, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "glossary.cli", *args],
        input=stdin,
        env=env,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def live_server(app: Any, threads: int = 2) -> Iterator[str]:
    """Serves a WSGI app with waitress on 127.0.0.1 (a free port); yields its base URL."""
    wsgi: Any = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads)
    stop = threading.Event()

    def serve() -> None:
        # The loop runs here in small steps, and every socket is closed here too, after the
        # worker threads are done: closing them from the test thread races with select().
        while not stop.is_set():
            wsgi.asyncore.loop(timeout=0.05, map=wsgi._map, count=1)
        wsgi.task_dispatcher.shutdown(timeout=10)
        for channel in list(wsgi._map.values()):
            channel.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{wsgi.effective_port}"
    finally:
        stop.set()
        thread.join(timeout=15)
