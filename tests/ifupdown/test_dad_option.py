"""`dad` with the real ifup in a namespace: the blog's race, closed at its root."""

from __future__ import annotations

import json

import pytest

from tests.sandbox import CHECKOUT, linked_pair
from tests.sandbox import RACE_ADDRESSES as ADDRESSES
from tests.sandbox import RACE_STANZA as STANZA

pytestmark = pytest.mark.ifupdown

EADDRNOTAVAIL = 99
RUNS = 20


def cycle(host, runs: int) -> list[dict]:
    results = []
    for _ in range(runs):
        results.append(host.ifup_then_bind("eth0", ADDRESSES))
        host.ifdown("eth0")
    return results


def test_without_netguard_the_up_line_address_is_still_tentative(make_host, make_namespace):
    """The race is real: ifupdown waits for its primary address only."""
    host, _ = linked_pair(make_host, make_namespace)
    host.write_interfaces(STANZA)
    results = cycle(host, RUNS)
    assert all(r["rc"] == 0 for r in results)
    failed = sum(r["bind"]["2001:db8::2"] == EADDRNOTAVAIL for r in results)
    assert failed > RUNS // 2, f"bind failed on the up-line address in only {failed}/{RUNS} runs"
    # ifupdown's own settle-dad covers the primary address.
    assert all(r["bind"]["2001:db8::1"] == 0 for r in results)


def test_dad_off_makes_every_address_usable_at_once(make_host, make_namespace):
    host, _ = linked_pair(make_host, make_namespace)
    host.write_interfaces(STANZA + "    dad off\n")
    results = cycle(host, RUNS)
    for result in results:
        assert result["rc"] == 0, result["stderr"]
        assert result["bind"] == {"2001:db8::1": 0, "2001:db8::2": 0, "link-local": 0}
    # ifdown gave the interface back what it had before netguard: DAD on.
    assert host.exec("cat", "/proc/sys/net/ipv6/conf/eth0/accept_dad").stdout.strip() == "1"


def accept_dad(host, key: str = "accept_dad") -> str:
    return host.exec("cat", f"/proc/sys/net/ipv6/conf/eth0/{key}").stdout.strip()


def test_dad_off_holds_while_up_and_ifdown_undoes_it_even_after_the_option_was_removed(
    make_host, make_namespace
):
    host, _ = linked_pair(make_host, make_namespace)
    host.write_interfaces(STANZA + "    dad off\n")
    host.ifup("eth0")
    assert accept_dad(host) == "0"
    host.write_interfaces(STANZA)  # the admin removes the option while eth0 is up
    host.ifdown("eth0")
    assert accept_dad(host) == "1"
    assert not (host.netguard_state / "applied" / "eth0").exists()


def test_dad_on_after_optimistic_gives_back_what_optimistic_set(make_host, make_namespace):
    host, _ = linked_pair(make_host, make_namespace)
    host.write_interfaces(STANZA + "    dad optimistic\n")
    host.ifup("eth0")
    assert (accept_dad(host, "optimistic_dad"), accept_dad(host, "use_optimistic")) == ("1", "1")
    host.write_interfaces(STANZA + "    dad on\n")  # edited, then ifup again without ifdown
    host.exec("ifup", "--force", "--state-dir", host.state_dir, "eth0")
    assert (accept_dad(host, "optimistic_dad"), accept_dad(host, "use_optimistic")) == ("0", "0")
    host.ifdown("eth0")
    assert (accept_dad(host), accept_dad(host, "optimistic_dad")) == ("1", "0")


def test_dad_on_restores_the_kernel_default(make_host, make_namespace):
    host, _ = linked_pair(make_host, make_namespace)
    host.exec("sysctl", "-q", "-w", "net.ipv6.conf.eth0.accept_dad=0")
    host.write_interfaces(STANZA + "    dad on\n")
    host.ifup("eth0")
    assert host.exec("cat", "/proc/sys/net/ipv6/conf/eth0/accept_dad").stdout.strip() == "1"


def test_all_accept_dad_overriding_is_reported(make_host, make_namespace):
    host, _ = linked_pair(make_host, make_namespace)
    host.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=1")
    host.write_interfaces(STANZA + "    dad off\n")
    result = host.ifup("eth0")
    assert "netguard: eth0: dad: warning: net.ipv6.conf.all.accept_dad is 1" in result.stderr


def test_bad_value_stops_ifup_in_pre_up_and_leaves_the_link_down(make_host, make_namespace):
    host, _ = linked_pair(make_host, make_namespace)
    host.write_interfaces(STANZA + "    dad perhaps\n")
    result = host.ifup("eth0", check=False)
    assert result.returncode != 0
    assert "netguard: eth0: dad: bad value 'perhaps'; accepted: off, on, optimistic" in result.stderr
    link = host.exec("ip", "-o", "link", "show", "eth0").stdout
    assert ",UP" not in link and "<UP" not in link
    assert "2001:db8" not in host.exec("ip", "-6", "addr", "show", "dev", "eth0").stdout


def test_ifup_all_with_netguard_options(make_host, make_namespace):
    """`ifup -a` calls hooks once with IFACE=--all; netguard must ignore that call."""
    host, _ = linked_pair(make_host, make_namespace)
    host.write_interfaces("auto lo\niface lo inet loopback\n\nauto eth0\n" + STANZA + "    dad off\n")
    result = host.exec("ifup", "-a", "--state-dir", host.state_dir)
    assert result.returncode == 0
    assert "2001:db8::2/64 scope global \n" in host.exec("ip", "-6", "addr", "show", "dev", "eth0").stdout


def test_dad_optimistic_makes_addresses_usable_and_still_detects_duplicates(make_host, make_namespace):
    host, peer = linked_pair(make_host, make_namespace)
    host.write_interfaces(STANZA + "    dad optimistic\n    up ip -6 addr add 2001:db8::3/64 dev eth0\n")
    for _ in range(5):
        result = host.ifup_then_bind("eth0", [*ADDRESSES, "2001:db8::3"])
        assert result["rc"] == 0, result["stderr"]
        assert result["bind"] == {"2001:db8::1": 0, "2001:db8::2": 0, "2001:db8::3": 0, "link-local": 0}
        host.ifdown("eth0")
    # DAD still runs: a peer holding 2001:db8::3 makes it dadfailed, as without netguard.
    peer.exec("ip", "-6", "addr", "add", "2001:db8::3/64", "dev", "eth0", "nodad")
    host.write_interfaces(STANZA + "    dad optimistic\n    up ip -6 addr add 2001:db8::3/64 dev eth0\n")
    host.ifup("eth0")
    waiter = host.exec("/usr/bin/python3", "-c", WAIT_FOR_DADFAILED, "2001:db8::3", check=False, timeout=30)
    assert waiter.returncode == 0, waiter.stderr


def test_dad_optimistic_keeps_each_addresss_flags_and_lifetimes(make_host, make_namespace):
    host, _ = linked_pair(make_host, make_namespace)
    line = "up ip -6 addr add 2001:db8::3/64 dev eth0 preferred_lft 0 valid_lft 3600 noprefixroute"
    host.write_interfaces(STANZA + f"    dad optimistic\n    {line}\n")
    host.ifup("eth0")
    shown = json.loads(host.exec("ip", "-j", "-6", "addr", "show", "dev", "eth0").stdout)[0]["addr_info"]
    (address,) = [a for a in shown if a["local"] == "2001:db8::3"]
    assert address.get("noprefixroute") is True  # kept, not dropped by the replace
    assert address["preferred_life_time"] == 0  # still deprecated, not made infinite
    assert 3500 < address["valid_life_time"] <= 3600
    routes = host.exec("ip", "-6", "route", "show", "dev", "eth0").stdout
    assert "2001:db8::/64" in routes  # from the primary address; noprefixroute added none of its own
    host.ifdown("eth0")


# Watches with plain ip(8) so this test does not depend on netguard's own waiter.
WAIT_FOR_DADFAILED = """
import subprocess, sys, time
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    out = subprocess.run(["ip", "-6", "addr", "show", "dev", "eth0", "dadfailed"], capture_output=True, text=True).stdout
    if sys.argv[1] + "/" in out:
        sys.exit(0)
    time.sleep(0.1)
sys.exit("no dadfailed")
"""


def test_interface_created_after_netguard_in_pre_up_is_waited_for(make_host):
    """Like the vlan package's hook, which sorts after `netguard`: the interface appears too late."""
    host = make_host("ngv")
    creator = host.etc / "network" / "if-pre-up.d" / "zzcreate"
    creator.write_text(
        "#!/bin/sh\n"
        '[ "$IFACE" = eth5 ] || exit 0\n'
        "ip link add eth5 type veth peer name eth5p && ip link set eth5p up\n"
    )
    creator.chmod(0o755)
    host.write_interfaces(STANZA.replace("eth0", "eth5") + "    dad off\n")
    result = host.exec(
        "/usr/bin/python3", str(CHECKOUT / "tests" / "bindprobe.py"), "eth5", *ADDRESSES,
        "--", "ifup", "--state-dir", host.state_dir, "eth5",
    )  # fmt: skip
    probe = json.loads(result.stdout)
    assert "netguard: eth5: dad: warning: eth5 does not exist yet in pre-up" in probe["stderr"]
    assert probe["rc"] == 0
    assert probe["bind"] == {"2001:db8::1": 0, "2001:db8::2": 0, "link-local": 0}
