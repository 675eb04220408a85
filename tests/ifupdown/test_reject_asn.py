"""`reject-asn` with the real ifup/ifdown: exact, reversible, shared, parallel, safe."""

from __future__ import annotations

import ipaddress
import json
import subprocess

import pytest

from tests.sandbox import veth

pytestmark = pytest.mark.ifupdown

LAB = "Reject-Allow-Special: yes\n"  # the tests use documentation prefixes (RFC 3849, 5737)
AS64500 = ["2001:db8:100::/40", "2001:db8:100:5::/64", "2001:db8:200::/48", "198.51.100.0/24"]
AS64501 = ["2001:db8:200::/48", "2001:db8:300::/48"]
COLLAPSED_V6 = ["2001:db8:100::/40", "2001:db8:200::/48", "2001:db8:300::/48"]


def stanza(iface: str, options: str, family: str = "inet6") -> str:
    method = f"iface {iface} {family} manual\n" if family == "inet6" else f"iface {iface} inet manual\n"
    return method + f"    {options}\n"


def import_asn(host, asn: int, prefixes: list[str]) -> None:
    listing = host.netguard_state.parent / f"as{asn}.txt"  # not under /etc/netns: ip netns exec would bind it
    listing.write_text("\n".join(prefixes) + "\n")
    host.netguard("import", str(asn), str(listing))


def routes(host, family: str = "-6") -> list[str]:
    shown = host.exec("ip", family, "route", "show", "proto", "netguard").stdout
    return sorted(line.split()[1] for line in shown.splitlines())


@pytest.fixture
def host(make_host, make_namespace):
    host = make_host("ngr", LAB)
    peer = make_namespace("ngp")
    for n in range(2):
        veth(host, f"eth{n}", peer, f"eth{n}")
    import_asn(host, 64500, AS64500)
    import_asn(host, 64501, AS64501)
    return host


def test_up_installs_exactly_the_collapsed_set_and_down_removes_it(host):
    host.write_interfaces(stanza("eth0", "reject-asn 64500 AS64501"))
    host.ifup("eth0")
    assert routes(host) == COLLAPSED_V6
    assert routes(host, "-4") == []  # an inet6 stanza installs IPv6 prefixes only
    for probe in ("2001:db8:1ff::1", "2001:db8:200::1", "2001:db8:300:1::1"):
        got = host.exec("ip", "-6", "route", "get", probe, check=False)
        assert got.returncode != 0 and "No route to host" in got.stderr  # the unreachable route answers
    connect = host.python(
        "import socket; s = socket.socket(socket.AF_INET6); s.connect(('2001:db8:300::1', 80))", check=False
    )
    assert "No route to host" in connect.stderr  # EHOSTUNREACH at once, no timeout
    host.ifdown("eth0")
    assert routes(host) == []


def test_ifup_twice_is_idempotent(host):
    host.write_interfaces(stanza("eth0", "reject-asn 64500 64501"))
    host.ifup("eth0")
    second = host.exec("ifup", "--force", "--state-dir", host.state_dir, "eth0")
    assert "netguard" not in second.stderr
    assert routes(host) == COLLAPSED_V6


def test_inet_stanza_installs_only_ipv4(host):
    host.write_interfaces(stanza("eth0", "reject-asn 64500", family="inet"))
    host.ifup("eth0")
    assert routes(host, "-4") == ["198.51.100.0/24"]
    assert routes(host) == []


def test_shared_asn_survives_until_the_last_interface_goes_down(host):
    host.write_interfaces(stanza("eth0", "reject-asn 64500") + stanza("eth1", "reject-asn 64501"))
    host.ifup("eth0")
    host.ifup("eth1")
    assert routes(host) == COLLAPSED_V6
    host.ifdown("eth0")
    assert routes(host) == ["2001:db8:200::/48", "2001:db8:300::/48"]  # AS64501 still wants these
    host.ifdown("eth1")
    assert routes(host) == []


def test_eight_interfaces_in_parallel_give_the_exact_union(make_host, make_namespace):
    host = make_host("ngr", LAB)
    peer = make_namespace("ngp")
    expected = set()
    text = ""
    for n in range(8):
        veth(host, f"eth{n}", peer, f"eth{n}")
        # Four /40s per AS, none adjacent (so none collapse), and one /40 every AS shares.
        prefixes = [str(ipaddress.ip_network(f"2001:db8:{n:x}{2 * k:x}00::/40")) for k in range(4)]
        prefixes.append("2001:db8:ff00::/40")
        import_asn(host, 64500 + n, prefixes)
        expected.update(prefixes)
        text += stanza(f"eth{n}", f"reject-asn {64500 + n}")
    host.write_interfaces(text)
    command = ["ip", "netns", "exec", host.name, "ifup", "--state-dir", host.state_dir]
    processes = [subprocess.Popen([*command, f"eth{n}"], stderr=subprocess.PIPE, text=True) for n in range(8)]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    assert routes(host) == sorted(expected)
    for n in range(0, 8, 2):
        host.ifdown(f"eth{n}")
    assert "2001:db8:ff00::/40" in routes(host) and len(routes(host)) == 4 * 4 + 1


def test_killed_half_way_then_ifup_again_gives_the_exact_set(make_host, make_namespace):
    host = make_host("ngr", LAB + "Reject-Max-Routes: 1000000\n")
    peer = make_namespace("ngp")
    veth(host, "eth0", peer, "eth0")
    # Every other /56, so nothing collapses: 200,000 routes (~0.5 s of batches to interrupt).
    prefixes = [f"2001:db8:{2 * n >> 8:x}:{2 * n & 0xFF:x}00::/56" for n in range(200000)]
    import_asn(host, 64500, prefixes)
    host.write_interfaces(stanza("eth0", "reject-asn 64500"))
    monitor = subprocess.Popen(
        ["ip", "netns", "exec", host.name, "ip", "monitor", "route"], stdout=subprocess.PIPE, text=True
    )
    ifup = subprocess.Popen(["ip", "netns", "exec", host.name, "ifup", "--state-dir", host.state_dir, "eth0"])
    assert monitor.stdout is not None
    seen = 0
    for line in monitor.stdout:  # the first routes arrive: the hook is in the middle of its batches
        seen += "proto netguard" in line or "proto 241" in line
        if seen >= 100 or ifup.poll() is not None:
            break
    host.kill(b"netguard.hook")  # in this namespace only: never another test's hook
    ifup.wait(timeout=60)
    monitor.terminate()
    monitor.wait(timeout=10)
    partial = int(host.exec("sh", "-c", "ip -6 route show proto netguard | wc -l").stdout)
    assert 0 < partial < len(prefixes), f"not killed half-way ({partial} routes)"
    host.exec("ifdown", "--force", "--state-dir", host.state_dir, "eth0", check=False)
    host.ifup("eth0")
    assert int(host.exec("sh", "-c", "ip -6 route show proto netguard | wc -l").stdout) == len(prefixes)


def test_unsafe_cache_entries_are_refused_one_warning_each(make_host, make_namespace):
    host = make_host("ngr", LAB)
    peer = make_namespace("ngp")
    veth(host, "eth0", peer, "eth0")
    host.write_resolv_conf("nameserver 2001:db8:dddd::53\n")
    # Written directly: `netguard import` would refuse the malformed line itself.
    host.netguard_cache.mkdir(parents=True)
    (host.netguard_cache / "AS64500").write_text(
        "ASN: 64500\nSource: test\nIPv6:\n ::/0\n 2001:db8:aaaa::/48\n 2001:db8:cccc::/48\n"
        " 2001:db8:dddd::/48\n 2001:db8:zzzz::/48\n 2001:db8:1000::/36\n 2001:db8:2000::/48\n"
    )
    host.write_interfaces(
        "iface eth0 inet6 manual\n"
        "    up ip -6 addr add 2001:db8:aaaa::2/64 dev eth0 nodad\n"
        "    up ip -6 route add default via 2001:db8:cccc::1 dev eth0 onlink\n"
        "    reject-asn 64500\n"
    )
    result = host.ifup("eth0")
    warnings = [
        line for line in result.stderr.splitlines() if line.startswith("netguard: eth0: reject-asn: warning")
    ]
    assert warnings == [
        "netguard: eth0: reject-asn: warning: AS64500: malformed cache line '2001:db8:zzzz::/48' (not an IPv4 or IPv6 address); skipped",
        "netguard: eth0: reject-asn: warning: AS64500: not installing ::/0: a default route",
        "netguard: eth0: reject-asn: warning: AS64500: not installing 2001:db8:aaaa::/48: "
        "covers this host's address 2001:db8:aaaa::2",
        "netguard: eth0: reject-asn: warning: AS64500: not installing 2001:db8:cccc::/48: "
        "covers the gateway 2001:db8:cccc::1",
        "netguard: eth0: reject-asn: warning: AS64500: not installing 2001:db8:dddd::/48: "
        "covers the nameserver 2001:db8:dddd::53",
    ]
    assert routes(host) == ["2001:db8:1000::/36", "2001:db8:2000::/48"]


def test_missing_cache_entry_warns_and_ifup_goes_on(host):
    host.write_interfaces(stanza("eth0", "reject-asn 64500 64999"))
    result = host.ifup("eth0")
    assert (
        "netguard: eth0: reject-asn: warning: AS64999 has no cache entry; run `netguard refresh 64999`"
        in result.stderr
    )
    assert "(or `netguard import`)" in result.stderr
    assert routes(host) == ["2001:db8:100::/40", "2001:db8:200::/48"]


def test_except_carves_the_complement(host):
    host.write_interfaces(stanza("eth0", "reject-asn 64500\n    reject-asn-except 2001:db8:1ab::/48"))
    host.ifup("eth0")
    installed = [ipaddress.ip_network(p) for p in routes(host)]
    excepted = ipaddress.ip_network("2001:db8:1ab::/48")
    assert not any(p.overlaps(excepted) for p in installed)
    assert len(installed) == 8 + 1  # 2001:db8:100::/40 minus a /48 is 8 prefixes; plus 2001:db8:200::/48
    reachable = host.exec("ip", "-6", "route", "get", "2001:db8:1ab::1", check=False)
    # Not our unreachable route (EHOSTUNREACH); this namespace simply has no route there (ENETUNREACH).
    assert "No route to host" not in reachable.stderr


VRF_STEP = """
import json, sys
from netguard import reconcile
from netguard.config import load_config
from netguard.wants import StanzaRecord
iface, asns, table, verb = sys.argv[1], [int(a) for a in sys.argv[2].split()], int(sys.argv[3]), sys.argv[4]
config = load_config()
if verb == "up":
    reconcile.apply_stanza(config, iface, ["inet6"], StanzaRecord(tuple(asns), (), "", (), table))
else:
    reconcile.withdraw(config, iface, ["inet6"])
"""


def table_routes(host, table: int) -> list[str]:
    shown = host.exec("ip", "-6", "route", "show", "table", str(table), "proto", "netguard").stdout
    return sorted(line.split()[1] for line in shown.splitlines())


def test_routes_of_an_interface_in_a_vrf_go_to_its_table_and_leave_from_the_recorded_one(host):
    """What post-up does for an interface enslaved to a VRF (features/reject.py records the VRF's
    table, read from the kernel: the VM tier shows that part on Debian's kernel, which has vrf),
    here with the table given, on this kernel: the routes go to that table only, a move to another
    VRF takes them from the old table, and ifdown withdraws them from the table recorded at
    install while another interface's routes in main stay."""
    eth0_v6 = ["2001:db8:100::/40", "2001:db8:200::/48"]
    host.write_interfaces(stanza("eth0", "reject-asn 64500") + stanza("eth1", "reject-asn 64501"))
    host.python(VRF_STEP, "eth0", "64500", "10", "up")
    assert table_routes(host, 10) == eth0_v6 and routes(host) == []
    host.python(VRF_STEP, "eth1", "64501", "254", "up")
    assert routes(host) == ["2001:db8:200::/48", "2001:db8:300::/48"] and table_routes(host, 10) == eth0_v6
    host.python(VRF_STEP, "eth0", "64500", "1001", "up")  # eth0 moved to another VRF, then ifup again
    assert table_routes(host, 10) == [] and table_routes(host, 1001) == eth0_v6
    report = json.loads(host.netguard("status", "--json").stdout)
    assert report["interfaces"]["eth0"]["reject"]["inet6"]["table"] == 1001
    assert report["interfaces"]["eth0"]["reject"]["inet6"]["missing"] == []
    assert report["interfaces"]["eth1"]["reject"]["inet6"]["table"] == 254
    assert report["routes"]["inet6"] == {"installed": 4, "extra": []}
    host.exec(
        "ip", "-6", "route", "add", "unreachable", "2001:db8:900::/48", "table", "1001", "proto", "netguard"
    )
    extra = json.loads(host.netguard("status", "--json").stdout)["routes"]["inet6"]["extra"]
    assert extra == ["2001:db8:900::/48 table 1001"]
    host.exec(
        "ip", "-6", "route", "del", "unreachable", "2001:db8:900::/48", "table", "1001", "proto", "netguard"
    )
    host.python(VRF_STEP, "eth0", "", "0", "down")
    assert table_routes(host, 1001) == [] and routes(host) == ["2001:db8:200::/48", "2001:db8:300::/48"]


def test_undo_all_leaves_the_network_as_without_netguard(host):
    """What the package's removal runs (prerm: `netguard undo --all`): every reject route
    withdrawn and every sysctl netguard changed given back, from the records, with the
    interfaces left up; after it, no hook of netguard's is needed to clean anything."""
    before = host.exec("sysctl", "-n", "net.ipv6.conf.eth0.accept_dad").stdout.strip()
    host.write_interfaces(
        "iface eth0 inet6 manual\n    dad off\n    reject-asn 64500\n" + stanza("eth1", "reject-asn 64501")
    )
    host.ifup("eth0")
    host.ifup("eth1")
    assert routes(host) == COLLAPSED_V6
    assert host.exec("sysctl", "-n", "net.ipv6.conf.eth0.accept_dad").stdout.strip() == "0"
    done = host.netguard("undo", "--all")
    assert done.stderr == "", done.stderr
    assert routes(host) == [] and routes(host, "-4") == []
    assert host.exec("sysctl", "-n", "net.ipv6.conf.eth0.accept_dad").stdout.strip() == before
    assert ",UP>" in host.exec("ip", "link", "show", "eth0").stdout  # left up
    assert host.netguard("undo", "--all").returncode == 0  # nothing left: nothing to do
    host.exec("ifdown", "--force", "--state-dir", host.state_dir, "eth0", "eth1", check=False)
