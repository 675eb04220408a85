"""HookContext from the environments of ifupdown, ifupdown2, ifupdown-ng, busybox."""

from __future__ import annotations

import pytest

from netguard.context import UnknownPhase
from netguard.context import context_from_env as _from_env


def context_from_env(env, script_path=""):
    """The hook's context, with the options the catalogue parses (as hook.py builds it)."""
    from netguard.catalogue import parse_options

    return _from_env(env, script_path, parse_options)


BASE = {"IFACE": "eth0", "LOGICAL": "eth0", "ADDRFAM": "inet6", "METHOD": "static", "MODE": "start"}


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        ("pre-up", "pre-up"),
        ("post-up", "post-up"),
        ("up", "post-up"),  # ifupdown-ng
        ("pre-down", "pre-down"),
        ("down", "pre-down"),
        ("post-down", "post-down"),
    ],
    ids=lambda v: v,
)
def test_phase_names(phase, expected):
    assert context_from_env({**BASE, "PHASE": phase}).phase == expected


@pytest.mark.parametrize(
    ("directory", "expected"),
    [
        ("if-pre-up.d", "pre-up"),
        ("if-up.d", "post-up"),
        ("if-down.d", "pre-down"),
        ("if-post-down.d", "post-down"),
    ],
    ids=lambda v: v,
)
def test_phase_from_hook_directory_when_phase_is_not_exported(directory, expected):
    assert context_from_env(BASE, f"/etc/network/{directory}/netguard").phase == expected


def test_unknown_phase_is_an_explicit_error():
    with pytest.raises(UnknownPhase, match="unknown PHASE 'sideways'"):
        context_from_env({**BASE, "PHASE": "sideways"})
    with pytest.raises(UnknownPhase, match="no PHASE given"):
        context_from_env(BASE, "/tmp/netguard")


def test_ifup_all_pseudo_interface_is_meta_and_not_parsed():
    ctx = context_from_env(
        {"IFACE": "--all", "ADDRFAM": "meta", "METHOD": "none", "PHASE": "pre-up", "IF_DAD": "bad"}
    )
    assert ctx.is_meta
    assert ctx.options == {}


def test_ifupdown2_comma_joined_families():
    ctx = context_from_env({**BASE, "ADDRFAM": "inet,inet6", "PHASE": "post-up"})
    assert ctx.ipv4 and ctx.ipv6


def test_verbosity():
    assert context_from_env({**BASE, "PHASE": "pre-up", "VERBOSITY": "1"}).verbose
    assert not context_from_env({**BASE, "PHASE": "pre-up", "VERBOSITY": "0"}).verbose


def test_ifupdown_ng_exports_no_addrfam_families_come_from_the_addresses():
    env = {"IFACE": "eth0", "PHASE": "up", "METHOD": "none"}
    assert context_from_env({**env, "IF_ADDRESSES": "2001:db8::1/64 "}).families == {"inet6"}
    assert context_from_env({**env, "IF_ADDRESS": "192.0.2.1/24"}).families == {"inet"}
    assert context_from_env({**env, "IF_ADDRESSES": "192.0.2.1/24 2001:db8::1/64"}).families == {
        "inet",
        "inet6",
    }
    assert context_from_env(env).families == {"inet", "inet6"}
