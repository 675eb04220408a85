"""`dad` planning against hand-made kernel states."""

from __future__ import annotations

import pytest

from netguard.actions import Warn, WriteSysctl
from netguard.context import HookContext
from netguard.features import dad
from netguard.features.dad import DadState

PATH = "/proc/sys/net/ipv6/conf/eth0/accept_dad"


def ctx(setting: str) -> HookContext:
    return HookContext("eth0", "eth0", frozenset({"inet6"}), "static", "pre-up", False, {"dad": setting})


@pytest.mark.parametrize(
    ("setting", "state", "expected"),
    [
        ("off", DadState(True, 1, 0, 1), [WriteSysctl(PATH, 0, "dad")]),
        ("off", DadState(True, 0, 0, 1), []),
        ("on", DadState(True, 0, 0, 1), [WriteSysctl(PATH, 1, "dad")]),
        ("on", DadState(True, 0, 0, 2), [WriteSysctl(PATH, 2, "dad")]),
        ("on", DadState(True, 0, 0, 0), [WriteSysctl(PATH, 1, "dad")]),
        ("on", DadState(True, 1, 0, 1), []),
    ],
    ids=["off", "off-already", "on", "on-default-2", "on-default-off", "on-already"],
)
def test_plan(setting, state, expected):
    assert dad.plan(ctx(setting), state) == expected


def test_all_accept_dad_overrides_the_interface():
    actions = dad.plan(ctx("off"), DadState(True, 1, 1, 1))
    assert actions[0] == WriteSysctl(PATH, 0, "dad")
    assert isinstance(actions[1], Warn)
    assert "net.ipv6.conf.all.accept_dad is 1" in actions[1].text
    assert "/etc/sysctl.d/" in actions[1].text


def test_missing_interface_in_pre_up_is_said_clearly():
    (action,) = dad.plan(ctx("off"), DadState(False, None, 0, 1))
    assert isinstance(action, Warn)
    assert "eth0 does not exist yet in pre-up" in action.text
    assert "post-up waits for it" in action.text


def test_no_ipv6_configuration():
    (action,) = dad.plan(ctx("off"), DadState(True, None, 0, 1))
    assert isinstance(action, Warn) and "no IPv6 configuration" in action.text


def test_optimistic_keeps_dad_on_and_enables_optimistic_sysctls():
    base = "/proc/sys/net/ipv6/conf/eth0/"
    assert dad.plan(ctx("optimistic"), DadState(True, 0, 0, 1)) == [
        WriteSysctl(base + "accept_dad", 1, "dad"),
        WriteSysctl(base + "optimistic_dad", 1, "dad"),
        WriteSysctl(base + "use_optimistic", 1, "dad"),
    ]


def test_post_up_marks_only_permanent_tentative_addresses():
    from netguard.actions import MarkOptimistic
    from netguard.state import IFA_F_DADFAILED, IFA_F_OPTIMISTIC, IFA_F_PERMANENT, IFA_F_TENTATIVE, Address

    addresses = [
        Address("eth0", "2001:db8::1", 64, IFA_F_PERMANENT, 0),  # settled
        Address("eth0", "2001:db8::2", 64, IFA_F_PERMANENT | IFA_F_TENTATIVE, 0),  # up-line
        Address("eth0", "2001:db8::3", 64, IFA_F_PERMANENT | IFA_F_TENTATIVE | IFA_F_OPTIMISTIC, 0),
        Address("eth0", "2001:db8::4", 64, IFA_F_PERMANENT | IFA_F_TENTATIVE | IFA_F_DADFAILED, 0),
        Address("eth0", "2001:db8::5", 64, IFA_F_TENTATIVE, 0),  # SLAAC: the kernel's own
    ]
    assert dad.plan_optimistic(addresses) == [MarkOptimistic("2001:db8::2", 64, "dad")]


def test_post_up_off_waits_only_when_an_address_is_still_tentative():
    from netguard.actions import WaitForDad
    from netguard.state import IFA_F_PERMANENT, IFA_F_TENTATIVE, Address

    settled = Address("eth0", "2001:db8::1", 64, IFA_F_PERMANENT, 0)
    late = Address("eth0", "2001:db8::2", 64, IFA_F_PERMANENT | IFA_F_TENTATIVE, 0)
    off = HookContext("eth0", "eth0", frozenset({"inet6"}), "static", "post-up", False, {"dad": "off"})
    assert dad.plan_post_up(off, [settled]) == []
    (action,) = dad.plan_post_up(off, [settled, late])
    assert isinstance(action, WaitForDad) and action.timeout == dad.LATE_START_WAIT
