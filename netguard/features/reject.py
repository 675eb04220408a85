"""`reject-asn`: unreachable routes for the prefixes an AS originates.

Pure planning: which prefixes one stanza wants (from cache entries, after
the safety screen, collapsed, exceptions carved out), and the difference
between the union every interface wants and what the kernel has. The hook
reads the state, holds the lock and hands the difference to apply.py.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping

from netguard import rtnl
from netguard.context import HookContext
from netguard.options import POST_UP, PRE_DOWN
from netguard.prefixes.cache import CacheEntry
from netguard.prefixes.safety import Limits, Protected, screen
from netguard.prefixes.setops import IPNetwork, carve, collapse

OPTION = "reject-asn"
PHASES = frozenset({POST_UP, PRE_DOWN})
PROTOCOL = 241  # named "netguard" in /etc/iproute2/rt_protos.d/netguard.conf
FAMILIES = {"inet": (4, socket.AF_INET), "inet6": (6, socket.AF_INET6)}


def wanted(ctx: HookContext) -> bool:
    return ctx.phase in PHASES and bool(ctx.options.get(OPTION))


def stanza_families(ctx: HookContext) -> list[str]:
    """inet6 stanza -> IPv6 prefixes, inet -> IPv4 (ifupdown2 may give both)."""
    return [family for family in FAMILIES if family in ctx.families]


def plan_prefixes(
    version: int,
    entries: list[CacheEntry],
    exceptions: tuple[IPNetwork, ...],
    protected: Protected,
    limits: Limits,
) -> tuple[list[IPNetwork], list[str]]:
    """The collapsed prefixes of one family this stanza wants, and a warning per refusal."""
    warnings: list[str] = []
    origin: dict[IPNetwork, int] = {}
    for entry in entries:
        warnings.extend(f"AS{entry.asn}: malformed cache line {bad!r}; skipped" for bad in entry.bad_lines)
        for prefix in entry.prefixes:
            if prefix.version == version:
                origin.setdefault(prefix, entry.asn)
    kept, refused = screen(origin, protected, limits)
    warnings.extend(f"AS{origin[prefix]}: not installing {prefix}: {why}" for prefix, why in refused)
    mine = [e for e in exceptions if e.version == version]
    return carve(collapse(kept), mine), warnings


def union(wants: Mapping[str, list[str]], family: str) -> set[rtnl.Route]:
    """Every route any interface that is up wants, for one family."""
    routes: set[rtnl.Route] = set()
    for name, prefixes in wants.items():
        if name.rsplit(".", 1)[-1] == family:
            routes.update(rtnl.route_from_text(p) for p in prefixes)
    return routes


def difference(
    want: set[rtnl.Route], installed: set[rtnl.Route]
) -> tuple[list[rtnl.Route], list[rtnl.Route]]:
    """(delete, add): touch only what differs; both sorted for a stable order."""
    return sorted(installed - want), sorted(want - installed)
