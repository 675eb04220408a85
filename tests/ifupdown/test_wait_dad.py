"""`wait-dad` with the real ifup: every address usable when ifup returns."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.sandbox import RACE_ADDRESSES as ADDRESSES
from tests.sandbox import RACE_STANZA as STANZA
from tests.sandbox import AddressMonitor, first_event, linked_pair

pytestmark = pytest.mark.ifupdown

RUNS = 20
UP_LINE_ONLY = """\
iface eth0 inet6 manual
    up ip -6 addr add 2001:db8::2/64 dev eth0
"""


def test_wait_dad_makes_every_address_usable_20_of_20(make_host, make_namespace):
    host, _ = linked_pair(make_host, make_namespace)
    host.write_interfaces(STANZA + "    wait-dad 10\n")
    for _ in range(RUNS):
        result = host.ifup_then_bind("eth0", ADDRESSES)
        assert result["rc"] == 0, result["stderr"]
        assert result["bind"] == {"2001:db8::1": 0, "2001:db8::2": 0, "link-local": 0}
        host.ifdown("eth0")


def test_duplicate_fails_ifup_within_half_a_second_naming_the_address(make_host, make_namespace):
    host, peer = linked_pair(make_host, make_namespace)
    peer.exec("ip", "-6", "addr", "add", "2001:db8::2/64", "dev", "eth0", "nodad")
    host.write_interfaces(STANZA + "    wait-dad 10\n")
    monitor = AddressMonitor(host)
    result = host.ifup("eth0", check=False)
    returned = time.time()
    events = monitor.stop()
    assert result.returncode != 0
    assert "netguard: eth0: wait-dad: duplicate address 2001:db8::2" in result.stderr
    failed_at = first_event(events, "2001:db8::2", has="dadfailed")
    assert returned - failed_at < 0.5, f"ifup returned {returned - failed_at:.3f} s after dadfailed"
    host.exec("ifdown", "--force", "--state-dir", host.state_dir, "eth0", check=False)


def test_duplicate_with_warn_lets_ifup_succeed(make_host, make_namespace):
    host, peer = linked_pair(make_host, make_namespace)
    peer.exec("ip", "-6", "addr", "add", "2001:db8::2/64", "dev", "eth0", "nodad")
    host.write_interfaces(STANZA + "    wait-dad 10\n    wait-dad-failure warn\n")
    result = host.ifup("eth0")
    assert "netguard: eth0: wait-dad: warning: duplicate address 2001:db8::2" in result.stderr


@pytest.mark.parametrize("policy", ["fail", "warn"])
def test_no_carrier_is_named_and_ifup_returns_at_the_timeout(make_host, make_namespace, policy):
    host, peer = linked_pair(make_host, make_namespace)
    peer.exec("ip", "link", "set", "eth0", "down")
    host.write_interfaces(UP_LINE_ONLY + f"    wait-dad 2\n    wait-dad-failure {policy}\n")
    start = time.monotonic()
    result = host.ifup("eth0", check=False)
    took = time.monotonic() - start
    assert "timed out after 2 s, still waiting for: 2001:db8::2/64 (tentative)" in result.stderr
    assert "no carrier on eth0: DAD cannot complete without a link" in result.stderr
    assert 2.0 <= took < 4.0
    assert (result.returncode == 0) == (policy == "warn")


def test_wait_dad_yes_uses_the_configured_timeout(make_host, make_namespace):
    host, peer = linked_pair(make_host, make_namespace, config="Wait-Dad-Timeout: 1\n")
    peer.exec("ip", "link", "set", "eth0", "down")
    host.write_interfaces(UP_LINE_ONLY + "    wait-dad yes\n")
    result = host.ifup("eth0", check=False)
    assert "timed out after 1 s" in result.stderr


def test_inet6_auto_waits_for_the_router_advertised_address(make_host, make_namespace, tmp_path):
    host, peer = linked_pair(make_host, make_namespace)
    peer.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1")
    conf = tmp_path / "radvd.conf"
    conf.write_text(
        "interface eth0 {\n AdvSendAdvert on;\n MinRtrAdvInterval 3;\n MaxRtrAdvInterval 10;\n"
        " prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous on; };\n};\n"
    )
    radvd = subprocess.Popen(
        ["ip", "netns", "exec", peer.name, "radvd", "-n", "-C", str(conf), "-p", str(tmp_path / "radvd.pid")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Control: without wait-dad, ifup returns before the router's address is usable.
        host.write_interfaces("iface eth0 inet6 auto\n")
        host.ifup("eth0")
        early = host.exec("ip", "-6", "addr", "show", "dev", "eth0", "scope", "global").stdout
        assert "inet6 2001:db8:1:" not in early or "tentative" in early
        host.ifdown("eth0")
        host.write_interfaces("iface eth0 inet6 auto\n    wait-dad 15\n")
        result = host.ifup("eth0")
        shown = host.exec("ip", "-6", "addr", "show", "dev", "eth0", "scope", "global").stdout
        assert "inet6 2001:db8:1:" in shown, result.stderr
        assert "tentative" not in shown
    finally:
        radvd.terminate()
        radvd.wait(timeout=10)


PRIMARY_ONLY = """\
iface eth0 inet6 static
    address 2001:db8::1/64
    wait-dad 8
"""


def read_lines_with_times(process: subprocess.Popen) -> list[tuple[float, str]]:
    """Each line of the process's stderr with the wall-clock time it arrived."""
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append((time.time(), line.rstrip("\n")))
    process.wait(timeout=60)
    return lines


def test_a_duplicate_primary_address_is_named_within_half_a_second_and_ifup_fails(make_host, make_namespace):
    """ifupdown's settle-dad waits for inet6 static's address before post-up: pre-up's watcher names it."""
    host, peer = linked_pair(make_host, make_namespace)
    peer.exec("ip", "-6", "addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad")
    host.write_interfaces(PRIMARY_ONLY)
    monitor = AddressMonitor(host)
    process = subprocess.Popen(
        ["ip", "netns", "exec", host.name, "ifup", "--state-dir", host.state_dir, "eth0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines = read_lines_with_times(process)
    events = monitor.stop()
    assert process.returncode != 0
    named = [(when, line) for when, line in lines if "duplicate address 2001:db8::1" in line]
    assert named, lines
    assert named[0][1].startswith("netguard: eth0: wait-dad: duplicate address 2001:db8::1: another host")
    failed_at = first_event(events, "2001:db8::1", has="dadfailed")
    assert named[0][0] - failed_at < 0.5, f"named {named[0][0] - failed_at:.3f} s after dadfailed"
    status = host.netguard("status", "--json", "eth0")
    assert '"status": "failed"' in status.stdout and "duplicate address 2001:db8::1" in status.stdout
    host.exec("ifdown", "--force", "--state-dir", host.state_dir, "eth0", check=False)
    assert not host.exec("pgrep", "-f", "netguard.sentinel", check=False).stdout.strip()


def test_a_primary_address_without_carrier_is_named(make_host, make_namespace):
    host, peer = linked_pair(make_host, make_namespace)
    peer.exec("ip", "link", "set", "eth0", "down")
    host.write_interfaces(PRIMARY_ONLY)
    result = host.ifup("eth0", check=False)
    assert result.returncode != 0
    assert "netguard: eth0: wait-dad: still waiting after" in result.stderr
    assert "no carrier on eth0: DAD cannot complete without a link" in result.stderr
    host.exec("ifdown", "--force", "--state-dir", host.state_dir, "eth0", check=False)


def test_the_watcher_ends_with_ifup_when_all_is_well(make_host, make_namespace):
    host, _ = linked_pair(make_host, make_namespace)
    host.write_interfaces(PRIMARY_ONLY)
    host.ifup("eth0")
    time.sleep(0.3)
    assert not host.exec("pgrep", "-f", "netguard.sentinel", check=False).stdout.strip()
    host.ifdown("eth0")


@pytest.mark.parametrize("what", ["address", "interface"])
def test_what_vanishes_during_the_wait_is_a_failure_never_usable(make_host, make_namespace, what):
    """The peer is down, so the addresses stay tentative; then the up-line address (or the whole
    interface) is deleted under the waiting hook: ifup fails naming it, it does not say usable."""
    host, peer = linked_pair(make_host, make_namespace)
    peer.exec("ip", "link", "set", "eth0", "down")
    host.write_interfaces(UP_LINE_ONLY + "    wait-dad 4\n")
    ifup = subprocess.Popen(
        ["ip", "netns", "exec", host.name, "ifup", "--state-dir", host.state_dir, "eth0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 3
    while "2001:db8::2" not in host.exec("ip", "-6", "addr", "show", "dev", "eth0").stdout:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)  # the hook is waiting now
    if what == "address":
        host.exec("ip", "-6", "addr", "del", "2001:db8::2/64", "dev", "eth0")
    else:
        host.exec("ip", "link", "del", "eth0")
    _out, err = ifup.communicate(timeout=30)
    assert ifup.returncode != 0, err
    expected = (
        "2001:db8::2 vanished during the wait" if what == "address" else "eth0 vanished during the wait"
    )
    assert f"netguard: eth0: wait-dad: {expected}" in err, err
    assert "every IPv6 address usable" not in err


BRIDGE = """\
iface br0 inet6 manual
    pre-up ip link add br0 type bridge stp_state 1 forward_delay 400 && ip link set eth0 master br0 && ip link set eth0 up
    up ip -6 addr add 2001:db8::2/64 dev br0
    post-down ip link del br0
    wait-dad 2
    wait-dad-failure warn
"""


def test_a_bridge_whose_port_does_not_forward_yet_is_named_with_its_stp_delay(make_host, make_namespace):
    """A bridge has carrier only once a port forwards; with STP on, that is two forward delays
    after the port's link came up. The timeout says so, with the delay, so an admin can size
    wait-dad (here 2 s against a 4 s forward delay)."""
    host, _peer = linked_pair(make_host, make_namespace)
    host.write_interfaces(BRIDGE)
    result = host.ifup("br0")
    assert (
        "no carrier on br0: no port of bridge br0 forwards yet (eth0 listening); STP is on with a "
        "forward delay of 4 s, so a port forwards about 8 s after its link came up" in result.stderr
    ), result.stderr
    host.ifdown("br0")
