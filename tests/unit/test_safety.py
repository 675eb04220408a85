"""The safety screen: what a reject route must never cover."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netguard.prefixes.prefix import parse, parse_address
from netguard.prefixes.safety import SPECIAL_PURPOSE, Limits, Protected, matters, refusal, screen

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


# screen() finds suspects by range queries on sorted starts; refusal() of every
# prefix, one by one, is the oracle (prefixes near and inside every protected
# range, nested, too short, both families).
_PROTECTED = Protected(
    own=frozenset({parse_address("2a00:1450::5"), parse_address("203.0.113.9"), parse_address("198.51.7.1")}),
    gateways=frozenset({parse_address("2a00:1450::1")}),
    nameservers=frozenset({parse_address("9.9.9.9")}),
    onlink=frozenset({parse("2a00:1450::/64"), parse("198.51.7.0/24")}),
)


@st.composite
def prefixes(draw):
    version = draw(st.sampled_from([4, 6]))
    bits = 32 if version == 4 else 128
    anchors = [a for v, a in (*_PROTECTED.own, *_PROTECTED.gateways, *_PROTECTED.nameservers) if v == version]
    anchors += [p[1] for p in SPECIAL_PURPOSE if p[0] == version] + [0, (1 << bits) - 1, 0x20 << (bits - 8)]
    near = draw(st.sampled_from(anchors)) ^ draw(st.integers(0, (1 << draw(st.integers(0, bits))) - 1))
    length = draw(st.integers(0, bits))
    return (version, near >> (bits - length) << (bits - length) if length else 0, length)


@settings(max_examples=300, deadline=None)
@given(st.sets(prefixes(), max_size=60), st.booleans(), st.integers(0, 20))
def test_screen_equals_refusal_of_every_prefix(found, allow_special, min_v6):
    limits = Limits(min_length_v6=min_v6, min_length_v4=min_v6 // 2, allow_special=allow_special)
    given = sorted(found)
    kept, refused = screen(given, _PROTECTED, limits)
    assert refused == [(p, r) for p in given if (r := refusal(p, _PROTECTED, limits)) is not None]
    assert kept == [p for p in given if refusal(p, _PROTECTED, limits) is None]


@settings(max_examples=300, deadline=None)
@given(prefixes(), prefixes(), st.booleans())
def test_a_protected_thing_that_does_not_matter_changes_no_verdict(candidate, protected_prefix, as_address):
    """reconcile's fingerprint leaves out what matters() says cannot change a screen (a link-local
    address appearing after ifup must not force a plan again): the verdict is the same with or without it."""
    limits = Limits()
    version, value, _length = protected_prefix
    thing = (version, value, 32 if version == 4 else 128) if as_address else protected_prefix
    if matters(thing, limits):
        return
    alone = Protected()
    beside = (
        Protected(own=frozenset({(version, value)})) if as_address else Protected(onlink=frozenset({thing}))
    )
    assert refusal(candidate, beside, limits) == refusal(candidate, alone, limits)
