"""Option table and value parsers: pure, no root."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netguard.catalogue import OPTIONS, OPTIONS_BY_NAME, any_option_set, parse_options
from netguard.errors import OptionError
from netguard.options import WaitDad
from netguard.prefixes.prefix import parse

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
        ("1", WaitDad(True, 1.0)),
        ("0", WaitDad(False)),
        ("0.0", WaitDad(False)),
    ],
    ids=["yes", "no", "int", "fraction", "max", "one-second", "zero", "zero-fraction"],
)
def test_wait_dad_values(raw, expected):
    assert parse_options({"IF_WAIT_DAD": raw}, IFACE)["wait-dad"] == expected


@pytest.mark.parametrize(
    ("env_name", "raw", "shown"),
    [
        ("IF_DAD", "maybe", "accepted: off, on, optimistic"),
        ("IF_WAIT_DAD", "soon", "accepted: yes, no"),
        ("IF_WAIT_DAD", "301", "at most 300"),
        ("IF_WAIT_DAD", "-1", "accepted: yes, no, or a timeout in seconds"),
        ("IF_WAIT_DAD", "\uff15", "plain digits"),
        ("IF_WAIT_DAD", "\u0663", "plain digits"),
        ("IF_WAIT_DAD", "1_0", "plain digits"),
        ("IF_WAIT_DAD", "1e-300", "plain digits"),
        ("IF_WAIT_DAD", "inf", "plain digits"),
        ("IF_WAIT_DAD", "5         # ifup returns", "no end-of-line comments"),
        ("IF_REJECT_ASN", "\u0661\u0667\u0664", "plain digits"),
        ("IF_REJECT_ASN", "0174", "no leading zero"),
        ("IF_WAIT_DAD_FAILURE", "ignore", "accepted: fail, warn"),
        ("IF_REJECT_ASN", "AS-COGENT", "AS numbers"),
        ("IF_REJECT_ASN", "0", "AS numbers"),
        ("IF_REJECT_ASN", "23456", "reserved"),
        ("IF_REJECT_ASN", "4294967296", "reserved"),
        ("IF_REJECT_ASN_EXCEPT", "2001:db8::1/32", "host bits are set"),
        ("IF_REJECT_ASN_EXCEPT", "2a0b:8000::%eth0/32", "zone id"),
        ("IF_REJECT_ASN_EXCEPT", "::ffff:192.0.2.0/120", "IPv4-mapped"),
        ("IF_REJECT_ASN_EXCEPT", "example.com", "prefixes"),
    ],
    ids=lambda v: str(v),
)
def test_bad_values_name_iface_option_value_and_what_is_accepted(env_name, raw, shown):
    with pytest.raises(OptionError) as caught:
        parse_options({env_name: raw}, IFACE)
    line = caught.value.line()
    option = next(o.name for o in OPTIONS if o.env_name == env_name)
    assert line.startswith(f"netguard: {IFACE}: {option}: bad value {raw.strip()!r}")
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
    assert parsed["reject-asn-except"] == (parse("2001:db8::/48"), parse("192.0.2.0/24"))


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


def test_a_long_bad_value_is_echoed_elided():
    with pytest.raises(OptionError) as caught:
        parse_options({"IF_WAIT_DAD": "x" * 10000}, IFACE)
    line = caught.value.line()
    assert len(line) < 250 and "(10000 characters)" in line
