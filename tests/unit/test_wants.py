"""The binary wants records: what is written is read back, and nothing else is."""

from __future__ import annotations

import pytest

from netguard import wants
from netguard.prefixes.prefix import parse

RECORD = wants.StanzaRecord(
    (64500, 64501), (parse("2001:db8:100::/48"),), "2001:db8::1", ("[2001:db8::9]:443",)
)


@pytest.mark.parametrize(
    ("version", "prefixes"),
    [
        (6, ["2a00::/16", "2a00:1450::/32", "2c0f:f248::/32", "2001:4860:4860::8888/128"]),
        (4, ["8.0.0.0/8", "193.0.0.0/21", "203.0.113.7/32", "0.0.0.0/0"]),
    ],
)
def test_round_trip(version, prefixes):
    written = wants.Wants(RECORD, tuple(parse(p) for p in prefixes), "f00d")
    assert wants.parse_wants(wants.format_wants(written), version) == written


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (bytes(16) + bytes([129]), "record 0: not a prefix"),  # longer than 128
        (bytes(16) + bytes([64]) + bytes(15) + b"\x01" + bytes([64]), "record 1: not a prefix"),  # host bits
        (bytes(16), "bytes of records"),  # truncated
    ],
)
def test_a_bad_record_is_refused(body, why):
    good = wants.format_wants(wants.Wants(RECORD, (), "f00d"))
    header = good[: good.find(b"\n\n")].replace(b"count: 0", f"count: {max(1, len(body) // 17)}".encode())
    with pytest.raises(ValueError, match=why):
        wants.parse_wants(header + b"\n\n" + body, 6)


def test_the_table_is_recorded_and_a_format_3_file_reads_as_main():
    """0.2 records the routes' table (a VRF's); a file 0.1 wrote (format 3, no table line) is
    read, its routes in main, so an upgrade withdraws what the old version installed."""
    prefixes = (parse("2001:db8:100::/40"),)
    in_vrf = wants.Wants(RECORD._replace(table=1001), prefixes, "f00d")
    assert wants.parse_wants(wants.format_wants(in_vrf), 6) == in_vrf
    old = wants.format_wants(wants.Wants(RECORD, prefixes, "f00d"))
    old = old.replace(b"netguard-wants: 4", b"netguard-wants: 3").replace(b"table: 254\n", b"")
    assert wants.parse_wants(old, 6) == wants.Wants(RECORD, prefixes, "f00d")
    assert wants.parse_wants(old, 6).record.table == 254


@pytest.mark.parametrize("table", [b"0", b"255", b"-1", b"4294967296", b"main", b"\xd9\xa1"])
def test_a_table_that_is_no_vrf_table_is_refused(table):
    good = wants.format_wants(wants.Wants(RECORD, (), "f00d"))
    with pytest.raises((ValueError, UnicodeDecodeError)):
        wants.parse_wants(good.replace(b"table: 254", b"table: " + table), 6)
