"""The last outcome of each hook phase per interface, kept in State-Dir for `netguard status`.

Under ifupdown2 and ifupdown-ng a failing hook cannot stop ifup, and at boot
nobody reads the console: `netguard status` (and the journal) is where the
admin finds out. One small file per interface, `State-Dir/outcome/IFACE`,
one tab-separated line per phase (the latest wins), written atomically.
IPv4 conflict probes are kept the same way, one line per address, in
`State-Dir/ipv4-dad/IFACE` (kind IPV4_DAD: status free, in use, not checked).
"""

from __future__ import annotations

import os
import time

from netguard.options import PHASES
from netguard.safefile import UnsafeFile, check_directory, own_directory, read_bounded, write_atomic

LIMIT = 64 * 1024
PHASE, IPV4_DAD, WAIT = "outcome", "ipv4-dad", "wait"  # the kinds: keyed by phase, IPv4 address, wait


def path(state_dir: str, iface: str, kind: str = PHASE) -> str:
    return os.path.join(state_dir, kind, iface)


def read(state_dir: str, iface: str, kind: str = PHASE) -> dict[str, dict[str, str]]:
    """{phase: {"time": ..., "status": ok|warning|failed, "message": ...}}; {} when none or unreadable."""
    found: dict[str, dict[str, str]] = {}
    try:
        text = read_bounded(path(state_dir, iface, kind), LIMIT).decode("utf-8", "replace")
    except (FileNotFoundError, PermissionError, UnsafeFile):
        return found
    for line in text.split("\n"):
        fields = line.split("\t")
        if len(fields) == 4 and (fields[0] in PHASES or kind != PHASE):
            found[fields[0]] = {"time": fields[1], "status": fields[2], "message": fields[3]}
    return found


def record(state_dir: str, iface: str, key: str, status: str, message: str, kind: str = PHASE) -> None:
    """Best effort: a record that cannot be written must not change what the hook does."""
    try:
        check_directory(state_dir)
        where = os.path.dirname(path(state_dir, iface, kind))
        own_directory(where)
        current = read(state_dir, iface, kind)
        current[key] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "status": status,
            "message": " ".join(message.split())[:500],
        }
        lines = [f"{p}\t{v['time']}\t{v['status']}\t{v['message']}" for p, v in current.items()]
        write_atomic(where, iface, ("\n".join(lines) + "\n").encode("utf-8"), sync=False)
    except (OSError, UnsafeFile):
        pass
