"""Serving under load (issue 12): a real `glossary serve` with the small trained de→en package
(shared/models, or $GLOSSARY_TEST_MODEL, or --model), driven over HTTP.

Levels: 1 (the same requests sent one at a time), 8 and 32 concurrent clients, each for a fixed
time (--seconds, default 20) and at most --max-requests requests. Every client is a thread
with its own keep-alive connection that sends POST /api/translate ({"text", "source": "de",
"target": "en"}) and waits for the reply before sending the next. The mix, drawn from the
dev sets the model never saw (shared/eval-dev, one sentence a line), with a seeded generator
per client: half one sentence, three tenths one paragraph of 3–5 sentences, one fifth three
paragraphs of 4 sentences. After a 429 a client waits as Retry-After says (1 s without it, at
most 10 s, never past the level's end).

Throughput counts the `sentences` of the 200 replies over the time from the level's start to
its last reply (requests sent before the deadline are waited for). Latency percentiles are
nearest-rank. Meanwhile a probe thread sends GET /health on a fresh connection every 200 ms
(one at a time: a probe that waits 30 s is one sample; one still unanswered when the probing
ends counts with its wait so far, shown as "≥"). Client timeouts (--timeout, default 120 s)
bound every wait; between levels the bench waits until the server's CPU is idle again.

Gone clients: K clients (--gone, default 4) each send a large text (--gone-chars characters
of dev sentences, as paragraphs), close their sockets after 2 s, and the server process's CPU
time (user + system, psutil or /proc/PID/stat) is read over the next --gone-window seconds
(default 20); "busy for" is how long after the hang-up it still used more than a tenth of a
core, /health is probed as above. This runs last, so the work it leaves does not disturb the
levels; the server is then stopped.

The server gets a fresh package directory, state folder and XDG folders in a temporary
directory and the repository's terms/; ARGOS_* threads settings are passed through from the
environment (the title shows them). "Other load" is the cores other processes used meanwhile
(/proc/stat less the server and the bench): anything above ~0.1 skews the row.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import print_table
from glossary.packages import install_from_file

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEFAULT_MODEL = Path(
    os.environ.get("GLOSSARY_TEST_MODEL")
    or SHARED / "models" / "translate-de_en-trained_small-0_1.argosmodel"
)
DEV_SETS = (SHARED / "eval-dev" / "m30k_val.de", SHARED / "eval-dev" / "tatoeba_valid.de")
HOST = "127.0.0.1"
PROBE_EVERY = 0.2
ONE = "1 sentence"
KINDS = ((0.5, ONE), (0.8, "1 paragraph"), (1.0, "3 paragraphs"))


# -- requests ------------------------------------------------------------------------------


def sentence_pool() -> list[str]:
    lines = []
    for path in DEV_SETS:
        lines += [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]


def paragraph(rng: random.Random, pool: Sequence[str], count: int) -> str:
    return " ".join(rng.choice(pool) for _ in range(count))


def make_request(rng: random.Random, pool: Sequence[str]) -> tuple[str, str]:
    """(kind, text): one sentence, one paragraph of 3–5 sentences, or three paragraphs."""
    draw = rng.random()
    kind = next(k for bound, k in KINDS if draw < bound)
    if kind == ONE:
        return kind, rng.choice(pool)
    if kind == "1 paragraph":
        return kind, paragraph(rng, pool, rng.randint(3, 5))
    return kind, "\n\n".join(paragraph(rng, pool, 4) for _ in range(3))


def large_text(rng: random.Random, pool: Sequence[str], chars: int) -> str:
    parts: list[str] = []
    while sum(len(p) + 2 for p in parts) < chars:
        parts.append(paragraph(rng, pool, 4))
    return "\n\n".join(parts)


def translate_body(text: str) -> bytes:
    return json.dumps({"text": text, "source": "de", "target": "en"}).encode()


# -- the server ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads."""
    try:
        import psutil  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        # Fields after the command name (which may hold spaces or parentheses): utime and stime
        # are the 14th and 15th fields of the line, the 12th and 13th after the ")".
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def system_busy() -> float | None:
    """CPU seconds the whole machine has spent busy (all cores), or None without /proc/stat."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    # cpu user nice system idle iowait irq softirq steal ...
    busy = sum(int(v) for i, v in enumerate(first[1:9]) if i not in (3, 4))
    return busy / os.sysconf("SC_CLK_TCK")


class Load:
    """Cores used by other processes (not the server, not this bench) while it is running:
    other work on the machine skews every number in the table."""

    def __init__(self, server_pid: int) -> None:
        self.pid = server_pid
        self.start = self._read()

    def _read(self) -> tuple[float | None, float, float, float]:
        return (system_busy(), cpu_seconds(self.pid), time.process_time(), time.perf_counter())

    def cores(self) -> float | None:
        end = self._read()
        if end[0] is None or self.start[0] is None:
            return None
        other = (end[0] - self.start[0]) - (end[1] - self.start[1]) - (end[2] - self.start[2])
        return max(0.0, other) / (end[3] - self.start[3])


class Server:
    """`glossary serve` in a subprocess on a free port, with its own folders under `work`."""

    def __init__(self, model: Path, work: Path) -> None:
        packages = work / "packages"
        install_from_file(packages, model)
        self.port = _free_port()
        self.log = work / "server.log"
        env = {
            **os.environ,
            "ARGOS_PACKAGES_DIR": str(packages),
            "GLOSSARY_TERMS_DIR": str(REPO / "terms"),
            "GLOSSARY_STATE_DIR": str(work / "state"),
            "XDG_CONFIG_HOME": str(work / "config"),
            "XDG_DATA_HOME": str(work / "data"),
            "XDG_CACHE_HOME": str(work / "cache"),
        }
        env.pop("GLOSSARY_API_KEYS", None)
        env.pop("GLOSSARY_KEYS_FOR_TRANSLATE", None)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "glossary.cli",
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(self.port),
                ],
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.pid = self.process.pid

    def wait_ready(self, limit: float = 60) -> float:
        start = time.perf_counter()
        while time.perf_counter() - start < limit:
            if self.process.poll() is not None:
                break
            try:
                if get_health(self.port, 1) == 200:
                    return time.perf_counter() - start
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(
            f"the server did not answer /health within {limit:.0f} s:\n"
            + self.log.read_text(errors="replace")[-3000:]
        )

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def wait_idle(self, limit: float = 60, step: float = 0.5, quiet: float = 0.05) -> float:
        """Seconds until one `step` passes with under `quiet` of it spent on the CPU."""
        start = time.perf_counter()
        while time.perf_counter() - start < limit:
            before = self.cpu()
            time.sleep(step)
            if self.cpu() - before < quiet * step:
                break
        return time.perf_counter() - start

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


# -- clients -------------------------------------------------------------------------------


def get_health(port: int, timeout: float) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", "/health")
        reply = conn.getresponse()
        reply.read()
        return reply.status
    finally:
        conn.close()


@dataclass
class Outcome:
    kind: str
    seconds: float
    finished: float  # perf_counter() at the reply
    status: str  # "200", "429", "503", ..., "timeout", or the name of a connection error
    sentences: int = 0


@dataclass
class Budget:
    """A hard cap on the requests of one level, shared by its clients."""

    left: int
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def retry_after(header: str | None) -> float:
    """Seconds a 429's Retry-After asks for (1 when it is missing or a date), at most 10."""
    try:
        return min(10.0, max(0.0, float(header or 1)))
    except ValueError:
        return 1.0


def client(
    port: int,
    seed: str,
    pool: Sequence[str],
    deadline: float,
    budget: Budget,
    timeout: float,
    out: list[Outcome],
) -> None:
    rng = random.Random(seed)
    conn: http.client.HTTPConnection | None = None
    headers = {"Content-Type": "application/json"}
    while time.perf_counter() < deadline and budget.take():
        kind, text = make_request(rng, pool)
        start = time.perf_counter()
        sentences, status, backoff = 0, "connection", 0.0
        try:
            if conn is None:
                conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
            conn.request("POST", "/api/translate", translate_body(text), headers)
            reply = conn.getresponse()
            data = reply.read()
            status = str(reply.status)
            if reply.status == 200:
                sentences = len(json.loads(data)["sentences"])
            elif reply.status == 429:
                backoff = retry_after(reply.getheader("Retry-After"))
            if reply.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as exc:
            status = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
            if conn is not None:
                conn.close()
                conn = None
        now = time.perf_counter()
        out.append(Outcome(kind, now - start, now, status, sentences))
        if backoff:  # as a polite client does after a 429, but not past the level's end
            time.sleep(max(0.0, min(backoff, deadline - time.perf_counter())))
    if conn is not None:
        conn.close()


def probe(
    port: int,
    stop: threading.Event,
    timeout: float,
    out: list[tuple[float, str]],
    current: list[float],
) -> None:
    """GET /health every PROBE_EVERY seconds, one at a time: (seconds, status) each; `current`
    holds the start of the probe in flight."""
    while not stop.is_set():
        start = current[0] = time.perf_counter()
        try:
            status = str(get_health(port, timeout))
        except TimeoutError:
            status = "timeout"
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
        seconds = time.perf_counter() - start
        current[0] = 0.0
        out.append((seconds, status))
        stop.wait(max(0.0, PROBE_EVERY - seconds))


class Prober:
    """The probe in a thread. On exit a probe still unanswered after `grace` seconds is recorded
    as "pending" with its wait so far (a lower bound), and left to the daemon thread."""

    def __init__(self, port: int, timeout: float, grace: float | None = None) -> None:
        self.live: list[tuple[float, str]] = []
        self.samples: list[tuple[float, str]] = []  # filled on exit
        self.grace = grace
        self.current = [0.0]
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=probe,
            daemon=True,
            args=(port, self.stop_event, timeout, self.live, self.current),
        )

    def __enter__(self) -> Prober:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join(self.grace)
        # A copy: a probe left pending ends later (at the latest when the server stops) and
        # must not be counted again then.
        self.samples = list(self.live)
        started = self.current[0]
        if self.thread.is_alive() and started:
            self.samples.append((time.perf_counter() - started, "pending"))


# -- statistics ----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def fmt(value: float | None, scale: float = 1.0, digits: int = 2) -> str:
    return "-" if value is None else f"{value * scale:.{digits}f}"


def health_ms(samples: Sequence[tuple[float, str]], p: float) -> str:
    """The percentile of answered probes and of those still pending (their wait so far, so
    "≥"), then the failed ones by status (HTTP status, "timeout" or a connection error)."""
    waits = [(s, status) for s, status in samples if status in ("200", "pending")]
    value = percentile([s for s, _ in waits], p)
    pending = value is not None and any(st == "pending" and s <= value for s, st in waits)
    failed = Counter(status for _, status in samples if status not in ("200", "pending"))
    text = ("≥ " if pending else "") + fmt(value, 1000, 0)
    return text + "".join(f" (+{n} {status})" for status, n in sorted(failed.items()))


@dataclass
class Level:
    clients: int
    outcomes: list[Outcome]
    seconds: float
    health: list[tuple[float, str]]
    other_cores: float | None

    @property
    def sentences(self) -> int:
        return sum(o.sentences for o in self.outcomes)

    @property
    def rate(self) -> float:
        return self.sentences / self.seconds if self.seconds else 0.0

    def one_sentence(self, p: float) -> float | None:
        return percentile(
            [o.seconds for o in self.outcomes if o.kind == ONE and o.status == "200"], p
        )

    def health_ms(self, p: float) -> str:
        return health_ms(self.health, p)

    def statuses(self) -> Counter[str]:
        return Counter(o.status for o in self.outcomes)


def run_level(
    server: Server, clients: int, pool: Sequence[str], seconds: float, cap: int, timeout: float
) -> Level:
    outcomes: list[Outcome] = []
    budget = Budget(cap)
    load = Load(server.pid)
    with Prober(server.port, timeout) as prober:
        start = time.perf_counter()
        deadline = start + seconds
        threads = [
            threading.Thread(
                target=client,
                daemon=True,
                args=(server.port, f"{clients}-{i}", pool, deadline, budget, timeout, outcomes),
            )
            for i in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        end = max([o.finished for o in outcomes], default=time.perf_counter())
    return Level(clients, outcomes, end - start, prober.samples, load.cores())


@dataclass
class Gone:
    clients: int
    chars: int
    sentences: int
    cpu_connected: float
    cpu_after: float
    busy_for: float | None  # None: still busy at the end of the window
    window: float
    health: list[tuple[float, str]]
    other_cores: float | None


def gone_clients(
    server: Server,
    pool: Sequence[str],
    clients: int,
    chars: int,
    hold: float,
    window: float,
    timeout: float,
) -> Gone:
    rng = random.Random("gone")
    texts = [large_text(rng, pool, chars) for _ in range(clients)]
    sentences = sum(text.count("\n\n") + 1 for text in texts) * 4  # paragraphs of 4
    sockets = []
    load = Load(server.pid)
    with Prober(server.port, timeout, grace=1.0) as prober:
        cpu_start = server.cpu()
        for text in texts:
            body = translate_body(text)
            head = (
                f"POST /api/translate HTTP/1.1\r\nHost: {HOST}:{server.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
            sock = socket.create_connection((HOST, server.port), timeout=timeout)
            sock.sendall(head + body)
            sockets.append(sock)
        time.sleep(hold)
        for sock in sockets:
            sock.close()
        closed_at = time.perf_counter()
        cpu_closed = server.cpu()
        busy_for: float | None = 0.0
        last = cpu_closed
        while (now := time.perf_counter()) - closed_at < window:
            time.sleep(min(0.5, window - (now - closed_at)))
            cpu = server.cpu()
            step = time.perf_counter() - now
            if cpu - last > 0.1 * step:
                busy_for = time.perf_counter() - closed_at
            last = cpu
        cpu_end = server.cpu()
        if busy_for is not None and busy_for > window - 1:
            busy_for = None  # still busy at the end
    return Gone(
        clients,
        chars,
        sentences,
        cpu_closed - cpu_start,
        cpu_end - cpu_closed,
        busy_for,
        window,
        prober.samples,
        load.cores(),
    )


# -- main ----------------------------------------------------------------------------------


def _threads_setting() -> str:
    names = ("ARGOS_INTRA_THREADS", "ARGOS_INTER_THREADS", "ARGOS_DEVICE_TYPE")
    set_ = [f"{n}={os.environ[n]}" for n in names if n in os.environ]
    return ", ".join(set_) if set_ else "ARGOS_* threads unset (server defaults)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_load", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--levels", default="1,8,32", help="client counts (default 1,8,32)")
    parser.add_argument("--seconds", type=float, default=20, help="per level (default 20)")
    parser.add_argument("--max-requests", type=int, default=3000, help="per level (default 3000)")
    parser.add_argument("--timeout", type=float, default=120, help="client timeout (s)")
    parser.add_argument(
        "--gone",
        type=int,
        default=4,
        metavar="K",
        help="clients that hang up after 2 s (default 4; 0 skips)",
    )
    parser.add_argument(
        "--gone-chars", type=int, default=6000, help="characters each of them sends (default 6000)"
    )
    parser.add_argument(
        "--gone-window",
        type=float,
        default=20,
        help="seconds of server CPU time measured after they hang up",
    )
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.levels.split(",") if n]
    missing = [
        (p, why)
        for p, why in [
            (args.model, "the trained model (--model or $GLOSSARY_TEST_MODEL)"),
            *[(f, "a dev set") for f in DEV_SETS],
        ]
        if not p.is_file()
    ]
    if missing:
        for path, why in missing:
            print(f"bench_load: skipped, {path} is missing: {why}")
        return
    pool = sentence_pool()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        server = Server(args.model, Path(tmp))
        try:
            ready = server.wait_ready()
            warm = time.perf_counter()
            client(server.port, "warm-up", pool, warm + args.timeout, Budget(1), args.timeout, [])
            first = time.perf_counter() - warm
            results = []
            for clients in levels:
                server.wait_idle()
                results.append(
                    run_level(server, clients, pool, args.seconds, args.max_requests, args.timeout)
                )
            gone = None
            if args.gone:
                server.wait_idle()
                gone = gone_clients(
                    server, pool, args.gone, args.gone_chars, 2.0, args.gone_window, args.timeout
                )
        finally:
            server.stop()
        log = server.log.read_text(errors="replace")
    report(results, gone, args, ready, first, log, time.perf_counter() - began)


def server_errors(log: str, most: int = 3) -> list[str]:
    """The exception line that ends each traceback in the server's log, distinct ones."""
    found: list[str] = []
    inside = False
    for line in log.splitlines():
        if line.startswith("Traceback"):
            inside = True
        elif inside and line and not line[0].isspace():
            inside = False
            if line not in found:
                found.append(line)
    return found[:most]


def report(
    results: Sequence[Level],
    gone: Gone | None,
    args: argparse.Namespace,
    ready: float,
    first: float,
    log: str,
    total: float,
) -> None:
    base = next((r.rate for r in results if r.clients == 1), None)
    rows = []
    for r in results:
        codes = r.statuses()
        five = sum(n for status, n in codes.items() if status.startswith("5"))
        other = sum(
            n
            for status, n in codes.items()
            if status not in ("200", "429", "timeout") and not status.startswith("5")
        )
        rows.append(
            [
                "1 (one at a time)" if r.clients == 1 else r.clients,
                len(r.outcomes),
                r.sentences,
                f"{r.seconds:.1f}",
                f"{r.rate:.1f}",
                f"{r.rate / base:.2f}" if base else "-",
                fmt(r.one_sentence(0.5)),
                fmt(r.one_sentence(0.99)),
                r.health_ms(0.99),
                health_ms(r.health, 1.0),
                len(r.health),
                codes["429"],
                five,
                codes["timeout"],
                other,
                fmt(r.other_cores, digits=1),
            ]
        )
    print_table(
        f"Serving under load: `glossary serve` (waitress), trained small de→en model, "
        f"{os.cpu_count()} cores, {_threads_setting()}; {args.seconds:g} s a level, "
        f"client timeout {args.timeout:g} s",
        [
            "clients",
            "requests",
            "sentences",
            "s",
            "sentences/s",
            "× one at a time",
            "1-sentence p50 (s)",
            "1-sentence p99 (s)",
            "/health p99 (ms)",
            "/health max (ms)",
            "probes",
            "429",
            "5xx",
            "timeouts",
            "other errors",
            "other load (cores)",
        ],
        rows,
    )
    kinds = Counter(o.kind for r in results for o in r.outcomes)
    print(
        f"mix: {', '.join(f'{k} {n}' for k, n in kinds.items())}; server ready in "
        f"{ready:.1f} s, first translation {first:.2f} s"
    )
    if gone is not None:
        busy = (
            f"{gone.busy_for:.1f}"
            if gone.busy_for is not None
            else f"≥ {gone.window:g} (still busy)"
        )
        print_table(
            f"CPU for clients that hung up: {gone.clients} requests of {gone.chars:,} characters "
            f"(~{gone.sentences // gone.clients} sentences each) closed after 2 s; server CPU "
            f"over the next {gone.window:g} s",
            [
                "CPU s while connected (2 s)",
                f"CPU s after hang-up ({gone.window:g} s)",
                "busy for (s)",
                "/health p99 (ms)",
                "/health max (ms)",
                "probes",
                "other load (cores)",
            ],
            [
                [
                    f"{gone.cpu_connected:.1f}",
                    f"{gone.cpu_after:.1f}",
                    busy,
                    health_ms(gone.health, 0.99),
                    health_ms(gone.health, 1.0),
                    len(gone.health),
                    fmt(gone.other_cores, digits=1),
                ]
            ],
        )
    if errors := server_errors(log):
        print("server errors (first of each): " + "; ".join(errors))
    depth = log.count("Task queue depth")
    print(f"waitress 'Task queue depth' warnings: {depth}; bench wall time {total:.0f} s")


if __name__ == "__main__":
    main()
