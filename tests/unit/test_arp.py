"""RFC 5227's conflict rules and the ARP wire format, without root (arp.py's pure half)."""

from __future__ import annotations

import socket
import struct

import pytest

from netguard import arp
from netguard.features import ipv4dad

OWN = bytes.fromhex("020000000001")
OTHER = bytes.fromhex("525400123456")
ADDRESS = socket.inet_aton("192.0.2.10")
ZERO = bytes(4)


def frame(op, sha, spa, tpa, source=None, outgoing=False):
    packet = arp.ARP.pack(1, 0x0800, 6, 4, op, sha, spa, bytes(6), tpa)
    return arp.parse(packet, source if source is not None else sha, outgoing)


@pytest.mark.parametrize(
    "seen, verdict",
    [
        (frame(arp.ARPOP_REPLY, OTHER, ADDRESS, ZERO), "answers for it"),
        (frame(arp.ARPOP_REQUEST, OTHER, ADDRESS, socket.inet_aton("192.0.2.1")), "answers for it"),
        (frame(arp.ARPOP_REQUEST, OTHER, ZERO, ADDRESS), "probes for it at the same time"),
        (frame(arp.ARPOP_REQUEST, OTHER, socket.inet_aton("192.0.2.5"), ADDRESS), None),  # someone asking
        (frame(arp.ARPOP_REQUEST, OWN, ZERO, ADDRESS), None),  # our probe, echoed by a hairpin
        (frame(arp.ARPOP_REPLY, OWN, ADDRESS, ZERO), None),  # our own answer, echoed
        (frame(arp.ARPOP_REPLY, OTHER, ADDRESS, ZERO, outgoing=True), None),  # sent by this host
        # RFC 5227 decides by the ARP sender: our Ethernet source naming another sender is a claim
        (frame(arp.ARPOP_REPLY, OTHER, ADDRESS, ZERO, source=OWN), "answers for it"),
    ],
    ids=[
        "reply",
        "request-from-holder",
        "simultaneous-probe",
        "asking",
        "own-probe-echo",
        "own-reply-echo",
        "outgoing",
        "own-source",
    ],
)
def test_conflict_follows_rfc_5227(seen, verdict):
    found = arp.conflict(seen, ADDRESS, OWN)
    assert (found.how if found else None) == verdict
    if found:
        assert found.mac == "52:54:00:12:34:56"


def test_probe_and_announcement_are_rfc_5227s():
    probe = arp.parse(arp.probe_packet(OWN, ADDRESS))
    assert (probe.op, probe.sha, probe.spa, probe.tha, probe.tpa) == (1, OWN, ZERO, bytes(6), ADDRESS)
    said = arp.parse(arp.announcement_packet(OWN, ADDRESS))
    assert (said.op, said.spa, said.tpa) == (1, ADDRESS, ADDRESS)


def test_anything_but_ethernet_ipv4_arp_is_not_a_frame():
    assert arp.parse(b"\x00" * 10) is None
    assert arp.parse(arp.ARP.pack(32, 0x0800, 6, 4, 1, OWN, ZERO, bytes(6), ADDRESS)) is None
    # htype 6 (IEEE 802): Linux's ARP accepts it on Ethernet, so a holder's answer in it counts
    assert arp.parse(arp.ARP.pack(6, 0x0800, 6, 4, 1, OWN, ZERO, bytes(6), ADDRESS)) is not None


def test_the_socket_filter_reads_sender_and_target_ip_where_the_layout_has_them():
    packet = arp.ARP.pack(1, 0x0800, 6, 4, 1, OWN, b"\x01\x02\x03\x04", bytes(6), b"\x05\x06\x07\x08")
    assert packet[arp.SPA_OFFSET : arp.SPA_OFFSET + 4] == b"\x01\x02\x03\x04"
    assert packet[arp.TPA_OFFSET : arp.TPA_OFFSET + 4] == b"\x05\x06\x07\x08"
    program = [struct.unpack("=HBBI", arp._filter_program(ADDRESS)[i : i + 8]) for i in range(0, 48, 8)]
    assert program[0][3] == arp.SPA_OFFSET and program[2][3] == arp.TPA_OFFSET
    assert program[1][3] == program[3][3] == int.from_bytes(ADDRESS, "big")


@pytest.mark.parametrize(
    "address, fine",
    [("192.0.2.10/24", True), ("192.0.2.10", True), ("10.0.0.1/32", True), ("0.0.0.0", False),
     ("255.255.255.255/32", False), ("224.0.0.5/24", False), ("127.0.0.2/8", False),
     ("192.0.2.010/24", False), ("2001:db8::1/64", False), ("192.0.2.10/33", False)],
)  # fmt: skip
def test_what_can_be_probed(address, fine):
    assert (ipv4dad.unprobeable(address) is None) == fine
