"""`netguard options`: the stanza options, from their one declaration."""

from __future__ import annotations

import argparse

from netguard.errors import EXIT_OK
from netguard.options import OPTIONS


def run(args: argparse.Namespace) -> int:
    """The option table, as the docs and `netguard check` see it."""
    for option in OPTIONS:
        print(f"{option.name}\t{option.accepted}\t{option.example}")
    return EXIT_OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("options", help="list the stanza options netguard understands")
    parser.set_defaults(run=run)
