"""`glossary find` and `glossary terms ...`: the glossary on the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from glossary import formats
from glossary.config import Settings
from glossary.errors import InputError
from glossary.glossaries import combined_terms, load_all
from glossary.match import TermMatcher
from glossary.term import MATCH_MODES, STATUSES, Glossary, Term
from glossary.termfile import add_term, dump_term, load_glossary, remove_term, update_term
from glossary.textio import read_text


def _tsv(glossary: Glossary) -> str:
    return formats.terms_to_tsv(glossary.terms)


def _csv(glossary: Glossary) -> str:
    return formats.terms_to_csv(glossary.terms)


EXPORTERS: dict[str, Callable[[Glossary], str]] = {
    "tsv": _tsv, "csv": _csv, "tbx": formats.terms_to_tbx,
}


def cmd_find(args: argparse.Namespace, settings: Settings) -> int:
    text = read_text(args.file)
    matcher = TermMatcher(combined_terms(load_all(args.glossary)))
    found = [
        {"start": o.start, "end": o.end, "text": o.text,
         "source": o.term.source, "target": o.term.target}
        for o in matcher.find(text)
    ]
    json.dump(found, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def _term_from_args(args: argparse.Namespace, base: Term | None = None) -> Term:
    fields = {
        "source": args.source, "target": args.target, "target_plural": args.target_plural,
        "match": args.match, "status": args.status, "note": args.note, "pos": args.pos,
        "gender": args.gender,
    }
    changes = {k: v for k, v in fields.items() if v is not None}
    if args.case_sensitive is not None:
        changes["case_sensitive"] = args.case_sensitive
    if args.forbidden is not None:
        changes["forbidden"] = tuple(args.forbidden)
    if base is not None:
        return replace(base, **changes)
    if not args.target:
        raise InputError("--target is required to add a term")
    return Term(**changes)


def _find_term(glossary: Glossary, source: str) -> Term:
    for term in glossary.terms:
        if term.source.casefold() == source.casefold():
            return term
    raise InputError(f"{glossary.path}: no term {source!r}")


def cmd_terms(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.glossary)
    current = load_glossary(path)
    revision = args.revision or current.revision
    if args.action == "list":
        if args.json:
            rows = [dump_term(t) for t in current.terms]
            json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        else:
            for term in current.terms:
                print(f"{term.source}\t{term.target}\t{term.status}")
        return 0
    if args.action == "export":
        sys.stdout.write(EXPORTERS[args.format](current))
        return 0
    result = _edit(args, path, current, revision)
    print(f"{path}: revision {result.revision}, {len(result.terms)} terms", file=sys.stderr)
    return 0


def _edit(args: argparse.Namespace, path: Path, current: Glossary, revision: str) -> Glossary:
    if args.action == "add":
        return add_term(path, _term_from_args(args), revision=revision)
    if args.action == "update":
        base = _find_term(current, args.source)
        return update_term(path, base.source, _term_from_args(args, base), revision=revision)
    if args.action == "remove":
        return remove_term(path, args.source, revision=revision)
    return _import(path, Path(args.file), revision)


def _import(path: Path, source: Path, revision: str) -> Glossary:
    text = read_text(str(source))
    suffix = source.suffix.lower()
    if suffix == ".tsv":
        terms = formats.terms_from_tsv(text)
    elif suffix == ".csv":
        terms = formats.terms_from_csv(text)
    elif suffix in (".tbx", ".xml"):
        terms = list(formats.glossary_from_tbx(text).terms)
    elif suffix in (".yaml", ".yml"):
        terms = list(load_glossary(source).terms)
    else:
        raise InputError(f"{source}: unknown format (use .tsv, .csv, .tbx or .yaml)")
    glossary = load_glossary(path)
    for term in terms:
        glossary = add_term(path, replace(term, line=None), revision=revision)
        revision = glossary.revision
    return glossary


def _add_term_fields(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", required=True, help="German term")
    p.add_argument("--target", help="approved English")
    p.add_argument("--target-plural")
    p.add_argument("--match", choices=MATCH_MODES)
    p.add_argument("--case-sensitive", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--forbidden", nargs="*", help="wordings to flag in the output")
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--note")
    p.add_argument("--pos")
    p.add_argument("--gender", choices=["m", "f", "n"])


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    find = sub.add_parser("find", help="find glossary terms in German text; prints JSON")
    find.add_argument("file", nargs="?", default="-")
    find.add_argument("--glossary", action="append", required=True, help="YAML glossary")
    find.set_defaults(handler=cmd_find)

    terms = sub.add_parser("terms", help="list, edit, import and export glossary terms")
    actions = terms.add_subparsers(dest="action", required=True)
    for name in ("list", "add", "update", "remove", "import", "export"):
        p = actions.add_parser(name)
        p.add_argument("--glossary", required=True, help="YAML glossary file")
        p.add_argument("--revision", help="refuse the edit unless the file is at this revision")
        p.set_defaults(handler=cmd_terms)
        if name in ("add", "update"):
            _add_term_fields(p)
        elif name == "remove":
            p.add_argument("--source", required=True)
        elif name == "import":
            p.add_argument("file", help=".tsv, .csv, .tbx or .yaml file")
        elif name == "export":
            p.add_argument("--format", choices=sorted(EXPORTERS), default="tsv")
        elif name == "list":
            p.add_argument("--json", action="store_true")
