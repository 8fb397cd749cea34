"""`glossary glossaries list|create|rename|delete`: the glossaries of the terms folder
(GLOSSARY_TERMS_DIR), with defaults and owners kept consistent (glossary.management)."""

from __future__ import annotations

import argparse
import json
import sys

from glossary.config import Settings
from glossary.errors import InputError
from glossary.management import GlossaryFolder


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    folder = GlossaryFolder.of(settings)
    folder.store.require_folder()
    rows = folder.list()
    if args.json:
        json.dump(
            [
                {
                    "name": r.name,
                    "title": r.glossary.name if r.glossary else None,
                    "source_language": r.glossary.source_language if r.glossary else None,
                    "target_language": r.glossary.target_language if r.glossary else None,
                    "term_count": len(r.glossary.terms) if r.glossary else None,
                    "error": r.error,
                }
                for r in rows
            ],
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
        return 0
    for row in rows:
        if row.glossary is None:
            print(f"{row.name}\t(invalid)\t\t\t{row.error}")
            continue
        glossary = row.glossary
        pair = f"{glossary.source_language}-{glossary.target_language}"
        note = (
            f"\t(the file is invalid; its last valid version is used: {row.error})"
            if row.error
            else ""
        )
        print(f"{row.name}\t{glossary.name}\t{pair}\t{len(glossary.terms)}{note}")
    return 0


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    glossary = GlossaryFolder.of(settings).create(
        args.name, title=args.title, source_language=args.source, target_language=args.target
    )
    print(
        f"created {glossary.path} ({glossary.source_language}→{glossary.target_language})",
        file=sys.stderr,
    )
    return 0


def cmd_rename(args: argparse.Namespace, settings: Settings) -> int:
    now = GlossaryFolder.of(settings).rename(
        args.name, args.new_name, title=args.title, allow_api_made=True
    )
    print(
        f"glossary {args.name} is now {now}" + (f", titled {args.title!r}" if args.title else ""),
        file=sys.stderr,
    )
    return 0


def cmd_delete(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        raise InputError(
            f"deleting glossary {args.name!r} removes its file, all its terms and "
            "its history; add --yes to delete it"
        )
    GlossaryFolder.of(settings).delete(args.name, allow_api_made=True)
    print(f"deleted glossary {args.name}", file=sys.stderr)
    return 0


def add_author(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--author",
        help="name recorded in the glossary's history (default: the operating-system user)",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    top = sub.add_parser(
        "glossaries",
        help="list, create, rename and delete the glossaries of "
        "the terms folder (GLOSSARY_TERMS_DIR)",
    )
    actions = top.add_subparsers(dest="action", required=True)

    p = actions.add_parser("list", help="name, title, languages and number of terms")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser("create", help="a new, empty glossary NAME (file NAME.yaml)")
    p.add_argument("name")
    p.add_argument("--title", help="the title people see (default: NAME)")
    p.add_argument("--from", dest="source", default="de", help="source language (default de)")
    p.add_argument("--to", dest="target", default="en", help="target language (default en)")
    add_author(p)
    p.set_defaults(handler=cmd_create)

    p = actions.add_parser(
        "rename",
        help="give glossary NAME a new file name and/or title; a default glossary stays a default",
    )
    p.add_argument("name")
    p.add_argument("new_name", nargs="?", help="the new name (its file NEW_NAME.yaml)")
    p.add_argument("--title", help="the new title")
    add_author(p)
    p.set_defaults(handler=cmd_rename)

    p = actions.add_parser("delete", help="delete glossary NAME with its history")
    p.add_argument("name")
    p.add_argument("--yes", action="store_true", help="really delete it")
    add_author(p)
    p.set_defaults(handler=cmd_delete)
