"""`dad off|on`: the interface's accept_dad sysctl, written in pre-up.

pre-up runs before ifupdown adds any address, so with `dad off` no address
of the interface (static, up-line, link-local, SLAAC) is ever tentative.
"""

from __future__ import annotations

from dataclasses import dataclass

from netguard.actions import Action, Warn, WriteSysctl
from netguard.context import HookContext
from netguard.options import PRE_UP
from netguard.state import interface_exists, ipv6_sysctl_path, read_ipv6_sysctl

OPTION = "dad"
PHASES = frozenset({PRE_UP})
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
    return ctx.phase in PHASES and ctx.options.get(OPTION) is not None


def plan(ctx: HookContext, state: DadState) -> list[Action]:
    setting = ctx.options[OPTION]
    if not state.exists:
        # Hooks run in name order: `vlan` (and others sorting after `netguard`)
        # create their interface later in this same pre-up run.
        return [
            Warn(
                OPTION,
                f"{ctx.iface} does not exist yet in pre-up (created by a hook that runs after "
                "netguard?); DAD left unchanged; use `wait-dad` for this interface, or create it "
                "in an earlier stanza or with `pre-up ip link add ...` before netguard runs",
            )
        ]
    if state.accept_dad is None:
        return [Warn(OPTION, f"{ctx.iface} has no IPv6 configuration (IPv6 disabled?); nothing to do")]
    if setting == "on":
        # Restore what a new interface would get, unless the admin turned that off too.
        value = state.default_accept_dad or KERNEL_DEFAULT_ACCEPT_DAD
        return (
            []
            if state.accept_dad == value
            else [WriteSysctl(ipv6_sysctl_path(ctx.iface, "accept_dad"), value, OPTION)]
        )
    actions: list[Action] = []
    if state.accept_dad != 0:
        actions.append(WriteSysctl(ipv6_sysctl_path(ctx.iface, "accept_dad"), 0, OPTION))
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
