"""`ipv4-dad on`: IPv4 Address Conflict Detection (RFC 5227), which Linux does not do.

pre-up probes the stanza's primary address with ARP before ifupdown adds it
(the link is set up for that, as ifupdown would a moment later); post-up
probes the IPv4 addresses added since (`up` lines, ifupdown2's further
addresses), then announces every free one so that neighbours' stale entries
learn this host's MAC at once. A conflict names the other host's MAC and
fails the phase, or warns under `ipv4-dad-failure warn`. The wire is arp.py.
"""

from __future__ import annotations

from netguard.actions import Action, LinkUp, ProbeIPv4, Warn
from netguard.errors import WARN
from netguard.features import Feature, Step
from netguard.kernel import ARPHRD_ETHER, IFF_LOOPBACK, IFF_NOARP
from netguard.options import (
    INET,
    POST_DOWN,
    POST_UP,
    PRE_UP,
    Option,
    parse_milliseconds,
    parse_on_off,
    parse_wait_dad_failure,
)

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from netguard.context import HookContext
    from netguard.hookrun import HookRun
    from netguard.state import Link

OPTION = "ipv4-dad"
FAILURE = "ipv4-dad-failure"
DEFAULT_BUDGET = 0.2  # seconds: NetworkManager's ipv4.dad-timeout and systemd-networkd's default
CARRIER_WAIT = 3.0  # seconds for carrier after the link is set up (Ethernet autonegotiation)


def unprobeable(address: str) -> str | None:
    """Why an address cannot be probed (one clear line, nothing sent), or None."""
    from _socket import AF_INET, inet_pton

    text, _, length = address.partition("/")
    try:
        packed = inet_pton(AF_INET, text)
    except OSError:
        return f"{address!r} is not an IPv4 address in dotted quad"
    if length and not (length.isascii() and length.isdigit() and int(length) <= 32):
        return f"{address!r}: the length after / must be 0-32 (write a netmask on its own `netmask` line)"
    if packed == bytes(4) or packed == b"\xff" * 4:
        return f"{text} is not a host address"
    if 224 <= packed[0] <= 239:
        return f"{text} is a multicast address"
    if packed[0] == 127:
        return f"{text} is a loopback address"
    return None


def _budget(ctx: HookContext) -> float:
    return ctx.options["ipv4-dad-timeout"] or DEFAULT_BUDGET


def link_refusal(iface: str, link: Link | None) -> str | None:
    if link is None:
        return f"{iface} does not exist; nothing to probe"
    if link.flags & IFF_LOOPBACK:
        return f"{iface} is a loopback interface; no other host can use its addresses: skipped"
    if link.flags & IFF_NOARP or link.kind != ARPHRD_ETHER:
        return f"{iface} does not use ARP (NOARP or not Ethernet); IPv4 conflicts cannot be probed: skipped"
    return None


def primary(ctx: HookContext) -> str:
    """The stanza's own address, which pre-up probes (IPv4 ones only)."""
    return ctx.address.partition("/")[0] if ctx.address and ":" not in ctx.address else ""


def pre_up_address(ctx: HookContext) -> str:
    """The address pre-up probes: the stanza's IPv4 primary when it can be probed, else ""."""
    if not ctx.address or ":" in ctx.address or unprobeable(ctx.address):
        return ""  # no IPv4 primary (dhcp, manual, an IPv6 stanza) or one pre-up refused
    return primary(ctx)


def plan_pre_up(ctx: HookContext, link: Link | None) -> list[Action]:
    refusal = link_refusal(ctx.device, link)
    if refusal:
        return [Warn(OPTION, refusal)]
    if ctx.address and ":" not in ctx.address and unprobeable(ctx.address):
        return [Warn(OPTION, f"{unprobeable(ctx.address)}; not probed")]
    address = pre_up_address(ctx)
    if not address:
        return []  # post-up probes what comes
    assert link is not None
    up = [] if link.up else [LinkUp(ctx.device, CARRIER_WAIT, OPTION)]
    return [*up, ProbeIPv4((address,), _budget(ctx), OPTION)]


def plan_post_up(
    ctx: HookContext, link: Link | None, addresses: list[str], probed: dict[str, dict[str, str]]
) -> list[Action]:
    """Probe what pre-up did not prove free; announce only what is free.

    `probed` is pre-up's record (outcome.IPV4_DAD): the primary is announced
    without a second probe only when pre-up found it free; one found in use
    (under `warn`) is neither probed again nor announced, since announcing
    would take the address from the host that holds it; one not checked (no
    carrier then) is probed now.
    """
    if link_refusal(ctx.device, link):
        return []  # pre-up said why
    checked = pre_up_address(ctx)
    verdict = probed.get(checked, {}).get("status", "") if checked else ""
    proven = tuple(a for a in addresses if a == checked and verdict == "free")
    skipped = checked if verdict == "in use" else ""
    others = tuple(a for a in addresses if a not in proven and a != skipped and not unprobeable(a))
    if not others and not proven:
        return []
    return [ProbeIPv4(others, _budget(ctx), OPTION, announce=True, proven=proven)]


def _on(run: HookRun) -> bool:
    return bool(run.ctx.options.get(OPTION))


def _restore_link(run: HookRun) -> None:
    """A run killed while it had the link up to probe left the mark: down, as it found it."""
    if "up" in run.record.link:
        from netguard import apply

        apply.link_down(run.device)
        run.record.link.discard("up")
        run.save()


def _probe_primary(run: HookRun) -> None:
    """The link as ipv4-dad found it, whatever happens: raised only to probe (marked in the
    record first, for a SIGKILL), down again after, so SLAAC and RAs never act on a link
    ifupdown believes down, and ifupdown applies `hwaddress` to a link that is down."""
    from netguard import apply, state

    _restore_link(run)
    actions = plan_pre_up(run.ctx, state.link(run.device))
    raised = any(isinstance(action, LinkUp) for action in actions)
    if raised:
        run.record.link.add("up")
        run.save()
    try:
        apply.carry_out(run, actions)
    finally:
        if raised:
            apply.link_down(run.device)
            run.record.link.discard("up")
            run.save()


def _probe_rest_and_announce(run: HookRun) -> None:
    from netguard import apply, outcome, state

    link = state.link(run.device)
    addresses = state.ipv4_addresses(run.device) if link else []
    if run.device != run.iface:  # an alias stanza: its own address, not the base's others
        addresses = [address for address in addresses if address == primary(run.ctx)]
    probed = outcome.read(run.config.state_dir, run.iface, outcome.IPV4_DAD)
    apply.carry_out(run, plan_post_up(run.ctx, link, addresses, probed))


def _forget(run: HookRun) -> None:
    """ifdown took the addresses away: their probes are history, not status or an alert."""
    from netguard import outcome

    outcome.forget(run.config.state_dir, run.iface, outcome.IPV4_DAD)
    _restore_link(run)
    if run.config.metrics_on:
        from netguard import metrics

        metrics.drop(run.iface, "netguard_ipv4_dad_in_use")


FEATURE = Feature(
    rank=40,
    options=(
        Option(
            name="ipv4-dad",
            parse=parse_on_off,
            default=False,
            accepted="on, off",
            help="IPv4 Address Conflict Detection (RFC 5227): before the stanza's address is added, "
            "probe it with ARP and fail ifup if another host answers for it (naming its MAC); after "
            "the up lines, probe the addresses they added; then announce every free address.",
            example="ipv4-dad on",
            family=INET,
            words=("on", "off"),
        ),
        Option(
            name="ipv4-dad-timeout",
            parse=parse_milliseconds,
            default=None,
            accepted="milliseconds, 100 to 30000 (default 200)",
            help="How long each address is probed (three ARP probes spread over it); 200 ms as "
            "NetworkManager and systemd-networkd.",
            example="ipv4-dad-timeout 500",
            family=INET,
            requires=OPTION,
        ),
        Option(
            name="ipv4-dad-failure",
            parse=parse_wait_dad_failure,
            default="fail",
            accepted="fail, warn",
            help="What ipv4-dad does when an address is in use: fail makes ifup fail (pre-up: the "
            "address is never added); warn prints the same line and lets ifup go on.",
            example="ipv4-dad-failure warn",
            family=INET,
            requires=OPTION,
            words=("fail", "warn"),
        ),
    ),
    steps=(
        # After dad's sysctls (10), which must come before the link goes up; the primary is
        # probed before ifupdown adds it, so a conflict leaves the address unused.
        Step(
            OPTION,
            PRE_UP,
            15,
            FAILURE,
            "probes the stanza's IPv4 address with ARP before it is added",
            _on,
            _probe_primary,
        ),
        # First in post-up: the announcements go out at once, before any wait.
        Step(
            OPTION,
            POST_UP,
            5,
            FAILURE,
            "probes IPv4 addresses added by up lines; announces the free ones",
            _on,
            _probe_rest_and_announce,
        ),
        # After the addresses are gone: the record and the in-use series go with them.
        Step(
            OPTION,
            POST_DOWN,
            90,
            WARN,
            "forgets the interface's probes (status record, in-use series)",
            _on,
            _forget,
        ),
    ),
    reads=("state_dir",),
)
