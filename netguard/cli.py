"""The `netguard` command: one small function per subcommand.

Errors become one line on stderr and an exit code here, in main(), and
nowhere else (see errors.py for the codes).
"""

from __future__ import annotations

import argparse

from netguard import __version__, log
from netguard.config import DEFAULT_CONFIG_PATH, load_config
from netguard.errors import EXIT_OK, NetguardError, OptionError, exit_now
from netguard.options import MAX_WAIT_SECONDS, OPTIONS


def cmd_wait(args: argparse.Namespace) -> int:
    """Block one service until its addresses are usable, not the whole boot."""
    from pyroute2 import IPRoute

    from netguard import watch
    from netguard.features import waitdad
    from netguard.state import has_carrier, ipv6_addresses

    wanted = []
    for text in args.addresses:
        try:
            wanted.append(waitdad.parse_wanted(text))
        except ValueError:
            raise OptionError(
                f"{text!r} is not an IPv6 address; give one such as 2001:db8::1", "", "wait"
            ) from None
    timeout = args.timeout if args.timeout is not None else load_config(args.config).wait_dad_timeout
    with IPRoute() as ipr:
        found, _ = watch.wait_until(
            lambda: ipv6_addresses(ipr),
            lambda state: waitdad.assess_wanted(state, wanted).finished,
            timeout,
        )
    verdict = waitdad.assess_wanted(found, wanted)
    carrierless = {a.ifname for a in verdict.pending if not has_carrier(a.ifname)}
    problem = waitdad.failure(verdict, "", timeout, carrierless)
    if problem is not None:
        problem.option = "wait"
        raise problem
    log.info("", "wait", "usable: " + ", ".join(str(a) for a in wanted))
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Fill the cache from a plain list: air-gapped hosts, labs, tests."""
    from netguard.options import BadValue, parse_asn
    from netguard.prefixes.cache import CacheEntry, now_utc, parse_prefix_lines, write_entry

    try:
        asn = parse_asn(args.asn)
    except BadValue as err:
        raise OptionError(f"bad AS number {args.asn!r}; {err}", "", "import") from None
    try:
        with open(args.file, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeError) as err:
        raise OptionError(f"cannot read {args.file}: {err}", "", "import") from None
    prefixes, bad = parse_prefix_lines(lines)
    if bad:
        number, text = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise OptionError(
            f"{args.file}:{number}: {text!r} is not a prefix{more}; fix the list (one prefix per line, # comments)",
            "",
            "import",
        )
    stamp = now_utc()
    entry = CacheEntry(
        asn,
        f"import:{args.source or args.file}",
        stamp,
        stamp,
        tuple(sorted(set(prefixes), key=lambda p: (p.version, p))),
    )
    path = write_entry(load_config(args.config).cache_dir, entry)
    v6 = sum(p.version == 6 for p in entry.prefixes)
    print(f"AS{asn}: {v6} IPv6 and {len(entry.prefixes) - v6} IPv4 prefixes cached in {path}")
    return EXIT_OK


def cmd_options(args: argparse.Namespace) -> int:
    """The option table, as the docs and `netguard check` see it."""
    for option in OPTIONS:
        print(f"{option.name}\t{option.accepted}\t{option.example}")
    return EXIT_OK


def _timeout(text: str) -> float:
    seconds = float(text)
    if not 0 < seconds <= MAX_WAIT_SECONDS:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most {MAX_WAIT_SECONDS:g}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netguard", description="IPv6 safety for ifupdown: DAD and reject routes."
    )
    parser.add_argument("--version", action="version", version=f"netguard {__version__}")
    parser.add_argument(
        "--config", default=DEFAULT_CONFIG_PATH, help="configuration file (default: %(default)s)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="say what is done")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    wait = commands.add_parser("wait", help="wait until IPv6 addresses are present and not tentative")
    wait.add_argument(
        "--timeout", type=_timeout, help="seconds (default: Wait-Dad-Timeout of the configuration)"
    )
    wait.add_argument("addresses", nargs="+", metavar="ADDRESS")
    wait.set_defaults(run=cmd_wait)

    importer = commands.add_parser("import", help="cache an AS's prefixes from a plain list (one per line)")
    importer.add_argument("asn", metavar="ASN", help="174 or AS174")
    importer.add_argument("file", metavar="FILE", help="prefixes, one per line, # comments")
    importer.add_argument("--source", help="where the list came from, recorded in the cache")
    importer.set_defaults(run=cmd_import)

    from netguard.commands import check, refresh, status

    refresh.add_parser(commands)
    status.add_parser(commands)
    check.add_parser(commands)

    options = commands.add_parser("options", help="list the stanza options netguard understands")
    options.set_defaults(run=cmd_options)
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
