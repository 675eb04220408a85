"""Option table and value parsers: pure, no root."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netguard.errors import OptionError
from netguard.options import OPTIONS, OPTIONS_BY_NAME, WaitDad, any_option_set, parse_options

IFACE = "eth0"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("off", "off"), ("on", "on"), ("no", "off"), ("yes", "on"), ("OFF", "off"), ("0", "off")],
    ids=lambda v: repr(v),
)
def test_dad_values(raw, expected):
    assert parse_options({"IF_DAD": raw}, IFACE)["dad"] == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("yes", WaitDad(True)),
        ("no", WaitDad(False)),
        ("5", WaitDad(True, 5.0)),
        ("0.5", WaitDad(True, 0.5)),
        ("300", WaitDad(True, 300.0)),
    ],
    ids=["yes", "no", "int", "fraction", "max"],
)
def test_wait_dad_values(raw, expected):
    assert parse_options({"IF_WAIT_DAD": raw}, IFACE)["wait-dad"] == expected


@pytest.mark.parametrize(
    ("env_name", "raw", "shown"),
    [
        ("IF_DAD", "maybe", "accepted: off, on, optimistic"),
        ("IF_WAIT_DAD", "soon", "accepted: yes, no"),
        ("IF_WAIT_DAD", "0.0", "more than 0"),
        ("IF_WAIT_DAD", "301", "at most 300"),
        ("IF_WAIT_DAD", "-1", "more than 0"),
        ("IF_WAIT_DAD_FAILURE", "ignore", "accepted: fail, warn"),
        ("IF_REJECT_ASN", "AS-COGENT", "AS numbers"),
        ("IF_REJECT_ASN", "0", "reserved"),
        ("IF_REJECT_ASN", "23456", "reserved"),
        ("IF_REJECT_ASN", "4294967296", "reserved"),
        ("IF_REJECT_ASN_EXCEPT", "2001:db8::1/32", "host bits zero"),
        ("IF_REJECT_ASN_EXCEPT", "example.com", "prefixes"),
    ],
    ids=lambda v: str(v),
)
def test_bad_values_name_iface_option_value_and_what_is_accepted(env_name, raw, shown):
    with pytest.raises(OptionError) as caught:
        parse_options({env_name: raw}, IFACE)
    line = caught.value.line()
    option = next(o.name for o in OPTIONS if o.env_name == env_name)
    assert line.startswith(f"netguard: {IFACE}: {option}: bad value {raw!r}")
    assert shown in line
    assert "\n" not in line


def test_env_names_are_derived():
    assert OPTIONS_BY_NAME["wait-dad"].env_name == "IF_WAIT_DAD"
    assert OPTIONS_BY_NAME["reject-asn-except"].env_name == "IF_REJECT_ASN_EXCEPT"


def test_repeated_list_option_arrives_newline_joined_and_adds_up():
    # ifupdown 0.8.41: `reject-asn 174 6939` then `reject-asn 3356`
    parsed = parse_options({"IF_REJECT_ASN": "174 AS6939\n3356\nas174"}, IFACE)
    assert parsed["reject-asn"] == (174, 6939, 3356)


def test_prefix_list():
    parsed = parse_options({"IF_REJECT_ASN_EXCEPT": "2001:db8::/48, 192.0.2.0/24"}, IFACE)
    assert parsed["reject-asn-except"] == (
        ipaddress.ip_network("2001:db8::/48"),
        ipaddress.ip_network("192.0.2.0/24"),
    )


def test_repeated_scalar_option_is_an_error():
    with pytest.raises(OptionError, match="given 2 times; give it once"):
        parse_options({"IF_DAD": "off\non"}, IFACE)


def test_unset_and_empty_options_take_defaults():
    parsed = parse_options({"IF_DAD": "", "IF_ADDRESS": "2001:db8::1"}, IFACE)
    assert parsed == {option.name: option.default for option in OPTIONS}


def test_any_option_set():
    assert not any_option_set({"IF_ADDRESS": "x", "IFACE": "eth0"})
    assert any_option_set({"IF_WAIT_DAD": "yes"})


def test_every_option_is_fully_declared():
    for option in OPTIONS:
        assert option.help and option.example.startswith(option.name + " ")
        assert option.phases
        # The example parses: the docs never show a value the code refuses.
        value = option.example.split(" ", 1)[1]
        parse_options({option.env_name: value}, IFACE)


@given(st.dictionaries(st.sampled_from([o.env_name for o in OPTIONS]), st.text(max_size=40), max_size=5))
def test_any_value_parses_or_gives_one_line_naming_the_option(env):
    try:
        parse_options(env, IFACE)
    except OptionError as err:
        line = err.line()
        assert "\n" not in line and line.startswith(f"netguard: {IFACE}: ")
        assert err.option in OPTIONS_BY_NAME
