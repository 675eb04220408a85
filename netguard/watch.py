"""Bounded, event-driven waits on kernel address state.

Subscribe to the kernel's link and IPv6 address notifications first, then
read the state, then sleep in select() until the next notification or the
deadline: no event between the read and the wait is lost, nothing polls.
Each wake-up re-reads the whole state instead of trusting the event, so a
queued stale event can never make the wait believe an old flag.
"""

from __future__ import annotations

import select
import time

from netguard.netlink import RouteSocket
from netguard.state import proc_ipv6_addresses

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol, TypeVar

    from netguard.state import Address

    State = TypeVar("State")

    class Judgement(Protocol):
        @property
        def finished(self) -> bool: ...

    J = TypeVar("J", bound=Judgement)

RTMGRP_LINK = 0x1
RTMGRP_IPV6_IFADDR = 0x100


def _drain(sock: RouteSocket) -> None:
    while True:
        try:
            sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:  # ENOBUFS: events were dropped; the re-read covers them
            continue


def wait_until(
    read_state: Callable[[], State],
    finished: Callable[[State], bool],
    timeout: float,
) -> tuple[State, bool]:
    """Return (last state, True) once finished(state), or (last state, False) at the deadline."""
    deadline = time.monotonic() + timeout
    with RouteSocket(timeout=0.0, groups=RTMGRP_LINK | RTMGRP_IPV6_IFADDR) as sock:
        while True:
            state = read_state()
            if finished(state):
                return state, True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return state, False
            ready, _, _ = select.select([sock], [], [], remaining)
            if ready:
                _drain(sock)


def wait_for_addresses(ifname: str | None, judge: Callable[[list[Address]], J], timeout: float) -> J:
    """judge() the IPv6 addresses (of one interface, or all) until it is finished or the deadline passes.

    The one wait behind both wait-dad (the hook) and `netguard wait`; returns the last judgement.
    Each wake-up re-reads /proc/net/if_inet6 (every DAD flag is in its low
    byte): no pyroute2, whose import alone costs ~0.2 s.
    """
    judgement, _ = wait_until(lambda: judge(proc_ipv6_addresses(ifname)), lambda j: j.finished, timeout)
    return judgement
