"""Imports at newsroom scale (issue 10): `glossary terms import` of 10,000 TSV terms into a
synthetic 10,000-term glossary (German compounds and phrases, comments between sections, some
notes, plurals, parts of speech), as a user runs it: a fresh process, interpreter start and
imports included; and the terms page's import (upload → preview → confirm) of 400 terms,
through the app's test client, into the curated glossary and into the 10,000-term one.

Cases: 10,000 new terms; 5,000 new and 5,000 changing existing targets (--on-duplicate
overwrite); the same 10,000 as a --dry-run. Each in a fresh copy of the glossary.
Goal (issue 10, 2 cores): 10,000 terms ≤ 5 s, in one write. Run: `python -m bench.bench_import`.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_ENGLISH = (
    "policy",
    "council",
    "treaty",
    "ruler",
    "market",
    "border",
    "tax",
    "court",
    "office",
    "union",
    "reform",
    "crisis",
    "alliance",
    "agency",
    "budget",
    "ministry",
)


def _sources(count: int, seed: int, taken: set[str]) -> list[str]:
    from bench.bench_match import _term_source
    from glossary.termrules import duplicate_key

    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        source = _term_source(rng)
        key = duplicate_key(source, case_sensitive=False)
        if key not in taken:
            taken.add(key)
            out.append(source)
    return out


def glossary_yaml(sources: list[str]) -> str:
    rng = random.Random(3)
    lines = [
        f"# Synthetic glossary of {len(sources):,} terms (bench/bench_import.py).",
        "source_language: de",
        "target_language: en",
        "name: Synthetic",
        "terms:",
    ]
    for i, source in enumerate(sources):
        if i % 500 == 0:
            lines.append(f"  # --- section {i // 500 + 1}")
        word = rng.choice(_ENGLISH)
        lines += [f"  - source: {source}", f"    target: {word} {i}"]
        if rng.random() < 0.25:
            lines.append(f"    target_plural: {word}s {i}")
        if rng.random() < 0.15:
            lines.append(f'    note: "Desk usage since {2000 + i % 25}"')
        if rng.random() < 0.5:
            lines.append(f"    pos: {rng.choice(('noun', 'phrase', 'adjective'))}")
    return "\n".join(lines) + "\n"


def tsv(rows: list[tuple[str, str, str]]) -> str:
    return "source\ttarget\tnote\n" + "".join(f"{s}\t{t}\t{n}\n" for s, t, n in rows)


def _cli_import(glossary: Path, upload: Path, *extra: str) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "glossary.cli",
            "terms",
            "import",
            "--glossary",
            str(glossary),
            str(upload),
            *extra,
        ],
        env=env,
        capture_output=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode()[-2000:])
    summary = done.stderr.decode().splitlines()[0].split(": ", 2)[-1]
    return seconds, summary


def _web_import(terms_dir: Path, name: str, rows: str, state: Path) -> tuple[float, float]:
    from dataclasses import replace

    from glossary.config import Settings
    from web.app import create_app

    settings = replace(Settings.from_env({}), terms_dir=terms_dir, state_dir=state)
    app = create_app(settings, test_config={"TESTING": True, "SECRET_KEY": "bench"})
    client = app.test_client()
    page = client.get(f"/terms/{name}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    start = time.perf_counter()
    reply = client.post(
        f"/terms/{name}/import",
        content_type="multipart/form-data",
        data={
            "csrf_token": token.group(1),
            "on_duplicate": "skip",
            "file": (BytesIO(rows.encode()), "new.tsv"),
        },
    )
    previewed = time.perf_counter()
    preview = reply.get_data(as_text=True).split('id="import-confirm"')[1]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', preview))
    confirm = client.post(
        f"/terms/{name}/import/confirm", data=fields | {"do": "import", "on_duplicate": "skip"}
    )
    done = time.perf_counter()
    assert reply.status_code == 200 and confirm.status_code == 303, confirm.status_code
    return previewed - start, done - previewed


def main(argv: list[str] | None = None) -> None:
    from bench.common import print_table

    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_import",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", type=int, default=10_000)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    size, rows_out = args.size, []
    taken: set[str] = set()
    existing = _sources(size, 7, taken)
    fresh = _sources(size, 8, taken)
    text = glossary_yaml(existing)
    cases = [
        (
            "new terms",
            tsv([(s, f"new {i}", "imported" if i % 3 == 0 else "") for i, s in enumerate(fresh)]),
            (),
        ),
        (
            "half new, half changed (overwrite)",
            tsv(
                [(s, f"new {i}", "") for i, s in enumerate(fresh[: size // 2])]
                + [(s, f"changed {i}", "") for i, s in enumerate(existing[: size // 2])]
            ),
            ("--on-duplicate", "overwrite"),
        ),
        (
            "new terms, --dry-run",
            tsv([(s, f"new {i}", "") for i, s in enumerate(fresh)]),
            ("--dry-run",),
        ),
    ]
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        root = Path(tmp)
        for label, rows, extra in cases:
            glossary = root / "big.yaml"
            glossary.write_text(text, encoding="utf-8")
            upload = root / "upload.tsv"
            upload.write_text(rows, encoding="utf-8")
            seconds, summary = _cli_import(glossary, upload, *extra)
            rows_out.append(
                [f"`terms import` {size:,} into {size:,}: {label}", f"{seconds:.2f}", summary]
            )
        web_rows = "".join(f"Webbegriff{i}\tweb term {i}\n" for i in range(400))
        for name, source in (("de-en", REPO / "terms" / "de-en.yaml"), ("big", None)):
            terms_dir = root / f"terms-{name}"
            terms_dir.mkdir()
            if source is None:
                (terms_dir / "big.yaml").write_text(text, encoding="utf-8")
            else:
                shutil.copy(source, terms_dir / "de-en.yaml")
            preview, confirm = _web_import(terms_dir, name, web_rows, root / f"state-{name}")
            rows_out.append(
                [
                    f"web import of 400 terms into {name}",
                    f"{preview + confirm:.2f}",
                    f"preview {preview:.2f} s, confirm {confirm:.2f} s",
                ]
            )
    print_table(
        f"Imports ({os.cpu_count()} cores; goal: 10,000 terms ≤ 5 s, one write)",
        ["import", "seconds", "what it did"],
        rows_out,
    )


if __name__ == "__main__":
    main()
