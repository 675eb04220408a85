"""Reads kernel state (IPv6 addresses and their DAD flags, links, sysctls).

Nothing here writes. Results are plain named tuples, so planning code can be
tested with hand-made values and no root.
"""

from __future__ import annotations

import os

from netguard.kernel import (  # noqa: F401 - state's callers take the flags from here too
    IFA_F_DADFAILED,
    IFA_F_NODAD,
    IFA_F_OPTIMISTIC,
    IFA_F_PERMANENT,
    IFA_F_TENTATIVE,
    IFF_UP,
    RT_SCOPE_HOST,
    RT_SCOPE_LINK,
    RT_SCOPE_UNIVERSE,
)
from netguard.record import NamedTuple

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:  # pyroute2 costs ~0.2 s to import: only on paths that need it
    from collections.abc import Callable
    from typing import TypeVar

    from pyroute2 import IPRoute

    from netguard.prefixes.prefix import Prefix
    from netguard.prefixes.safety import Protected

    T = TypeVar("T")

SYSCTL_IPV6_CONF = "/proc/sys/net/ipv6/conf"


class Address(NamedTuple):
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


_PORT_STATES = {"0": "disabled", "1": "listening", "2": "learning", "3": "forwarding", "4": "blocking"}


def _sys(iface: str, *path: str) -> str:
    try:
        return _read_text(os.path.join("/sys/class/net", iface, *path))
    except (OSError, UnicodeDecodeError):
        return ""


def carrier_reason(iface: str) -> str:
    """Why the interface has no carrier, in the words of what it is, for a wait's message: a
    bridge's ports and their STP states (a bridge has carrier only once a port forwards), a
    bond's slaves, a VLAN's or macvlan's lower device; else the cable or the peer."""
    base = os.path.join("/sys/class/net", iface)
    if os.path.isdir(os.path.join(base, "bridge")):
        try:
            ports = sorted(os.listdir(os.path.join(base, "brif")))
        except OSError:
            ports = []
        if not ports:
            return f"bridge {iface} has no port (bridge-ports)"
        states = ", ".join(
            f"{p} {_PORT_STATES.get(_sys(iface, 'brif', p, 'state'), 'unknown')}" for p in ports
        )
        delay = _sys(iface, "bridge", "forward_delay")
        seconds = int(delay) / 100 if delay.isdigit() else 0.0
        if _sys(iface, "bridge", "stp_state") not in ("", "0"):
            return (
                f"no port of bridge {iface} forwards yet ({states}); STP is on with a forward delay of "
                f"{seconds:g} s, so a port forwards about {2 * seconds:g} s after its link came up: make "
                "wait-dad cover that, or set bridge-fd 0 (bridge-stp off) where no loop is possible"
            )
        return f"no port of bridge {iface} forwards ({states}): a port forwards once it has a link"
    if os.path.isdir(os.path.join(base, "bonding")):
        slaves = _sys(iface, "bonding", "slaves").split()
        if not slaves:
            return f"bond {iface} has no slave (bond-slaves)"
        linked = [s for s in slaves if _sys(s, "carrier") == "1"]
        updelay = _sys(iface, "bonding", "updelay")
        if linked and updelay not in ("", "0"):
            return (
                f"bond {iface}: {', '.join(linked)} linked but within bond-updelay {updelay} ms; "
                "make wait-dad cover it"
            )
        return f"no slave of bond {iface} has a link ({', '.join(slaves)}); check their cables or the switch"
    try:
        lower = sorted(name[len("lower_") :] for name in os.listdir(base) if name.startswith("lower_"))
    except OSError:
        lower = []
    down = [name for name in lower if _sys(name, "carrier") != "1"]
    if down:
        return f"its lower device {', '.join(down)} has no link"
    return "DAD cannot complete without a link; check the cable or peer"


class Link(NamedTuple):
    """What IPv4 conflict detection needs to know of a link (/sys/class/net/IFACE)."""

    mac: str
    flags: int
    kind: int  # ARPHRD_*
    up: bool


def link(iface: str) -> Link | None:
    """None when the interface does not exist."""
    base = f"/sys/class/net/{iface}"
    try:
        with open(f"{base}/address", encoding="ascii") as handle:
            mac = handle.read().strip()
        flags = int(_read_text(f"{base}/flags"), 16)
        kind = int(_read_text(f"{base}/type"))
    except (OSError, ValueError):
        return None
    return Link(mac, flags, kind, bool(flags & IFF_UP))


def _read_text(path: str) -> str:
    with open(path, encoding="ascii") as handle:
        return handle.read().strip()


def ipv4_addresses(iface: str) -> list[str]:
    """The interface's IPv4 addresses (one netlink dump: no `ip` process, no subprocess import)."""
    from _socket import AF_INET, inet_ntop

    from netguard import rtnl

    index = read_sysctl(f"/sys/class/net/{iface}/ifindex")
    found = _dump(rtnl.addr_dump_request(1), rtnl.parse_ipv4_local)
    return sorted(inet_ntop(AF_INET, local) for at, local in found if at == index)


def ipv6_sysctl_path(iface: str, key: str) -> str:
    # The /proc path keeps dots (eth0.100); only sysctl(8) names swap them for slashes.
    return os.path.join(SYSCTL_IPV6_CONF, iface, key)


def read_ipv6_sysctl(iface: str, key: str) -> int | None:
    """None when the interface has no IPv6 configuration (absent, or no inet6 device)."""
    return read_sysctl(ipv6_sysctl_path(iface, key))


def read_sysctl(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


# /proc/net/if_inet6 shows IPV6_ADDR_* scope bits, not rtnetlink scopes.
_PROC_SCOPES = {0x00: RT_SCOPE_UNIVERSE, 0x10: RT_SCOPE_HOST, 0x20: RT_SCOPE_LINK}


def proc_ipv6_addresses(iface: str | None) -> list[Address]:
    """The interface's IPv6 addresses from /proc/net/if_inet6: no pyroute2 import (~0.2 s).

    Its flags column holds only the low 8 bits, which include every DAD flag.
    """
    from _socket import AF_INET6, inet_ntop  # not socket.py: see netguard/netlink.py

    found = []
    try:
        with open("/proc/net/if_inet6", "rb") as handle:  # names are bytes: wlän0, or not UTF-8 at all
            lines = handle.read().split(b"\n")
    except OSError:
        return []
    for raw in lines:
        fields = raw.split()
        if len(fields) != 6:
            continue
        hexaddr, _index, prefixlen, scope, flags = (field.decode("ascii") for field in fields[:5])
        name = os.fsdecode(fields[5])  # as IFACE arrives in os.environ: compared as equals
        if iface is None or name == iface:
            address = inet_ntop(AF_INET6, bytes.fromhex(hexaddr))
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
    import socket

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


DUMP_TRIES = 5


class DumpInterrupted(OSError):
    """The kernel flagged every try of a dump as interrupted (its table kept changing)."""


def _dump(
    request: bytes, parse: Callable[[memoryview], T | None], routes_of: int | None = None, table: int = 254
) -> set[T]:
    """One netlink dump, each message through parse (None: skipped).

    A dump the kernel flags NLM_F_DUMP_INTR (the table changed under it)
    may be incomplete, so it is taken again; reconcile.py does not trust
    an unflagged dump whole either (it verifies after changing anything).
    """
    for _try in range(DUMP_TRIES):
        found, interrupted = _dump_once(request, parse, routes_of, table)
        if not interrupted:
            return found
    raise DumpInterrupted(0, f"the kernel interrupted {DUMP_TRIES} dumps in a row")


def _dump_once(
    request: bytes, parse: Callable[[memoryview], T | None], routes_of: int | None, table: int
) -> tuple[set[T], bool]:
    from netguard import rtnl
    from netguard.netlink import RouteSocket

    with RouteSocket(timeout=10) as sock:  # a dump answers at once; this only bounds a kernel that does not
        try:
            sock.setsockopt(rtnl.SOL_NETLINK, rtnl.NETLINK_GET_STRICT_CHK, 1)
        except OSError:  # older kernels: parse() filters alone
            pass
        sock.send(request)
        found: set[T] = set()
        interrupted = False
        while True:
            done, flagged = rtnl.dump_items(sock.recv(1 << 20), parse, found, routes_of, table)
            interrupted |= flagged
            if done:
                return found, interrupted


def netguard_routes(family: int, protocol: int, table: int = 254) -> set[Prefix]:
    """Our unreachable routes in one table (no pyroute2: its get_routes takes 14 s for 100k routes)."""
    from netguard import rtnl

    return _dump(
        rtnl.dump_request(family, protocol, 1, table=table),
        lambda payload: rtnl.parse_route(payload, protocol, table),
        protocol,
        table,
    )


def vrf_table(iface: str) -> int:
    """The routing table the interface's traffic uses: its VRF's (the interface enslaved to a
    vrf device, directly or through the bridge it is), else main (254)."""
    try:
        with open(f"/sys/class/net/{iface}/master/ifindex", encoding="ascii") as handle:
            master = int(handle.read())
    except (OSError, ValueError):
        return 254
    from netguard import rtnl

    tables = dict(_dump(rtnl.link_dump_request(1), rtnl.parse_vrf_table))
    return tables.get(master, 254)


def ipv6_address_details(address: str) -> list[tuple[int, bytes, int, int, int, int]]:
    """Every copy of one IPv6 address: (index, packed, prefixlen, flags, preferred, valid)."""
    from _socket import AF_INET6, inet_pton  # not socket.py: see netguard/netlink.py

    from netguard import rtnl

    packed = inet_pton(AF_INET6, address)
    return [d for d in _dump(rtnl.addr_dump_request(1), rtnl.parse_address_details) if d[1] == packed]


def protected_things(gateways: list[str]) -> Protected:
    """Own addresses and on-link prefixes (every interface), default gateways, nameservers."""
    from netguard import rtnl
    from netguard.prefixes.prefix import BITS, FAMILY
    from netguard.prefixes.safety import Protected

    own: set[tuple[int, int]] = set()
    onlink: set[Prefix] = set()
    for version, value, length in _dump(rtnl.addr_dump_request(1), rtnl.parse_address):
        own.add((version, value))
        bits = BITS[version]
        if length < bits:
            onlink.add((version, value >> (bits - length) << (bits - length), length))
    default_gateways = {
        gateway
        for family in FAMILY.values()
        # unicast routes only: never the (many) unreachable routes netguard itself installed
        for gateways in _dump(rtnl.dump_request(family, 0, 1, rtnl.RTN_UNICAST), rtnl.parse_default_gateways)
        for gateway in gateways
    }
    return Protected(
        own=frozenset(own),
        gateways=frozenset(default_gateways | set(_addresses(gateways))),
        nameservers=frozenset(_addresses(nameservers())),
        onlink=frozenset(onlink),
    )


def _addresses(texts: list[str]) -> list[tuple[int, int]]:
    from netguard.prefixes.prefix import PrefixError, parse_address

    found = []
    for text in texts:
        try:
            found.append(parse_address(text.split("%")[0]))
        except PrefixError:
            pass
    return found


def nameservers(path: str = "/etc/resolv.conf") -> list[str]:
    """Read under the reconcile lock: a regular file only, bounded (a FIFO planted there would
    hold the lock, and every other reject-asn ifup with it); a link is followed (resolvconf's)."""
    from netguard.safefile import UnsafeFile, read_bounded

    try:
        lines = (
            read_bounded(path, 64 * 1024, follow=True, check_owner=False)
            .decode("utf-8", "replace")
            .splitlines()
        )
    except (OSError, UnsafeFile):
        return []
    return [
        words[1] for words in (line.split() for line in lines) if len(words) >= 2 and words[0] == "nameserver"
    ]
