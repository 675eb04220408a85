"""`netguard refresh` re-applies new prefix data to interfaces that are up."""

from __future__ import annotations

import subprocess

import pytest

from tests.fakes import ripestat_answer
from tests.sandbox import CHECKOUT, veth

pytestmark = pytest.mark.ifupdown

PORT = 8053  # inside the test namespace: its own loopback, nothing shared
BEFORE = ["2001:db8:100::/48", "2001:db8:200::/48", "2001:db8:300::/48"]
AFTER = ["2001:db8:100::/48", "2001:db8:300::/48", "2001:db8:400::/48"]  # 200 withdrawn, 400 added


def routes(host) -> list[str]:
    shown = host.exec("ip", "-6", "route", "show", "proto", "netguard").stdout
    return sorted(line.split()[1] for line in shown.splitlines())


def test_refresh_changes_exactly_the_withdrawn_and_the_new_route(make_host, make_namespace):
    host = make_host(
        "ngf",
        "Reject-Allow-Special: yes\nRefresh-Sources: ripestat\n"
        f"Ripestat-Url: http://127.0.0.1:{PORT}/data/ris-prefixes/data.json\n",
    )
    peer = make_namespace("ngp")
    veth(host, "eth0", peer, "eth0")
    data = host.netguard_state.parent / "ripestat"
    data.mkdir(parents=True)
    (data / "AS64500.json").write_bytes(ripestat_answer("64500", BEFORE))
    server = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            host.name,
            "/usr/bin/python3",
            str(CHECKOUT / "tests" / "fakes.py"),
            str(data),
            str(PORT),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None and "serving" in server.stdout.readline()
        host.write_interfaces("auto eth0\niface eth0 inet6 manual\n    reject-asn 64500\n")
        first = host.netguard("refresh", "-i", "/etc/network/interfaces")
        assert "AS64500: 3 IPv6 and 0 IPv4 prefixes (announced, ripestat)" in first.stdout
        host.ifup("eth0")
        assert routes(host) == BEFORE
        (data / "AS64500.json").write_bytes(ripestat_answer("64500", AFTER))
        monitor = subprocess.Popen(
            ["ip", "netns", "exec", host.name, "ip", "monitor", "route"], stdout=subprocess.PIPE, text=True
        )
        second = host.netguard("refresh")
        assert "inet6: re-applied: +1 -1 routes" in second.stdout
        assert routes(host) == AFTER
        monitor.terminate()
        events, _ = monitor.communicate(timeout=10)
        changed = [line for line in events.splitlines() if "2001:db8:" in line]
        assert len(changed) <= 2 and all(
            "2001:db8:200::/48" in c or "2001:db8:400::/48" in c for c in changed
        )
        host.ifdown("eth0")
        assert routes(host) == []
    finally:
        server.terminate()
        server.wait(timeout=10)
