"""`reject-asn`: unreachable routes for the prefixes an AS originates.

Pure planning: which prefixes one stanza wants (from cache entries, after
the safety screen, collapsed, exceptions carved out), and the difference
between the union every interface wants and what the kernel has. The hook
reads the state, holds the lock and hands the difference to apply.py
(see reconcile.py).
"""

from __future__ import annotations

from netguard.context import HookContext
from netguard.errors import WARN
from netguard.features import Feature, Step
from netguard.kernel import RTPROT_NETGUARD
from netguard.options import (
    BOTH,
    FAMILIES,
    MAX_PROBE_TARGETS,
    POST_DOWN,
    POST_UP,
    PRE_DOWN,
    Option,
    parse_asn,
    parse_prefix,
    parse_probe_target,
)

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:  # the prefix machinery is imported where it is used: a dad-only hook never pays for it
    from netguard.hook import HookRun
    from netguard.prefixes.cache import CacheEntry
    from netguard.prefixes.prefix import Prefix
    from netguard.prefixes.safety import Limits, Protected


OPTION = "reject-asn"
PROTOCOL = RTPROT_NETGUARD
SHOWN = 5  # warnings of one kind named one by one; the rest counted


def stanza_families(ctx: HookContext) -> list[str]:
    """inet6 stanza -> IPv6 prefixes, inet -> IPv4 (ifupdown2 may give both)."""
    return [family for family in FAMILIES if family in ctx.families]


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


def _install(run: HookRun) -> None:
    from netguard import reconcile
    from netguard.wants import StanzaRecord

    ctx = run.ctx
    families = stanza_families(ctx)
    run.record.reject.update(families)
    run.save()  # before the routes: an ifdown after a kill -9 still knows to withdraw them
    record = StanzaRecord(
        tuple(ctx.options[OPTION]),
        tuple(ctx.options["reject-asn-except"]),
        ctx.gateway,
        tuple(ctx.options["reject-asn-probe"]),
    )
    reconcile.apply_stanza(run.config, ctx.iface, families, record)


def _withdraw(run: HookRun) -> None:
    from netguard import reconcile

    families = sorted(set(stanza_families(run.ctx)) | run.record.reject)
    reconcile.withdraw(run.config, run.iface, families)
    run.record.reject.clear()
    run.save()


def uncached(asns: tuple[int, ...], cached: set[int] | None) -> list[str]:
    """`netguard check`: each AS without a cache entry (cached None: not checked)."""
    return [] if cached is None else [summarise_missing([asn]) for asn in asns if asn not in cached]


FEATURE = Feature(
    rank=30,
    options=(
        Option(
            name="reject-asn",
            parse=parse_asn,
            default=(),
            accepted="AS numbers such as 174 or AS174",
            help="Install an unreachable route for every prefix the AS originates "
            "(from the local cache), in the stanza's address family.",
            example="reject-asn 174",
            multi=True,
            family=BOTH,
            lint=uncached,
        ),
        Option(
            name="reject-asn-except",
            parse=parse_prefix,
            default=(),
            accepted="IPv4 or IPv6 prefixes",
            help="Prefixes no reject-asn route may cover; the covering prefixes are split around them.",
            example="reject-asn-except 2001:db8:100::/48",
            multi=True,
            family=BOTH,
            requires=OPTION,
        ),
        Option(
            name="reject-asn-probe",
            parse=parse_probe_target,
            default=(),
            accepted=f"up to {MAX_PROBE_TARGETS} addresses (ICMP echo) or ADDRESS:PORT, [IPV6]:PORT (TCP)",
            help="Probe targets inside the rejected ASes: the reject routes stay only while every target is "
            "unreachable through this interface (3 probe rounds in a row decide), and come back when they "
            "are unreachable again; installed until the first verdict. `netguard probe` (its timer) probes.",
            example="reject-asn-probe [2001:db8:f00::10]:443",
            multi=True,
            most=MAX_PROBE_TARGETS,
            family=BOTH,
            requires=OPTION,
        ),
    ),
    steps=(
        # Last in post-up and first in pre-down, mirrored: the routes live exactly
        # while the stanza's addresses are configured (and after wait-dad passed).
        Step(
            OPTION,
            POST_UP,
            30,
            WARN,
            "installs unreachable routes for the ASes' cached prefixes",
            lambda run: bool(run.ctx.options.get(OPTION)),
            _install,
        ),
        Step(
            OPTION,
            PRE_DOWN,
            10,
            WARN,
            "withdraws what post-up installed, whatever the stanza says now",
            lambda run: bool(run.ctx.options.get(OPTION) or run.record.reject),
            _withdraw,
        ),
        # A pre-down killed mid-way (its record still says reject; ifdown goes on to
        # post-down) leaves routes: post-down finishes the withdrawal. Idempotent.
        Step(
            OPTION,
            POST_DOWN,
            10,
            WARN,
            "finishes a withdrawal a killed pre-down left unfinished",
            lambda run: bool(run.record.reject),
            _withdraw,
        ),
    ),
)
