"""A duplicated `inet6 static` primary address: how soon is it named? netguard's pre-up watcher vs settle-dad.

ifupdown's settle-dad waits for the primary address before any post-up hook
and reports a duplicate only as "Timed out" after its 6 s; netguard's
watcher (started in pre-up when wait-dad is set) names it from the kernel's
event. Per run: the kernel's dadfailed event (ip -ts monitor), the moment
netguard's line reached ifup's stderr, and the moment ifup (settle-dad)
gave up. Usage (root): python3 -m bench.duplicate [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from tests import sandbox

STANZA = "iface eth0 inet6 static\n    address 2001:db8::1/64\n    wait-dad 8\n"


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 1
    named, gave_up = [], []
    with sandbox.throwaway_link("ngdu", "ngdup") as (host, peer):
        peer.exec("ip", "-6", "addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad")
        host.write_interfaces(STANZA)
        for _ in range(runs):
            monitor = sandbox.AddressMonitor(host)
            process = subprocess.Popen(["ip", "netns", "exec", host.name, "ifup", "--state-dir", host.state_dir, "eth0"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
            said_at = None
            assert process.stderr is not None
            for line in process.stderr:
                if said_at is None and "netguard: eth0: wait-dad: duplicate address 2001:db8::1" in line:
                    said_at = time.time()
            process.wait(timeout=60)
            exited_at = time.time()
            failed_at = sandbox.first_event(monitor.stop(), "2001:db8::1", has="dadfailed")
            assert process.returncode != 0 and said_at is not None
            named.append(said_at - failed_at)
            gave_up.append(exited_at - failed_at)
            host.exec("ifdown", "--force", "--state-dir", host.state_dir, "eth0", check=False)
    print(
        f"duplicated inet6 static primary address, {runs} runs: seconds after the kernel marked it dadfailed"
    )
    for name, values in (
        ("netguard's line naming the address", named),
        ("settle-dad's 'Timed out' (ifup exits 1)", gave_up),
    ):
        print(f"{name:45} median {statistics.median(values):6.3f} s   max {max(values):6.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
