"""Reads kernel state (IPv6 addresses and their DAD flags, links, sysctls).

Nothing here writes. Results are plain dataclasses, so planning code can be
tested with hand-made values and no root.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from netguard import rtnl
from netguard.prefixes.safety import Protected

if TYPE_CHECKING:  # pyroute2 costs ~0.2 s to import: only on paths that need it
    from pyroute2 import IPRoute

IFA_F_NODAD = 0x02
IFA_F_OPTIMISTIC = 0x04
IFA_F_DADFAILED = 0x08
IFA_F_TENTATIVE = 0x40
IFA_F_PERMANENT = 0x80

RT_SCOPE_UNIVERSE = 0
RT_SCOPE_LINK = 253

T = TypeVar("T")

SYSCTL_IPV6_CONF = "/proc/sys/net/ipv6/conf"


@dataclass(frozen=True)
class Address:
    """One IPv6 address as the kernel reports it."""

    ifname: str
    address: str
    prefixlen: int
    flags: int
    scope: int

    @property
    def tentative(self) -> bool:
        return bool(self.flags & IFA_F_TENTATIVE)

    @property
    def dadfailed(self) -> bool:
        return bool(self.flags & IFA_F_DADFAILED)

    @property
    def optimistic(self) -> bool:
        return bool(self.flags & IFA_F_OPTIMISTIC)

    @property
    def nodad(self) -> bool:
        return bool(self.flags & IFA_F_NODAD)

    @property
    def dad_state(self) -> str:
        """One word, as `ip addr` would show it."""
        if self.dadfailed:
            return "dadfailed"
        if self.optimistic:
            return "optimistic"
        if self.tentative:
            return "tentative"
        if self.nodad:
            return "nodad"
        return "ok"


def interface_exists(iface: str) -> bool:
    return os.path.exists(f"/sys/class/net/{iface}")


def has_carrier(iface: str) -> bool:
    """False when the link is down or has no carrier (reading carrier of a down link fails)."""
    try:
        with open(f"/sys/class/net/{iface}/carrier", encoding="ascii") as handle:
            return handle.read().strip() == "1"
    except OSError:
        return False


def ipv6_sysctl_path(iface: str, key: str) -> str:
    # The /proc path keeps dots (eth0.100); only sysctl(8) names swap them for slashes.
    return os.path.join(SYSCTL_IPV6_CONF, iface, key)


def read_ipv6_sysctl(iface: str, key: str) -> int | None:
    """None when the interface has no IPv6 configuration (absent, or no inet6 device)."""
    try:
        with open(ipv6_sysctl_path(iface, key), encoding="ascii") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


# /proc/net/if_inet6 shows IPV6_ADDR_* scope bits, not rtnetlink scopes.
_PROC_SCOPES = {0x00: RT_SCOPE_UNIVERSE, 0x10: 254, 0x20: RT_SCOPE_LINK}


def proc_ipv6_addresses(iface: str) -> list[Address]:
    """The interface's IPv6 addresses from /proc/net/if_inet6: no pyroute2 import (~0.2 s).

    Its flags column holds only the low 8 bits, which include every DAD flag.
    """
    found = []
    try:
        with open("/proc/net/if_inet6", encoding="ascii") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    for line in lines:
        hexaddr, _index, prefixlen, scope, flags, name = line.split()
        if name == iface:
            address = str(ipaddress.IPv6Address(bytes.fromhex(hexaddr)))
            rt_scope = _PROC_SCOPES.get(int(scope, 16), RT_SCOPE_UNIVERSE)
            found.append(Address(name, address, int(prefixlen, 16), int(flags, 16), rt_scope))
    return found


def _attr(message: dict, name: str) -> object:
    for key, value in message.get("attrs", ()):
        if key == name:
            return value
    return None


def ipv6_addresses(ipr: IPRoute, ifname: str | None = None) -> list[Address]:
    """Every IPv6 address (of one interface, or all); [] when the interface is gone."""
    names = {link["index"]: _attr(link, "IFLA_IFNAME") for link in ipr.get_links()}
    index = None
    if ifname is not None:
        matches = [i for i, name in names.items() if name == ifname]
        if not matches:
            return []
        index = matches[0]
    found = []
    for message in ipr.get_addr(family=socket.AF_INET6):
        if index is not None and message["index"] != index:
            continue
        flags = _attr(message, "IFA_FLAGS")
        found.append(
            Address(
                ifname=str(names.get(message["index"], message["index"])),
                address=str(_attr(message, "IFA_ADDRESS")),
                prefixlen=message["prefixlen"],
                flags=int(str(flags)) if flags is not None else message["flags"],
                scope=message["scope"],
            )
        )
    return found


def _dump_routes(family: int, protocol: int, parse: Callable[[memoryview], T | None]) -> set[T]:
    """One RTM_GETROUTE dump of the main table, each message through parse (None: skipped)."""
    with socket.socket(
        socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE
    ) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        with contextlib.suppress(OSError):  # older kernels: parse() filters alone
            sock.setsockopt(rtnl.SOL_NETLINK, rtnl.NETLINK_GET_STRICT_CHK, 1)
        sock.bind((0, 0))
        sock.send(rtnl.dump_request(family, protocol, 1))
        found: set[T] = set()
        while True:
            buffer = sock.recv(1 << 20)
            for kind, _flags, _seq, payload in rtnl.messages(buffer):
                if kind == rtnl.NLMSG_DONE:
                    return found
                if kind == rtnl.NLMSG_ERROR:
                    raise OSError(rtnl.error_code(payload), "route dump failed")
                item = parse(payload)
                if item is not None:
                    found.add(item)


def netguard_routes(family: int, protocol: int) -> set[rtnl.Route]:
    """Our unreachable routes (no pyroute2: its get_routes takes 14 s for 100k routes)."""
    return _dump_routes(family, protocol, lambda payload: rtnl.parse_route(payload, protocol))


def protected_things(gateways: list[str]) -> Protected:
    """Own addresses and on-link prefixes (every interface), default gateways, nameservers."""
    from pyroute2 import IPRoute

    own: set = set()
    onlink: set = set()
    with IPRoute() as ipr:
        for message in ipr.get_addr():
            value = _attr(message, "IFA_ADDRESS") or _attr(message, "IFA_LOCAL")
            if value is None:
                continue
            interface = ipaddress.ip_interface(f"{value}/{message['prefixlen']}")
            own.add(interface.ip)
            if interface.network.prefixlen < interface.network.max_prefixlen:
                onlink.add(interface.network)
    gateway_addresses = {
        ipaddress.ip_address(packed)
        for family in (socket.AF_INET, socket.AF_INET6)
        for packed in _dump_routes(family, 0, rtnl.parse_default_gateway)
    }
    return Protected(
        own=frozenset(own),
        gateways=frozenset(gateway_addresses | set(_addresses(gateways))),
        nameservers=frozenset(_addresses(nameservers())),
        onlink=frozenset(onlink),
    )


def _addresses(texts: list[str]) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    found = []
    for text in texts:
        with contextlib.suppress(ValueError):
            found.append(ipaddress.ip_address(text.split("%")[0]))
    return found


def nameservers(path: str = "/etc/resolv.conf") -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    return [
        words[1] for words in (line.split() for line in lines) if len(words) >= 2 and words[0] == "nameserver"
    ]
