"""Cost of the hook when a stanza uses no netguard option (every interface, every phase).

Compares, in one run: the shell shim netguard ships; the obvious alternative
of starting Python for every call (`python3 -m netguard.hook`); and /bin/true,
the floor of any fork+exec. Usage: python3 bench/noop_hook.py [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
SHIM = str(CHECKOUT / "ifupdown-hooks" / "netguard")
ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "IFACE": "eth0",
    "LOGICAL": "eth0",
    "ADDRFAM": "inet6",
    "METHOD": "static",
    "MODE": "start",
    "PHASE": "pre-up",
    "VERBOSITY": "0",
    "IF_ADDRESS": "2001:db8::1/64",
    "IF_GATEWAY": "fe80::1",
    "PYTHONPATH": str(CHECKOUT),
}


def timings(argv: list[str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=ENV, check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    import tempfile

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    scratch = Path(tempfile.mkdtemp())
    # As installed: the shipped netguard.conf is there for the shim to read State-Dir from.
    installed = scratch / "netguard-installed"
    installed.write_text(
        Path(SHIM).read_text().replace("/etc/netguard/netguard.conf", str(CHECKOUT / "debian/netguard.conf"))
    )
    trivial = scratch / "trivial"
    trivial.write_text("#!/bin/sh\nexit 0\n")
    for script in (installed, trivial):
        script.chmod(0o755)
    cases = {
        "netguard shim, no netguard.conf": [SHIM],
        "netguard shim, the shipped netguard.conf": [str(installed)],
        "trivial /bin/sh hook (exit 0)": [str(trivial)],
        # In a private /run (unshare, ~1 ms more): the hook records its outcome in State-Dir, and a
        # benchmark must not write the host's /run/netguard.
        "alternative: python3 -m netguard.hook per call": [
            "unshare",
            "-m",
            "sh",
            "-c",
            'mount -t tmpfs tmpfs /run && exec "$@"',
            "sh",
            "/usr/bin/python3",
            "-m",
            "netguard.hook",
            SHIM,
        ],
        "floor: /bin/true": ["/bin/true"],
    }
    print(f"no-op hook call, {runs} runs each, {os.cpu_count()} cores")
    print(f"{'case':50} {'median ms':>10} {'p95 ms':>8}")
    for name, argv in cases.items():
        samples = sorted(timings(argv, runs))
        p95 = samples[int(len(samples) * 0.95) - 1]
        print(f"{name:50} {statistics.median(samples):10.2f} {p95:8.2f}")


if __name__ == "__main__":
    main()
