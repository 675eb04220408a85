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
The verdict lives in State-Dir/probe/IFACE; routes change only through
reconcile's locked transaction.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import time

from netguard.record import NamedTuple
from netguard.safefile import UnsafeFile, check_directory, own_directory, read_bounded, write_atomic

ROUNDS_TO_FLIP = 3
PROBE_TIMEOUT = 2.0  # seconds per target and round
SO_BINDTODEVICE = 25
REACHABLE, UNREACHABLE, UNKNOWN = "reachable", "unreachable", "unknown"


class ProbeState(NamedTuple):
    verdict: str  # reachable: routes withdrawn; unreachable or unknown: routes in
    streak: int  # rounds in a row that disagreed with the verdict
    last: str  # the last round: time and each target's result
    when: float = 0.0  # the last round's Unix time (for the metrics)


def path(state_dir: str, iface: str) -> str:
    return os.path.join(state_dir, "probe", iface)


def load(state_dir: str, iface: str) -> ProbeState:
    try:
        text = read_bounded(path(state_dir, iface), 4096).decode("ascii", "replace")
    except (FileNotFoundError, PermissionError, UnsafeFile):
        return ProbeState(UNKNOWN, 0, "")
    fields = dict(line.split(" ", 1) for line in text.split("\n") if " " in line)
    verdict = fields.get("verdict", UNKNOWN)
    streak = fields.get("streak", "0")
    when = fields.get("time", "0")
    return ProbeState(
        verdict if verdict in (REACHABLE, UNREACHABLE) else UNKNOWN,
        int(streak) if streak.isdigit() else 0,
        fields.get("last", ""),
        float(when) if when.replace(".", "", 1).isdigit() else 0.0,
    )


def save(state_dir: str, iface: str, state: ProbeState) -> None:
    check_directory(state_dir)
    where = os.path.dirname(path(state_dir, iface))
    own_directory(where)
    text = f"verdict {state.verdict}\nstreak {state.streak}\nlast {state.last}\ntime {state.when:.3f}\n"
    write_atomic(where, iface, text.encode("ascii", "replace"), sync=False)


def clear(state_dir: str, iface: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path(state_dir, iface))


def next_state(state: ProbeState, reachable: bool, last: str) -> ProbeState:
    """Hysteresis: the verdict follows the results only after ROUNDS_TO_FLIP rounds in a row."""
    says = REACHABLE if reachable else UNREACHABLE
    now = time.time()
    if state.verdict == says:
        return ProbeState(says, 0, last, now)
    streak = state.streak + 1
    if streak >= ROUNDS_TO_FLIP:
        return ProbeState(says, 0, last, now)
    return ProbeState(state.verdict, streak, last, now)


def metric_samples(state_dir: str, targets: dict[str, tuple[str, ...]]) -> list:
    """netguard_probe.prom's series: per interface with probe targets, its verdict, streak,
    whether its routes are withdrawn, when it was last probed and each target's last result."""
    from netguard import metrics

    series = []
    for iface, probes in sorted(targets.items()):
        state = load(state_dir, iface)
        labels = {"iface": iface}
        found = dict.fromkeys(probes, 0)
        for part in state.last.partition(" ")[2].split(", "):
            target, _, result = part.partition(" ")
            if target in found:
                found[target] = int(result.startswith("answered"))
        series += metrics.status_set(
            "netguard_probe_verdict", state.verdict, (REACHABLE, UNREACHABLE, UNKNOWN), **labels
        )
        series.append(metrics.sample("netguard_probe_streak", state.streak, **labels))
        series.append(metrics.sample("netguard_reject_withdrawn", int(withdrawn(state)), **labels))
        if state.when:
            series.append(metrics.sample("netguard_probe_timestamp_seconds", state.when, **labels))
        series += [
            metrics.sample("netguard_probe_target_answered", v, **labels, target=t) for t, v in found.items()
        ]
    return series


def withdrawn(state: ProbeState) -> bool:
    """The probe says the ASes are reachable through the interface: no reject routes."""
    return state.verdict == REACHABLE


def probe_tcp(iface: str, address: str, port: int, timeout: float) -> str:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, iface.encode())
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
        sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, iface.encode())
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
