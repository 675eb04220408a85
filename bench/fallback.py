"""What reject-asn buys: time to a working connection when IPv6 to one network is broken.

The topology of tests/broken_path.py: this host, a router that silently
drops IPv6 towards the far network (a blackhole route: no ICMP) and
forwards IPv4, and a dual-stack server there. Each client connects by name
(AAAA and A in the host's /etc/hosts), first without netguard, then with
`reject-asn` for the far AS, in the same run. A client still waiting after
CAP seconds is stopped and reported as such.
Usage (root): python3 -m bench.fallback
"""

from __future__ import annotations

import os
import sys

from tests.broken_path import CAP, CLIENTS, STANZA, broken_path, import_far_as, time_client


def main() -> int:
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 1
    rows = []
    with broken_path("ngfb") as path:
        import_far_as(path)
        path.break_ipv6()
        for with_netguard in (False, True):
            path.host.write_interfaces(STANZA + ("    reject-asn 64500\n" if with_netguard else ""))
            path.host.ifup("eth0")
            for name, argv in CLIENTS.items():
                rows.append((name, with_netguard, *time_client(path, argv)))
            path.host.ifdown("eth0")
    print(f"time to a working connection, IPv6 path to the far network broken (cap {CAP} s)")
    print(f"{'client':34} {'without netguard':>22} {'with reject-asn':>22}")
    for name in CLIENTS:
        cells = []
        for with_netguard in (False, True):
            took, via = next((t, v) for n, w, t, v in rows if n == name and w == with_netguard)
            cells.append(f"> {CAP} s (gave up)" if took >= CAP else f"{took * 1000:.0f} ms via {via}")
        print(f"{name:34} {cells[0]:>22} {cells[1]:>22}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
