"""Hook phases with metrics on, against the same phases before metrics existed, same run.

Issue 24's bar: a hook phase with metrics on within 5% of today's (the
commit before metrics, BASELINE, checked out by `git archive` into out/).
Four variants, alternating run by run so drift hits all alike, in one
throwaway namespace: BASELINE's hook, this checkout's with Metrics-Dir
empty (off), with Metrics-Dir on the disk (ext4 here, mounted with
`discard`: replacing a file frees its blocks at once), and on tmpfs. Medians of RUNS each. The
phases are bench/hook_phases.py's: `dad off` pre-up, `wait-dad` post-up
with nothing to wait for, `reject-asn` post-up with 10 cached prefixes
(which also writes netguard_routes.prom under the route lock).
Usage (root): python3 -m bench.metrics_hook [RUNS] [BASELINE]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.hook_phases import BASE
from netguard.context import HOOK_NAMES
from tests import sandbox

BASELINE = "1dbf016"  # main before metrics (apply: a failed probe's record names the error)


def baseline_tree(rev: str) -> Path:
    where = sandbox.CHECKOUT / "out" / f"bench-baseline-{rev}"
    if not where.is_dir():
        where.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(sandbox.CHECKOUT), "archive", rev], check=True, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", str(where)], input=archive.stdout, check=True)
    return where


def once_ms(host, argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(["ip", "netns", "exec", host.name, "env", "-i", *[f"{k}={v}" for k, v in env.items()], *argv],
                   check=True, capture_output=True)  # fmt: skip
    return (time.perf_counter() - start) * 1000


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    rev = sys.argv[2] if len(sys.argv) > 2 else BASELINE
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 1
    old = baseline_tree(rev)
    with sandbox.throwaway_link("ngbm", "ngbmp") as (host, _peer):
        config = host.etc / "netguard" / "netguard.conf"
        base = config.read_text().replace("Metrics-Dir:\n", "") + "Reject-Allow-Special: yes\n"
        textfile = host.netguard_state.parent / "textfile"
        textfile.mkdir(mode=0o755, parents=True)
        memory = Path(tempfile.mkdtemp(prefix="netguard-bench-", dir="/dev/shm"))  # no disk below it
        memory.chmod(0o755)
        hooks = host.etc / "network"
        for directory in ("if-pre-up.d", "if-up.d"):  # BASELINE's shim, its tree first on sys.path
            shim = (old / "ifupdown-hooks" / "netguard").read_text()
            script = hooks / directory / "netguard-baseline"
            script.write_text(
                shim.replace(sandbox.ISOLATED_HOOK, f'sys.path.insert(0, "{old}"); {sandbox.ISOLATED_HOOK}')
            )
            script.chmod(0o755)
        variants = {  # name: (hook file name, netguard.conf)
            f"before metrics ({rev})": ("netguard-baseline", base),
            "metrics off": ("", base + "Metrics-Dir:\n"),
            "metrics on": ("", base + f"Metrics-Dir: {textfile}\n"),
            "on, tmpfs": ("", base + f"Metrics-Dir: {memory}\n"),
        }
        host.exec("ip", "link", "set", "eth0", "up")
        host.exec("ip", "-6", "addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad")
        listing = host.netguard_state.parent / "ten.txt"
        listing.write_text("".join(f"2001:db8:{2 * n + 16:x}::/48\n" for n in range(10)))
        host.netguard("import", "64500", str(listing))
        cases = [
            ("dad off, pre-up", "if-pre-up.d", {"PHASE": "pre-up", "IF_DAD": "off"}),
            ("wait-dad 5, post-up, nothing to wait for", "if-up.d", {"PHASE": "post-up", "IF_WAIT_DAD": "5"}),
            ("reject-asn (10 prefixes), post-up", "if-up.d", {"PHASE": "post-up", "IF_REJECT_ASN": "64500"}),
        ]
        print(f"hook phases, median of {runs} alternating runs per variant ({os.cpu_count()} cores)")
        for name, directory, env in cases:
            samples: dict[str, list[float]] = {variant: [] for variant in variants}
            for number in range(runs + 1):
                for variant, (hook, text) in variants.items():
                    config.write_text(text)
                    took = once_ms(
                        host,
                        ["/bin/sh", str(hooks / directory / (hook or HOOK_NAMES[directory]))],
                        {**BASE, **env},
                    )
                    if number:  # the first round warms the page cache
                        samples[variant].append(took)
            medians = {variant: statistics.median(values) for variant, values in samples.items()}
            before = next(iter(medians.values()))
            shown = "  ".join(
                f"{variant} {ms:5.1f} ms ({ms / before:5.3f}x)" for variant, ms in medians.items()
            )
            print(f"{name:42} {shown}")
        print(f"files written with metrics on: {', '.join(sorted(os.listdir(textfile)))}")
        shutil.rmtree(memory, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
