"""What the document layer costs (issue 13): the seed article as .txt, .md, .html and .docx,
the terms' words in bold where the format has bold.

Two tables: reading the file into blocks and writing the same blocks back, without a model,
on the article repeated to 280 paragraphs (the layer's own cost); and the whole
translate_document with the trained small de→en package (shared/models, or
$GLOSSARY_TEST_MODEL, or --model) and the curated glossary, against the same article as plain
text. Medians of 5 rounds over all four files after a warm-up; one process, so ratios
compare, absolute times don't travel between machines."""

from __future__ import annotations

import argparse
import dataclasses
import html
import io
import os
import statistics
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench.common import median_time, print_table
from glossary.config import Settings
from glossary.documents.translate import read_document, translate_document
from glossary.packages import install_from_file
from glossary.service import TranslationService

REPO = Path(__file__).resolve().parents[1]
ARTICLE = REPO / "examples" / "article-de.txt"
MODEL = Path(
    os.environ.get("GLOSSARY_TEST_MODEL")
    or REPO.parent / "shared" / "models" / "translate-de_en-trained_small-0_1.argosmodel"
)
ROUNDS = 5
BOLD = ("Kreml", "Putin", "Pjöngjang", "Butter")  # words whose run is bold


def paragraphs(repeat: int) -> list[str]:
    text = ARTICLE.read_text(encoding="utf-8")
    return [p.strip() for p in text.split("\n\n") if p.strip()] * repeat


def _bold(word: str) -> bool:
    return any(key in word for key in BOLD)


def as_txt(paras: list[str]) -> bytes:
    return ("\n\n".join(paras) + "\n").encode()


def as_markdown(paras: list[str]) -> bytes:
    lines = [" ".join(f"**{w}**" if _bold(w) else w for w in p.split()) for p in paras]
    return ("\n\n".join(lines) + "\n").encode()


def as_html(paras: list[str]) -> bytes:
    def words(p: str) -> str:
        escaped = [(html.escape(w), _bold(w)) for w in p.split()]
        return " ".join(f"<b>{w}</b>" if bold else w for w, bold in escaped)

    body = "\n".join(f"<p>{words(p)}</p>" for p in paras)
    return f'<!DOCTYPE html>\n<html lang="de"><body>\n{body}\n</body></html>\n'.encode()


def as_docx(paras: list[str]) -> bytes:
    from docx import Document  # the dev extra's python-docx builds the source

    document = Document()
    for p in paras:
        paragraph = document.add_paragraph()
        for i, w in enumerate(p.split()):
            paragraph.add_run(w + " " if i < len(p.split()) - 1 else w).bold = _bold(w)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


BUILDERS: dict[str, Callable[[list[str]], bytes]] = {
    "article.txt": as_txt,
    "article.md": as_markdown,
    "article.html": as_html,
    "article.docx": as_docx,
}


def read_and_write(data: bytes, name: str) -> None:
    _fmt, parsed = read_document(data, name)
    parsed.write(list(parsed.blocks))


def layer_table() -> None:
    paras = paragraphs(20)
    rows = []
    for name, build in BUILDERS.items():
        data = build(paras)
        _fmt, parsed = read_document(data, name)
        both = median_time(partial(read_and_write, data, name))
        rows.append((name, len(data), len(parsed.blocks), f"{both * 1000:.0f}"))
    print_table(
        "Documents without a model: the article x20, read into blocks and written back",
        ["file", "bytes", "blocks", "read + write ms (median of 3)"],
        rows,
    )


def model_table(model: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        settings = dataclasses.replace(
            Settings.from_env({}),
            packages_dir=root / "packages",
            state_dir=root / "state",
            terms_dir=REPO / "terms",
        )
        install_from_file(settings.packages_dir, model)
        service = TranslationService(settings)
        paras = paragraphs(1)
        files = {name: build(paras) for name, build in BUILDERS.items()}

        def run(name: str) -> None:
            translate_document(service, files[name], name, "de", "en")

        for name in files:  # warm-up: the model loaded, the glossary compiled
            run(name)
        # rounds over every file in turn, so a slower stretch of a noisy machine hits all
        spent: dict[str, list[float]] = {name: [] for name in files}
        for _round in range(ROUNDS):
            for name in files:
                spent[name].append(median_time(partial(run, name), repeat=1))
        times = {name: statistics.median(values) for name, values in spent.items()}
        base = times["article.txt"]
        rows = [
            (name, f"{seconds * 1000:.0f}", f"{seconds / base:.2f}")
            for name, seconds in times.items()
        ]
    print_table(
        f"translate_document with the trained model ({model.name}) and terms/de-en.yaml",
        ["file", f"ms (median of {ROUNDS})", "vs .txt"],
        rows,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    layer_table()
    if args.model.is_file():
        model_table(args.model)
    else:
        print(f"\n(no trained model at {args.model}: the model table is left out)")


if __name__ == "__main__":
    main()
