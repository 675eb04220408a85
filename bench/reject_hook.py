"""reject-asn end to end: the real ifup/ifdown with 100k cached prefixes.

Times `netguard import`, ifup (cache read, safety screen, collapse, wants,
dump, batches), a second ifup with nothing to change, and ifdown; against
the obvious alternative in the same namespace: `ip -batch` of the same
prefixes, which has no cache, no safety screen and no reconciliation.
Usage (root): python3 -m bench.reject_hook [COUNT]
"""

from __future__ import annotations

import os
import subprocess
import sys

from bench import timed
from tests import sandbox


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 1
    # Every other /56, so nothing collapses: COUNT routes.
    prefixes = [f"2001:db8:{2 * n >> 8:x}:{2 * n & 0xFF:x}00::/56" for n in range(count)]
    with sandbox.throwaway_link("ngrh", "ngrhp") as (host, _peer):
        config = host.etc / "netguard" / "netguard.conf"
        config.write_text(config.read_text() + "Reject-Allow-Special: yes\n")
        listing = host.netguard_state.parent / "prefixes.txt"
        listing.write_text("".join(p + "\n" for p in prefixes))
        host.write_interfaces("iface eth0 inet6 manual\n    reject-asn 64500\n")
        rows = [
            ("netguard import (cache write)", timed(host.netguard, "import", "64500", str(listing))),
            ("ifup, routes installed", timed(host.ifup, "eth0")),
            (
                "ifup again, nothing to change",
                timed(host.exec, "ifup", "--force", "--state-dir", host.state_dir, "eth0"),
            ),
            ("ifdown, routes removed", timed(host.ifdown, "eth0")),
        ]
        batch = host.netguard_state.parent / "batch"
        batch.write_text("".join(f"route add unreachable {p} proto 241\n" for p in prefixes))
        rows.append(
            (
                "alternative: ip -batch add (no safety, no reconcile)",
                timed(host.exec, "ip", "-batch", str(batch)),
            )
        )
        subprocess.run(["ip", "-n", host.name, "-6", "route", "flush", "proto", "241"], check=True)
    print(f"reject-asn with {count:,} prefixes, real ifup in a namespace")
    for name, seconds in rows:
        print(f"{name:55} {seconds:7.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
