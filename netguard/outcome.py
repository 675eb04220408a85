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
from netguard.safefile import UnsafeFile, open_directory, read_bounded, write_atomic

LIMIT = 64 * 1024
PHASE, IPV4_DAD, WAIT = "outcome", "ipv4-dad", "wait"  # the kinds: keyed by phase, IPv4 address, wait


def read(state_dir: str, iface: str, kind: str = PHASE) -> dict[str, dict[str, str]]:
    """{phase: {"time": ..., "status": ok|warning|failed, "message": ...}}; {} when none or unreadable.

    Through safefile.open_directory: a link planted at State-Dir/KIND is never followed."""
    found: dict[str, dict[str, str]] = {}
    if "/" in iface or iface in ("", ".", ".."):
        return found
    try:
        where = open_directory(state_dir, kind)
    except (OSError, UnsafeFile):
        return found
    try:
        text = read_bounded(iface, LIMIT, dir_fd=where).decode("utf-8", "replace")
    except (OSError, UnsafeFile):
        return found
    finally:
        os.close(where)
    for line in text.split("\n"):
        fields = line.split("\t")
        if len(fields) == 4 and (fields[0] in PHASES or kind != PHASE):
            found[fields[0]] = {"time": fields[1], "status": fields[2], "message": fields[3]}
    return found


def record(state_dir: str, iface: str, key: str, status: str, message: str, kind: str = PHASE) -> None:
    """Best effort: a record that cannot be written must not change what the hook does."""
    if "/" in iface or iface in ("", ".", ".."):
        return
    try:
        current = read(state_dir, iface, kind)
        current[key] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "status": status,
            "message": " ".join(message.split())[:500],
        }
        lines = [f"{p}\t{v['time']}\t{v['status']}\t{v['message']}" for p, v in current.items()]
        where = open_directory(state_dir, kind, make=True)
        try:
            data = ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
            write_atomic(os.path.join(state_dir, kind), iface, data, sync=False, dir_fd=where)
        finally:
            os.close(where)
    except (OSError, UnsafeFile):
        pass
