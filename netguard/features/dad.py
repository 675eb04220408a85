"""`dad off|on|optimistic`: the interface's DAD sysctls in pre-up, and in
post-up (optimistic only) the flag on addresses ifupdown added.

pre-up runs before ifupdown adds any address, so with `dad off` no address
of the interface (static, up-line, link-local, SLAAC) is ever tentative.
"""

from __future__ import annotations

import os

from netguard.actions import Action, MarkOptimistic, WaitForDad, Warn, WriteSysctl
from netguard.context import HookContext
from netguard.errors import FAIL, WARN
from netguard.features import Feature, Step
from netguard.kernel import IFA_F_PERMANENT
from netguard.options import INET6, POST_DOWN, POST_UP, PRE_UP, Option, parse_dad
from netguard.record import NamedTuple
from netguard.state import Address, interface_exists, ipv6_sysctl_path, read_ipv6_sysctl

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from netguard.hookrun import HookRun

OPTION = "dad"
KERNEL_DEFAULT_ACCEPT_DAD = 1


class DadState(NamedTuple):
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


def _write(ctx: HookContext, key: str, value: int) -> WriteSysctl:
    return WriteSysctl(ipv6_sysctl_path(ctx.iface, key), value, OPTION)


def plan(ctx: HookContext, state: DadState, changed: dict[str, int] | None = None) -> list[Action]:
    """pre-up: the sysctls that decide DAD for every address added from now on.

    `changed`: what netguard wrote before and has not undone yet (path -> the
    value before); `on` and `off` give optimistic_dad and use_optimistic back.
    """
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
        else:
            actions += _restore_optimistic(ctx, changed or {})
        return actions
    actions = _restore_optimistic(ctx, changed or {})
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


def _restore_optimistic(ctx: HookContext, changed: dict[str, int]) -> list[Action]:
    """`dad optimistic` changed to on/off while the interface stayed up: undo what optimistic set."""
    paths = [ipv6_sysctl_path(ctx.iface, key) for key in ("optimistic_dad", "use_optimistic")]
    return [WriteSysctl(path, changed[path], OPTION) for path in paths if path in changed]


def plan_restore(changed: dict[str, int]) -> list[Action]:
    """post-down: every sysctl netguard changed gets back the value it had before."""
    return [WriteSysctl(path, value, OPTION) for path, value in sorted(changed.items())]


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


def _set_sysctls(run: HookRun) -> None:
    from netguard import apply

    apply.carry_out(run, plan(run.ctx, read_state(run.iface), run.record.sysctls))


def _finish(run: HookRun) -> None:
    from netguard import apply, state

    apply.carry_out(run, plan_post_up(run.ctx, state.proc_ipv6_addresses(run.iface)))


def _restore(run: HookRun) -> None:
    from netguard import apply

    changed = run.record.sysctls
    apply.carry_out(
        run, plan_restore({path: value for path, value in changed.items() if os.path.exists(path)})
    )
    changed.clear()
    run.save()


def holds(iface: str, options: Mapping[str, Any]) -> dict[str, bool]:
    """`ifquery --check`: the planner has nothing left to do (a warning, such as
    all.accept_dad overriding `off`, means the setting does not hold)."""
    from netguard.state import read_sysctl

    ctx = HookContext(iface, iface, frozenset({"inet6"}), "", PRE_UP, False, options)
    left = [
        action
        for action in plan(ctx, read_state(iface))
        if not (isinstance(action, WriteSysctl) and read_sysctl(action.path) == action.value)
    ]
    return {OPTION: not left}


FEATURE = Feature(
    rank=10,
    options=(
        Option(
            name="dad",
            parse=parse_dad,
            default=None,
            accepted="off, on, optimistic",
            help="Duplicate Address Detection for every IPv6 address of the interface "
            "(static, up-line, link-local, SLAAC): off makes them usable at once; "
            "on restores the kernel default; optimistic (RFC 4429) keeps DAD running "
            "but lets services bind at once, and still reports a duplicate.",
            example="dad off",
            family=INET6,
            words=("off", "on", "optimistic"),
        ),
    ),
    steps=(
        # First in pre-up: the sysctls must be in place before ifupdown adds any address.
        Step(
            OPTION,
            PRE_UP,
            10,
            FAIL,
            "sets accept_dad (optimistic: optimistic_dad, use_optimistic)",
            lambda run: run.ctx.options.get(OPTION) is not None,
            _set_sysctls,
        ),
        # First in post-up: marking is instant, and wait-dad after it still sees a duplicate.
        Step(
            OPTION,
            POST_UP,
            10,
            FAIL,
            "optimistic: marks the new addresses; off: finishes ones added early",
            lambda run: run.ctx.options.get(OPTION) in ("off", "optimistic"),
            _finish,
        ),
        # Last in post-down: the addresses are gone, the interface gets back what it had.
        Step(
            OPTION,
            POST_DOWN,
            90,
            WARN,
            "restores every sysctl netguard changed for the interface",
            lambda run: bool(run.record.sysctls),
            _restore,
        ),
    ),
    holds=holds,
    reads=("state_dir",),
)
