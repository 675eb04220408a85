"""`ifup -a` with N interfaces that each need a DAD wait: one wait at the end vs one per interface.

Real ifupdown 0.8 in a namespace, N veth links, `auto` stanzas whose
address comes from an `up` line, each with `wait-dad 10`. Per N (1, 4, 8),
medians of RUNS: `ifup -a` (netguard waits once, at the run's end) and, in
the same run, the same interfaces brought up by one `ifup IFACE` after
another (each waits for itself: what `ifup -a` cost before). After each
`ifup -a`, no address may be tentative. Usage (root): python3 -m bench.boot_wait [RUNS]
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from tests import sandbox


def stanzas(count: int, static: bool = False) -> str:
    """Addresses from `up` lines, or (static) each stanza's primary: ifupdown's own settle-dad waits
    for that one inside the method, before any hook, one interface after another."""
    if static:
        return "".join(
            f"auto eth{i}\niface eth{i} inet6 static\n    address 2001:db8:{i}::1/64\n    wait-dad 10\n"
            for i in range(count)
        )
    return "".join(
        f"auto eth{i}\niface eth{i} inet6 manual\n    up ip -6 addr add 2001:db8:{i}::1/64 dev eth{i}\n"
        "    wait-dad 10\n"
        for i in range(count)
    )


def timed(host, *argv: str) -> float:
    started = time.monotonic()
    host.exec(*argv, timeout=120)
    return time.monotonic() - started


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 1
    rows = {}
    with sandbox.throwaway_link("ngbw", "ngbwp") as (host, peer):
        for i in range(1, 8):
            sandbox.veth(host, f"eth{i}", peer, f"eth{i}")
            peer.exec("ip", "link", "set", f"eth{i}", "up")
        state = ["--state-dir", host.state_dir]
        for count in (1, 4, 8):
            host.write_interfaces(stanzas(count))
            together, apart = [], []
            for _ in range(runs):
                together.append(timed(host, "ifup", "-a", *state))
                left = host.exec("ip", "-6", "-o", "addr", "show", "tentative").stdout
                assert left == "", left
                host.exec("ifdown", "-a", *state)
                apart.append(sum(timed(host, "ifup", *state, f"eth{i}") for i in range(count)))
                host.exec("ifdown", "-a", *state)
            rows[count] = (statistics.median(together), statistics.median(apart))
        host.write_interfaces(stanzas(4, static=True))
        static = []
        for _ in range(runs):
            static.append(timed(host, "ifup", "-a", *state))
            host.exec("ifdown", "-a", *state)
    one = rows[1][0]
    print(f"ifup -a, interfaces each needing a DAD wait, median of {runs} (seconds)")
    print(f"{'interfaces':>10} {'ifup -a':>9} {'x 1 iface':>10} {'one ifup each':>14}")
    for count, (together, apart) in rows.items():
        print(f"{count:>10} {together:9.2f} {together / one:9.2f}x {apart:14.2f}")
    print(
        f"4 interfaces, inet6 static primaries (ifupdown's settle-dad, serial): {statistics.median(static):.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
