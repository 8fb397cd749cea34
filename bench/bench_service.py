"""The service as deployed: start-up time to ready, memory (peak RSS) with a base-size model,
and install size against a plain argostranslate install.

Install sizes come from pip's own resolution (`pip install --dry-run --report`) summed over the
wheels it would download; this is the one benchmark that asks the package index (the service
itself never touches the network)."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import bench_package, print_table

REPO = Path(__file__).resolve().parents[1]
ARTICLE = REPO.parent / "shared" / "seed" / "article-de.txt"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _post(url: str, body: dict[str, object]) -> None:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=600) as reply:
        reply.read()


def _wait_ready(url: str, deadline: float) -> None:
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(url)


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_start(packages_dir: Path, text: str) -> tuple[float, float, float, float]:
    """Seconds to /health, seconds to the first translation, seconds for the article, MB."""
    port = _free_port()
    env = {
        **os.environ,
        "ARGOS_PACKAGES_DIR": str(packages_dir),
        "GLOSSARY_TERMS_DIR": str(REPO / "terms"),
        "ARGOS_INTRA_THREADS": "2",
    }
    start = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "glossary.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{base}/health", start + 60)
        ready = time.perf_counter() - start
        _post(
            f"{base}/api/translate",
            {"text": "Der Kreml-Herrscher reist.", "source": "de", "target": "en"},
        )
        first = time.perf_counter() - start
        began = time.perf_counter()
        _post(f"{base}/api/translate", {"text": text, "source": "de", "target": "en"})
        article = time.perf_counter() - began
        return ready, first, article, _peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def download_mb(*requirements: str) -> tuple[int, float]:
    """Packages and megabytes of wheels pip would download for a fresh install."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--ignore-installed",
                "--quiet",
                "--report",
                str(report),
                *requirements,
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
        items = json.loads(report.read_text())["install"]
    return len(items), sum(_size(i["download_info"]["url"]) for i in items) / 1e6


def _size(url: str) -> int:
    if url.startswith("file://"):
        path = Path(url.removeprefix("file://"))
        return path.stat().st_size if path.is_file() else 0
    request = urllib.request.Request(url, method="HEAD")
    with urllib.request.urlopen(request, timeout=30) as reply:
        return int(reply.headers.get("Content-Length", 0))


def _du_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main(argv: list[str] | None = None) -> None:
    package = bench_package("base")
    text = ARTICLE.read_text(encoding="utf-8")
    runs = [one_start(package.path.parent, text) for _ in range(3)]
    cols = list(zip(*runs, strict=True))
    print_table(
        f"Service start-up and memory, base-size model (int8, {_du_mb(package.path):.0f} MB), "
        f"{os.cpu_count()} cores (median of 3 starts)",
        ["to /health (s)", "to first translation (s)", "article, constrain (s)", "peak RSS (MB)"],
        [[f"{statistics.median(c):.2f}" for c in cols[:3]] + [f"{max(cols[3]):.0f}"]],
    )
    rows: list[list[object]] = []
    for label, reqs in (
        ("this project (runtime)", [str(REPO)]),
        ("plain argostranslate 1.11.0", ["argostranslate==1.11.0"]),
    ):
        try:
            count, size = download_mb(*reqs)
            rows.append([label, count, f"{size:.0f}"])
        except (OSError, subprocess.SubprocessError) as exc:
            rows.append([label, "?", f"pip could not resolve: {exc}"])
    print_table(
        "Install size: wheels a fresh install downloads", ["install", "packages", "MB"], rows
    )
    print(
        f".venv here (runtime + dev tools + argostranslate --no-deps): "
        f"{_du_mb(REPO / '.venv'):.0f} MB on disk"
    )


if __name__ == "__main__":
    main()
