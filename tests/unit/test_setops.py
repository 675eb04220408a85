"""collapse and carve, with examples and properties (hypothesis)."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from netguard.prefixes.setops import carve, collapse

N = ipaddress.ip_network


def test_collapse_drops_covered_and_merges_siblings():
    got = collapse([N("2001:db8::/48"), N("2001:db8::/56"), N("2001:db8:1::/48"), N("192.0.2.0/25")])
    assert got == [N("192.0.2.0/25"), N("2001:db8::/47")]


def test_carve_replaces_a_covering_prefix_by_its_complement():
    got = carve([N("2001:db8::/32")], [N("2001:db8:1::/48")])
    assert N("2001:db8:1::/48") not in got
    assert len(got) == 16
    assert not any(p.overlaps(N("2001:db8:1::/48")) for p in got)
    assert sum(p.num_addresses for p in got) == N("2001:db8::/32").num_addresses - 2**80


def test_carve_drops_a_prefix_inside_the_exception_and_keeps_other_families():
    got = carve([N("2001:db8:1:2::/64"), N("192.0.2.0/24")], [N("2001:db8:1::/48")])
    assert got == [N("192.0.2.0/24")]


prefixes_v6 = st.builds(
    lambda value, length: N((value >> (128 - length) << (128 - length), length)),
    st.integers(min_value=0, max_value=2**128 - 1).map(lambda v: (0x2001 << 112) | (v >> 16)),
    st.integers(min_value=24, max_value=64),
)


@given(st.lists(prefixes_v6, max_size=12), st.lists(prefixes_v6, max_size=3))
def test_carve_covers_exactly_the_set_minus_the_exceptions(routes, exceptions):
    result = carve(collapse(routes), exceptions)
    for prefix in result:
        assert not any(prefix.overlaps(e) for e in exceptions)
        assert any(prefix.subnet_of(r) for r in routes)
    # Every address of the input that is not excepted is still covered (checked on range edges).
    for route in routes:
        for probe in (route.network_address, route.broadcast_address):
            excepted = any(probe in e for e in exceptions)
            covered = any(probe in p for p in result)
            assert covered != excepted


@given(st.lists(prefixes_v6, max_size=30))
def test_collapse_agrees_with_ipaddress(routes):
    assert collapse(routes) == list(ipaddress.collapse_addresses(routes))


def test_collapse_merges_chains_of_siblings():
    quarters = [N(f"2001:db8:{n}::/34".replace(":0::", "::")) for n in ("0", "4000", "8000", "c000")]
    assert collapse(quarters) == [N("2001:db8::/32")]
