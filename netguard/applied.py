"""What netguard changed for an interface, so that ifdown undoes exactly that.

`State-Dir/applied/IFACE`: one line per change, written before the change
is made: `sysctl PATH VALUE` (the value before netguard first wrote it) and
`reject FAMILY`. ifdown undoes what the record says, whatever the stanza
says by then (an option removed or mistyped while the interface was up must
not leave routes or sysctls behind), then removes the record. The /bin/sh
shim tests for this file: an interface netguard never touched costs no Python.
"""

from __future__ import annotations

import os

from netguard import stateformat
from netguard.record import NamedTuple
from netguard.safefile import UnsafeFile, unlink_in

LIMIT = 64 * 1024
SYSCTL_KEYS = ("accept_dad", "optimistic_dad", "use_optimistic")  # all that `dad` ever writes


class Applied(NamedTuple):
    sysctls: dict[str, int]  # path -> value before netguard (changed in place)
    reject: set[str]  # families with reject routes (changed in place)
    # {"up"} while ipv4-dad has the link up to probe (format 2's `link up`): a run killed
    # then leaves the mark, and the interface's next netguard run sets the link down again.
    link: set[str] = set()  # noqa: RUF012 - replaced per record (load, _replace), never shared

    @property
    def empty(self) -> bool:
        return not self.sysctls and not self.reject and not self.link


def path(state_dir: str, iface: str) -> str:
    return os.path.join(state_dir, "applied", iface)


def load(state_dir: str, iface: str) -> Applied:
    """The record, or an empty one; a corrupt record yields what of it parses (lines are independent)."""
    applied = Applied({}, set(), set())
    try:
        # Names are bytes (wlän0, or not UTF-8 at all): read back as os.fsdecode made them.
        _, lines = stateformat.read(state_dir, "applied", iface, LIMIT)
    except (FileNotFoundError, UnsafeFile):
        return applied
    except stateformat.NewerFormat as err:  # never guess what a newer netguard meant to undo
        raise UnsafeFile(
            f"{path(state_dir, iface)}: {err}; undo it with that netguard, or remove it"
        ) from None
    # Only what netguard could have written for this interface: its own DAD sysctls, never
    # a path that climbs out (`conf/../../ipv4/ip_forward`) or names another interface.
    ours = {f"/proc/sys/net/ipv6/conf/{iface}/{key}" for key in SYSCTL_KEYS}
    for line in lines:
        words = line.split(" ")
        if len(words) == 3 and words[0] == "sysctl" and words[1] in ours:
            if words[2].isascii() and words[2].isdigit() and len(words[2]) <= 3:
                applied.sysctls.setdefault(words[1], int(words[2]))
        elif len(words) == 2 and words[0] == "reject" and words[1] in ("inet", "inet6"):
            applied.reject.add(words[1])
        elif words == ["link", "up"]:
            applied.link.add("up")
    return applied


def save(state_dir: str, iface: str, applied: Applied) -> None:
    if applied.empty:
        clear(state_dir, iface)
        return
    lines = [f"sysctl {p} {v}" for p, v in sorted(applied.sysctls.items())]
    lines += [f"reject {family}" for family in sorted(applied.reject)]
    lines += [f"link {state}" for state in sorted(applied.link)]
    try:
        if stateformat.read(state_dir, "applied", iface, LIMIT) == (stateformat.VERSION, lines):
            return  # already on disk (ifup again): no rename
    except (OSError, UnsafeFile, stateformat.NewerFormat):
        pass  # absent, or not ours to trust: written anew
    stateformat.write(state_dir, "applied", iface, lines)


def clear(state_dir: str, iface: str) -> None:
    """Through a descriptor of State-Dir/applied: never an unlink through a planted link."""
    unlink_in(state_dir, "applied", iface)
