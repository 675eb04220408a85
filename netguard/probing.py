"""Self-healing reject routes: probe targets inside the rejected ASes, through the interface itself.

A stanza with `reject-asn-probe` keeps its reject routes only while its
targets are unreachable through its interface. `netguard probe` (run by
netguard-probe.timer, never by a hook: boot must not wait on the internet)
sends one probe per target per round: a TCP connection to ADDRESS:PORT
(an answer of any kind, even a refusal, proves the path) or an ICMP echo
to ADDRESS. The socket is bound to the interface (SO_BINDTODEVICE), which
routes it past the unreachable routes it controls. Hysteresis: the verdict
changes only after ROUNDS_TO_FLIP rounds in a row say so, so one lost
packet changes nothing. Until the first verdict the routes are in (the
blog's case: the path is broken, and falling back at once is what helps).
The verdict lives in State-Dir/probe/IFACE (probestate.py); routes change
only through reconcile's locked transaction.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import time

PROBE_TIMEOUT = 2.0  # seconds per target and round
SO_BINDTODEVICE = 25


def probe_tcp(iface: str, address: str, port: int, timeout: float) -> str:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(
            socket.SOL_SOCKET, SO_BINDTODEVICE, os.fsencode(iface.partition(":")[0])
        )  # an alias label's base device
        sock.settimeout(timeout)
        try:
            sock.connect((address, port))
        except ConnectionRefusedError:
            return "answered (refused)"
        except TimeoutError:
            return "timeout"
        except OSError as err:
            return os.strerror(err.errno) if err.errno else "failed"
    return "answered"


def probe_icmp(iface: str, address: str, timeout: float) -> str:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    protocol = socket.IPPROTO_ICMPV6 if family == socket.AF_INET6 else socket.IPPROTO_ICMP
    request = 128 if family == socket.AF_INET6 else 8
    reply = 129 if family == socket.AF_INET6 else 0
    ident = os.getpid() & 0xFFFF
    with socket.socket(family, socket.SOCK_RAW, protocol) as sock:
        sock.setsockopt(
            socket.SOL_SOCKET, SO_BINDTODEVICE, os.fsencode(iface.partition(":")[0])
        )  # an alias label's base device
        packet = struct.pack("!BBHHH", request, 0, 0, ident, 1) + b"netguard"
        if family == socket.AF_INET:
            packet = packet[:2] + struct.pack("!H", _checksum(packet)) + packet[4:]
        try:
            sock.sendto(packet, (address, 0))
        except OSError as err:
            return os.strerror(err.errno) if err.errno else "failed"
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                break
            data, sender = sock.recvfrom(2048)
            if family == socket.AF_INET:
                data = data[(data[0] & 0x0F) * 4 :]  # raw IPv4 sockets see the IP header
            if (
                sender[0] == address
                and len(data) >= 6
                and data[0] == reply
                and struct.unpack("!H", data[4:6])[0] == ident
            ):
                return "answered"
    return "timeout"


def _checksum(data: bytes) -> int:
    total = sum(struct.unpack(f"!{len(data) // 2}H", data[: len(data) // 2 * 2]))
    if len(data) % 2:
        total += data[-1] << 8
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def probe_round(iface: str, targets: tuple[str, ...], timeout: float = PROBE_TIMEOUT) -> tuple[bool, str]:
    """(any target answered through iface, a line of each target's result): one probe per target."""
    from netguard.options import split_target

    results = []
    for target in targets:
        address, port = split_target(target)
        result = (
            probe_tcp(iface, address, int(port), timeout) if port else probe_icmp(iface, address, timeout)
        )
        results.append((target, result))
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    line = f"{stamp} " + ", ".join(f"{target} {result}" for target, result in results)
    return any(result.startswith("answered") for _target, result in results), line
