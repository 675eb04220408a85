"""reject-asn's pure planning: what one stanza wants, the difference to the kernel, the messages.

Below the feature (features/reject.py) and the orchestrator (reconcile.py),
which both call it: which prefixes one stanza wants (from cache entries,
after the safety screen, collapsed, exceptions carved out), and the
difference between the union every interface wants and what the kernel has.
"""

from __future__ import annotations

from netguard.kernel import RTPROT_NETGUARD
from netguard.options import FAMILIES

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:  # the prefix machinery is imported where it is used: a dad-only hook never pays for it
    from netguard.prefixes.cache import CacheEntry
    from netguard.prefixes.prefix import Prefix
    from netguard.prefixes.safety import Limits, Protected

__all__ = ["FAMILIES", "OPTION", "PROTOCOL", "difference", "plan_prefixes", "summarise", "summarise_missing"]

OPTION = "reject-asn"
PROTOCOL = RTPROT_NETGUARD
SHOWN = 5  # warnings of one kind named one by one; the rest counted


def plan_prefixes(
    version: int,
    entries: list[CacheEntry],
    exceptions: tuple[Prefix, ...],
    protected: Protected,
    limits: Limits,
) -> tuple[list[Prefix], list[str]]:
    """The collapsed prefixes of one family this stanza wants, and a warning per refusal."""
    from netguard.prefixes.prefix import format_prefix
    from netguard.prefixes.safety import screen
    from netguard.prefixes.setops import carve, collapse

    warnings: list[str] = []
    origin: dict[Prefix, int] = {}
    for entry in entries:
        if entry.bad_lines:
            more = f" and {len(entry.bad_lines) - 1} more" if len(entry.bad_lines) > 1 else ""
            warnings.append(f"AS{entry.asn}: malformed cache line {entry.bad_lines[0]}{more}; skipped")
        for prefix in entry.prefixes:
            if prefix[0] == version:
                origin.setdefault(prefix, entry.asn)
    kept, refused = screen(origin, protected, limits)
    warnings.extend(
        f"AS{origin[prefix]}: not installing {format_prefix(prefix)}: {why}" for prefix, why in refused
    )
    mine = [e for e in exceptions if e[0] == version]
    return carve(collapse(kept), mine), warnings


def summarise(warnings: list[str]) -> list[str]:
    """At most SHOWN lines, then one counting the rest: 10,000 refusals must not print 10,000 lines."""
    if len(warnings) <= SHOWN + 1:
        return warnings
    return [
        *warnings[:SHOWN],
        f"... and {len(warnings) - SHOWN} more like these (netguard status shows the counts)",
    ]


def summarise_missing(asns: list[int]) -> str:
    """One line for every AS without a cache entry."""
    named = ", ".join(str(a) for a in asns[:SHOWN]) + (", ..." if len(asns) > SHOWN else "")
    if len(asns) == 1:
        return f"AS{asns[0]} has no cache entry; run `netguard refresh {asns[0]}` (or `netguard import`)"
    return f"{len(asns)} ASNs have no cache entry: {named}; run `netguard refresh`"


def difference(want: set[Prefix], installed: set[Prefix]) -> tuple[list[Prefix], list[Prefix]]:
    """(delete, add): touch only what differs; both sorted for a stable order.

    A prefix's hash is computed again at every lookup (tuples keep none), so
    the common answer, nothing to add, is found from the sizes: one pass."""
    from netguard.prefixes.prefix import sort_prefixes

    delete = installed - want
    if len(installed) - len(delete) == len(want):  # every wanted prefix is installed
        return sort_prefixes(delete), []
    return sort_prefixes(delete), sort_prefixes(want - installed)
