"""`netguard options`: the stanza options and the steps they run, from their one declaration."""

from __future__ import annotations

import argparse

from netguard.catalogue import all_options, phases_of, steps_of
from netguard.errors import EXIT_OK
from netguard.options import PHASES


def run(args: argparse.Namespace) -> int:
    """The option table, then what runs in each phase, as the docs and `netguard check` see them."""
    for option in all_options():
        print(f"{option.name}\t{option.accepted}\t{option.example}\t{','.join(phases_of(option.name))}")
    if args.steps:
        for phase in PHASES:
            for step in steps_of(phase):
                where = f"{phase} --all" if step.meta else phase  # ifup -a's call before/after all
                print(f"{where}\t{step.order}\t{step.option}\t{step.policy}\t{step.does}")
    return EXIT_OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("options", help="list the stanza options netguard understands")
    parser.add_argument("--steps", action="store_true", help="also list each phase's steps in order")
    parser.set_defaults(run=run)
