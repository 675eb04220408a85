"""The one prefix grammar: what is a prefix, and what is refused with which reason."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netguard.prefixes.prefix import PrefixError, contains, format_prefix, parse, parse_all, sort_prefixes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2001:db8::/32", (6, 0x20010DB8 << 96, 32)),
        ("2001:DB8::/32", (6, 0x20010DB8 << 96, 32)),
        ("192.0.2.0/24", (4, 0xC0000200, 24)),
        ("::/0", (6, 0, 0)),
        ("0.0.0.0/0", (4, 0, 0)),
        ("2a0b:4d07::1/128", (6, (0x2A0B4D07 << 96) | 1, 128)),
    ],
    ids=lambda v: str(v),
)
def test_accepted(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2a0b:8000::%eth0/32", "zone id"),
        ("2a0b:8000::/abc", "plain decimal"),
        ("2a0b:8000::/200", "longer than"),
        ("2a0b:8000::/032", "plain decimal"),
        ("2a0b:8000::/+32", "plain decimal"),
        ("2a0b:8000::/\uff13\uff12", "plain decimal"),
        ("2a0b:8000::", "no /LENGTH"),
        ("2a0b:8000::1/32", "host bits"),
        ("::ffff:192.0.2.0/120", "IPv4-mapped"),
        ("::ffff:c000:200/120", "IPv4-mapped"),
        ("::192.0.2.0/120", "IPv4-compatible"),
        ("192.0.2.0/33", "longer than"),
        ("192.000.2.0/24", "not an IPv4"),
        ("192.0.2/24", "not an IPv4"),
        (" 192.0.2.0/24", "not an IPv4"),
        ("\uff12001:db8::/32", "not an IPv4"),
        ("example.com/24", "not an IPv4"),
        ("x" * 10000 + "/24", "not an IPv4"),
        ("", "no /LENGTH"),
        ("2001:db8::\x00/32", "not an IPv4"),  # a NUL: inet_pton's ValueError, still the one rule's error
    ],
    ids=lambda v: repr(v)[:30],
)
def test_refused_with_the_rule_broken(text, reason):
    with pytest.raises(PrefixError, match=reason):
        parse(text)


networks = st.one_of(
    st.builds(
        lambda v, n: ipaddress.ip_network((v >> (32 - n) << (32 - n), n)),
        st.integers(0, 2**32 - 1),
        st.integers(0, 32),
    ),
    st.builds(
        lambda v, n: ipaddress.ip_network(((v >> (128 - n) << (128 - n)) | (1 << 127), n)),
        st.integers(0, 2**127 - 1),
        st.integers(1, 128),
    ),
)


@given(networks)
def test_agrees_with_ipaddress_and_round_trips(network):
    prefix = parse(str(network))
    assert prefix == (network.version, int(network.network_address), network.prefixlen)
    assert format_prefix(prefix) == str(network)


@given(networks, networks)
def test_contains_agrees_with_ipaddress(a, b):
    same = a.version == b.version
    assert contains(parse(str(a)), parse(str(b))) == (same and b.subnet_of(a))  # type: ignore[arg-type]


REFUSED = [
    "2a0b:8000::%eth0/32", "2a0b:8000::/abc", "2a0b:8000::/200", "2a0b:8000::/032", "2a0b:8000::/+32",
    "2a0b:8000::/\uff13\uff12", "2a0b:8000::", "2a0b:8000::1/32", "::ffff:192.0.2.0/120",
    "::ffff:c000:200/120", "::192.0.2.0/120", "192.0.2.0/33", "192.000.2.0/24", "192.0.2/24",
    " 192.0.2.0/24", "\uff12001:db8::/32", "example.com/24", "x" * 10000 + "/24", "", "1.2.3.4/24/1",
    "2001:db8::/64\x00", "::/129", "0.0.0.0/32 ", "2001:db8::\x00/32",
]  # fmt: skip


def one_by_one(texts: list[str]) -> list | None:
    try:
        return [parse(t) for t in texts]
    except PrefixError:
        return None


texts = st.one_of(
    networks.map(str),
    networks.map(lambda n: n.exploded),
    networks.map(  # host bits set (or, for a /32 or /128, the next network); wraps past the last address
        lambda n: (
            f"{type(n.network_address)((int(n.network_address) + 1) % 2**n.max_prefixlen)}/{n.prefixlen}"
        )
    ),
    st.sampled_from(REFUSED),
    st.text(st.sampled_from("0123456789abcdef:./ "), max_size=14),
)


@given(st.lists(texts, max_size=12))
def test_parse_all_is_parse_of_each_or_none(given_texts):
    """In C over a whole list, and the very same verdict as parse() one by one."""
    assert parse_all(given_texts) == one_by_one(given_texts)


@given(st.lists(texts, max_size=12))
def test_sort_prefixes_is_sorted(given_texts):
    prefixes = [p for p in (one_by_one([t]) for t in given_texts) if p for p in p]
    assert sort_prefixes(prefixes) == sorted(prefixes)


@pytest.mark.parametrize("text", REFUSED, ids=lambda v: repr(v)[:30])
def test_parse_all_refuses_what_parse_refuses(text):
    assert parse_all(["2001:db8::/32", text]) is None


def test_sort_prefixes_orders_by_version_first():
    mixed = [parse("::/8"), parse("0.0.0.0/8"), parse("10.0.0.0/8"), parse("::/0"), parse("0.0.0.0/0")]
    assert sort_prefixes(mixed) == sorted(mixed)
