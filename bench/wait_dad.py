"""wait-dad against ifupdown's own settle-dad, with the real ifup in namespaces.

For each case, N runs of ifup/ifdown on a veth; `ip -ts monitor address`
records when the kernel cleared each tentative flag. Reports ifup wall time
and the delay between the last awaited address settling and ifup returning
(settle-dad polls `ip` every 0.1 s; netguard wakes on the netlink event).
Usage (root): python3 -m bench.wait_dad [RUNS]
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from tests import sandbox

CASES = [
    (
        "ifupdown settle-dad (inet6 static, primary address only)",
        "iface eth0 inet6 static\n    address 2001:db8::1/64\n",
        ["2001:db8::1"],
    ),
    (
        "netguard wait-dad (inet6 manual, address from an up line)",
        "iface eth0 inet6 manual\n    up ip -6 addr add 2001:db8::1/64 dev eth0\n    wait-dad 10\n",
        ["2001:db8::1", "link-local"],
    ),
    (
        "ifupdown settle-dad, primary + up-line address (up-line left tentative)",
        "iface eth0 inet6 static\n    address 2001:db8::1/64\n    up ip -6 addr add 2001:db8::2/64 dev eth0\n",
        ["2001:db8::1"],
    ),
    (
        "netguard wait-dad, primary + up-line address (all usable)",
        "iface eth0 inet6 static\n    address 2001:db8::1/64\n    up ip -6 addr add 2001:db8::2/64 dev eth0\n"
        "    wait-dad 10\n",
        ["2001:db8::1", "2001:db8::2", "link-local"],
    ),
]


def settle_times(events: list[tuple[float, str]], awaited: list[str]) -> list[float]:
    times = []
    for name in awaited:
        needle = " fe80::" if name == "link-local" else f" {name}/"
        times.append(next(t for t, text in events if needle in text and "tentative" not in text))
    return times


def run_case(host: sandbox.IfupdownHost, stanza: str, awaited: list[str], runs: int) -> tuple[list, list]:
    host.write_interfaces(stanza)
    walls, delays = [], []
    for _ in range(runs):
        monitor = sandbox.AddressMonitor(host)
        start = time.time()
        host.ifup("eth0")
        returned = time.time()
        events = monitor.stop()
        walls.append(returned - start)
        delays.append(returned - max(settle_times(events, awaited)))
        host.ifdown("eth0")
    return walls, delays


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 1
    with sandbox.throwaway_link("ngb", "ngbp") as (host, _peer):
        print(f"ifup with DAD, {runs} runs per case, kernel defaults (dad_transmits 1, retrans 1 s)")
        print(f"{'case':75} {'ifup median s':>13} {'settle->return median ms':>25} {'max ms':>7}")
        for name, stanza, awaited in CASES:
            walls, delays = run_case(host, stanza, awaited, runs)
            print(
                f"{name:75} {statistics.median(walls):13.2f} "
                f"{statistics.median(delays) * 1000:25.1f} {max(delays) * 1000:7.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
