"""The `glossary` command. Configuration is built once here and passed to every handler;
library errors are mapped once to a message on stderr and their exit code."""

from __future__ import annotations

import argparse
import getpass
import io
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from glossary import (
    __version__,
    cli_accounts,
    cli_documents,
    cli_glossaries,
    cli_models,
    cli_terms,
    cli_worker,
    history,
)
from glossary.accounts import Accounts, loopback
from glossary.atomicwrite import atomic_write
from glossary.config import Settings
from glossary.enforce import DEFAULT_MODE, MODES
from glossary.errors import GlossaryError
from glossary.glossaries import load_all
from glossary.pipeline import SentenceResult, TranslationResult
from glossary.report import summarize
from glossary.service import TranslationService
from glossary.term import Glossary
from glossary.textio import read_text


def _glossaries(args: argparse.Namespace, service: TranslationService) -> list[Glossary]:
    """The files `--glossary` names; none with `--no-glossary`; else, as the page and the APIs
    do, the pair's default glossaries in the terms folder (when it exists)."""
    if args.no_glossary:
        return []
    if args.glossary:
        return load_all(args.glossary)
    if not service.settings.terms_dir.is_dir():
        return []  # a command line far from any terms folder translates plainly
    return service.glossaries_for(args.source, args.target)


def cmd_translate(args: argparse.Namespace, settings: Settings) -> int:
    if cli_documents.wanted(args):
        documents = cli_documents.CommandLineService(settings, args.beam_size)
        documents.chosen = _glossaries(args, documents)
        return cli_documents.translate_file(args, documents)
    text = read_text(args.file)
    service = TranslationService(settings)
    glossaries = _glossaries(args, service)
    pipeline = service.pipeline(
        args.source, args.target, glossaries, args.mode, beam_size=args.beam_size
    )
    # -o with --format text: the text is written to the file once all of it is translated.
    out: TextIO = io.StringIO() if args.output else sys.stdout
    if args.json:
        result = pipeline.translate(text)
        json.dump(result.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
        _keep(args, out)
        return 0
    reports, untranslated, piece = [], [], ""
    for piece, sentences in pipeline.stream(text):
        out.write(piece)
        out.flush()
        done = TranslationResult("", tuple(sentences))
        reports.extend(done.terms)
        untranslated.extend(done.untranslated)
    if text.strip() and not piece.endswith("\n"):
        out.write("\n")
    _keep(args, out)
    if glossaries:
        counts = summarize(reports)
        print("terms: " + ", ".join(f"{n} {k}" for k, n in counts.items()), file=sys.stderr)
    _warn_untranslated(untranslated)
    return 0


def _keep(args: argparse.Namespace, out: TextIO) -> None:
    if isinstance(out, io.StringIO):
        atomic_write(Path(args.output), out.getvalue().encode("utf-8"))


def _warn_untranslated(sentences: Sequence[SentenceResult]) -> None:
    """One line on stderr per sentence copied through untranslated (at most 20 of them)."""
    for sentence in sentences[:20]:
        print(
            f"glossary: warning: characters {sentence.source_start}-{sentence.source_end} "
            f"left untranslated: {sentence.reason}",
            file=sys.stderr,
        )
    if len(sentences) > 20:
        print(
            f"glossary: warning: {len(sentences) - 20} more sentences left untranslated",
            file=sys.stderr,
        )


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from web.serve import serve  # the web layer is only imported when serving

    host = args.host or settings.host
    if Accounts.of(settings).open() and not loopback(host):
        print(
            f"glossary: warning: serving on {host} with no accounts and no API keys: anyone "
            "who can reach this address may change every glossary. Add an admin with "
            "`glossary users add NAME --role admin` or a key with `glossary keys add`.",
            file=sys.stderr,
        )
    serve(replace(settings, host=host), host=host, port=args.port or settings.port)
    return 0


def _add_translate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("translate", help="translate text or a document (FILE or - for stdin)")
    p.add_argument(
        "file",
        nargs="?",
        default="-",
        help="UTF-8 text file, a document (.docx, .html, .srt, ...), or - (default)",
    )
    p.add_argument("--from", dest="source", default="de", help="source language (default de)")
    p.add_argument("--to", dest="target", default="en", help="target language (default en)")
    p.add_argument("--json", action="store_true", help="print sentences with their offsets")
    p.add_argument("--beam-size", type=int, default=None, help="beam size (default 4)")
    p.add_argument(
        "--glossary",
        action="append",
        help="YAML glossary to enforce (repeatable; default: the pair's default "
        "glossaries in GLOSSARY_TERMS_DIR)",
    )
    p.add_argument("--no-glossary", action="store_true", help="enforce no glossary")
    p.add_argument(
        "--mode",
        choices=MODES,
        default=DEFAULT_MODE,
        help="constrain: the term goes where the model rendered the German "
        "(default); replace: substitute the words attention aligns; "
        "off: report only",
    )
    cli_documents.add_arguments(p)
    p.set_defaults(handler=cmd_translate)


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="serve the web page and the HTTP APIs")
    p.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 5000)")
    p.set_defaults(handler=cmd_serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glossary", description="Offline translation with an enforced glossary."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_translate(sub)
    cli_models.register(sub)
    cli_terms.register(sub)
    cli_glossaries.register(sub)
    cli_accounts.register(sub)
    _add_serve(sub)
    cli_worker.register(sub)
    return parser


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no name for this uid (containers)
        return None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    author = getattr(args, "author", None)
    history.set_author(author or _os_user(), kind="given" if author else "os-user", via="cli")
    try:
        settings = Settings.from_env()
        code: int = args.handler(args, settings)
        for problem in history.problems():  # the edit was made; its history entry was not
            print(f"glossary: warning: {problem}", file=sys.stderr)
        return code
    except GlossaryError as exc:
        print(f"glossary: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # anything else: one line, never a traceback
        message = " ".join(str(exc).split()) or "no details"
        print(f"glossary: error: {type(exc).__name__}: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
