"""Packing and parsing rtnetlink route messages."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

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
    route, protocol: int, dst_first: bool = False, route_type: int = rtnl.RTN_UNREACHABLE, table_id: int = 254
) -> bytes:
    """An RTM_NEWROUTE as a dump answers it: RTA_TABLE, RTA_DST (or the other order), RTA_PRIORITY."""
    version, value, length = route
    width = 16 if version == 6 else 4
    family = 10 if version == 6 else 2
    table = struct.pack("=HHI", 8, 15, table_id)
    dst = struct.pack("=HH", 4 + width, 1) + value.to_bytes(width, "big")
    priority = struct.pack("=HHI", 8, 6, 1024)
    attrs = (dst + table if dst_first else table + dst) + priority
    compat = table_id if table_id < 256 else 252  # the kernel's RT_TABLE_COMPAT above 8 bits
    body = struct.pack("=BBBBBBBBI", family, length, 0, 0, compat, protocol, 0, route_type, 0) + attrs
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


DONE = struct.pack("=IHHII", 20, rtnl.NLMSG_DONE, 2, 1, 0) + bytes(4)


def dumped(buffer: bytes, routes_of: int | None) -> tuple[tuple[bool, bool], set]:
    found: set = set()
    return rtnl.dump_items(buffer, lambda payload: rtnl.parse_route(payload, 241), found, routes_of), found


def odd_message(route, odd_one: str) -> bytes:
    plain = kernel_route(route, 241)
    return {
        "none": plain,
        "protocol": kernel_route(route, 186),
        "type": kernel_route(route, 241, route_type=rtnl.RTN_UNICAST),
        "family": plain[:16] + bytes([2]) + plain[17:],  # an IPv4 rtmsg as long as an IPv6 one
        "kind": plain[:4] + struct.pack("=H", rtnl.RTM_DELROUTE) + plain[6:],
        "interrupted": plain[:6] + struct.pack("=H", 2 | rtnl.NLM_F_DUMP_INTR) + plain[8:],
        "layout": kernel_route(route, 241, dst_first=True),
        "ipv4": kernel_route(parse("192.0.2.0/24"), 241),
        "done": DONE,
    }[odd_one]


@given(
    st.lists(st.tuples(st.integers(0, (1 << 48) - 1), st.integers(48, 64)), min_size=1, max_size=40),
    st.sampled_from(["none", "protocol", "type", "family", "kind", "interrupted", "layout", "ipv4", "done"]),
    st.integers(0, 39),
    st.booleans(),
)
def test_a_buffer_of_uniform_routes_is_read_in_c_as_the_loop_reads_it(values, odd_one, where, every):
    """The fast path takes a buffer only when every message is one of our plain routes alike;
    an odd message (another protocol or type, a flag, a layout, a family, the end), or all
    of them odd, falls to the loop, and the answer is the same either way."""
    routes = [(6, value << 80 >> (128 - length) << (128 - length), length) for value, length in values]
    messages = [kernel_route(r, 241) for r in routes]
    if every and odd_one not in ("done", "family"):
        messages = [odd_message(r, odd_one) for r in routes]
    else:
        messages[where % len(messages)] = odd_message(routes[where % len(routes)], odd_one)
    buffer = b"".join(messages)
    assert dumped(buffer, 241) == dumped(buffer, None)
    taken: set = set()
    uniform = odd_one == "none" or (odd_one == "ipv4" and (every or len(routes) == 1))
    assert rtnl._uniform_routes(buffer, 241, taken) == uniform
    assert taken == (dumped(buffer, None)[1] if uniform else set())


def test_a_uniform_ipv4_buffer_is_read_in_c_too():
    routes = [parse(f"198.51.{n}.0/24") for n in range(50)]
    buffer = b"".join(kernel_route(r, 241) for r in routes)
    taken: set = set()
    assert rtnl._uniform_routes(buffer, 241, taken) and taken == set(routes)
    assert dumped(buffer + DONE, 241) == ((True, False), set(routes))


def default_route(family: int, attributes: bytes) -> memoryview:
    """A default route's payload (rtmsg, then attributes) as a dump answers it."""
    return memoryview(struct.pack("=BBBBBBBBI", family, 0, 0, 0, 254, 3, 0, rtnl.RTN_UNICAST, 0) + attributes)


def attribute(kind: int, value: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(value), kind) + value + bytes(-len(value) % 4)


def test_a_default_routes_gateways_one_or_every_nexthop_of_a_multipath():
    one = default_route(
        2, attribute(rtnl.RTA_GATEWAY, bytes([192, 0, 2, 1])) + attribute(4, struct.pack("=i", 2))
    )
    assert rtnl.parse_default_gateways(one) == ((4, 0xC0000201),)
    hops = b"".join(
        struct.pack("=HBBi", 8 + 20, 0, 0, index) + attribute(rtnl.RTA_GATEWAY, (0xFE80 << 112 | index).to_bytes(16, "big"))
        for index in (2, 3)
    )  # fmt: skip
    ecmp = default_route(10, attribute(15, struct.pack("=I", 254)) + attribute(rtnl.RTA_MULTIPATH, hops))
    assert rtnl.parse_default_gateways(ecmp) == ((6, 0xFE80 << 112 | 2), (6, 0xFE80 << 112 | 3))
    assert rtnl.parse_default_gateways(default_route(10, b"")) is None  # no gateway: nothing to protect
    not_default = memoryview(bytes([10, 48]) + bytes(10) + attribute(rtnl.RTA_GATEWAY, bytes(16)))
    assert rtnl.parse_default_gateways(not_default) is None


@given(st.sampled_from([10, 253, 1001, 100000, (1 << 32) - 1]), st.booleans())
def test_routes_of_a_vrf_table_are_read_from_that_table_only(table, dst_first):
    """A VRF's table: the messages name it in RTA_TABLE (rtm_table holds 8 bits only); a dump
    of that table reads its routes, fast or slow, and never main's, nor main's dump its."""
    routes = [parse(f"2001:db8:{n + 1:x}::/48") for n in range(20)]
    buffer = b"".join(kernel_route(r, 241, dst_first, table_id=table) for r in routes) + DONE
    for routes_of in (241, None):
        found: set = set()
        assert rtnl.dump_items(
            buffer, lambda p: rtnl.parse_route(p, 241, table), found, routes_of, table
        ) == (
            True,
            False,
        )
        assert found == set(routes)
        in_main: set = set()
        rtnl.dump_items(buffer, lambda p: rtnl.parse_route(p, 241), in_main, routes_of)
        assert in_main == set()


def test_a_route_message_names_a_vrf_table_as_iproute2_does():
    route = parse("2001:db8:100::/40")
    main = rtnl.route_message(rtnl.RTM_NEWROUTE, route, 241, seq=1)
    for table, in_header in ((10, 10), (100000, 0)):
        message = rtnl.route_message(rtnl.RTM_NEWROUTE, route, 241, seq=1, table=table)
        assert len(message) == len(main) + 8
        assert message[16 + 4] == in_header  # rtm_table
        assert message.endswith(struct.pack("=HHI", 8, 15, table))
        request = rtnl.dump_request(10, 241, 1, table=table)
        assert request[16 + 4] == in_header and request.endswith(struct.pack("=HHI", 8, 15, table))
    assert main[16 + 4] == 254 and rtnl.dump_request(10, 241, 1)[16 + 4] == 254


def link_message(index: int, kind: bytes, table: int | None) -> memoryview:
    data = attribute(1, struct.pack("=I", table)) if table is not None else b""
    info = attribute(1, kind + b"\0") + (attribute(2 | 0x8000, data) if table is not None else b"")
    return memoryview(
        struct.pack("=BxHiII", 0, 1, index, 0, 0) + attribute(3, b"mgmt\0") + attribute(18 | 0x8000, info)
    )


def test_a_vrf_links_table_is_read_from_its_link_info():
    assert rtnl.parse_vrf_table(link_message(7, b"vrf", 1001)) == (7, 1001)
    assert rtnl.parse_vrf_table(link_message(8, b"bridge", None)) is None
    assert rtnl.parse_vrf_table(link_message(9, b"vrf", None)) is None  # no data: not a table to use
    assert rtnl.parse_vrf_table(memoryview(struct.pack("=BxHiII", 0, 1, 3, 0, 0))) is None
