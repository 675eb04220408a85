"""`ifup -a` under ifupdown2 (and ifupdown-ng), N interfaces each needing a DAD wait: netguard's addon (one wait at
the end of the run) against netguard's hooks run as ifupdown2's scripts (one wait per interface,
what ifupdown2 without the addon does), same run.

Debian's ifupdown2, unpacked (`make check` makes out/ifupdown2; NETGUARD_IFUPDOWN2 names another),
the tests' harness (tests/implementations): a private /run per call, the checkout's addon. Per N
(1, 4, 8), medians of RUNS; after each `ifup -a` no address may be tentative. ifupdown-ng
(NETGUARD_IFUPDOWN_NG, or out/ifupdown-ng) calls hooks per interface only: its serial cost is shown.
Usage (root): python3 -m bench.boot_wait_ifupdown2 [RUNS]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests import sandbox
from tests.implementations.test_boot_wait_ifupdown2 import stanzas
from tests.implementations.test_other_ifupdowns import OPT_IN, Implementation


def timed(host, argv: list[str]) -> float:
    started = time.monotonic()
    host.exec(*argv, timeout=180)
    return time.monotonic() - started


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    tree = Path(os.environ.get("NETGUARD_IFUPDOWN2", sandbox.CHECKOUT / "out" / "ifupdown2"))
    if os.geteuid() != 0 or not (tree / "etc/network/ifupdown2").is_dir():
        print("needs root and an unpacked ifupdown2 (make out/ifupdown2/bin/ifup)", file=sys.stderr)
        return 1
    rows = {}
    ng_tree = Path(os.environ.get("NETGUARD_IFUPDOWN_NG", sandbox.CHECKOUT / "out" / "ifupdown-ng"))
    ng_rows = {}
    if (ng_tree / "etc/network/ifupdown-ng.conf").exists():  # no --all calls there: waits one by one
        with sandbox.throwaway_link("ngbn", "ngbnp") as (host, peer), tempfile.TemporaryDirectory() as logs:
            for i in range(1, 8):
                sandbox.veth(host, f"eth{i}", peer, f"eth{i}")
                peer.exec("ip", "link", "set", f"eth{i}", "up")
            made = Implementation("ifupdown-ng", ng_tree, host, Path(logs))
            for count in (1, 4, 8):
                host.write_interfaces(stanzas(count))
                samples = []
                for _ in range(runs):
                    samples.append(timed(host, made.command("ifup", "-a")))
                    left = host.exec("ip", "-6", "-o", "addr", "show", "tentative").stdout
                    assert left == "", ("ifupdown-ng", left)
                    host.exec(*made.command("ifdown", "-a"))
                ng_rows[count] = statistics.median(samples)
    with sandbox.throwaway_link("ngb2", "ngb2p") as (host, peer), tempfile.TemporaryDirectory() as logs:
        for i in range(1, 8):
            sandbox.veth(host, f"eth{i}", peer, f"eth{i}")
            peer.exec("ip", "link", "set", f"eth{i}", "up")
        made = Implementation("ifupdown2+addon", tree, host, Path(logs))  # appends the opt-in
        conf = host.etc / "network" / "ifupdown2"
        with_addon = (conf / "addons.conf").read_text()
        plain = with_addon.replace(OPT_IN.read_text(), "")  # without it: netguard's hooks as scripts
        for count in (1, 4, 8):
            host.write_interfaces(stanzas(count))
            samples: dict[str, list[float]] = {"addon": [], "scripts": []}
            for _ in range(runs):
                for name, text in (("addon", with_addon), ("scripts", plain)):
                    (conf / "addons.conf").write_text(text)
                    samples[name].append(timed(host, made.command("ifup", "-a")))
                    left = host.exec("ip", "-6", "-o", "addr", "show", "tentative").stdout
                    assert left == "", (name, left)
                    host.exec(*made.command("ifdown", "-a"))
            rows[count] = (statistics.median(samples["addon"]), statistics.median(samples["scripts"]))
    one = rows[1][0]
    print(f"ifupdown2 ifup -a, interfaces each needing a DAD wait, median of {runs} (seconds)")
    print(f"{'interfaces':>10} {'addon':>7} {'x 1 iface':>10} {'scripts':>8} {'x 1 iface':>10}")
    for count, (with_addon_s, scripts_s) in rows.items():
        print(
            f"{count:>10} {with_addon_s:7.2f} {with_addon_s / one:9.2f}x {scripts_s:8.2f} {scripts_s / rows[1][1]:9.2f}x"
        )
    if ng_rows:
        print("ifupdown-ng ifup -a (hooks per interface; it makes no call before or after all of them)")
        for count, seconds in ng_rows.items():
            print(f"{count:>10} {seconds:7.2f} {seconds / ng_rows[1]:9.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
