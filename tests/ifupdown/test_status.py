"""`netguard status --json` checked against the kernel's own view (ip -j)."""

from __future__ import annotations

import json

import pytest

from tests.sandbox import veth

pytestmark = pytest.mark.ifupdown


def test_status_json_matches_the_kernel(make_host, make_namespace):
    host = make_host("ngs", "Reject-Allow-Special: yes\n")
    peer = make_namespace("ngp")
    veth(host, "eth0", peer, "eth0")
    peer.exec("ip", "link", "set", "eth0", "up")
    peer.exec("ip", "-6", "addr", "add", "2001:db8::3/64", "dev", "eth0", "nodad")  # a duplicate of ours
    listing = host.netguard_state.parent / "as64500.txt"
    listing.write_text("2001:db8:100::/48\n2001:db8:200::/48\n2001:db8:300::/48\n")
    host.netguard("import", "64500", str(listing))
    host.write_interfaces(
        "iface eth0 inet6 static\n    address 2001:db8::1/64\n    up ip -6 addr add 2001:db8::3/64 dev eth0\n"
        "    wait-dad 5\n    wait-dad-failure warn\n    reject-asn 64500\n"
    )
    host.ifup("eth0")
    host.exec("ip", "-6", "route", "del", "unreachable", "2001:db8:200::/48", "proto", "netguard")
    host.exec("ip", "-6", "route", "add", "unreachable", "2001:db8:900::/48", "proto", "netguard")

    report = json.loads(host.netguard("status", "--json").stdout)
    eth0 = report["interfaces"]["eth0"]
    assert eth0["options"] == {"wait-dad": "5", "wait-dad-failure": "warn", "reject-asn": "64500"}
    assert eth0["exists"] and eth0["carrier"]

    kernel = json.loads(host.exec("ip", "-j", "-6", "addr", "show", "dev", "eth0").stdout)[0]["addr_info"]
    expected = {}
    for info in kernel:
        state = "dadfailed" if info.get("dadfailed") else "tentative" if info.get("tentative") else "ok"
        expected[info["local"]] = (info["prefixlen"], state)
    assert {a["address"]: (a["prefixlen"], a["dad"]) for a in eth0["addresses"]} == expected
    assert expected["2001:db8::3"] == (64, "dadfailed")

    rejected = eth0["reject"]["inet6"]
    assert (rejected["wanted"], rejected["installed"], rejected["missing"]) == (3, 2, ["2001:db8:200::/48"])
    assert rejected["per_asn"] == {"AS64500": {"cached": 3, "covered": 2}}
    routes = json.loads(host.exec("ip", "-j", "-6", "route", "show", "proto", "netguard").stdout)
    assert report["routes"]["inet6"] == {"installed": len(routes), "extra": ["2001:db8:900::/48"]}
    cache = report["cache"]["AS64500"]
    assert (cache["ipv6"], cache["ipv4"], cache["stale"]) == (3, 0, False)
    assert cache["source"].startswith("import:")

    text = host.netguard("status", "eth0").stdout
    assert "eth0 (up): wait-dad 5, wait-dad-failure warn, reject-asn 64500" in text
    assert "reject inet6: 3 wanted, 2 installed, 1 missing (2001:db8:200::/48 ...)" in text
    assert "routes inet6: 3 installed (proto netguard), 1 extra" in text


def test_status_is_read_only_and_shows_values_as_the_hook_receives_them(make_host):
    """A corrupt wants file is named, never renamed, by status (only the locked hook sets it
    aside); two spellings of one option show the value ifupdown 0.8 exports (the later one)."""
    host = make_host("ngs")
    reject = host.netguard_state / "reject"
    reject.mkdir(parents=True, exist_ok=True)
    corrupt = reject / "inet6.eth0"
    corrupt.write_bytes(b"\x00garbage\n")
    before = sorted(p.name for p in reject.iterdir())
    host.write_interfaces(
        "iface eth0 inet6 static\n    address 2001:db8::1/64\n    Wait-Dad 3\n    wait_dad 7\n"
    )
    report = json.loads(host.netguard("status", "--json", check=False).stdout)
    assert sorted(p.name for p in reject.iterdir()) == before
    assert corrupt.read_bytes() == b"\x00garbage\n"
    assert any("corrupt" in problem for problem in report["problems"]), report["problems"]
    assert report["interfaces"]["eth0"]["options"] == {"wait-dad": "7"}
