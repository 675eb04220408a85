"""Packing and parsing rtnetlink route messages."""

from __future__ import annotations

import struct

from netguard import rtnl
from netguard.prefixes.prefix import parse


def test_route_message_round_trips_through_the_parser():
    route = parse("2001:db8:100::/40")
    message = rtnl.route_message(rtnl.RTM_NEWROUTE, route, 241, seq=7)
    ((kind, flags, seq, payload),) = list(rtnl.messages(message))
    assert (kind, seq) == (rtnl.RTM_NEWROUTE, 7)
    assert flags == rtnl.NLM_F_REQUEST | rtnl.NLM_F_CREATE | rtnl.NLM_F_EXCL
    assert rtnl.parse_route(payload, 241) == route
    assert rtnl.parse_route(payload, 242) is None  # another protocol's route is not ours
    assert len(message) == 16 + 12 + 4 + 16


def test_ack_flag_only_when_asked_and_ipv4_size():
    route = parse("192.0.2.0/24")
    message = rtnl.route_message(rtnl.RTM_DELROUTE, route, 241, seq=1, ack=True)
    ((_, flags, _, payload),) = list(rtnl.messages(message))
    assert flags == rtnl.NLM_F_REQUEST | rtnl.NLM_F_ACK
    assert len(message) == 16 + 12 + 4 + 4
    assert rtnl.parse_route(payload, 241) == (4, 0xC0000200, 24)


def test_error_messages_carry_errno_and_sequence():
    error = struct.pack("=IHHII", 36, rtnl.NLMSG_ERROR, 0, 42, 0) + struct.pack("=i", -17) + bytes(16)
    ((kind, _, seq, payload),) = list(rtnl.messages(error))
    assert (kind, seq, rtnl.error_code(payload)) == (rtnl.NLMSG_ERROR, 42, 17)


def test_several_messages_in_one_buffer():
    routes = [parse(f"2001:db8:{n}::/48") for n in range(1, 4)]
    buffer = b"".join(rtnl.route_message(rtnl.RTM_NEWROUTE, r, 241, seq=n) for n, r in enumerate(routes, 1))
    assert [rtnl.parse_route(p, 241) for _, _, _, p in rtnl.messages(buffer)] == routes


def kernel_route(
    route, protocol: int, dst_first: bool = False, route_type: int = rtnl.RTN_UNREACHABLE
) -> bytes:
    """An RTM_NEWROUTE as a dump answers it: RTA_TABLE, RTA_DST (or the other order), RTA_PRIORITY."""
    version, value, length = route
    width = 16 if version == 6 else 4
    family = 10 if version == 6 else 2
    table = struct.pack("=HHI", 8, 15, 254)
    dst = struct.pack("=HH", 4 + width, 1) + value.to_bytes(width, "big")
    priority = struct.pack("=HHI", 8, 6, 1024)
    attrs = (dst + table if dst_first else table + dst) + priority
    body = struct.pack("=BBBBBBBBI", family, length, 0, 0, 254, protocol, 0, route_type, 0) + attrs
    return struct.pack("=IHHII", 16 + len(body), rtnl.RTM_NEWROUTE, 2, 1, 0) + body


def test_the_route_dump_loop_reads_what_parse_route_reads():
    routes = [
        parse("2001:db8:1::/48"),
        parse("2001:db8:2::/48"),
        parse("192.0.2.0/24"),
        parse("2001:db8:3::/64"),
    ]
    buffer = (
        kernel_route(routes[0], 241)
        + kernel_route(routes[1], 241, dst_first=True)  # another layout: parse_route walks it
        + kernel_route(routes[2], 241)
        + kernel_route(routes[3], 241)
        + kernel_route(parse("2001:db8:9::/48"), 186)  # another protocol's
        + kernel_route(parse("2001:db8:8::/48"), 241, route_type=1)  # unicast, not ours
        + struct.pack("=IHHII", 20, rtnl.NLMSG_DONE, 2, 1, 0)
        + bytes(4)
    )
    fast: set = set()
    slow: set = set()
    assert rtnl.dump_items(buffer, lambda payload: rtnl.parse_route(payload, 241), fast, routes_of=241) == (
        True,
        False,
    )
    assert rtnl.dump_items(buffer, lambda payload: rtnl.parse_route(payload, 241), slow) == (True, False)
    assert fast == slow == set(routes)
