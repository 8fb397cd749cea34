"""`glossary models list|install|remove|ensure`: managing Argos packages from the command line.
Handlers raise GlossaryError subclasses; glossary.cli turns them into a message and exit code."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from glossary.config import Settings
from glossary.errors import GlossaryError, InputError
from glossary.index import OFFLINE_HINT, install_from_index, progress_bar
from glossary.packages import (
    InstalledPackage,
    find_package,
    install_from_file,
    list_packages,
    remove_package,
)


def _describe(package: InstalledPackage) -> str:
    return f"{package.from_code}→{package.to_code} {package.package_version} ({package.path})"


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    packages = list_packages(settings.packages_dir)
    if args.json:
        rows = [
            {
                "from_code": p.from_code,
                "to_code": p.to_code,
                "package_version": p.package_version,
                "folder": p.path.name,
                "path": str(p.path),
            }
            for p in packages
        ]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not packages:
        print(f"no packages installed in {settings.packages_dir}")
        return 0
    table = [("PAIR", "VERSION", "FOLDER")]
    table += [(f"{p.from_code}→{p.to_code}", p.package_version, p.path.name) for p in packages]
    widths = [max(len(row[i]) for row in table) for i in range(2)]
    for pair, version, folder in table:
        print(f"{pair:<{widths[0]}}  {version:<{widths[1]}}  {folder}")
    return 0


def _install_from_index(args: argparse.Namespace, settings: Settings) -> InstalledPackage:
    label = f"{args.from_code}→{args.to_code}"
    with progress_bar(f"downloading {label}", force=args.progress) as progress:
        return install_from_index(settings, args.from_code, args.to_code, progress)


def cmd_install(args: argparse.Namespace, settings: Settings) -> int:
    codes = args.from_code is not None, args.to_code is not None
    if args.file is not None:
        if any(codes):
            raise InputError("give either FROM TO (from the index) or --file, not both")
        package = install_from_file(settings.packages_dir, Path(args.file))
    elif all(codes):
        package = _install_from_index(args, settings)
    else:
        raise InputError("name the pair (`glossary models install de en`) or give --file PATH")
    print(f"installed {_describe(package)}")
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    package = remove_package(settings.packages_dir, args.from_code, args.to_code)
    print(f"removed {_describe(package)}")
    return 0


def cmd_ensure(args: argparse.Namespace, settings: Settings) -> int:
    """For `make run`: install the pair if it is missing and the index is reachable. Any
    failure is reported but not fatal, since the server must start anyway (offline it says
    no model is installed)."""
    installed = find_package(settings.packages_dir, args.from_code, args.to_code)
    if installed is not None:
        print(f"model ready: {_describe(installed)}")
        return 0
    try:
        package = _install_from_index(args, settings)
    except GlossaryError as exc:
        hint = "" if "--file" in str(exc) else f"; {OFFLINE_HINT}"
        print(
            f"glossary: no {args.from_code}→{args.to_code} model is installed and none could be "
            f"downloaded: {exc}{hint}\nStarting without it.",
            file=sys.stderr,
        )
        return 0
    print(f"installed {_describe(package)}")
    return 0


def _add_pair(parser: argparse.ArgumentParser, optional: bool = False) -> None:
    nargs = "?" if optional else None
    parser.add_argument("from_code", nargs=nargs, metavar="FROM", help="source language, e.g. de")
    parser.add_argument("to_code", nargs=nargs, metavar="TO", help="target language, e.g. en")


def _add_progress(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        action="store_true",
        help="show the download progress bar even when stderr is not a terminal",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `models` and its sub-commands; each leaf sets `handler(args, settings) -> int`."""
    models = subparsers.add_parser(
        "models",
        help="list, install and remove Argos translation packages",
        description="Manage the Argos package directory (shared with argospm).",
    )
    sub = models.add_subparsers(dest="models_command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list installed packages")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser(
        "install",
        help="install a pair from the Argos index, or a local .argosmodel file",
        epilog="Without internet: glossary models install --file PATH.argosmodel",
    )
    _add_pair(p, optional=True)
    p.add_argument("--file", metavar="PATH", help="a local .argosmodel file (no network used)")
    _add_progress(p)
    p.set_defaults(handler=cmd_install)

    p = sub.add_parser("remove", help="remove the installed package(s) of a pair")
    _add_pair(p)
    p.set_defaults(handler=cmd_remove)

    p = sub.add_parser(
        "ensure", help="install the pair from the index unless installed; never fails offline"
    )
    _add_pair(p)
    _add_progress(p)
    p.set_defaults(handler=cmd_ensure)
