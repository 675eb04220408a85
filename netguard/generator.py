"""The systemd generator: netguard's boot ordering, written only where a stanza asks for it.

systemd runs it early at every boot and daemon-reload, before any unit
(systemd.generator(7)). It reads interfaces(5) as the installed ifupdown
does and writes, into the generator's normal directory, what bootpaths.py
planned: networking.service ordered before network-online.target, and for
each `allow-hotplug` interface of ifupdown 0.8 a oneshot ifup@IFACE.service
and netguard-wait@IFACE.service wanted by network-online.target. A host
whose stanzas ask for nothing gets nothing: no unit, no changed ordering.
A generator must never stop a boot: any problem is one line (the journal)
and an exit 0 with nothing written.
"""

from __future__ import annotations

import os
import sys

from netguard.bootpaths import NETWORKING, WAITER, BootPath, needs_ordering, plan, unit_instance
from netguard.interfaces import DEFAULT_INTERFACES, detect_rules, read_interfaces

UNIT_DIRS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")

ORDERING = """\
# Written by netguard's generator: a stanza asks for usable addresses at
# network-online.target (wait-dad, dad off). ifupdown2's and ifupdown-ng's
# networking.service are not ordered before it (ifupdown2 #30), so units
# After=network-online.target would start while `ifup -a` still runs.
[Unit]
Before=network.target network-online.target
"""

ONESHOT = """\
# Written by netguard's generator: {iface} asks for usable addresses at
# network-online.target. Type=simple ended this job when ifup started;
# oneshot ends it when ifup (and netguard's wait in it) has finished, as
# networking.service does for `auto` interfaces.
[Service]
Type=oneshot
"""


def units(paths: list[BootPath]) -> dict[str, str]:
    """{relative path in the generator directory: file text, or '->TARGET' for a link}."""
    written: dict[str, str] = {}
    if needs_ordering(paths):
        written[f"{NETWORKING}.d/netguard.conf"] = ORDERING
    for path in paths:
        if path.waiter:
            instance = unit_instance(path.iface)
            written[f"ifup@{instance}.service.d/netguard.conf"] = ONESHOT.format(iface=path.iface)
            written[f"network-online.target.wants/netguard-wait@{instance}.service"] = "->" + _template()
    return written


def _template() -> str:
    for directory in UNIT_DIRS:
        candidate = os.path.join(directory, WAITER)
        if os.path.exists(candidate):
            return candidate
    return os.path.join(UNIT_DIRS[1], WAITER)


def write(directory: str, files: dict[str, str]) -> None:
    for relative, text in files.items():
        target = os.path.join(directory, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if text.startswith("->"):
            os.symlink(text[2:], target)
            continue
        with open(target, "x", encoding="utf-8") as handle:
            handle.write(text)


def main(argv: list[str], interfaces: str = DEFAULT_INTERFACES, root: str = "/") -> int:
    """argv: the generator's three directories (normal, early, late); only normal is written."""
    if len(argv) < 2:
        print("netguard-generator: usage: netguard-generator NORMAL [EARLY LATE]", file=sys.stderr)
        return 0
    try:
        rules = detect_rules(root)
        marks: dict[str, set[str]] = {}
        stanzas = read_interfaces(interfaces, rules, marks=marks)
        files = units(plan(stanzas, marks, rules))
        write(argv[1], files)
    except Exception as err:  # a generator must never stop a boot: one line, nothing ordered
        print(
            f"netguard-generator: {interfaces}: {err}; netguard orders nothing at this boot", file=sys.stderr
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
