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
