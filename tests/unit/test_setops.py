"""collapse and carve on integer prefixes, checked against ipaddress as an oracle."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from netguard.prefixes.prefix import format_prefix, parse
from netguard.prefixes.setops import carve, collapse

P = parse


def N(prefix):
    """The same prefix as an ipaddress object: the independent implementation to agree with."""
    return ipaddress.ip_network(format_prefix(prefix))


def test_collapse_drops_covered_and_merges_siblings():
    got = collapse([P("2001:db8::/48"), P("2001:db8::/56"), P("2001:db8:1::/48"), P("192.0.2.0/25")])
    assert got == [P("192.0.2.0/25"), P("2001:db8::/47")]


def test_carve_replaces_a_covering_prefix_by_its_complement():
    hole = ipaddress.ip_network("2001:db8:1::/48")
    got = [N(p) for p in carve([P("2001:db8::/32")], [P("2001:db8:1::/48")])]
    assert hole not in got
    assert len(got) == 16
    assert not any(p.overlaps(hole) for p in got)
    assert sum(p.num_addresses for p in got) == 2**96 - 2**80


def test_carve_drops_a_prefix_inside_the_exception_and_keeps_other_families():
    got = carve([P("2001:db8:1:2::/64"), P("192.0.2.0/24")], [P("2001:db8:1::/48")])
    assert got == [P("192.0.2.0/24")]


prefixes_v6 = st.builds(
    lambda value, length: (6, value >> (128 - length) << (128 - length), length),
    st.integers(min_value=0, max_value=2**128 - 1).map(lambda v: (0x2001 << 112) | (v >> 16)),
    st.integers(min_value=24, max_value=64),
)


@given(st.lists(prefixes_v6, max_size=12), st.lists(prefixes_v6, max_size=3))
def test_carve_covers_exactly_the_set_minus_the_exceptions(routes, exceptions):
    result = [N(p) for p in carve(collapse(routes), exceptions)]
    routes_n = [N(r) for r in routes]
    exceptions_n = [N(e) for e in exceptions]
    for prefix in result:
        assert not any(prefix.overlaps(e) for e in exceptions_n)
        assert any(prefix.subnet_of(r) for r in routes_n)
    # Every address of the input that is not excepted is still covered (checked on range edges).
    for route in routes_n:
        for probe in (route.network_address, route.broadcast_address):
            excepted = any(probe in e for e in exceptions_n)
            covered = any(probe in p for p in result)
            assert covered != excepted


@given(st.lists(prefixes_v6, max_size=30))
def test_collapse_agrees_with_ipaddress(routes):
    assert [N(p) for p in collapse(routes)] == list(ipaddress.collapse_addresses(N(r) for r in routes))


def test_collapse_merges_chains_of_siblings():
    quarters = [P(f"2001:db8:{n}::/34".replace(":0::", "::")) for n in ("0", "4000", "8000", "c000")]
    assert collapse(quarters) == [P("2001:db8::/32")]
