"""`ipv4-dad on`: what it costs a free address, and how soon it names a taken one, vs `arping -D`.

Per run, real ifup of one `inet static` stanza in a namespace joined by a
veth to a peer: without ipv4-dad, with it (default 200 ms budget), and
iputils' `arping -D -c 3` (RHEL initscripts' check) on the same link; then
the peer takes the address and the time from ifup's start to netguard's
line naming it. Usage (root): python3 -m bench.ipv4_dad [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from tests import sandbox

ADDRESS = "192.0.2.10"
STANZA = f"iface eth0 inet static\n    address {ADDRESS}/24\n"
EXTRA = os.environ.get("BENCH_EXTRA", "").replace("\\n", "\n")


def timed(host, argv: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.monotonic()
    done = host.exec(*argv, check=False)
    return time.monotonic() - started, done


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 1
    rows: dict[str, list[float]] = {"ifup, plain": [], "ifup, ipv4-dad on": [], "arping -D -c 3 (free)": []}
    named = []
    ifup = ["ifup"]
    with sandbox.throwaway_link("ngv4", "ngv4p") as (host, peer):
        ifup += ["--state-dir", host.state_dir, "eth0"]
        ifdown = ["ifdown", "--state-dir", host.state_dir, "eth0"]
        for _ in range(runs):
            for name, stanza in (
                ("ifup, plain", STANZA),
                ("ifup, ipv4-dad on", STANZA + "    ipv4-dad on\n" + EXTRA),
            ):
                host.write_interfaces(stanza)
                took, done = timed(host, ifup)
                assert done.returncode == 0, done.stderr
                rows[name].append(took)
                host.exec(*ifdown)
            host.exec("ip", "link", "set", "eth0", "up")
            took, done = timed(host, ["arping", "-D", "-q", "-c", "3", "-I", "eth0", ADDRESS])
            assert done.returncode == 0, done.stdout
            rows["arping -D -c 3 (free)"].append(took)
            host.exec("ip", "link", "set", "eth0", "down")
        peer.exec("ip", "addr", "add", f"{ADDRESS}/24", "dev", "eth0")
        host.write_interfaces(STANZA + "    ipv4-dad on\n")
        for _ in range(runs):
            started = time.monotonic()
            process = subprocess.Popen(["ip", "netns", "exec", host.name, *ifup],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
            said = None
            assert process.stderr is not None
            for line in process.stderr:
                if said is None and f"ipv4-dad: {ADDRESS} is in use by" in line:
                    said = time.monotonic() - started
            process.wait(timeout=60)
            assert process.returncode != 0 and said is not None
            named.append(said)
            host.exec("ifdown", "--force", "--state-dir", host.state_dir, "eth0", check=False)
    print(f"ipv4-dad, {runs} runs each (seconds)")
    for name, values in rows.items():
        print(f"{name:28} median {statistics.median(values):6.3f}   max {max(values):6.3f}")
    extra = [a - b for a, b in zip(rows["ifup, ipv4-dad on"], rows["ifup, plain"], strict=True)]
    print(f"{'extra ifup time, free':28} median {statistics.median(extra):6.3f}   max {max(extra):6.3f}")
    print(f"{'taken: ifup start -> line':28} median {statistics.median(named):6.3f}   max {max(named):6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
