"""`glossary find` and `glossary terms ...`: the glossary on the command line."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from glossary import history, imports
from glossary.cache import DiskCache
from glossary.cli_glossaries import add_author
from glossary.config import Settings
from glossary.errors import GlossaryError, InputError
from glossary.glossaries import MatcherCache, load_all
from glossary.term import MATCH_MODES, STATUSES, Glossary, Term
from glossary.termedit import add_term, remove_term, update_term
from glossary.termload import load_glossary
from glossary.termrules import find_source
from glossary.termyaml import dump_term
from glossary.textio import read_text


def cmd_find(args: argparse.Namespace, settings: Settings) -> int:
    text = read_text(args.file)
    # unchanged files: no parse, no compile; only where the state folder exists already
    cache = DiskCache(settings.state_dir / "cache", make_parents=False)
    matcher = MatcherCache(cache=cache).get(load_all(args.glossary, cache=cache))
    found = []
    for o in matcher.find(text):
        origin = matcher.origin(o.term)
        found.append(
            {
                "start": o.start,
                "end": o.end,
                "text": o.text,
                "source": o.term.source,
                "target": o.term.target,
                "glossary": origin and origin.glossary,
                "overrides": list(origin.overrides) if origin else [],
            }
        )
    json.dump(found, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def _term_from_args(args: argparse.Namespace, base: Term | None = None) -> Term:
    fields = {
        "source": args.source,
        "target": args.target,
        "target_plural": args.target_plural,
        "source_plural": args.source_plural,
        "match": args.match,
        "status": args.status,
        "note": args.note,
        "pos": args.pos,
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
    index = find_source([t.source for t in glossary.terms], source)
    if index is None:
        raise InputError(f"{glossary.path}: no term {source!r}")
    return glossary.terms[index]


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
        body = imports.export(current, args.format, all_fields=args.fields == "all")
        if isinstance(body, bytes):  # YAML: the file's own bytes
            sys.stdout.flush()
            sys.stdout.buffer.write(body)
        else:
            sys.stdout.write(body)
        return 0
    if args.action == "import":
        return _import(args, path, current, revision)
    result = _edit(args, path, current, revision)
    print(f"{path}: revision {result.revision}, {len(result.terms)} terms", file=sys.stderr)
    return 0


def _edit(args: argparse.Namespace, path: Path, current: Glossary, revision: str) -> Glossary:
    if args.action == "add":
        return add_term(path, _term_from_args(args), revision=revision, base=current)
    if args.action == "update":
        base = _find_term(current, args.source)
        return update_term(
            path, base.source, _term_from_args(args, base), revision=revision, base=current
        )
    if args.action == "remove":
        return remove_term(path, args.source, revision=revision, base=current)
    raise InputError(f"unknown action {args.action!r}")


def _show(preview: imports.Preview, out: TextIO) -> None:
    """The preview, one line per row that does something or has a problem."""
    if preview.header:
        print(f"  line {preview.header_line}: header ({', '.join(preview.header)})", file=out)
    for added in preview.added:
        print(f"+ {added.where}: {added.term.source} → {added.term.target}", file=out)
    for change in preview.changed:
        old, new = dump_term(change.old), dump_term(change.new)
        diff = ", ".join(
            f"{key}: {json.dumps(old.get(key), ensure_ascii=False)} → "
            f"{json.dumps(new.get(key), ensure_ascii=False)}"
            for key in dict.fromkeys([*old, *new])
            if old.get(key) != new.get(key)
        )
        print(f"~ {change.where}: {change.old.source}: {diff}", file=out)
    for same in preview.unchanged:
        print(f"= {same.where}: {same.term.source} (already there, unchanged)", file=out)
    for dup in preview.duplicates:
        other = "the glossary's" if dup.of == "glossary" else dup.of
        print(
            f"! {dup.where}: {dup.source} duplicates {other} {dup.other!r}: {dup.action}", file=out
        )
    for error in preview.errors:
        print(f"✗ {error}", file=out)


def _import(args: argparse.Namespace, path: Path, current: Glossary, revision: str) -> int:
    """`terms import FILE`: the preview first; written in one go unless --dry-run or errors."""
    source = Path(args.file)
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else source.read_bytes()
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror}") from exc
    fmt = imports.format_of(args.format, source.name)
    policy = imports.policy_of(args.on_duplicate)
    preview = imports.preview_file(current, data, fmt, policy, name=path.stem, filename=source.name)
    if args.json:
        json.dump(preview.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif args.dry_run:
        _show(preview, sys.stdout)
    elif not preview.ok:
        _show(replace(preview, added=[], changed=[], unchanged=[], duplicates=[]), sys.stderr)
    print(
        f"{path}: {'would import' if args.dry_run else 'import'}: {preview.summary()}",
        file=sys.stderr,
    )
    if args.dry_run:
        return 0 if preview.ok else 2
    result = imports.apply(path, current, preview, revision=revision, file=source.name)
    print(f"{path}: revision {result.revision}, {len(result.terms)} terms", file=sys.stderr)
    return 0


def _add_term_fields(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", required=True, help="German term")
    p.add_argument("--target", help="approved English")
    p.add_argument("--target-plural")
    p.add_argument("--source-plural", help="German plural where the rules miss it (Praxen)")
    p.add_argument("--match", choices=MATCH_MODES)
    p.add_argument("--case-sensitive", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--forbidden", nargs="*", help="wordings to flag in the output")
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--note")
    p.add_argument("--pos")
    p.add_argument("--gender", choices=["m", "f", "n"])


def _add_import_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "file", help=".yaml, .tsv, .csv or .tbx file (- for standard input, with --format)"
    )
    p.add_argument("--format", choices=imports.FORMATS, help="default: from the file's suffix")
    p.add_argument(
        "--on-duplicate",
        choices=imports.POLICIES,
        default=imports.DEFAULT_POLICY,
        help="a source already in the glossary or earlier in the file: keep the "
        "first (skip, the default), take the file's (overwrite), or import "
        "nothing (fail)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="only show what would be added, changed, skipped and refused",
    )
    p.add_argument("--json", action="store_true", help="the preview as JSON on stdout")


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
            _add_import_options(p)
        elif name == "export":
            p.add_argument("--format", choices=imports.FORMATS, default="tsv")
            p.add_argument(
                "--fields",
                choices=["all", "basic"],
                default="all",
                help="tsv/csv: every field behind a header line (all, the "
                "default), or DeepL's source and target only (basic)",
            )
        elif name == "list":
            p.add_argument("--json", action="store_true")
        if name in ("add", "update", "remove", "import"):
            add_author(p)
    _register_history(actions)


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.glossary)
    current = None
    with contextlib.suppress(GlossaryError):
        current = load_glossary(path).revision
    page = history.read(path, offset=args.offset, limit=args.limit, current=current)
    if args.json:
        rows = [entry.to_json() | {"gap_before": entry.gap_before} for entry in page.entries]
        json.dump(
            {
                "entries": rows,
                "more": page.more,
                "unrecorded": page.unrecorded,
                "unreadable": page.unreadable,
            },
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
        return 0
    if page.unrecorded:
        print(
            "! the file changed after the newest entry, without one (by hand, or an edit "
            "whose entry could not be written)"
        )
    for entry in page.entries:
        who = entry.author or "-"
        what = entry.action + (
            f" (undoes {entry.extra['reverts']})" if entry.extra.get("reverts") else ""
        )
        print(f"{entry.id}\t{entry.time}\t{who}\t{entry.via or '-'}\t{what}")
        if entry.file:
            print(f"    name: {entry.file[0]} -> {entry.file[1]}")
        if entry.title and entry.action != "create":
            print(f"    title: {entry.title[0]} -> {entry.title[1]}")
        for change in entry.changes:
            before = json.dumps(change.before, ensure_ascii=False) if change.before else "-"
            after = json.dumps(change.after, ensure_ascii=False) if change.after else "-"
            print(f"    {change.kind} {change.source}: {before} -> {after}")
        if entry.gap_before:
            print("! before this entry the file changed without an entry")
    if page.unreadable:
        print(f"({page.unreadable} unreadable lines left out)", file=sys.stderr)
    if page.more:
        print(f"(older entries: --offset {args.offset + args.limit})", file=sys.stderr)
    return 0


def cmd_revert(args: argparse.Namespace, settings: Settings) -> int:
    glossary = history.revert(Path(args.glossary), args.change_id)
    print(
        f"{args.glossary}: reverted {args.change_id}; revision {glossary.revision}, "
        f"{len(glossary.terms)} terms",
        file=sys.stderr,
    )
    return 0


def _register_history(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = actions.add_parser("history", help="the glossary's changes, newest first")
    p.add_argument("--glossary", required=True, help="YAML glossary file")
    p.add_argument("--limit", type=int, default=50, help="entries to show (default 50)")
    p.add_argument("--offset", type=int, default=0, help="newest entries to skip")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_history)

    p = actions.add_parser(
        "revert", help="undo one change (refused if a term it touched has changed since)"
    )
    p.add_argument("--glossary", required=True, help="YAML glossary file")
    p.add_argument("change_id", help="the change's id, as `terms history` shows it")
    add_author(p)
    p.set_defaults(handler=cmd_revert)
