"""The safety screen: what a reject route must never cover."""

from __future__ import annotations

import pytest

from netguard.prefixes.prefix import parse, parse_address
from netguard.prefixes.safety import Limits, Protected, refusal, screen

N = parse
A = parse_address

PROTECTED = Protected(
    own=frozenset({A("2a01:4f8::2"), A("203.0.113.7")}),
    gateways=frozenset({A("2a01:4f9::1")}),
    nameservers=frozenset({A("2a01:4fa::53"), A("198.51.100.53")}),
    onlink=frozenset({N("2a01:4f8::/64")}),
)
STRICT = Limits()
LAB = Limits(allow_special=True)


@pytest.mark.parametrize(
    ("prefix", "limits", "reason"),
    [
        ("::/0", LAB, "a default route"),
        ("0.0.0.0/0", LAB, "a default route"),
        ("2a00::/12", STRICT, "shorter than /16 (Reject-Min-Length-IPv6)"),
        ("12.0.0.0/7", STRICT, "shorter than /8 (Reject-Min-Length-IPv4)"),
        ("fe80::/64", STRICT, "outside global unicast"),
        ("fd00::/48", STRICT, "outside global unicast"),
        ("ff02::/16", STRICT, "outside global unicast"),
        ("2001:db8:1::/48", STRICT, "special-purpose space (2001:db8::/32)"),
        ("10.1.0.0/16", STRICT, "special-purpose space (10.0.0.0/8)"),
        ("192.168.4.0/24", STRICT, "special-purpose space (192.168.0.0/16)"),
        ("2a01:4f8::/32", STRICT, "covers this host's address 2a01:4f8::2"),
        ("2a01:4f9::/32", STRICT, "covers the gateway 2a01:4f9::1"),
        ("2a01:4fa::/48", STRICT, "covers the nameserver 2a01:4fa::53"),
        ("198.51.100.0/24", LAB, "covers the nameserver 198.51.100.53"),
        ("2a01:4f8:0:0:8000::/65", STRICT, "overlaps the on-link prefix 2a01:4f8::/64"),
    ],
    ids=lambda v: str(v) if not isinstance(v, Limits) else ("lab" if v.allow_special else "strict"),
)
def test_refusals(prefix, limits, reason):
    assert (refusal(N(prefix), PROTECTED, limits) or "").startswith(reason)


@pytest.mark.parametrize("prefix", ["2a02:100::/32", "2a02:100:1::/48", "8.8.0.0/16", "2001:db8:5::/48"])
def test_allowed(prefix):
    limits = LAB if prefix.startswith("2001:db8") else STRICT
    assert refusal(N(prefix), PROTECTED, limits) is None


def test_min_length_is_configurable():
    assert refusal(N("2a10::/12"), PROTECTED, Limits(min_length_v6=12)) is None
    assert refusal(N("2a10::/12"), PROTECTED, STRICT).startswith("shorter than /16")


def test_screen_splits_kept_and_refused():
    kept, refused = screen([N("2a02::/32"), N("::/0")], PROTECTED, STRICT)
    assert kept == [N("2a02::/32")]
    assert refused == [(N("::/0"), "a default route")]
