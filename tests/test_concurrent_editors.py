"""Concurrent editors: 8 processes make 50 edits each to one glossary at the same time, four
through the HTTP API of a live `glossary serve` process, four through the `glossary terms`
command line (its `main()`, called in the editor's own process: an interpreter start per edit
would add a minute; the final stale edit goes through a real `glossary` process). Every editor
names the revision it read; a stale one is refused (412 / exit 3) and the editor re-reads and
tries again after a jittered pause.

Checked: every acknowledged edit is in the file, because the acknowledged edits form one
chain of revisions (each written on top of the one before, no two on the same revision) that
ends at the file's revision, and each editor's last value is there; conflicts were refused;
a watcher re-reading the file throughout never found it anything but a valid glossary."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from glossary.errors import GlossaryError
from glossary.term import Term
from glossary.termload import load_glossary, parse_glossary, revision_of
from glossary.termwrite import create_glossary
from tests.helpers import run_glossary
from tests.workers import call, process_env, server_process

pytestmark = pytest.mark.slow  # minutes of processes and kills: `-m "not slow"` skips it

EDITORS, EDITS = 8, 50


class Watcher(threading.Thread):
    """Re-reads the file until stopped; parses every version it has not seen before (a version
    that parsed once always will) and records every failure."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.stop = path, threading.Event()
        self.reads, self.failures = 0, list[str]()
        self.versions: set[str] = set()

    def run(self) -> None:
        while not self.stop.is_set():
            data = self.path.read_bytes()
            self.reads += 1
            revision = revision_of(data)
            if revision not in self.versions:
                self.versions.add(revision)
                try:
                    parse_glossary(data, str(self.path))
                except GlossaryError as exc:
                    self.failures.append(f"{exc}\n{data[-200:]!r}")
            time.sleep(0.001)


def _start(env: dict[str, str], role: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.workers", role, *args],
        env=process_env(env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _run_editors(env: dict[str, str], base: str, path: Path) -> list[dict[str, Any]]:
    editors = [
        _start(env, "api-editor", base, path.stem, str(i), str(EDITS))
        if i % 2 == 0
        else _start(env, "cli-editor", str(path), str(i), str(EDITS))
        for i in range(EDITORS)
    ]
    for editor in editors:  # all started and imported: then go at once
        assert editor.stdout is not None
        assert editor.stdout.readline() == b"ready\n"
    for editor in editors:
        assert editor.stdin is not None
        editor.stdin.write(b"go\n")
        editor.stdin.flush()
    logs = []
    for editor in editors:
        out, err = editor.communicate(timeout=120)
        assert editor.returncode == 0, err.decode()
        logs.append(json.loads(out.decode().splitlines()[-1]))
    return logs


def _assert_one_chain(start: str, acked: list[tuple[str, str, str]], final: str) -> None:
    after = {base: new for base, new, _ in acked}
    assert len(after) == len(acked), "two acknowledged edits were made on the same revision"
    revision = start
    for _ in acked:
        revision = after[revision]
    assert revision == final, "the acknowledged edits do not lead to the file's revision"


def test_eight_editors_api_and_cli(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    terms = tmp_path / "terms"
    terms.mkdir()
    path = terms / "shared.yaml"
    start = create_glossary(
        path, "Shared", "de", "en", [Term("Herrscher", "ruler"), Term("Bündnis", "alliance")]
    ).revision
    watcher = Watcher(path)
    with server_process(env, terms, tmp_path / "server.log") as base:
        watcher.start()
        began = time.monotonic()
        logs = _run_editors(env, base, path)
        elapsed = time.monotonic() - began
        watcher.stop.set()
        watcher.join(timeout=10)
        stale = call(
            base,
            "POST",
            "/api/glossaries/shared/terms",
            {"source": "Spät", "target": "late"},
            {"If-Match": f'"{start}"'},
        )
    assert stale.status == 412, stale.body
    cli = run_glossary(
        env,
        "terms",
        "add",
        "--glossary",
        str(path),
        "--source",
        "Spät",
        "--target",
        "late",
        "--revision",
        start,
        timeout=60,
    )
    assert cli.returncode == 3, cli.stderr

    assert not watcher.failures, watcher.failures[:3]
    assert "Traceback" not in (tmp_path / "server.log").read_text(errors="replace")
    acked = [tuple(edit) for log in logs for edit in log["acked"]]
    assert len(acked) == EDITORS * EDITS
    final = load_glossary(path)
    _assert_one_chain(start, acked, final.revision)  # type: ignore[arg-type]
    targets = {t.source: t.target for t in final.terms}
    for i in range(EDITORS):
        assert targets[f"Editor{i}"] == f"editor {i} v{EDITS - 1}"
    assert "Spät" not in targets
    conflicts = [log["conflicts"] for log in logs]
    assert sum(conflicts) > 0  # eight editors at once: stale revisions are certain
    with capsys.disabled():
        print(
            f"\nconcurrent editors: {EDITORS} processes x {EDITS} edits in {elapsed:.1f} s "
            f"({len(acked) / elapsed:.0f} acknowledged edits/s); conflicts refused "
            f"{sum(conflicts[0::2])} via API (412), {sum(conflicts[1::2])} via CLI (exit 3); "
            f"watcher read the file {watcher.reads} times, parsed {len(watcher.versions)} "
            "versions, 0 invalid"
        )
