"""rtnetlink route messages packed and parsed with struct, for speed.

pyroute2 spends ~150 us of Python per route building a message; a full
table is 250k IPv6 prefixes. These functions build RTM_NEWROUTE /
RTM_DELROUTE for unreachable routes and parse route dumps and errors
directly. Pure: no sockets here (apply.py sends, state.py dumps).
"""

from __future__ import annotations

import struct
from itertools import repeat
from operator import itemgetter

from netguard.kernel import RT_SCOPE_UNIVERSE, RT_TABLE_MAIN, RTN_UNICAST, RTN_UNREACHABLE  # noqa: F401
from netguard.prefixes.prefix import FAMILY, VERSION, Prefix, from_packed, packed

RT_TABLE_UNSPEC = 0

WIDTH = {FAMILY[4]: 4, FAMILY[6]: 16}  # bytes of an address, per address family

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Literal, TypeVar

    T = TypeVar("T")

NLMSG_ERROR = 2
NLMSG_DONE = 3
RTM_NEWROUTE = 24
RTM_DELROUTE = 25
RTM_GETROUTE = 26
RTM_NEWADDR = 20
RTM_GETADDR = 22

NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_DUMP_INTR = 0x10  # the kernel's table changed during this dump: it may be incomplete
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400

RTA_DST = 1
RTA_GATEWAY = 5
RTA_MULTIPATH = 9
RTA_TABLE = 15
IFA_ADDRESS = 1
IFA_LOCAL = 2
IFA_CACHEINFO = 6
IFA_FLAGS = 8
NLM_F_REPLACE = 0x100

SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NETLINK_GET_STRICT_CHK = 12


_NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
_HEADER = _NLMSGHDR.size  # every message's payload starts here
_RTMSG = struct.Struct("=BBBBBBBBI")  # family, dst_len, src_len, tos, table, protocol, scope, type, flags
_IFADDRMSG = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
_CACHEINFO = struct.Struct("=IIII")  # preferred, valid (seconds left), created, updated
_RTATTR = struct.Struct("=HH")
_RTNEXTHOP = struct.Struct("=HBBi")  # len, flags, hops, ifindex; then the nexthop's attributes
_ERRNO = struct.Struct("=i")

_ADD_FLAGS = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL  # never replace a route that is not ours
_DEL_FLAGS = NLM_F_REQUEST


def _align(length: int) -> int:
    return (length + 3) & ~3


def table_attribute(table: int) -> bytes:
    """RTA_TABLE: the whole table id (rtm_table has 8 bits; a VRF's table is often above 255)."""
    return _RTATTR.pack(_RTATTR.size + 4, RTA_TABLE) + struct.pack("=I", table)


def _rtm_table(table: int) -> int:
    return table if table < 256 else RT_TABLE_UNSPEC  # as iproute2 does; RTA_TABLE then names it


def route_message(
    kind: int, route: Prefix, protocol: int, seq: int, ack: bool = False, table: int = RT_TABLE_MAIN
) -> bytes:
    """One RTM_NEWROUTE/RTM_DELROUTE for an unreachable route in `table` (a VRF's, or main)."""
    family, address, length = FAMILY[route[0]], packed(route), route[2]
    attr = _RTATTR.pack(_RTATTR.size + len(address), RTA_DST) + address
    if table != RT_TABLE_MAIN:
        attr += table_attribute(table)
    total = _NLMSGHDR.size + _RTMSG.size + len(attr)
    flags = _ADD_FLAGS if kind == RTM_NEWROUTE else _DEL_FLAGS
    if ack:
        flags |= NLM_F_ACK
    return (
        _NLMSGHDR.pack(total, kind, flags, seq, 0)
        + _RTMSG.pack(
            family, length, 0, 0, _rtm_table(table), protocol, RT_SCOPE_UNIVERSE, RTN_UNREACHABLE, 0
        )
        + attr
    )


def dump_request(family: int, protocol: int, seq: int, kind: int = 0, table: int = RT_TABLE_MAIN) -> bytes:
    """RTM_GETROUTE dump; with NETLINK_GET_STRICT_CHK the kernel filters by table, protocol (and
    type) itself."""
    attr = table_attribute(table) if table != RT_TABLE_MAIN else b""
    total = _NLMSGHDR.size + _RTMSG.size + len(attr)
    return (
        _NLMSGHDR.pack(total, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq, 0)
        + _RTMSG.pack(family, 0, 0, 0, _rtm_table(table), protocol, 0, kind, 0)
        + attr
    )


def dump_items(
    buffer: bytes,
    parse: Callable[[memoryview], T | None],
    found: set[T],
    routes_of: int | None = None,
    table: int = RT_TABLE_MAIN,
) -> tuple[bool, bool]:
    """One recv() buffer of a dump, each message through parse into found: (done, interrupted).

    The loop is written out (not messages()): a 100k-route dump is 100k
    turns. routes_of (a protocol): a buffer of nothing but our plain
    unreachable routes is read in C (_uniform_routes, the one fast path);
    any other buffer goes through parse, message by message.
    """
    if routes_of is not None and _uniform_routes(buffer, routes_of, found, table):
        return False, False
    view = memoryview(buffer)
    offset, end, interrupted = 0, len(buffer), False
    while offset + _HEADER <= end:
        length, kind, flags = _HEAD(buffer, offset)
        if length < _HEADER:
            break
        if flags & NLM_F_DUMP_INTR:
            interrupted = True
        if kind == NLMSG_DONE:
            return True, interrupted
        if kind == NLMSG_ERROR:
            raise OSError(error_code(view[offset + _HEADER : offset + length]), "netlink dump failed")
        item = parse(view[offset + _HEADER : offset + length])
        if item is not None:
            found.add(item)
        offset += (length + 3) & ~3
    return False, interrupted


def _uniform_routes(buffer: bytes, protocol: int, found: set, table: int = RT_TABLE_MAIN) -> bool:
    """The common buffer of a dump of our routes, read in C (struct, map, zip: no bytecode
    per route): every message one of our plain unreachable routes, all of one length and
    family, the same bytes but for the destination and its length. False (nothing added)
    for any other buffer; dump_items' loop reads that one.
    """
    if len(buffer) < _PLAIN + WIDTH[FAMILY[4]]:  # the shortest: one IPv4 route
        return False
    length, family = _U32(buffer, 0)[0], buffer[_HEADER]
    width = WIDTH.get(family, 0)
    if family not in _PLAIN_ROUTE or length < _PLAIN + width or len(buffer) % _align(length):
        return False
    layout = _UNIFORM.get((length, width))
    if layout is None:  # head and family | dst_len | the rest of rtmsg, RTA_TABLE, RTA_DST's header | dst
        rest = _PLAIN - _HEADER - 2
        layout = _UNIFORM[(length, width)] = struct.Struct(
            f"={_HEADER + 1}sB{rest}s{width}s{_align(length) - _PLAIN - width}x"
        )
    rows = list(layout.iter_unpack(buffer))
    plain = _PLAIN_ROUTE[family] if table == RT_TABLE_MAIN else table_attribute(table) + _DST_HEADERS[width]
    for head in set(map(_FIRST, rows)):  # the distinct ones: one, as a rule
        message_length, kind, flags, message_family = _HEAD_FAMILY(head)
        if message_length != length or kind != RTM_NEWROUTE or message_family != family:
            return False
        if flags & NLM_F_DUMP_INTR:
            return False
    for middle in set(map(_THIRD, rows)):
        if middle[3] != protocol or middle[5] != RTN_UNREACHABLE or middle[10:] != plain:
            return False
    values = map(int.from_bytes, map(_FOURTH, rows), repeat(_BIG))
    found.update(zip(repeat(VERSION[family]), values, map(_SECOND, rows)))
    return True


RTM_GETLINK = 18
_IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
IFLA_LINKINFO = 18
IFLA_INFO_KIND = 1
IFLA_INFO_DATA = 2
IFLA_VRF_TABLE = 1


def link_dump_request(seq: int) -> bytes:
    """RTM_GETLINK dump of every link."""
    total = _NLMSGHDR.size + _IFINFOMSG.size
    return _NLMSGHDR.pack(total, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + _IFINFOMSG.pack(
        0, 0, 0, 0, 0
    )


def parse_vrf_table(payload: memoryview) -> tuple[int, int] | None:
    """(index, table) of a vrf link (IFLA_LINKINFO: kind "vrf", IFLA_VRF_TABLE in its data), else None."""
    index = _IFINFOMSG.unpack_from(payload, 0)[2]
    for attr_type, value in _attributes(payload, _IFINFOMSG.size):
        if attr_type & 0x7FFF != IFLA_LINKINFO:  # NLA_F_NESTED may be set
            continue
        info = dict((t & 0x7FFF, v) for t, v in _attributes(value, 0))
        if bytes(info.get(IFLA_INFO_KIND, b"")).rstrip(b"\0") != b"vrf" or IFLA_INFO_DATA not in info:
            return None
        for data_type, data in _attributes(info[IFLA_INFO_DATA], 0):
            if data_type & 0x7FFF == IFLA_VRF_TABLE and len(data) >= 4:
                return index, _U32(data, 0)[0]
    return None


def addr_dump_request(seq: int) -> bytes:
    """RTM_GETADDR dump of every address of every family."""
    total = _NLMSGHDR.size + _IFADDRMSG.size
    return _NLMSGHDR.pack(total, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + _IFADDRMSG.pack(
        0, 0, 0, 0, 0
    )


def _attributes(payload: memoryview, offset: int) -> Iterator[tuple[int, memoryview]]:
    while offset + _RTATTR.size <= len(payload):
        attr_len, attr_type = _RTATTR.unpack_from(payload, offset)
        if attr_len < _RTATTR.size:
            return
        yield attr_type, payload[offset + _RTATTR.size : offset + attr_len]
        offset += _align(attr_len)


def parse_address(payload: memoryview) -> Prefix | None:
    """An interface address as (version, address value, prefix length); None for other families."""
    family, prefixlen, _flags, _scope, _index = _IFADDRMSG.unpack_from(payload, 0)
    if family not in VERSION:
        return None
    found = {kind: bytes(value) for kind, value in _attributes(payload, _IFADDRMSG.size)}
    address = found.get(IFA_LOCAL) or found.get(IFA_ADDRESS)
    if address is None:
        return None
    return from_packed(family, address, prefixlen)


def parse_ipv4_local(payload: memoryview) -> tuple[int, bytes] | None:
    """(interface index, the 4 bytes of IFA_LOCAL) of an IPv4 address, else None."""
    family, _prefixlen, _flags, _scope, index = _IFADDRMSG.unpack_from(payload, 0)
    if family != FAMILY[4]:
        return None
    found = {kind: bytes(value) for kind, value in _attributes(payload, _IFADDRMSG.size)}
    local = found.get(IFA_LOCAL) or found.get(IFA_ADDRESS)
    return None if local is None else (index, local)


def parse_address_details(payload: memoryview) -> tuple[int, bytes, int, int, int, int] | None:
    """(index, address, prefixlen, 32-bit flags, preferred, valid) of an IPv6 address, else None."""
    family, prefixlen, flags, _scope, index = _IFADDRMSG.unpack_from(payload, 0)
    if family != FAMILY[6]:
        return None
    found = {kind: bytes(value) for kind, value in _attributes(payload, _IFADDRMSG.size)}
    address = found.get(IFA_ADDRESS) or found.get(IFA_LOCAL)
    if address is None:
        return None
    if IFA_FLAGS in found:
        flags = struct.unpack("=I", found[IFA_FLAGS])[0]
    preferred, valid = (
        _CACHEINFO.unpack(found[IFA_CACHEINFO])[:2] if IFA_CACHEINFO in found else (0xFFFFFFFF,) * 2
    )
    return index, address, prefixlen, flags, preferred, valid


def replace_address(
    index: int, address: bytes, prefixlen: int, flags: int, preferred: int, valid: int
) -> bytes:
    """RTM_NEWADDR replacing an IPv6 address with these flags and lifetimes (ACK requested).

    The kernel (inet6_addr_modify) takes flags and lifetimes from the request
    as they are: a replace that left them out would drop noprefixroute or
    mngtmpaddr and make the lifetimes infinite.
    """
    attrs = (
        _RTATTR.pack(_RTATTR.size + len(address), IFA_ADDRESS) + address
        + _RTATTR.pack(_RTATTR.size + 4, IFA_FLAGS) + struct.pack("=I", flags)
        + _RTATTR.pack(_RTATTR.size + _CACHEINFO.size, IFA_CACHEINFO) + _CACHEINFO.pack(preferred, valid, 0, 0)
    )  # fmt: skip
    total = _NLMSGHDR.size + _IFADDRMSG.size + len(attrs)
    flags_nl = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE
    return (
        _NLMSGHDR.pack(total, RTM_NEWADDR, flags_nl, 1, 0)
        + _IFADDRMSG.pack(FAMILY[6], prefixlen, flags & 0xFF, 0, index)
        + attrs
    )


def messages(buffer: bytes) -> Iterator[tuple[int, int, int, memoryview]]:
    """(type, flags, seq, payload) for each netlink message in one recv() buffer."""
    view = memoryview(buffer)
    offset = 0
    while offset + _NLMSGHDR.size <= len(view):
        length, kind, flags, seq, _pid = _NLMSGHDR.unpack_from(view, offset)
        if length < _NLMSGHDR.size:
            break
        yield kind, flags, seq, view[offset + _NLMSGHDR.size : offset + length]
        offset += _align(length)


def error_code(payload: memoryview) -> int:
    """NLMSG_ERROR payload: 0 is an ACK, otherwise a negative errno."""
    return -_ERRNO.unpack_from(payload, 0)[0]


_ATTR_HEADER = _RTATTR.unpack_from
_MAIN_TABLE = table_attribute(RT_TABLE_MAIN)  # the common case, encoded once
_DST_HEADERS = {width: _RTATTR.pack(_RTATTR.size + width, RTA_DST) for width in (4, 16)}
_U32 = struct.Struct("=I").unpack_from


def parse_route(payload: memoryview, protocol: int, table: int = RT_TABLE_MAIN) -> Prefix | None:
    """An unreachable route of our protocol in `table`, else None.

    The hot loop of every reconcile (one call per installed route, 100k and
    more): attributes are walked inline, not through _attributes().
    """
    family, dst_len, _src, _tos, found_table, proto, _scope, kind, _flags = _RTMSG.unpack_from(payload, 0)
    if proto != protocol or kind != RTN_UNREACHABLE or family not in VERSION:
        return None
    # The kernel's own order, RTA_TABLE (main) then RTA_DST: read in place.
    width = WIDTH[family]
    at = _RTMSG.size + len(_MAIN_TABLE)
    wanted = _MAIN_TABLE if table == RT_TABLE_MAIN else table_attribute(table)
    if payload[_RTMSG.size : at] == wanted and payload[at : at + _RTATTR.size] == _DST_HEADERS[width]:
        return (
            VERSION[family],
            int.from_bytes(payload[at + _RTATTR.size : at + _RTATTR.size + width], "big"),
            dst_len,
        )
    value = 0
    offset = _RTMSG.size
    end = len(payload)
    while offset + 4 <= end:
        attr_len, attr_type = _ATTR_HEADER(payload, offset)
        if attr_len < 4:
            break
        if attr_type == RTA_DST:
            value = int.from_bytes(payload[offset + 4 : offset + attr_len], "big")
        elif attr_type == RTA_TABLE:
            found_table = _U32(payload, offset + 4)[0]
        offset += (attr_len + 3) & ~3
    if found_table != table:
        return None
    return VERSION[family], value, dst_len


_HEAD = struct.Struct("=IHH").unpack_from  # len, type, flags of a message
_PLAIN_ROUTE = {family: _MAIN_TABLE + _DST_HEADERS[width] for family, width in WIDTH.items()}
# Where a plain route's destination starts: the message header, rtmsg, RTA_TABLE, RTA_DST's header.
_PLAIN = _HEADER + _RTMSG.size + len(_MAIN_TABLE) + _RTATTR.size
_UNIFORM: dict[tuple[int, int], struct.Struct] = {}  # _uniform_routes' layout for each (length, width)
_FIRST, _SECOND, _THIRD, _FOURTH = (itemgetter(n) for n in range(4))
_BIG: Literal["big"] = "big"
_HEAD_FAMILY = struct.Struct("=IHH8xB").unpack  # len, type, flags, rtm_family


def parse_default_gateways(payload: memoryview) -> tuple[tuple[int, int], ...] | None:
    """The gateways of a default route (any protocol) as (version, value): its RTA_GATEWAY,
    or each nexthop's of an RTA_MULTIPATH (ECMP: `ip route add default nexthop via A nexthop
    via B`); None for any other route."""
    family, dst_len = payload[0], payload[1]
    if dst_len != 0 or family not in VERSION:
        return None
    version = VERSION[family]
    found = []
    for attr_type, value in _attributes(payload, _RTMSG.size):
        if attr_type == RTA_GATEWAY:
            found.append((version, int.from_bytes(value, "big")))
        elif attr_type == RTA_MULTIPATH:
            offset = 0
            while offset + _RTNEXTHOP.size <= len(value):
                length = _RTNEXTHOP.unpack_from(value, offset)[0]
                if length < _RTNEXTHOP.size:
                    break
                nexthop = value[offset : offset + length]
                found += [
                    (version, int.from_bytes(v, "big"))
                    for t, v in _attributes(nexthop, _RTNEXTHOP.size)
                    if t == RTA_GATEWAY
                ]
                offset += _align(length)
    return tuple(found) or None
