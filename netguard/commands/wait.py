"""`netguard wait ADDRESS...`: delay one service, not the whole boot, until its address is usable.

For a systemd drop-in (ExecStartPre=/usr/sbin/netguard wait 2001:db8::1):
present on some interface (or the zone's) and not tentative; a duplicate
fails at once, and the wait is bounded.
"""

from __future__ import annotations

import argparse

from netguard import log
from netguard.config import load_config
from netguard.errors import EXIT_OK, OptionError, shown
from netguard.options import BadValue, bounded_seconds


def run(args: argparse.Namespace) -> int:
    """Block one service until its addresses are usable, not the whole boot."""
    from netguard import usable, watch
    from netguard.state import has_carrier, interface_exists

    wanted = []
    for text in args.addresses:
        try:
            address = usable.parse_wanted(text)
        except ValueError:
            raise OptionError(
                f"{shown(text)} is not an IPv6 address; give one such as 2001:db8::1 or fe80::1%eth0",
                "",
                "wait",
            ) from None
        if address.scope_id and not interface_exists(address.scope_id):
            raise OptionError(
                f"no interface {shown(address.scope_id)} (the zone of {shown(text)})", "", "wait"
            )
        wanted.append(address)
    timeout = args.timeout if args.timeout is not None else load_config(args.config).wait_dad_timeout
    verdict = watch.wait_for_addresses(None, lambda found: usable.assess_wanted(found, wanted), timeout)
    carrierless = {a.ifname for a in verdict.pending if not has_carrier(a.ifname)}
    problem = usable.failure(verdict, "", timeout, carrierless)
    if problem is not None:
        problem.option = "wait"
        raise problem
    log.info("", "wait", "usable: " + ", ".join(str(a) for a in wanted))
    return EXIT_OK


def _timeout(text: str) -> float:
    try:
        return bounded_seconds(float(text))
    except ValueError as err:  # BadValue too
        raise argparse.ArgumentTypeError(str(err) if isinstance(err, BadValue) else "not a number") from None


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("wait", help="wait until IPv6 addresses are present and not tentative")
    parser.add_argument(
        "--timeout", type=_timeout, help="seconds (default: Wait-Dad-Timeout of the configuration)"
    )
    parser.add_argument("addresses", nargs="+", metavar="ADDRESS")
    parser.set_defaults(run=run)
