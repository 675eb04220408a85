"""`netguard probe [--rounds N] [--interval S]`: probe reject-asn-probe targets, heal the reject routes.

Run by netguard-probe.timer (never by a hook). Each round sends one probe
per target of every interface whose stanza has reject-asn-probe, through
that interface, each bounded by its timeout; a verdict that changes (three
rounds in a row) re-plans that interface's routes under reconcile's lock.
SIGTERM ends it between two steps, cleanly (exit 143).
"""

from __future__ import annotations

import argparse
import signal
import time

from netguard import log
from netguard.config import load_config
from netguard.errors import EXIT_OK

MAX_ROUNDS = 100  # with --interval at least MIN_INTERVAL: a run is bounded in time and rate
MIN_INTERVAL = 1.0


class Stop(BaseException):
    """SIGTERM: leave at the next step (a transaction under way completes first)."""


def run(args: argparse.Namespace) -> int:
    from netguard import probestate, probing, reconcile, wants

    def stop(_signum: int, _frame: object) -> None:
        raise Stop

    signal.signal(signal.SIGTERM, stop)
    config = load_config(args.config)
    try:
        for number in range(args.rounds):
            if number:
                time.sleep(args.interval)
            current, _problems = wants.read_all(
                config.state_dir, config.reject_max_routes, set_bad_aside=False
            )
            targets = {
                iface: w.record.probes for (iface, _family), w in sorted(current.items()) if w.record.probes
            }
            for iface, probes in targets.items():
                reachable, line = probing.probe_round(iface, probes)
                log.info(iface, "reject-asn-probe", line)
                changed = reconcile.probed(config, iface, reachable, line)
                if changed is not None:
                    now_withdrawn, verdict = changed
                    what = "withdrawn" if now_withdrawn else "installed again"
                    message = (
                        f"targets {verdict} through {iface} {probestate.ROUNDS_TO_FLIP} rounds in a row: "
                        f"reject routes {what} ({line})"
                    )
                    print(log.line(iface, "reject-asn-probe", message))
                    log.to_journal()
                    log.info(iface, "reject-asn-probe", message)
    except Stop:
        return 143
    return EXIT_OK


def _rounds(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ROUNDS:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {MAX_ROUNDS}")
    return int(text)


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("seconds") from None
    if not MIN_INTERVAL <= value <= 300:
        raise argparse.ArgumentTypeError(f"from {MIN_INTERVAL:g} to 300 seconds")
    return value


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("probe", help="probe reject-asn-probe targets and heal the reject routes")
    parser.add_argument(
        "--rounds", type=_rounds, default=1, help="probe rounds (default 1: the timer repeats)"
    )
    parser.add_argument(
        "--interval", type=_interval, default=10.0, help="seconds between rounds (at least 1)"
    )
    parser.set_defaults(run=run)
