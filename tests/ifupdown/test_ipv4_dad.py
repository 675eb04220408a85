"""`ipv4-dad` with the real ifup in namespaces: the other host is the peer's own kernel.

The peer simply holds the address (its kernel answers our ARP probes, as a
real duplicate would); a peer that only probes is a raw-socket script of
the test's own; a bridge with hairpin on sends our own probes back to us;
iputils' `arping -D` runs on the same cases as the comparison.
"""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest

from tests.conftest import require
from tests.sandbox import linked_pair, veth

pytestmark = pytest.mark.ifupdown

ADDRESS = "192.0.2.10"
STANZA = f"""\
auto eth0
iface eth0 inet static
    address {ADDRESS}/24
    ipv4-dad on
"""


def mac(namespace, iface: str = "eth0") -> str:
    return namespace.exec("cat", f"/sys/class/net/{iface}/address").stdout.strip()


def addresses(host) -> str:
    return host.exec("ip", "-4", "-o", "addr", "show", "dev", "eth0").stdout


def arping_duplicate(namespace, address: str) -> int:
    """iputils' arping -D: exit 1 when anybody answered, 0 when none did."""
    if not shutil.which("arping"):
        require("iputils-arping is not installed (make deps installs it)")
    done = namespace.exec("arping", "-D", "-q", "-c", "2", "-w", "2", "-I", "eth0", address, check=False)
    return done.returncode


def ifup_while_capturing(host, namespace, seconds: int, *direction: str):
    """ifup eth0 while tcpdump captures ARP on the namespace's eth0 for `seconds`:
    (ifup's result, what tcpdump printed)."""
    sniffer = namespace.popen("timeout", str(seconds), "tcpdump", "-l", "-n", *direction, "-i", "eth0", "arp")
    time.sleep(0.5)  # tcpdump is listening
    result = host.ifup("eth0", check=False)
    out, _ = sniffer.communicate(timeout=10)
    return result, out


def test_a_peer_holding_the_address_fails_ifup_naming_its_mac_and_the_address_is_never_added(
    make_host, make_namespace
):
    host, peer = linked_pair(make_host, make_namespace)
    peer.exec("ip", "addr", "add", f"{ADDRESS}/24", "dev", "eth0")
    host.write_interfaces(STANZA)
    started = time.monotonic()
    result = host.ifup("eth0", check=False)
    took = time.monotonic() - started
    assert result.returncode != 0
    line = f"netguard: eth0: ipv4-dad: {ADDRESS} is in use by {mac(peer)}"
    assert line in result.stderr, result.stderr
    assert ADDRESS not in addresses(host)
    assert took < 5, took
    status = host.netguard("status", "--json").stdout
    assert f'"{ADDRESS}"' in status and "in use" in status and mac(peer) in status, status
    host.exec("ip", "link", "set", "eth0", "up")
    assert arping_duplicate(host, ADDRESS) == 1  # iputils agrees: a duplicate


def test_a_free_address_comes_up_and_neighbours_learn_our_mac_at_once(make_host, make_namespace):
    host, peer = linked_pair(make_host, make_namespace)
    peer.exec("ip", "addr", "add", "192.0.2.20/24", "dev", "eth0")
    # A stale entry in the peer: the address was last seen at another MAC (a moved failover IP).
    peer.exec("ip", "neigh", "replace", ADDRESS, "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "stale")
    time.sleep(1.2)  # older than the neighbour entry's locktime (1 s), as a stale entry is
    host.write_interfaces(STANZA)
    result = host.ifup("eth0", check=False)
    assert result.returncode == 0, result.stderr
    assert ADDRESS in addresses(host)
    deadline = time.monotonic() + 1.0
    while mac(host) not in peer.exec("ip", "neigh", "show", ADDRESS, "dev", "eth0").stdout:
        assert time.monotonic() < deadline, peer.exec("ip", "neigh", "show", "dev", "eth0").stdout
        time.sleep(0.05)
    assert '"free"' in host.netguard("status", "--json").stdout
    host.ifdown("eth0")


def test_an_up_line_address_in_use_fails_post_up_and_warns_under_warn(make_host, make_namespace):
    host, peer = linked_pair(make_host, make_namespace)
    peer.exec("ip", "addr", "add", "192.0.2.11/24", "dev", "eth0")
    host.write_interfaces(STANZA + "    up ip addr add 192.0.2.11/24 dev eth0\n")
    result = host.ifup("eth0", check=False)
    assert result.returncode != 0
    assert f"netguard: eth0: ipv4-dad: 192.0.2.11 is in use by {mac(peer)}" in result.stderr, result.stderr
    host.exec("ifdown", "--force", "--state-dir", host.state_dir, "eth0", check=False)
    host.write_interfaces(STANZA + "    up ip addr add 192.0.2.11/24 dev eth0\n    ipv4-dad-failure warn\n")
    result = host.ifup("eth0", check=False)
    assert result.returncode == 0, result.stderr
    assert "ipv4-dad: warning: 192.0.2.11 is in use by" in result.stderr, result.stderr


def test_under_warn_an_address_in_use_is_never_announced(make_host, make_namespace):
    """Announcing would take the address from the host that holds it: under `warn` ifup goes
    on and the address is added, but no announcement (who-has A tell A) goes out for it."""
    host, peer = linked_pair(make_host, make_namespace)
    peer.exec("ip", "addr", "add", f"{ADDRESS}/24", "dev", "eth0")
    host.write_interfaces(STANZA + "    ipv4-dad-failure warn\n")
    result, out = ifup_while_capturing(host, peer, 4)
    assert result.returncode == 0, result.stderr
    assert f"ipv4-dad: warning: {ADDRESS} is in use by {mac(peer)}" in result.stderr, result.stderr
    assert f"who-has {ADDRESS} tell 0.0.0.0".encode() in out, out  # the probe: the test can see
    assert f"who-has {ADDRESS} tell {ADDRESS}".encode() not in out, out
    assert '"in use"' in host.netguard("status", "--json").stdout


def test_a_primary_not_checked_in_pre_up_is_probed_in_post_up(make_host, make_namespace):
    """No carrier at pre-up (not checked), carrier by post-up: the primary is probed then,
    and announced only once found free, never taken as free on pre-up's word."""
    host, peer = linked_pair(make_host, make_namespace)
    peer.exec("ip", "link", "set", "eth0", "down")
    up = f"    up ip -n {peer.name} link set eth0 up && sleep 0.3\n"
    host.write_interfaces(STANZA + "    ipv4-dad-failure warn\n" + up)
    host.exec("ip", "link", "set", "eth0", "up")  # to capture what it sends: a down peer can't
    result, out = ifup_while_capturing(host, host, 5)
    assert result.returncode == 0, result.stderr
    assert f"{ADDRESS} not checked: no carrier on eth0" in result.stderr, result.stderr
    probe, announcement = f"who-has {ADDRESS} tell 0.0.0.0", f"who-has {ADDRESS} tell {ADDRESS}"
    text = out.decode()
    assert probe in text and announcement in text, text
    assert text.index(probe) < text.index(announcement), text
    status = json.loads(host.netguard("status", "--json").stdout)
    assert status["interfaces"]["eth0"]["ipv4_dad"][ADDRESS]["status"] == "free", status


RIVAL = """
import socket, struct, sys, time
iface, address = sys.argv[1], socket.inet_aton(sys.argv[2])
sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0806))
sock.bind((iface, 0x0806))
own = bytes(int(x, 16) for x in open(f"/sys/class/net/{iface}/address").read().split(":"))
probe = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, own, bytes(4), bytes(6), address)
end = time.monotonic() + float(sys.argv[3])
while time.monotonic() < end:   # a host probing for the same address, never holding it
    sock.sendto(probe, (iface, 0x0806, 0, 0, b"\\xff" * 6))
    time.sleep(0.02)
"""


def test_a_simultaneous_probe_is_a_conflict(make_host, make_namespace):
    host, peer = linked_pair(make_host, make_namespace)
    rival = peer.popen_python(RIVAL, "eth0", ADDRESS, "5")
    try:
        time.sleep(0.2)
        host.write_interfaces(STANZA)
        result = host.ifup("eth0", check=False)
    finally:
        rival.kill()
        rival.wait()
    assert result.returncode != 0
    assert f"{ADDRESS} is in use by {mac(peer)} (it probes for it at the same time)" in result.stderr


def test_own_probes_echoed_by_a_hairpin_bridge_are_no_conflict(make_host, make_namespace):
    """The host's eth0 is a port of a bridge (in another namespace) with hairpin on: our
    probes come back to us with our own MAC as sender."""
    host = make_host("ngh")
    switch = make_namespace("ngs")
    veth(host, "eth0", switch, "port0")
    switch.exec("ip", "link", "add", "br0", "type", "bridge")
    switch.exec("ip", "link", "set", "port0", "master", "br0")
    switch.exec("ip", "link", "set", "port0", "type", "bridge_slave", "hairpin", "on")
    switch.exec("ip", "link", "set", "port0", "up")
    switch.exec("ip", "link", "set", "br0", "up")
    host.exec("ip", "link", "set", "eth0", "up")
    host.write_interfaces(STANZA)
    result, out = ifup_while_capturing(host, host, 4, "-Q", "in")
    assert result.returncode == 0, result.stderr
    assert ADDRESS in addresses(host)
    # The echo is real: our own probes came back in through eth0 (and were rightly ignored).
    assert re.search(rb"who-has 192\.0\.2\.10 tell 0\.0\.0\.0", out), out


def test_no_carrier_is_named_and_never_reported_free(make_host, make_namespace):
    host, peer = linked_pair(make_host, make_namespace)
    peer.exec("ip", "link", "set", "eth0", "down")  # the veth has no carrier while its peer is down
    host.write_interfaces(STANZA)
    result = host.ifup("eth0", check=False)
    assert result.returncode == 0, result.stderr
    assert f"ipv4-dad: warning: {ADDRESS} not checked: no carrier on eth0" in result.stderr, result.stderr
    status = host.netguard("status", "--json").stdout
    assert "not checked" in status and '"free"' not in status, status


@pytest.mark.parametrize(
    "address, why",
    [
        ("0.0.0.0/8", "is not a host address"),
        ("255.255.255.255/32", "is not a host address"),
        ("224.0.0.5/24", "is a multicast address"),
        ("192.0.2.010/24", "is not an IPv4 address"),
    ],
)
def test_addresses_that_cannot_be_probed_are_one_line_each_and_nothing_is_sent(
    make_host, make_namespace, address, why
):
    host, peer = linked_pair(make_host, make_namespace)
    host.write_interfaces(STANZA.replace(f"{ADDRESS}/24", address))
    result, out = ifup_while_capturing(host, peer, 3)
    lines = [line for line in result.stderr.splitlines() if "ipv4-dad" in line]
    assert len(lines) == 1 and why in lines[0] and "not probed" in lines[0], result.stderr
    assert not re.search(rb"who-has", out), out


def test_a_point_to_point_slash_32_works(make_host, make_namespace):
    host, peer = linked_pair(make_host, make_namespace)
    host.write_interfaces(STANZA.replace("/24", "/32") + "    pointopoint 192.0.2.1\n")
    result = host.ifup("eth0", check=False)
    assert result.returncode == 0, result.stderr
    assert f"{ADDRESS} peer 192.0.2.1/32" in addresses(host) or ADDRESS in addresses(host)
    peer.exec("ip", "addr", "add", f"{ADDRESS}/32", "dev", "eth0")
    host.ifdown("eth0")
    result = host.ifup("eth0", check=False)
    assert result.returncode != 0 and f"{ADDRESS} is in use by {mac(peer)}" in result.stderr


def test_off_sends_nothing(make_host, make_namespace):
    host, peer = linked_pair(make_host, make_namespace)
    peer.exec("ip", "addr", "add", f"{ADDRESS}/24", "dev", "eth0")
    host.write_interfaces(STANZA.replace("ipv4-dad on", "ipv4-dad off"))
    result = host.ifup("eth0", check=False)
    assert result.returncode == 0, result.stderr  # the duplicate goes unnoticed, as without netguard
    assert "ipv4-dad" not in result.stderr
