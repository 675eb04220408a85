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
    assert "wait-dad" in action.text


def test_no_ipv6_configuration():
    (action,) = dad.plan(ctx("off"), DadState(True, None, 0, 1))
    assert isinstance(action, Warn) and "no IPv6 configuration" in action.text
