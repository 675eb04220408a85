"""Installing and removing reject routes: netguard's apply path against the alternatives.

In one throwaway namespace, for 1k/10k/100k unreachable routes: netguard's
struct-packed netlink batches (apply.change_routes), `ip -batch`, pyroute2
one call per route (1k/10k), and the blog's loop of one `ip route add`
process per route (1k). (The whole reconcile path is bench/reject_hook.py.)
Prefixes: real IPv4 prefixes from ../shared/data (RouteViews 2015) when it is
there, else synthetic ones. Usage (root): python3 -m bench.routes
"""

from __future__ import annotations

import gzip
import ipaddress
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import timed

CHECKOUT = Path(__file__).resolve().parent.parent
DATA = CHECKOUT.parent / "shared" / "data" / "ipasn6_20151101.dat.gz"
PROTOCOL = 241


def prefixes(count: int) -> list[ipaddress.IPv4Network]:
    """Real, distinct IPv4 prefixes from the 2015 table (or synthetic /24s)."""
    found: dict[ipaddress.IPv4Network, None] = {}
    if DATA.exists():
        with gzip.open(DATA, "rt") as handle:
            for line in handle:
                if line.startswith(";") or ":" in line:
                    continue
                found[ipaddress.ip_network(line.split("\t")[0])] = None
                if len(found) >= count:
                    break
    base = int(ipaddress.ip_address("11.0.0.0"))
    while len(found) < count:
        found[ipaddress.ip_network((base + len(found) * 256, 24))] = None
    return list(found)


def count_ours() -> int:
    from netguard import state

    return len(state.netguard_routes(socket.AF_INET, PROTOCOL))


def ip_batch(verb: str, nets: list) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".batch") as batch:
        batch.write("".join(f"route {verb} unreachable {n} proto {PROTOCOL}\n" for n in nets))
        batch.flush()
        subprocess.run(["ip", "-batch", batch.name], check=True)


def netguard_apply(delete: list, add: list) -> None:
    from netguard import apply
    from netguard.prefixes.prefix import parse

    failures = apply.change_routes([parse(str(n)) for n in delete], [parse(str(n)) for n in add], PROTOCOL)
    assert not failures, failures[:3]


def pyroute2_calls(verb: str, nets: list) -> None:
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        for n in nets:
            ipr.route(verb, dst=str(n), type="unreachable", proto=PROTOCOL)


def blog_loop(nets: list) -> None:
    for n in nets:
        subprocess.run(
            ["ip", "route", "add", "unreachable", str(n), "proto", str(PROTOCOL)], stderr=subprocess.DEVNULL
        )


def row(name: str, size: int, add: float, delete: float | None) -> None:
    rate = size / add
    shown_delete = f"{delete:9.3f}" if delete is not None else f"{'-':>9}"
    print(f"{name:34} {size:>7} {add:9.3f} {shown_delete} {rate:12,.0f}")


def inside() -> None:
    sys.path.insert(0, str(CHECKOUT))
    every = prefixes(100_000)
    print(f"{'method':34} {'routes':>7} {'add s':>9} {'delete s':>9} {'adds/s':>12}")
    for size in (1_000, 10_000, 100_000):
        nets = every[:size]
        add = timed(netguard_apply, [], nets)
        assert count_ours() == size
        delete = timed(netguard_apply, nets, [])
        row("netguard apply (netlink batches)", size, add, delete)
        add = timed(ip_batch, "add", nets)
        assert count_ours() == size
        delete = timed(ip_batch, "del", nets)
        row("ip -batch", size, add, delete)
        if size <= 10_000:
            add = timed(pyroute2_calls, "add", nets)
            delete = timed(pyroute2_calls, "del", nets)
            row("pyroute2, one call per route", size, add, delete)
        if size == 1_000:
            add = timed(blog_loop, nets)
            netguard_apply(nets, [])
            row("blog: one `ip route add` per route", size, add, None)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--inside":
        inside()
        return 0
    if os.geteuid() != 0:
        print("needs root (network namespace)", file=sys.stderr)
        return 1
    name = f"ngbench{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        print(
            f"unreachable routes in a fresh namespace; {os.cpu_count()} cores; source: "
            f"{'RouteViews 2015 IPv4 prefixes' if DATA.exists() else 'synthetic /24s'}"
        )
        env = {**os.environ, "PYTHONPATH": str(CHECKOUT)}
        subprocess.run(
            ["ip", "netns", "exec", name, sys.executable, __file__, "--inside"], check=True, env=env
        )
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
