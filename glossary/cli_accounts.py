"""`glossary users`, `glossary keys` and `glossary defaults`: who may use the server and which
glossaries apply when a request names none. They change files in the state folder that a
running server re-reads, so no restart is needed."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from glossary.accounts import ROLES, Accounts, check_role
from glossary.config import Settings
from glossary.errors import InputError
from glossary.owners import DefaultGlossaries, api_made
from glossary.store import GlossaryStore


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InputError("no terminal to ask for the password: use --password-stdin")
    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise InputError("the two passwords differ")
    return first


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    book = Accounts.of(settings)
    if args.action == "add":
        check_role(args.role)  # before asking for a password
        book.add_user(args.name, _password(args), args.role)
        print(f"user {args.name} ({args.role}) saved in {book.file.path}")
    elif args.action == "remove":
        book.remove_user(args.name)
        print(f"user {args.name} removed")
    else:
        for name, role in book.users():
            print(f"{name}\t{role}")
    return 0


def cmd_keys(args: argparse.Namespace, settings: Settings) -> int:
    book = Accounts.of(settings)
    if args.action == "add":
        secret = book.add_key(args.name, args.role)
        print(secret)
        print(
            f"key {args.name} ({args.role}) saved; the key above is shown only now", file=sys.stderr
        )
    elif args.action == "remove":
        book.remove_key(args.name)
        print(f"key {args.name} removed")
    else:
        for name, role in book.api_keys():
            print(f"{name}\t{role}")
    return 0


def cmd_defaults(args: argparse.Namespace, settings: Settings) -> int:
    defaults = DefaultGlossaries.of(settings)
    present = [Path(g.path or g.name).stem for g in GlossaryStore(settings.terms_dir).list()]
    if args.action == "set":
        unknown = sorted(set(args.names) - set(present))
        owned = sorted(n for n in args.names if api_made(n))
        if unknown or owned:
            raise InputError(
                "not a glossary file in the terms folder: " + ", ".join(unknown)
                if unknown
                else "made through the DeepL API, so owned by a key: " + ", ".join(owned)
            )
        defaults.mark(args.names)
    for name in defaults.chosen(present):
        print(name)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser("users", help="people who sign in to the page")
    actions = users.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a user or change one's password and role")
    add.add_argument("name")
    add.add_argument("--role", default="reader", help=f"one of {', '.join(ROLES)}")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin",
    )
    actions.add_parser("remove").add_argument("name")
    actions.add_parser("list")
    users.set_defaults(handler=cmd_users)

    keys = sub.add_parser("keys", help="API keys, each with a name and a role")
    actions = keys.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="make a key; prints it once")
    add.add_argument("name")
    add.add_argument("--role", default="reader", help=f"one of {', '.join(ROLES)}")
    actions.add_parser("remove").add_argument("name")
    actions.add_parser("list")
    keys.set_defaults(handler=cmd_keys)

    defaults = sub.add_parser("defaults", help="glossaries used when a request names none")
    actions = defaults.add_subparsers(dest="action", required=True)
    actions.add_parser("list")
    actions.add_parser("set").add_argument("names", nargs="*", metavar="NAME")
    defaults.set_defaults(handler=cmd_defaults)
