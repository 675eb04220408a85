"""The `netguard` command: argparse wiring, and the one place errors become exit codes.

Each subcommand lives in netguard/commands/ (run + add_parser); a
NetguardError becomes one line on stderr and its exit code here, in main(),
and nowhere else (see errors.py for the codes).
"""

from __future__ import annotations

import argparse

from netguard import __version__, log
from netguard.config import DEFAULT_CONFIG_PATH
from netguard.errors import NetguardError, exit_now


def build_parser() -> argparse.ArgumentParser:
    from netguard.commands import check, importer, options, refresh, status, wait

    parser = argparse.ArgumentParser(
        prog="netguard", description="IPv6 safety for ifupdown: DAD and reject routes."
    )
    parser.add_argument("--version", action="version", version=f"netguard {__version__}")
    parser.add_argument(
        "--config", default=DEFAULT_CONFIG_PATH, help="configuration file (default: %(default)s)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="say what is done")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (wait, importer, refresh, status, check, options):
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log.set_verbose(args.verbose)
    try:
        return int(args.run(args))
    except NetguardError as err:
        log.error(err.line())
        return err.exit_code


def run() -> None:
    """Console entry point: main(), then a fast exit (see errors.exit_now)."""
    exit_now(main())


if __name__ == "__main__":
    run()
