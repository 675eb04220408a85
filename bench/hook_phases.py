"""Each hook phase with a netguard option, against starting the interpreter and doing nothing.

The hook runs per interface and phase at every boot, so what matters is how
far it stays from `/usr/bin/python3 -I -c pass`. Every case runs the same way
(`ip netns exec NS ...` in one throwaway namespace), median of RUNS:
`dad off` in pre-up, `wait-dad` in post-up with every address already usable
(no waiting), and `reject-asn` in post-up with 10 cached prefixes.
Usage (root): python3 -m bench.hook_phases [RUNS]
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from tests import sandbox

BASE = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "IFACE": "eth0", "LOGICAL": "eth0", "ADDRFAM": "inet6",
        "METHOD": "manual", "MODE": "start", "VERBOSITY": "0"}  # fmt: skip


def median_ms(host, argv: list[str], env: dict[str, str], runs: int) -> float:
    import subprocess

    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(["ip", "netns", "exec", host.name, "env", "-i", *[f"{k}={v}" for k, v in env.items()], *argv],
                       check=True, capture_output=True)  # fmt: skip
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 1
    with sandbox.throwaway_link("ngbp", "ngbpp") as (host, _peer):
        config = host.etc / "netguard" / "netguard.conf"
        config.write_text(config.read_text() + "Reject-Allow-Special: yes\n")
        host.exec("ip", "link", "set", "eth0", "up")
        host.exec("ip", "-6", "addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad")
        listing = host.netguard_state.parent / "ten.txt"
        listing.write_text("".join(f"2001:db8:{2 * n + 16:x}::/48\n" for n in range(10)))
        host.netguard("import", "64500", str(listing))
        hooks = host.etc / "network"
        cases = [
            ("floor: /usr/bin/python3 -I -c pass", ["/usr/bin/python3", "-I", "-c", "pass"], {}),
            ("(ip netns exec and env alone: /bin/true)", ["/bin/true"], {}),
            ("dad off, pre-up", ["/bin/sh", str(hooks / "if-pre-up.d" / "netguard")], {"PHASE": "pre-up", "IF_DAD": "off"}),
            ("wait-dad 5, post-up, nothing to wait for", ["/bin/sh", str(hooks / "if-up.d" / "netguard")],
             {"PHASE": "post-up", "IF_WAIT_DAD": "5"}),
            ("reject-asn (10 prefixes), post-up", ["/bin/sh", str(hooks / "if-up.d" / "netguard")],
             {"PHASE": "post-up", "IF_REJECT_ASN": "64500"}),
        ]  # fmt: skip
        results = [(name, median_ms(host, argv, {**BASE, **env}, runs)) for name, argv, env in cases]
    floor, overhead = results[0][1], results[1][1]
    print(f"hook phases, median of {runs} runs each (ip netns exec in all, {os.cpu_count()} cores)")
    for name, ms in results:
        net = (ms - overhead) / (floor - overhead)
        print(
            f"{name:45} {ms:8.1f} ms  {ms / floor:5.2f}x the floor  ({net:5.2f}x without the exec overhead)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
