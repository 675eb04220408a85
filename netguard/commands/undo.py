"""`netguard undo [--all | IFACE...]`: what ifdown of the interfaces would undo, without ifdown.

The package's removal runs `netguard undo --all` (prerm): once the package is
gone no hook and no netguard command is left to withdraw reject routes or to
give back the sysctls `dad` changed, so the network is left as it would be
without netguard. Each interface netguard recorded a change for
(State-Dir/applied, the reject wants) goes through the hook's own pre-down
and post-down steps, in a process of its own with the environment ifdown
gives and no stanza option: those steps undo what the records say, whatever
the stanza says. The interfaces stay up; nothing else changes.
"""

from __future__ import annotations

import argparse
import os

from netguard import log
from netguard.config import load_config
from netguard.errors import EXIT_FAILURE, EXIT_OK, shown


def recorded(state_dir: str) -> list[str]:
    """Every interface with a change recorded: an applied record or reject wants."""
    from netguard import wants
    from netguard.safefile import listdir

    names: set[str] = set()
    try:
        names.update(n for n in listdir(os.path.join(state_dir, "applied")) if not n.startswith("."))
    except OSError:
        pass
    try:
        names.update(key[0] for n in listdir(wants.directory(state_dir)) if (key := wants.key_of(n)))
    except OSError:
        pass
    return sorted(names)


def undo(iface: str) -> int:
    """The hook's pre-down then post-down for one interface; the worse exit code."""
    import subprocess
    import sys

    import netguard

    home = os.path.dirname(
        os.path.dirname(os.path.abspath(netguard.__file__))
    )  # this netguard's, nothing else
    code = (
        f"import sys; sys.path.insert(0, {home!r}); "
        "sys.path.append('/usr/lib/python3/dist-packages'); from netguard.hook import run; run()"
    )
    worst = EXIT_OK
    for phase in ("pre-down", "post-down"):
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "IFACE": iface,
            "LOGICAL": iface,
            "ADDRFAM": "inet6",
            "METHOD": "manual",
            "MODE": "stop",
            "PHASE": phase,
            "VERBOSITY": "0",
        }
        done = subprocess.run([sys.executable, "-I", "-S", "-c", code], env=env, check=False, timeout=120)
        worst = max(worst, done.returncode)
    return worst


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    names = recorded(config.state_dir) if args.all else args.ifaces
    failed = [name for name in names if undo(name) != EXIT_OK]
    for name in names:
        if name not in failed:
            log.info(name, "undo", "what netguard changed is undone")
    if failed:
        log.error(
            f"netguard: undo: {', '.join(shown(n) for n in failed)}: not wholly undone (the lines above)"
        )
        return EXIT_FAILURE
    return EXIT_OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "undo",
        help="undo what netguard changed for interfaces (reject routes, sysctls), as their ifdown would",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every interface netguard recorded a change for")
    which.add_argument("ifaces", nargs="*", default=[], metavar="IFACE")
    parser.set_defaults(run=run)
