"""IPv4 Address Conflict Detection on the wire (RFC 5227): ARP probes, the verdict, announcements.

One AF_PACKET/SOCK_DGRAM socket bound to the interface for ETH_P_ARP, with a
classic BPF filter attached before it is bound, so that it is woken only by
ARP frames that name the probed address (as sender or target): a busy LAN's
other ARP traffic never reaches Python. What counts as a conflict is the
pure `conflict()` (RFC 5227 2.1.1); the sending and listening here.
"""

from __future__ import annotations

import os
import struct
import time

from netguard.kernel import ARPHRD_ETHER, ETH_P_ARP, ETH_P_IP
from netguard.record import NamedTuple

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

ARPOP_REQUEST, ARPOP_REPLY = 1, 2
SO_ATTACH_FILTER = 26  # <asm-generic/socket.h>; Python's socket module does not name it
PACKET_OUTGOING = 4  # recvfrom's pkttype for a frame this host sent (packet sockets see those too)
BROADCAST = b"\xff" * 6
ARPHRD_IEEE802 = 6
SKF_AD_PKTTYPE = (-0x1000 + 4) & 0xFFFFFFFF  # SKF_AD_OFF + SKF_AD_PKTTYPE (linux/filter.h)
PACKET_OTHERHOST = 3

# An Ethernet/IPv4 ARP packet: htype, ptype, hlen, plen, op, sha, spa, tha, tpa.
ARP = struct.Struct("!HHBBH6s4s6s4s")
SPA_OFFSET = 14  # ARP.size's fields before spa: 2+2+1+1+2+6
TPA_OFFSET = 24  # ... and before tpa: + 4 + 6
# RFC 5227 names PROBE_NUM 3; netguard spreads them over the budget, as
# NetworkManager (n-acd) and systemd-networkd scale their timings to 200 ms.
PROBES = 3
ANNOUNCE_INTERVAL = 2.0  # RFC 5227 ANNOUNCE_INTERVAL between the two announcements
CLOSE_AFTER = 0.1  # seconds the closing child waits, so that the hook's close is never the last


class Frame(NamedTuple):
    op: int
    sha: bytes
    spa: bytes
    tha: bytes
    tpa: bytes
    source: bytes  # the link-layer source the kernel reports
    outgoing: bool  # sent by this host (an own frame looped back to packet sockets)


class Conflict(NamedTuple):
    mac: str  # the other host's hardware address
    how: str  # "answers for it" or "probes for it at the same time"


def mac_text(mac: bytes) -> str:
    return ":".join(f"{byte:02x}" for byte in mac)


def mac_bytes(text: str) -> bytes:
    return bytes(int(part, 16) for part in text.strip().split(":"))


def probe_packet(own_mac: bytes, address: bytes) -> bytes:
    """RFC 5227 2.1.1: an ARP request, sender IP all zero, target the address, target MAC zero."""
    return ARP.pack(ARPHRD_ETHER, ETH_P_IP, 6, 4, ARPOP_REQUEST, own_mac, bytes(4), bytes(6), address)


def announcement_packet(own_mac: bytes, address: bytes) -> bytes:
    """RFC 5227 2.3: an ARP request with sender and target IP both the address."""
    return ARP.pack(ARPHRD_ETHER, ETH_P_IP, 6, 4, ARPOP_REQUEST, own_mac, address, bytes(6), address)


def parse(packet: bytes, source: bytes = b"", outgoing: bool = False) -> Frame | None:
    """An Ethernet/IPv4 ARP request or reply; None for anything else."""
    if len(packet) < ARP.size:
        return None
    htype, ptype, hlen, plen, op, sha, spa, tha, tpa = ARP.unpack_from(packet)
    # htype 6 (IEEE 802): Linux's arp_rcv accepts it on Ethernet devices, so a holder may answer so.
    if (
        htype not in (ARPHRD_ETHER, ARPHRD_IEEE802)
        or ptype != ETH_P_IP
        or hlen != 6
        or plen != 4
        or op not in (1, 2)
    ):
        return None
    return Frame(op, sha, spa, tha, tpa, source, outgoing)


def conflict(frame: Frame, address: bytes, own_mac: bytes) -> Conflict | None:
    """RFC 5227 2.1.1 while probing: another host's ARP whose sender IP is the address (it holds
    it), or another host's probe for it (sender IP zero, target the address: a simultaneous probe).

    Never our own frames: those this host sent, and those that come back with our MAC as ARP
    sender (a bridge's hairpin, a bond whose ports share a segment: initscripts' false positive).
    RFC 5227 decides by the ARP sender hardware address, not the Ethernet source: a frame from
    our Ethernet source that names another host's MAC as sender is that host's claim."""
    if frame.outgoing or frame.sha == own_mac:
        return None
    if frame.spa == address:
        return Conflict(mac_text(frame.sha), "answers for it")
    if frame.op == ARPOP_REQUEST and frame.spa == bytes(4) and frame.tpa == address:
        return Conflict(mac_text(frame.sha), "probes for it at the same time")
    return None


def _filter_program(address: bytes) -> bytes:
    """Classic BPF: keep a frame when its ARP sender or target IP is the address, drop the rest."""
    value = int.from_bytes(address, "big")
    ld_w_abs, jeq_k, ret_k = 0x20, 0x15, 0x06
    insn = struct.Struct("=HBBI")
    return b"".join(
        (
            insn.pack(ld_w_abs, 0, 0, SPA_OFFSET),
            insn.pack(jeq_k, 2, 0, value),  # sender IP: on to the packet type
            insn.pack(ld_w_abs, 0, 0, TPA_OFFSET),
            insn.pack(jeq_k, 0, 4, value),  # target IP: on to the packet type, else drop
            # Judged as the kernel's ARP judges (arp_rcv drops PACKET_OTHERHOST): a frame for
            # another host's MAC, or tagged for a VLAN this link has no device for (the kernel
            # strips the tag, clears it and marks the frame OTHERHOST: measured on veth), is
            # no claim on this link.
            # Our own outgoing frames are dropped here too: a socket bound by index (a name
            # that is not UTF-8) reads with recv(), which reports no packet type.
            insn.pack(ld_w_abs, 0, 0, SKF_AD_PKTTYPE),
            insn.pack(jeq_k, 2, 0, PACKET_OTHERHOST),
            insn.pack(jeq_k, 1, 0, PACKET_OUTGOING),
            insn.pack(ret_k, 0, 0, 0xFFFF),
            insn.pack(ret_k, 0, 0, 0),
        )
    )


def _utf8(iface: str) -> bool:
    try:
        iface.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _sockaddr_ll(iface: str, destination: bytes = b"") -> bytes:
    """struct sockaddr_ll by interface index: Python's AF_PACKET addresses carry the name as UTF-8
    text only, and a kernel name need not be UTF-8 (if_nametoindex takes it as bytes)."""
    from _socket import AF_PACKET, if_nametoindex

    head = struct.pack("=H", AF_PACKET) + struct.pack("!H", ETH_P_ARP)
    return head + struct.pack(
        "=iHBB8s", if_nametoindex(iface), ARPHRD_ETHER, 0, len(destination), destination
    )


def _libc_call(name: str, *args: object) -> None:
    """bind/sendto with a raw sockaddr_ll, for such a name only (ctypes costs ~4 ms to import)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _destination(iface: str) -> tuple | bytes:
    """Where broadcasts on the interface go: Python's (name, ...) address, or, for a name that is
    not UTF-8, a raw sockaddr_ll by index (decided once per socket, not per frame)."""
    return (iface, ETH_P_ARP, 0, 0, BROADCAST) if _utf8(iface) else _sockaddr_ll(iface, BROADCAST)


def _send(sock: Any, destination: tuple | bytes, packet: bytes) -> None:
    if isinstance(destination, tuple):
        sock.sendto(packet, destination)
    else:
        _libc_call("sendto", sock.fileno(), packet, len(packet), 0, destination, len(destination))


class ArpSocket:
    """A packet socket on one interface that sees only ARP frames naming one address."""

    def __init__(self, iface: str, address: bytes) -> None:
        from _socket import AF_PACKET, SOCK_DGRAM, SOL_SOCKET, socket  # not socket.py (netlink.py)
        from array import array  # buffer_info() gives sock_fprog its pointer: no ctypes (~4 ms)

        # Protocol 0 until the filter is attached: no frame is queued unfiltered.
        self.sock = socket(AF_PACKET, SOCK_DGRAM, 0)
        try:
            program = array("B", _filter_program(address))  # the kernel copies it in setsockopt
            fprog = struct.pack("HL", len(program) // 8, program.buffer_info()[0])
            self.sock.setsockopt(SOL_SOCKET, SO_ATTACH_FILTER, fprog)
            self.destination = _destination(iface)
            if isinstance(self.destination, tuple):
                self.sock.bind((iface, ETH_P_ARP))
            else:
                address = _sockaddr_ll(iface)
                _libc_call("bind", self.sock.fileno(), address, len(address))
        except OSError:
            self.sock.close()
            raise
        self.iface = iface

    def send(self, packet: bytes) -> None:
        _send(self.sock, self.destination, packet)

    def receive(self, deadline: float) -> Frame | None:
        """The next ARP frame before the deadline (monotonic), or None when it passes."""
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        self.sock.settimeout(left)
        try:
            if isinstance(self.destination, tuple):
                packet, where = self.sock.recvfrom(256)
            else:  # recvfrom would decode the name as UTF-8: recv (the filter drops outgoing frames)
                packet, where = self.sock.recv(256), ("", 0, 0, 0, b"")
        except TimeoutError:
            return None
        return parse(packet, where[4], where[2] == PACKET_OUTGOING) or Frame(0, b"", b"", b"", b"", b"", True)

    def close(self) -> None:
        """The kernel waits for an RCU grace period when a packet socket goes away
        (packet_release: synchronize_net, ~10 ms here): a short-lived child holds
        the last reference and pays it, so ifup does not."""
        in_background(lambda: time.sleep(CLOSE_AFTER))
        self.sock.close()  # not the last reference: the child's exit is

    def __enter__(self) -> ArpSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def probe(iface: str, own_mac: bytes, address: bytes, budget: float) -> Conflict | None:
    """PROBES probes spread over the budget, listening throughout; the first conflict ends it."""
    started = time.monotonic()
    deadline = started + budget
    packet = probe_packet(own_mac, address)
    with ArpSocket(iface, address) as sock:
        for number in range(PROBES):
            sock.send(packet)
            until = started + budget * (number + 1) / PROBES
            while True:
                frame = sock.receive(min(until, deadline))
                if frame is None:
                    break
                found = conflict(frame, address, own_mac)
                if found is not None:
                    return found
    return None


def announce(iface: str, own_mac: bytes, addresses: list[bytes]) -> None:
    """One announcement per address."""
    from _socket import AF_PACKET, SOCK_DGRAM, socket

    sock = socket(AF_PACKET, SOCK_DGRAM, 0)  # _socket's has no context manager
    try:
        destination = _destination(iface)
        for address in addresses:
            _send(sock, destination, announcement_packet(own_mac, address))
    finally:
        sock.close()


def announce_in_background(iface: str, own_mac: bytes, addresses: list[bytes]) -> None:
    """RFC 5227 2.3's two announcements, now and ANNOUNCE_INTERVAL later, from a child: neighbours'
    stale entries learn our MAC at once, and ifup waits for neither the interval nor the socket's close."""

    def both() -> None:
        announce(iface, own_mac, addresses)
        time.sleep(ANNOUNCE_INTERVAL)
        announce(iface, own_mac, addresses)

    in_background(both)


def in_background(work: Callable[[], None]) -> None:
    """work() in a forked child that holds none of ifup's descriptors (so ifup never waits for
    it), never returns into the hook, and exits when work() is done (bounded by work itself)."""
    if os.fork() != 0:
        return
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for descriptor in (0, 1, 2):
            os.dup2(null, descriptor)
        os.setsid()
        work()
    except BaseException:  # the child must never return into the hook
        pass
    os._exit(0)
