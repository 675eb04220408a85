"""`make demo`: netguard against the blog's DAD race, in throwaway namespaces.

Two namespaces joined by a veth; the real ifup brings up the same stanza
three ways and a service-like bind() runs the instant ifup returns. Then a
peer claims our address, to show a duplicate being named. Nothing outside
the namespaces is touched, and everything is removed at the end.
"""

from __future__ import annotations

import os
import sys
import time

from tests import sandbox
from tests.sandbox import RACE_ADDRESSES as ADDRESSES
from tests.sandbox import RACE_STANZA as STANZA


def show(title: str, host: sandbox.IfupdownHost, extra: str) -> None:
    host.write_interfaces(STANZA + extra)
    start = time.monotonic()
    result = host.ifup_then_bind("eth0", ADDRESSES)
    took = time.monotonic() - start
    binds = ", ".join(f"{a} {'ok' if e == 0 else os.strerror(e)}" for a, e in result["bind"].items())
    print(f"\n== {title}\n   ifup exit {result['rc']} after {took:.2f} s; bind() right after: {binds}")
    for line in result["stderr"].splitlines():
        if line.startswith("netguard"):
            print("   " + line)
    host.ifdown("eth0", check=False)


def main() -> int:
    if os.geteuid() != 0:
        print("make demo needs root (it creates network namespaces)", file=sys.stderr)
        return 1
    with sandbox.throwaway_link("ngdemo", "ngpeer") as (host, peer):
        print(f"namespaces {host.name} (runs ifup) and {peer.name} (the link peer), joined by a veth")
        print("stanza:\n" + "".join("   " + line + "\n" for line in STANZA.splitlines()))
        show("plain ifupdown (waits for the primary address only)", host, "")
        show("dad off (no address is ever tentative)", host, "    dad off\n")
        host.exec("sysctl", "-q", "-w", "net.ipv6.conf.eth0.accept_dad=1")
        show("wait-dad 5 (ifup returns once every address is usable)", host, "    wait-dad 5\n")
        # nodad: the peer's address is valid at once, so it defends it against our DAD probe.
        peer.exec("ip", "-6", "addr", "add", "2001:db8::2/64", "dev", "eth0", "nodad")
        show("wait-dad 5, while the peer already uses 2001:db8::2", host, "    wait-dad 5\n")
    print("\nnamespaces removed")
    show_reject_asn()
    return 0


def show_reject_asn() -> None:
    """The blog's second problem: IPv6 to one network broken; a client connecting by name."""
    from tests import broken_path as bp

    print("\n== reject-asn: the router drops IPv6 towards far.example's network (no ICMP), IPv4 works")
    client = bp.CLIENTS["python socket.create_connection"]
    with bp.broken_path("ngdr") as path:
        bp.import_far_as(path)
        path.break_ipv6()
        for title, extra in (("without netguard", ""), ("with reject-asn 64500", "    reject-asn 64500\n")):
            path.host.write_interfaces(bp.STANZA + extra)
            path.host.ifup("eth0")
            took, via = bp.time_client(path, client, cap=10)
            shown = (
                f"still waiting after {took:.0f} s (stopped)"
                if took >= 10
                else f"{took * 1000:.0f} ms, via {via}"
            )
            print(f"   {title}: python socket.create_connection('far.example', ...): {shown}")
            path.host.ifdown("eth0")
    print("namespaces removed")


if __name__ == "__main__":
    sys.exit(main())
