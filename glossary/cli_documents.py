"""`glossary translate FILE.docx -o OUT.docx`: a document (any format of
glossary.documents.registry) translated with its markup kept, written atomically, its term
summary on stderr and, with `--report`, the full term report as JSON. Whatever is wrong with
the input is found before anything is written: OUT is either the whole translation or left as
it was (absent, or its old bytes)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path, PurePath

from glossary.atomicwrite import atomic_write
from glossary.config import Settings
from glossary.documents.registry import format_for, formats
from glossary.documents.translate import TranslatedDocument, translate_document
from glossary.enforce import DEFAULT_MODE, Mode
from glossary.errors import DocumentError, InputError
from glossary.pipeline import Pipeline
from glossary.report import summarize
from glossary.service import TranslationService
from glossary.term import Glossary

FORMATS = ("auto", "text", "document")


class CommandLineService(TranslationService):
    """The service with the command line's choices already made: the glossaries it resolved
    (files named with --glossary, the pair's defaults, or none) and its beam size, for every
    pipeline translate_document asks for. Until `chosen` is set it resolves as any service."""

    def __init__(self, settings: Settings, beam_size: int | None = None) -> None:
        super().__init__(settings)
        self.beam_size = beam_size
        self.chosen: list[Glossary] | None = None

    def glossaries_for(
        self, source: str, target: str, names: Sequence[str] | None = None
    ) -> list[Glossary]:
        if self.chosen is None:
            return super().glossaries_for(source, target, names)
        return list(self.chosen)

    def pipeline(
        self,
        source: str,
        target: str,
        chosen: Sequence[Glossary],
        mode: Mode = DEFAULT_MODE,
        chunk_sentences: int = 256,
        beam_size: int | None = None,
    ) -> Pipeline:
        return super().pipeline(
            source, target, chosen, mode, chunk_sentences, beam_size or self.beam_size
        )


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-o",
        "--output",
        default=None,
        help="write the translation to OUTPUT (atomically; a document keeps its format, so "
        "OUTPUT has FILE's extension)",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="auto",
        help="document: translate FILE as a document of its extension, markup kept; text: "
        "as plain text; auto (default): a document when -o is given or FILE is not a .txt",
    )
    p.add_argument(
        "--report", default=None, help="write the document's term report to REPORT (JSON)"
    )


def wanted(args: argparse.Namespace) -> bool:
    """Whether the command translates a document rather than plain text: asked for, or
    (auto) an output file or a report is named, or the file is a document other than plain
    text."""
    if args.format == "text" and args.report is not None:
        raise InputError("--report is written for documents; leave out --format text")
    if args.format != "auto":
        return bool(args.format == "document")
    if args.output is not None or args.report is not None:
        return True
    suffix = PurePath(args.file).suffix.lower()
    return args.file != "-" and suffix != ".txt" and suffix in _extensions()


def _extensions() -> set[str]:
    return {ext for fmt in formats() for ext in fmt.extensions}


def translate_file(args: argparse.Namespace, service: TranslationService) -> int:
    """Translate the document and write it (and its report); exit code 0. Bad input raises
    an InputError (exit 2) before any file is written."""
    name = _document_name(args)
    output = Path(args.output) if args.output is not None else None
    report = Path(args.report) if args.report is not None else None
    if output is not None and format_for(output.name).name != format_for(name).name:
        raise InputError(
            f"{output}: a {format_for(name).name} document is written as one; "
            f"name the output with the extension of {name}"
        )
    for path in (output, report):
        if path is not None and not path.parent.is_dir():
            raise InputError(f"{path}: the folder {path.parent} does not exist")
    done = _translated(args, service, name, _read_bytes(args.file))
    if output is None:
        sys.stdout.buffer.write(done.data)
        sys.stdout.flush()
    else:
        atomic_write(output, done.data)
    if report is not None:
        text = json.dumps(done.report_dict(), ensure_ascii=False, indent=2) + "\n"
        atomic_write(report, text.encode("utf-8"))
    _summary(done, bool(service.glossaries_for(args.source, args.target)))
    return 0


def _translated(
    args: argparse.Namespace, service: TranslationService, name: str, data: bytes
) -> TranslatedDocument:
    try:
        return translate_document(
            service,
            data,
            name,
            args.source,
            args.target,
            None,
            args.mode,
            progress=_progress if sys.stderr.isatty() else None,
        )
    except DocumentError as exc:
        if name in str(exc):
            raise
        # A format names the line or part; the command line names the file too.
        raise DocumentError(f"{args.file}: {exc}", http_status=exc.http_status) from exc


def _document_name(args: argparse.Namespace) -> str:
    """The name whose extension says the format: FILE's, or OUTPUT's for standard input
    (plain text when there is none)."""
    if args.file != "-":
        return str(PurePath(args.file).name)
    return str(PurePath(args.output).name) if args.output is not None else "stdin.txt"


def _read_bytes(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc


def _progress(done: int, total: int) -> None:
    end = "\n" if done >= total else ""
    print(f"\rglossary: {done} of {total} blocks translated", end=end, file=sys.stderr)


def _summary(done: TranslatedDocument, glossaries: bool) -> None:
    """The term counts (as for text, when glossaries were enforced), where each missed term
    is, and the sentences copied through untranslated."""
    if glossaries:
        counts = summarize([t.report for t in done.terms])
        print("terms: " + ", ".join(f"{n} {k}" for k, n in counts.items()), file=sys.stderr)
    missed = [t for t in done.terms if t.report.status == "missed"]
    for term in missed[:20]:
        where = term.location or f"block {term.block + 1}"
        print(
            f"glossary: warning: {where}: {term.report.source_text!r} missed: "
            f"{term.report.reason or 'no reason given'}",
            file=sys.stderr,
        )
    if done.untranslated:
        print(
            f"glossary: warning: {done.untranslated} sentences left untranslated",
            file=sys.stderr,
        )
