"""Crash safety: a writer editing a glossary (add and update through glossary.termedit) is
killed with SIGKILL at random moments, 100 times. After every kill the file is exactly the
last version the writer finished or the one it was writing (by revision, i.e. byte for byte),
parses, and the directory still holds exactly one glossary: temp files a killed writer leaves
behind are invisible to the loader."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from glossary.store import GlossaryStore
from glossary.term import Term
from glossary.termload import parse_glossary, revision_of
from glossary.termwrite import create_glossary
from tests.workers import process_env

pytestmark = pytest.mark.slow  # minutes of processes and kills: `-m "not slow"` skips it

KILLS = 100
SEED = 20240619


def _kill_once(
    env: dict[str, str], path: Path, scratch: Path, seed: int, delay: float
) -> tuple[set[str], str, list[str]]:
    """Runs the writer, kills it `delay` s after it started editing; returns the revisions it
    may have left (last finished, and the one in progress), the file's revision, its lines."""
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.workers", "crash-writer", str(path), str(scratch), str(seed)],
        env=process_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert writer.stdout is not None
    first = writer.stdout.readline().decode()
    time.sleep(delay)
    writer.send_signal(signal.SIGKILL)
    rest, errors = writer.communicate(timeout=30)
    assert writer.returncode == -signal.SIGKILL, errors.decode()
    output = rest.decode()
    lines = [first.strip(), *output.splitlines()]
    if output and not output.endswith("\n"):
        lines.pop()  # killed in the middle of writing this line
    assert lines[0].startswith("start "), errors.decode()
    assert not any(line.startswith("mismatch") for line in lines), lines
    finished = [line.split()[1] for line in lines if line.startswith(("start ", "done "))]
    allowed = {finished[-1]}
    if lines[-1].startswith("next "):  # killed between announcing a version and finishing it
        allowed.add(lines[-1].split()[1])
    return allowed, revision_of(path.read_bytes()), lines


def test_sigkill_leaves_old_or_new_version(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    terms, scratch = tmp_path / "terms", tmp_path / "scratch"
    terms.mkdir()
    scratch.mkdir()
    path = terms / "crash.yaml"
    create_glossary(path, "Crash", "de", "en", [Term("Herrscher", "ruler")])
    rng = random.Random(SEED)
    mid_edit = at_new = edits = 0
    started = time.monotonic()
    for kill in range(KILLS):
        allowed, found, lines = _kill_once(env, path, scratch, kill, rng.uniform(0.0, 0.15))
        assert found in allowed, f"kill {kill}: file at {found}, expected one of {allowed}"
        parse_glossary(path.read_bytes(), str(path))  # complete and valid, never truncated
        edits += sum(line.startswith("done ") for line in lines)
        if lines[-1].startswith("next "):  # killed while writing the real file
            mid_edit += 1
            at_new += found == lines[-1].split()[1]
    elapsed = time.monotonic() - started
    store = GlossaryStore(terms)
    assert store.names() == ["crash"]
    assert [g.path for g in store.list()] == [str(path)] and not store.errors
    leftovers = sorted(
        p.name for p in terms.iterdir() if p.name not in ("crash.yaml", ".crash.yaml.lock")
    )
    with capsys.disabled():
        print(
            f"\ncrash safety: {KILLS} SIGKILLs in {elapsed:.1f} s, {edits} edits finished, "
            f"{mid_edit} kills inside an edit ({at_new} of them after the rename: new "
            f"version), {len(leftovers)} stray temp files (ignored by the loader)"
        )
