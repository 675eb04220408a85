"""ifupdown2's own topologies on Debian 13's kernel: a VRF, a bond and a VLAN-aware bridge.

ifupdown2 (Cumulus, Proxmox) configures these natively (`vrf-table`,
`bond-slaves`, `bridge-vlan-aware`), with netguard's addon enabled as
netguard-interfaces(5) says. One boot of a Debian 13 root with ifupdown2
(it conflicts with ifupdown: a root of its own): networking.service raises
everything; the checker, ordered after network-online.target, reads each
interface and the VRF's table, then takes the VRF's interface down with
ifupdown2's ifdown. Dummy links stand in for ports (ifupdown2's
`link-type dummy`); DAD runs on the bond and on the bridge's VLAN, which
are not NOARP.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import require
from tests.sandbox import run
from tests.vm.harness import Guest, release_roots

ROOT = "trixie-ifupdown2"
AS64500 = ["2001:db8:f000::/40", "2001:db8:f100::/48"]  # covering no address of the guest

TOPOLOGY = """\
auto lo
iface lo inet loopback

auto mgmt
iface mgmt
    vrf-table 1001

auto dum0
iface dum0
    link-type dummy
    vrf mgmt
    address 2001:db8:e::1/64
    reject-asn 64500

auto dum1
iface dum1
    link-type dummy

auto dum2
iface dum2
    link-type dummy

auto bond0
iface bond0
    bond-slaves dum1 dum2
    bond-mode active-backup
    bond-miimon 100
    address 2001:db8:b0::1/64
    up ip -6 addr add 2001:db8:b0::2/64 dev bond0
    wait-dad 10

auto dum3
iface dum3
    link-type dummy

auto br0
iface br0
    bridge-ports dum3
    bridge-vlan-aware yes
    bridge-vids 100
    bridge-stp off

auto br0.100
iface br0.100
    address 2001:db8:100::1/64
    dad off
"""

COMMANDS = {
    "vrf table": "ip -6 route show table 1001 proto netguard",
    "vrf main": "ip -6 route show proto netguard",
    "vrf ifdown": "ifdown dum0",
    "vrf table after": "ip -6 route show table 1001 proto netguard",
}
CASE = {
    "iface": "bond0",
    "addresses": ["2001:db8:b0::1", "2001:db8:b0::2"],
    "global_prefix": None,
    "interfaces": ["bond0", "br0.100", "dum0"],
    "binds": {"bond0": ["2001:db8:b0::1", "2001:db8:b0::2"], "br0.100": ["2001:db8:100::1"]},
    "commands": list(COMMANDS.values()),
}


@pytest.fixture(scope="module")
def booted(tmp_path_factory) -> dict:
    root = release_roots().get(ROOT)
    deb = Path(os.environ.get("NETGUARD_DEB", "/nonexistent"))
    if root is None or not (root / ".netguard-vm-root").exists():
        require(f"no VM root {ROOT} (NETGUARD_VM_ROOTS; make check makes it with tests/vm/make-root)")
    if not deb.is_file():
        require("NETGUARD_DEB names no .deb of this checkout (make check builds it)")
    guest = Guest(root, deb, tmp_path_factory.mktemp("vm-ifupdown2"))
    addons = "etc/network/ifupdown2/addons.conf"  # the opt-in netguard-interfaces(5) gives
    opt_in = (guest.tree / "usr/share/netguard/ifupdown2-addons.conf").read_text()
    guest.write(addons, (guest.tree / addons).read_text() + opt_in)
    # ifupdown2's vrf addon writes its table map into /etc/iproute2/rt_tables.d, which Debian 13's
    # iproute2 no longer creates (its defaults moved to /usr/share/iproute2): without it no VRF
    # is made ("No such file or directory: .../ifupdown2_vrf_map.conf"); an admin makes it once.
    (guest.tree / "etc/iproute2/rt_tables.d").mkdir(parents=True, exist_ok=True)
    conf = (guest.tree / "etc/netguard/netguard.conf").read_text()
    guest.write("etc/netguard/netguard.conf", conf + "Reject-Allow-Special: yes\n")  # documentation prefixes
    guest.write("tmp/as64500", "\n".join(AS64500) + "\n")
    run("chroot", str(guest.tree), "netguard", "import", "64500", "/tmp/as64500")
    result = guest.boot(TOPOLOGY, CASE, "ifupdown2")
    result["ran"] = dict(zip(COMMANDS, result["commands"], strict=True))
    print("ifupdown2 topology boot:", result["boot_seconds"], "s")
    return result


def test_the_bond_is_usable_at_network_online(booted):
    bond = booted["interfaces"]["bond0"]
    assert bond["binds"] == {"2001:db8:b0::1": 0, "2001:db8:b0::2": 0}, bond
    assert not [a for a in bond["inet6"] if {"tentative", "dadfailed"} & set(a["flags"])], bond
    assert booted["units"]["networking.service"]["Result"] == "success", booted["units"]


def test_dad_off_on_a_vlan_aware_bridges_vlan(booted):
    vlan = booted["interfaces"]["br0.100"]
    assert vlan["accept_dad"] == 0, vlan
    assert vlan["binds"] == {"2001:db8:100::1": 0}, vlan
    assert not [a for a in vlan["inet6"] if "tentative" in a["flags"]], vlan


def test_reject_routes_go_to_the_vrf_table_ifupdown2_made(booted):
    ran = booted["ran"]

    def shown(name: str) -> list[str]:
        return sorted(line.split()[1] for line in ran[name]["out"].splitlines())

    assert shown("vrf table") == AS64500, (ran["vrf table"], booted["journal"][-3000:])
    assert shown("vrf main") == [], ran["vrf main"]
    assert ran["vrf ifdown"]["rc"] == 0, ran["vrf ifdown"]
    assert shown("vrf table after") == [], ran["vrf table after"]
    status = json.loads(booted["status"])["interfaces"]["dum0"]
    assert status["reject"]["inet6"]["table"] == 1001, status
