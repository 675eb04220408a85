"""Each hook phase with a netguard option, against starting the interpreter and doing nothing.

The hook runs per interface and phase at every boot, so what matters is how
far it stays from `/usr/bin/python3 -I -c pass`. Every case runs the same way
(`ip netns exec NS ...` in one throwaway namespace), median of RUNS:
`dad off` in pre-up, `wait-dad` in post-up with every address already usable
(no waiting), and `reject-asn` in post-up with 10 cached prefixes.
With `--against REF` each hook case also runs the code of git REF (unpacked
with `git archive` into a temporary directory, its shim beside ours in the
same namespace), the two alternating run by run, so both see the same
machine at the same moments.
Usage (root): python3 -m bench.hook_phases [RUNS] [--against REF]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests import sandbox

BASE = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "IFACE": "eth0", "LOGICAL": "eth0", "ADDRFAM": "inet6",
        "METHOD": "manual", "MODE": "start", "VERBOSITY": "0"}  # fmt: skip


def medians_ms(host, argvs: list[list[str]], env: dict[str, str], runs: int) -> list[float]:
    """The median of each argv's runs, the argvs taking turns run by run."""
    import subprocess

    samples: list[list[float]] = [[] for _ in argvs]
    for _ in range(runs):
        for argv, taken in zip(argvs, samples, strict=True):
            start = time.perf_counter()
            subprocess.run(["ip", "netns", "exec", host.name, "env", "-i", *[f"{k}={v}" for k, v in env.items()],
                            *argv], check=True, capture_output=True)  # fmt: skip
            taken.append((time.perf_counter() - start) * 1000)
    return [statistics.median(taken) for taken in samples]


def unpack(ref: str, into: Path) -> Path:
    """The package of git REF, as a directory to put first on the hook's sys.path."""
    import subprocess

    archive = subprocess.run(["git", "-C", str(sandbox.CHECKOUT), "archive", ref, "netguard"],
                             check=True, capture_output=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def against_shim(hook: Path, tree: Path) -> Path:
    """Our sandbox shim with REF's tree first on sys.path instead of the checkout, beside it."""
    text = hook.read_text()
    ours = f'sys.path.insert(0, "{sandbox.CHECKOUT}")'
    assert text.count(ours) == 1, "the sandbox shim changed: update bench.hook_phases"
    other = hook.with_name("netguard-against")
    other.write_text(text.replace(ours, f'sys.path.insert(0, "{tree}")'))
    other.chmod(0o755)
    return other


def main() -> int:
    args = sys.argv[1:]
    ref = ""
    if "--against" in args:
        at = args.index("--against")
        ref = args[at + 1]
        del args[at : at + 2]
    runs = int(args[0]) if args else 50
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch, sandbox.throwaway_link("ngbp", "ngbpp") as (host, _peer):
        tree = unpack(ref, Path(scratch)) if ref else None
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
            ("dad off, pre-up", ["/bin/sh", str(hooks / "if-pre-up.d" / "zz-netguard")], {"PHASE": "pre-up", "IF_DAD": "off"}),
            ("wait-dad 5, post-up, nothing to wait for", ["/bin/sh", str(hooks / "if-up.d" / "netguard")],
             {"PHASE": "post-up", "IF_WAIT_DAD": "5"}),
            ("reject-asn (10 prefixes), post-up", ["/bin/sh", str(hooks / "if-up.d" / "netguard")],
             {"PHASE": "post-up", "IF_REJECT_ASN": "64500"}),
        ]  # fmt: skip
        results = []
        for name, argv, env in cases:
            argvs = [argv]
            if tree and argv[0] == "/bin/sh":
                argvs.append(["/bin/sh", str(against_shim(Path(argv[1]), tree))])
            results.append((name, medians_ms(host, argvs, {**BASE, **env}, runs)))
    floor, overhead = results[0][1][0], results[1][1][0]
    print(f"hook phases, median of {runs} runs each (ip netns exec in all, {os.cpu_count()} cores)")
    for name, measured in results:
        ms = measured[0]
        net = (ms - overhead) / (floor - overhead)
        line = (
            f"{name:45} {ms:8.1f} ms  {ms / floor:5.2f}x the floor  ({net:5.2f}x without the exec overhead)"
        )
        if len(measured) > 1:
            line += f"  | {ref}: {measured[1]:6.1f} ms, now/{ref} {ms / measured[1]:5.3f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
