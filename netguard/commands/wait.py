"""`netguard wait ADDRESS...`: delay one service, not the whole boot, until its address is usable.

For a systemd drop-in (ExecStartPre=/usr/sbin/netguard wait 2001:db8::1):
present on some interface (or the zone's) and not tentative; a duplicate
fails at once, and the wait is bounded.
"""

from __future__ import annotations

import argparse

from netguard import log
from netguard.config import load_config
from netguard.errors import EXIT_OK, OptionError
from netguard.options import MAX_WAIT_SECONDS


def run(args: argparse.Namespace) -> int:
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


def _timeout(text: str) -> float:
    seconds = float(text)
    if not 0 < seconds <= MAX_WAIT_SECONDS:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most {MAX_WAIT_SECONDS:g}")
    return seconds


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("wait", help="wait until IPv6 addresses are present and not tentative")
    parser.add_argument(
        "--timeout", type=_timeout, help="seconds (default: Wait-Dad-Timeout of the configuration)"
    )
    parser.add_argument("addresses", nargs="+", metavar="ADDRESS")
    parser.set_defaults(run=run)
