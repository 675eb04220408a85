"""`reject-asn`: unreachable routes for the prefixes an AS originates.

The declaration and its steps; the pure planning is rejectplan.py, the
locked sequence that reads the kernel and applies the difference is
reconcile.py, which the steps call (both sit below this module).
"""

from __future__ import annotations

from netguard.context import HookContext
from netguard.errors import WARN
from netguard.features import Feature, Step
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
from netguard.rejectplan import OPTION, summarise_missing

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:  # the prefix machinery is imported where it is used: a dad-only hook never pays for it
    from netguard.hookrun import HookRun


def stanza_families(ctx: HookContext) -> list[str]:
    """inet6 stanza -> IPv6 prefixes, inet -> IPv4 (ifupdown2 may give both)."""
    return [family for family in FAMILIES if family in ctx.families]


def _install(run: HookRun) -> None:
    from netguard import reconcile, state
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
        # where the interface's traffic is routed: its VRF's table, else main; recorded, so that
        # ifdown withdraws them from that table even once the VRF is gone or the interface moved
        state.vrf_table(run.device),
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
