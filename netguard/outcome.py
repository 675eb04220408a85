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

from netguard import stateformat
from netguard.options import PHASES
from netguard.safefile import UnsafeFile, unlink_in

LIMIT = 64 * 1024
PHASE, IPV4_DAD, WAIT = "outcome", "ipv4-dad", "wait"  # the kinds: keyed by phase, IPv4 address, wait


# What each kind's lines may hold: a record netguard could not have written is a problem, never
# output (status --json has a closed schema). Kinds not named here (Cache-Dir's refresh
# attempts) are checked for shape only.
_STATUSES: dict[str, dict[str, tuple[str, ...]]] = {
    PHASE: {phase: ("ok", "warning", "failed") for phase in PHASES},
    WAIT: {
        "wait-dad": ("at the interface", "at the end of the ifup -a run"),
        "boot": ("usable", "device missing", "ifup unfinished", "ifup failed", "not usable"),
    },
}
IPV4_STATUSES = ("free", "in use", "not checked")


def _valid(kind: str, key: str, when: str, status: str) -> bool:
    if not (len(when) == 24 and when[4] == "-" and when[10] == "T" and when[:4].isdigit()):
        return False
    if kind == IPV4_DAD:
        parts = key.split(".")
        return (
            status in IPV4_STATUSES and len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)
        )
    allowed = _STATUSES.get(kind)
    return allowed is None or status in allowed.get(key, ())


def read(
    state_dir: str, iface: str, kind: str = PHASE, problems: list[str] | None = None
) -> dict[str, dict[str, str]]:
    """{key: {"time": ..., "status": ..., "message": ...}}; {} when none or unreadable.

    Through safefile.open_directory (a link planted at State-Dir/KIND is never followed); any
    format stateformat reads; a line netguard could not have written is left out and, when
    problems is given, named there."""
    found: dict[str, dict[str, str]] = {}
    try:
        _, lines = stateformat.read(state_dir, kind, iface, LIMIT)
    except stateformat.NewerFormat as err:
        if problems is not None:
            problems.append(f"{os.path.join(state_dir, kind, iface)}: {err}; not shown")
        return found
    except (OSError, UnsafeFile):
        return found
    for line in lines:
        fields = line.split("\t")
        if len(fields) == 4 and _valid(kind, *fields[:3]):
            found[fields[0]] = {"time": fields[1], "status": fields[2], "message": fields[3]}
        elif problems is not None:
            problems.append(
                f"{os.path.join(state_dir, kind, iface)}: a line netguard could not have written; left out"
            )
    return found


def record(state_dir: str, iface: str, key: str, status: str, message: str, kind: str = PHASE) -> None:
    """Best effort: a record that cannot be written must not change what the hook does."""
    try:
        current = read(state_dir, iface, kind)
        current[key] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "status": status,
            "message": " ".join(message.split())[:500],
        }
        lines = [f"{p}\t{v['time']}\t{v['status']}\t{v['message']}" for p, v in current.items()]
        stateformat.write(state_dir, kind, iface, lines)
    except (OSError, UnsafeFile):
        pass


def forget(state_dir: str, iface: str, kind: str) -> None:
    """The interface's record of this kind is gone (ipv4-dad's at ifdown: its addresses are)."""
    try:
        unlink_in(state_dir, kind, iface)
    except (OSError, UnsafeFile):
        pass
