"""Load: the service as `make run` serves it (`glossary serve`, waitress, a separate process)
with the tiny real model and a copy of terms/de-en.yaml, under 32 client threads for 20 s
mixing LibreTranslate /translate, the own /api/translate, finding terms (/api/translate with
mode "off": the report without enforcing) and term edits (read the ETag, add with If-Match,
re-read and retry on 412). Asserts no 5xx, no failed connection, no lost edit (every 201 is
in the YAML file afterwards); prints request counts and p50/p99 latency per kind."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from glossary.packages import InstalledPackage
from glossary.termload import load_glossary
from tests.conftest import REPO
from tests.workers import Reply, call, copy_terms, server_process

pytestmark = pytest.mark.slow  # minutes of processes and kills: `-m "not slow"` skips it

CLIENTS, DURATION, MAX_REQUESTS = 32, 20.0, 4000  # per client: bounded in time and count
KINDS = (("translate", 40), ("api_translate", 30), ("find", 25), ("edit", 5))
TEXTS = (
    "Der Kreml-Herrscher reist nach Pjöngjang.",
    "Waffen für Butter: Russland bekommt Munition, Nordkorea Devisen.",
    "Der Schulterschluss der beiden Diktatoren beunruhigt den Westen.",
    "Putin und Kim Jong Un unterzeichnen einen Partnerschaftsvertrag.",
)
EXPECTED = {
    "translate": {200},
    "api_translate": {200},
    "find": {200},
    "read": {200},
    "edit": {201, 412},
}


@dataclass
class Record:
    """What every client saw; appends to lists are atomic, so the threads share one."""

    replies: dict[str, list[Reply]] = field(default_factory=lambda: {k: [] for k in EXPECTED})
    failures: list[str] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)


def _translate(base: str, kind: str, text: str) -> Reply:
    if kind == "translate":
        body: dict[str, object] = {"q": text, "source": "de", "target": "en", "glossary": "de-en"}
        return call(base, "POST", "/translate", body)
    mode = "off" if kind == "find" else "constrain"
    body = {"text": text, "source": "de", "target": "en", "glossaries": ["de-en"], "mode": mode}
    return call(base, "POST", "/api/translate", body)


def _edit(base: str, record: Record, source: str, deadline: float, rng: random.Random) -> None:
    """Adds `source`; on 412 reads the new ETag and tries again after a jittered, growing
    pause, until it is acknowledged or the time is up (then it was never acknowledged)."""
    for attempt in range(50):
        read = call(base, "GET", "/api/glossaries/de-en")
        record.replies["read"].append(read)
        if read.status != 200:
            return
        reply = call(
            base,
            "POST",
            "/api/glossaries/de-en/terms",
            {"source": source, "target": f"load term {source[8:]}"},
            {"If-Match": f'"{read.etag}"'},
        )
        record.replies["edit"].append(reply)
        if reply.status == 201:
            record.acked.append(source)
        if reply.status != 412 or time.monotonic() >= deadline:
            return
        time.sleep(rng.uniform(0, min(1.0, 0.05 * 2**attempt)))


def _client(base: str, number: int, record: Record, deadline: float) -> None:
    rng = random.Random(number)
    kinds, weights = zip(*KINDS, strict=True)
    for n in range(MAX_REQUESTS):
        if time.monotonic() >= deadline:
            return
        kind = rng.choices(kinds, weights)[0]
        try:
            if kind == "edit":
                _edit(base, record, f"Lastwort{number}x{n}", deadline, rng)
            else:
                record.replies[kind].append(_translate(base, kind, rng.choice(TEXTS)))
        except OSError as exc:  # no reply at all: refused, reset or timed out
            record.failures.append(f"{kind}: {exc!r}")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _table(record: Record, elapsed: float) -> str:
    total = sum(map(len, record.replies.values()))
    lines = [
        f"load: {CLIENTS} clients for {elapsed:.1f} s, {total} requests "
        f"({total / elapsed:.0f}/s), "
        f"{len(record.acked)} edits acknowledged",
        f"  {'kind':<14}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}  statuses",
    ]
    for kind, replies in sorted(record.replies.items()):
        if not replies:
            continue
        seconds = [r.seconds * 1000 for r in replies]
        statuses = dict(sorted(Counter(r.status for r in replies).items()))
        lines.append(
            f"  {kind:<14}{len(replies):>7}{_percentile(seconds, 0.5):>9.0f}"
            f"{_percentile(seconds, 0.99):>9.0f}  {statuses}"
        )
    return "\n".join(lines)


def test_mixed_load_no_5xx_no_lost_edits(
    env: dict[str, str],
    installed: InstalledPackage,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = copy_terms(REPO / "terms" / "de-en.yaml", tmp_path / "terms")
    before = {t.source for t in load_glossary(path).terms}
    record = Record()
    with server_process(env, path.parent, tmp_path / "server.log") as base:
        started = time.monotonic()
        deadline = started + DURATION
        threads = [
            threading.Thread(target=_client, args=(base, i, record, deadline))
            for i in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=DURATION + 120)
        elapsed = time.monotonic() - started
        assert not any(thread.is_alive() for thread in threads)
    with capsys.disabled():
        print("\n" + _table(record, elapsed))

    assert not record.failures, record.failures[:5]
    assert "Traceback" not in (tmp_path / "server.log").read_text(errors="replace")
    server_errors = [r for replies in record.replies.values() for r in replies if r.status >= 500]
    assert not server_errors, [(r.status, r.body[:200]) for r in server_errors[:3]]
    for kind, replies in record.replies.items():
        wrong = [(r.status, r.body[:200]) for r in replies if r.status not in EXPECTED[kind]]
        assert not wrong, (kind, wrong[:3])
    after = {t.source for t in load_glossary(path).terms}
    assert record.acked and set(record.acked) <= after, "an acknowledged edit is missing"
    assert after == before | set(record.acked)
