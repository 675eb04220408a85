"""`dad off|on|optimistic`: the interface's DAD sysctls in pre-up, and in
post-up (optimistic only) the flag on addresses ifupdown added.

pre-up runs before ifupdown adds any address, so with `dad off` no address
of the interface (static, up-line, link-local, SLAAC) is ever tentative.
"""

from __future__ import annotations

from dataclasses import dataclass

from netguard.actions import Action, MarkOptimistic, WaitForDad, Warn, WriteSysctl
from netguard.context import HookContext
from netguard.options import POST_UP, PRE_UP
from netguard.state import IFA_F_PERMANENT, Address, interface_exists, ipv6_sysctl_path, read_ipv6_sysctl

OPTION = "dad"
PHASES = frozenset({PRE_UP, POST_UP})
KERNEL_DEFAULT_ACCEPT_DAD = 1


@dataclass(frozen=True)
class DadState:
    exists: bool
    accept_dad: int | None  # None: the interface has no IPv6 configuration
    all_accept_dad: int | None
    default_accept_dad: int | None


def read_state(iface: str) -> DadState:
    return DadState(
        exists=interface_exists(iface),
        accept_dad=read_ipv6_sysctl(iface, "accept_dad"),
        all_accept_dad=read_ipv6_sysctl("all", "accept_dad"),
        default_accept_dad=read_ipv6_sysctl("default", "accept_dad"),
    )


def wanted(ctx: HookContext) -> bool:
    setting = ctx.options.get(OPTION)
    if setting is None:
        return False
    return ctx.phase == PRE_UP or (ctx.phase == POST_UP and setting in ("off", "optimistic"))


def _write(ctx: HookContext, key: str, value: int) -> WriteSysctl:
    return WriteSysctl(ipv6_sysctl_path(ctx.iface, key), value, OPTION)


def plan(ctx: HookContext, state: DadState) -> list[Action]:
    """pre-up: the sysctls that decide DAD for every address added from now on."""
    setting = ctx.options[OPTION]
    if not state.exists:
        # Hooks run in name order: `vlan` (and others sorting after `netguard`)
        # create their interface later in this same pre-up run.
        return [
            Warn(
                OPTION,
                f"{ctx.iface} does not exist yet in pre-up (created by a hook that runs after "
                "netguard?); DAD stays on, and post-up waits for it (at most 3 s); to turn it off, "
                "create the interface earlier (an earlier stanza, or `pre-up ip link add ...`)",
            )
        ]
    if state.accept_dad is None:
        return [Warn(OPTION, f"{ctx.iface} has no IPv6 configuration (IPv6 disabled?); nothing to do")]
    if setting in ("on", "optimistic"):
        # Restore what a new interface would get, unless the admin turned that off too.
        value = state.default_accept_dad or KERNEL_DEFAULT_ACCEPT_DAD
        actions: list[Action] = [] if state.accept_dad == value else [_write(ctx, "accept_dad", value)]
        if setting == "optimistic":
            # optimistic_dad: link-local and SLAAC addresses start optimistic, and the
            # kernel honours the flag on ours; use_optimistic: they may be a source.
            actions += [_write(ctx, "optimistic_dad", 1), _write(ctx, "use_optimistic", 1)]
        return actions
    actions = []
    if state.accept_dad != 0:
        actions.append(_write(ctx, "accept_dad", 0))
    if state.all_accept_dad:
        # The kernel uses max(all, interface): the write above alone changes nothing.
        actions.append(
            Warn(
                OPTION,
                f"net.ipv6.conf.all.accept_dad is {state.all_accept_dad}, which overrides {ctx.iface}'s "
                "value, so DAD stays on; set net.ipv6.conf.all.accept_dad=0 in /etc/sysctl.d/",
            )
        )
    return actions


# ifupdown2 adds static addresses before the pre-up hooks, while the link is
# down: the kernel then starts their DAD only after a random delay of up to
# router_solicitation_delay (1 s) once the link is up, and only then sees
# accept_dad=0. Such addresses finish on their own within that delay.
LATE_START_WAIT = 3.0


def plan_post_up(ctx: HookContext, addresses: list[Address]) -> list[Action]:
    """post-up: `off` finishes what ifupdown2 started early; `optimistic` marks addresses."""
    if ctx.options[OPTION] == "optimistic":
        return plan_optimistic(addresses)
    if any(a.tentative and not a.dadfailed for a in addresses):
        return [WaitForDad(LATE_START_WAIT, need_global=False, on_failure="warn")]
    return []


def plan_optimistic(addresses: list[Address]) -> list[Action]:
    """post-up: addresses ifupdown added (never optimistic: `ip addr add` has no flag) become so."""
    return [
        MarkOptimistic(a.address, a.prefixlen, OPTION)
        for a in addresses
        if a.tentative and not a.optimistic and not a.dadfailed and a.flags & IFA_F_PERMANENT
    ]
