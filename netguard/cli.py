"""The `netguard` command: argparse wiring, and the one place errors become exit codes.

Each subcommand lives in netguard/commands/ (run + add_parser); a
NetguardError becomes one line on stderr and its exit code here, in main(),
and nowhere else (see errors.py for the codes).
"""

from __future__ import annotations

import argparse

from netguard import __version__, log
from netguard.config import DEFAULT_CONFIG_PATH
from netguard.errors import EXIT_FAILURE, EXIT_INTERRUPTED, NetguardError, exit_now, unexpected


def build_parser() -> argparse.ArgumentParser:
    from netguard.commands import bootwait, check, importer, options, probe, refresh, status, undo, wait

    parser = argparse.ArgumentParser(
        prog="netguard", description="IPv6 safety for ifupdown: DAD and reject routes."
    )
    parser.add_argument("--version", action="version", version=f"netguard {__version__}")
    parser.add_argument(
        "--config", default=DEFAULT_CONFIG_PATH, help="configuration file (default: %(default)s)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="say what is done")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (wait, importer, refresh, probe, status, check, options, bootwait, undo):
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The one place a command's failure becomes a line and an exit code."""
    try:
        args = build_parser().parse_args(argv)
        log.set_verbose(args.verbose)
        return int(args.run(args))
    except NetguardError as err:
        log.error(err.line())
        return err.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED  # Ctrl-C: the user knows; no traceback, no line
    except OSError as err:  # disk full, permission denied ...: the system said no
        where = f" {err.filename}" if err.filename else ""
        hint = "; run it as root" if err.errno in (1, 13) else ""
        log.error(f"netguard: {err.strerror or err}{where}{hint}")
        return EXIT_FAILURE
    except Exception as err:
        log.traceback_to_journal("netguard: traceback")
        log.error(f"netguard: {unexpected(err)}")
        return EXIT_FAILURE


def run() -> None:
    """Console entry point: main(), then a fast exit (see errors.exit_now)."""
    exit_now(main())


if __name__ == "__main__":
    run()
