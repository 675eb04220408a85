"""The only module that writes to the kernel or /proc.

Everything else plans; this module carries out the planners' actions
(sysctls, optimistic marks, bounded waits, warnings) and, for reject-asn,
route changes, and turns OS errors into one user-ready line.
"""

from __future__ import annotations

import errno
import os
import struct

from netguard import log
from netguard.actions import LinkUp, MarkOptimistic, ProbeIPv4, WaitForDad, Warn, WriteSysctl
from netguard.errors import NetguardError
from netguard.kernel import IFA_F_OPTIMISTIC, IFF_UP

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Callable

    from netguard.actions import Action
    from netguard.hookrun import HookRun
    from netguard.prefixes.prefix import Prefix


def carry_out(run: HookRun, actions: list[Action]) -> None:
    """Each action in order; a sysctl's old value is recorded before the write, so undo never misses it."""
    from netguard import state

    iface = run.iface
    for action in actions:
        if isinstance(action, Warn):
            log.warn(iface, action.option, action.text)
        elif isinstance(action, WriteSysctl):
            before = state.read_sysctl(action.path)
            if before is not None and action.path not in run.record.sysctls:
                run.record.sysctls[action.path] = before
                run.save()
            write_sysctl(action, iface)
            log.info(iface, action.option, f"{action.path} = {action.value}")
        elif isinstance(action, MarkOptimistic):
            mark_optimistic(action, iface)
            log.info(iface, action.option, f"{action.address} marked optimistic")
        elif isinstance(action, WaitForDad):
            wait_for_dad(action, iface)
        elif isinstance(action, LinkUp):
            link_up(action)
        elif isinstance(action, ProbeIPv4):
            probe_ipv4(run, action)
        else:  # pragma: no cover - a new Action type without a runner
            raise TypeError(f"no runner for {action!r}")


def wait_for_all(
    waits: dict[str, WaitForDad],
    timeout: float,
    duplicate: Callable[[str, NetguardError], None] | None = None,
) -> dict[str, NetguardError | None]:
    """One bounded, event-driven wait (watch.py) for every interface's addresses at once, then
    each interface's problem: a duplicate, the timeout, or what vanished (None: all usable).

    duplicate(iface, problem) is called the moment DAD fails on an interface, while the
    others are still waited for: a duplicate is named within a wake-up, not at the end."""
    from netguard import state, usable, watch

    seen: dict[str, set[str]] = {iface: set() for iface in waits}  # an address that vanishes is not usable
    last: dict[str, list[state.Address]] = {}
    named: set[str] = set()

    def read() -> dict[str, usable.Verdict]:
        everything = state.proc_ipv6_addresses(None)
        verdicts = {}
        for iface, wait in waits.items():
            found = last[iface] = [a for a in everything if a.ifname == iface]
            seen[iface].update(a.address for a in found)
            verdict = verdicts[iface] = usable.assess(found, wait.need_global)
            if duplicate is not None and verdict.failed and iface not in named:
                named.add(iface)
                problem = usable.failure(verdict, iface, wait.timeout, set())
                if problem is not None:
                    duplicate(iface, problem)
        return verdicts

    verdicts, _ = watch.wait_until(read, lambda v: all(x.finished for x in v.values()), timeout)
    problems: dict[str, NetguardError | None] = {}
    for iface, verdict in verdicts.items():
        carrierless = set() if state.has_carrier(iface) else {iface}
        gone = seen[iface] - {a.address for a in last[iface]}
        problems[iface] = usable.vanished(iface, state.interface_exists(iface), gone) or usable.failure(
            verdict, iface, waits[iface].timeout, carrierless
        )
        if verdict.failed:
            from netguard import metrics

            counted = metrics.sample(
                "netguard_dad_failures_total", len(verdict.failed), iface=iface, family="inet6"
            )
            metrics.note(iface, counted, add=True)
    return problems


def wait_for_dad(action: WaitForDad, iface: str) -> None:
    """One interface's wait; a duplicate, the timeout or a vanished address raises, or warns (on_failure)."""
    from netguard import usable

    problem = wait_for_all({iface: action}, action.timeout)[iface]
    if problem is None:
        log.info(iface, usable.OPTION, "every IPv6 address usable")
    elif action.on_failure == "warn":
        log.warn(iface, problem.option, problem.message)
    else:
        raise problem


def write_sysctl(action: WriteSysctl, iface: str) -> None:
    try:
        with open(action.path, "w", encoding="ascii") as handle:
            handle.write(f"{action.value}\n")
    except OSError as err:
        hint = "run as root" if err.errno in (errno.EACCES, errno.EPERM) else "check that IPv6 is enabled"
        raise NetguardError(
            f"cannot write {action.path}: {err.strerror}; {hint}", iface, action.option
        ) from None


def mark_optimistic(action: MarkOptimistic, iface: str) -> None:
    """Replace the address with IFA_F_OPTIMISTIC added: DAD goes on, bind() works now.

    Its other flags (noprefixroute, mngtmpaddr, ...) and remaining lifetimes
    are sent back as they are, so the address keeps its meaning.
    """
    from netguard import rtnl
    from netguard.netlink import RouteSocket
    from netguard.state import ipv6_address_details, read_sysctl

    index = read_sysctl(f"/sys/class/net/{iface}/ifindex")
    copies = [d for d in ipv6_address_details(action.address) if d[0] == index and d[2] == action.prefixlen]
    if index is None or not copies:
        raise NetguardError(f"{action.address} disappeared from {iface}", iface, action.option)
    _index, packed, prefixlen, flags, preferred, valid = copies[0]
    message = rtnl.replace_address(index, packed, prefixlen, flags | IFA_F_OPTIMISTIC, preferred, valid)
    with RouteSocket(timeout=10) as sock:
        sock.send(message)
        for kind, _flags, _seq, payload in rtnl.messages(sock.recv(65536)):
            code = rtnl.error_code(payload) if kind == rtnl.NLMSG_ERROR else 0
            if code:
                raise NetguardError(
                    f"cannot mark {action.address} optimistic: {os.strerror(code)}; "
                    "check optimistic_dad support (CONFIG_IPV6_OPTIMISTIC_DAD)",
                    iface,
                    action.option,
                )


_CHUNK = 64 * 1024  # bytes of messages per send(); the kernel handles each send synchronously


def change_routes(
    delete: list[Prefix], add: list[Prefix], protocol: int, table: int = 254
) -> list[tuple[Prefix, str, int]]:
    """Delete then add unreachable routes of one table in batches; return the failures as
    (route, verb, errno).

    Messages go without ACK requests, many per send(): the kernel answers
    only errors, each carrying our sequence number, which maps it back to its
    prefix. The last message asks for an ACK, so its answer (ACK or error)
    proves every earlier message has been processed. Deleting a route that
    is already gone is not a failure.
    """
    from _socket import MSG_DONTWAIT

    from netguard import rtnl
    from netguard.netlink import RouteSocket

    plan = [(rtnl.RTM_DELROUTE, r) for r in delete] + [(rtnl.RTM_NEWROUTE, r) for r in add]
    if not plan:
        return []
    failures: list[tuple[Prefix, str, int]] = []
    last_seq = len(plan)
    finished = False

    def take(buffer: bytes) -> None:
        nonlocal finished
        for kind, _flags, seq, payload in rtnl.messages(buffer):
            if kind != rtnl.NLMSG_ERROR or not 0 < seq <= last_seq:
                continue
            code = rtnl.error_code(payload)
            if seq == last_seq:
                finished = True
            verb, route = plan[seq - 1]
            if code and not (verb == rtnl.RTM_DELROUTE and code in (errno.ESRCH, errno.ENOENT)):
                failures.append((route, "delete" if verb == rtnl.RTM_DELROUTE else "add", code))

    with RouteSocket() as sock:
        chunk: list[bytes] = []
        size = 0
        for seq, (verb, route) in enumerate(plan, 1):
            message = rtnl.route_message(verb, route, protocol, seq, ack=seq == last_seq, table=table)
            chunk.append(message)
            size += len(message)
            if size >= _CHUNK or seq == last_seq:
                sock.send(b"".join(chunk))
                chunk, size = [], 0
                # Drain the errors already queued so the receive buffer never overflows.
                while True:
                    try:
                        take(sock.recv(1 << 20, MSG_DONTWAIT))
                    except BlockingIOError:
                        break
        sock.settimeout(10)  # bounded: the kernel answered synchronously, this is a safety net
        while not finished:
            take(sock.recv(1 << 20))
    return failures


SIOCGIFFLAGS, SIOCSIFFLAGS = 0x8913, 0x8914
_IFREQ_FLAGS = struct.Struct("16sH22x")  # struct ifreq: the name, then ifr_flags


def _set_up(iface: str, up: bool) -> None:
    """IFF_UP on or off (SIOCGIFFLAGS/SIOCSIFFLAGS: no `ip` process); OSError as the kernel says."""
    from _socket import AF_INET, SOCK_DGRAM, socket
    from fcntl import ioctl

    name = os.fsencode(iface)
    sock = socket(AF_INET, SOCK_DGRAM)  # _socket's has no context manager
    try:
        flags = _IFREQ_FLAGS.unpack(ioctl(sock.fileno(), SIOCGIFFLAGS, _IFREQ_FLAGS.pack(name, 0)))[1]
        ioctl(sock.fileno(), SIOCSIFFLAGS, _IFREQ_FLAGS.pack(name, flags | IFF_UP if up else flags & ~IFF_UP))
    finally:
        sock.close()


def link_up(action: LinkUp) -> None:
    """Set the link up (ifupdown's own next step), then at most carrier_wait for carrier."""
    import time

    from netguard import state

    try:
        _set_up(action.iface, True)
    except OSError as err:
        raise NetguardError(
            f"cannot set {action.iface} up to probe: {err.strerror}", action.iface, action.option
        ) from None
    deadline = time.monotonic() + action.carrier_wait
    while not state.has_carrier(action.iface) and time.monotonic() < deadline:
        time.sleep(0.005)  # a veth has carrier within a millisecond or two; a NIC's autoneg, seconds


def link_down(iface: str) -> None:
    """Set the link down again: what ipv4-dad found before it raised the link to probe."""
    try:
        _set_up(iface, False)
    except OSError:
        pass  # gone, or not ours to change: nothing to restore


def _note_probe(run: HookRun, address: str, in_use: bool) -> None:
    """An ARP probe's result for the metrics (no import when they are off)."""
    if not run.config.metrics_on:
        return
    from netguard import metrics

    iface = run.iface
    metrics.note(iface, metrics.sample("netguard_ipv4_dad_in_use", int(in_use), iface=iface, address=address))
    if in_use:
        metrics.note(
            iface, metrics.sample("netguard_dad_failures_total", 1, iface=iface, family="inet"), add=True
        )


def probe_ipv4(run: HookRun, action: ProbeIPv4) -> None:
    """Probe each address; announce the free ones (and the proven); record every outcome; then
    fail on the conflicts, naming each address and the other host's MAC."""
    from _socket import inet_aton

    from netguard import arp, outcome, state

    iface, device = run.iface, run.device  # device: an alias stanza's base, where ARP happens
    link = state.link(device)
    if link is None:
        raise NetguardError(f"{device} is gone; nothing to probe", iface, action.option)
    if not state.has_carrier(device):
        for address in action.addresses:
            outcome.record(
                run.config.state_dir, iface, address, "not checked", "no carrier", outcome.IPV4_DAD
            )
        log.warn(
            iface,
            action.option,
            f"{', '.join(action.addresses)} not checked: no carrier on {device}, so no other host "
            "could answer a probe; check the cable or peer (ifup goes on)",
        )
        return
    own = arp.mac_bytes(link.mac)
    conflicts: list[str] = []
    free: list[str] = list(action.proven)
    for address in action.addresses:
        try:
            found = arp.probe(device, own, inet_aton(address), action.budget)
        except OSError as err:
            outcome.record(
                run.config.state_dir,
                iface,
                address,
                "not checked",
                err.strerror or str(err),
                outcome.IPV4_DAD,
            )
            raise NetguardError(
                f"cannot probe {address}: {err.strerror}; run as root (AF_PACKET)", iface, action.option
            ) from None
        if found is None:
            free.append(address)
            outcome.record(run.config.state_dir, iface, address, "free", "", outcome.IPV4_DAD)
            _note_probe(run, address, in_use=False)
            log.info(iface, action.option, f"{address} is free")
        else:
            outcome.record(run.config.state_dir, iface, address, "in use", found.mac, outcome.IPV4_DAD)
            _note_probe(run, address, in_use=True)
            conflicts.append(
                f"{address} is in use by {found.mac} (it {found.how}); "
                "change the address or find that host (ip neigh, arping), then ifup again"
            )
    if action.announce and free:
        packed = [inet_aton(address) for address in free]
        arp.announce_in_background(device, own, packed)
    if conflicts:
        for message in conflicts[:-1]:
            log.warn(iface, action.option, message)
        raise NetguardError(conflicts[-1], iface, action.option)
