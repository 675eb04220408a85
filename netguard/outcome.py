"""The last outcome of each hook phase per interface, kept in State-Dir for `netguard status`.

Under ifupdown2 and ifupdown-ng a failing hook cannot stop ifup, and at boot
nobody reads the console: `netguard status` (and the journal) is where the
admin finds out. One small file per interface, `State-Dir/outcome/IFACE`,
one tab-separated line per phase (the latest wins), written atomically.
"""

from __future__ import annotations

import os
import time

from netguard.safefile import UnsafeFile, check_directory, read_bounded, write_atomic

LIMIT = 64 * 1024
PHASES = ("pre-up", "post-up", "pre-down", "post-down")


def path(state_dir: str, iface: str) -> str:
    return os.path.join(state_dir, "outcome", iface)


def read(state_dir: str, iface: str) -> dict[str, dict[str, str]]:
    """{phase: {"time": ..., "status": ok|warning|failed, "message": ...}}; {} when none or unreadable."""
    found: dict[str, dict[str, str]] = {}
    try:
        text = read_bounded(path(state_dir, iface), LIMIT).decode("utf-8", "replace")
    except (FileNotFoundError, PermissionError, UnsafeFile):
        return found
    for line in text.split("\n"):
        fields = line.split("\t")
        if len(fields) == 4 and fields[0] in PHASES:
            found[fields[0]] = {"time": fields[1], "status": fields[2], "message": fields[3]}
    return found


def record(state_dir: str, iface: str, phase: str, status: str, message: str) -> None:
    """Best effort: a record that cannot be written must not change what the hook does."""
    try:
        check_directory(state_dir)
        where = os.path.dirname(path(state_dir, iface))
        os.makedirs(where, mode=0o755, exist_ok=True)
        current = read(state_dir, iface)
        current[phase] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "status": status,
            "message": " ".join(message.split())[:500],
        }
        lines = [f"{p}\t{v['time']}\t{v['status']}\t{v['message']}" for p, v in current.items()]
        write_atomic(where, iface, ("\n".join(lines) + "\n").encode("utf-8"), sync=False)
    except (OSError, UnsafeFile):
        pass
