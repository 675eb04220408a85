"""The actions planners return and hook.py carries out.

Plain values: a planner's output can be compared in a unit test, and only
apply.py (writes) and watch.py (bounded waits) give them effect.
"""

from __future__ import annotations

from netguard.record import NamedTuple


class WriteSysctl(NamedTuple):
    path: str
    value: int
    option: str  # the stanza option this serves, for error messages


class MarkOptimistic(NamedTuple):
    """Turn a tentative address optimistic: bind() works while DAD goes on."""

    address: str
    prefixlen: int
    option: str


class Warn(NamedTuple):
    option: str
    text: str


class WaitForDad(NamedTuple):
    timeout: float
    need_global: bool  # inet6 auto: a router-advertised address must appear too
    on_failure: str  # "fail" or "warn"


class LinkUp(NamedTuple):
    """Set the link up now (ifupdown would a moment later): ARP needs it to probe."""

    iface: str
    carrier_wait: float  # then wait at most this long for carrier
    option: str


class ProbeIPv4(NamedTuple):
    """RFC 5227 probes for each address, then (announce) announcements for the free ones and
    for `proven` (checked before); a conflict is this option's failure, named after the rest."""

    addresses: tuple[str, ...]
    budget: float  # seconds, for each address
    option: str
    announce: bool = False
    proven: tuple[str, ...] = ()


Action = WriteSysctl | MarkOptimistic | Warn | WaitForDad | LinkUp | ProbeIPv4
