"""ifupdown2's own topologies on Debian 13's kernel: a bond and a VLAN-aware bridge.

ifupdown2 (Cumulus, Proxmox) configures these natively (`vrf-table`,
`bond-slaves`, `bridge-vlan-aware`), with netguard's addon enabled as
netguard-interfaces(5) says. One boot of a Debian 13 root with ifupdown2
(it conflicts with ifupdown: a root of its own): networking.service raises
everything; the checker, ordered after network-online.target, reads each
interface. A native VRF (`vrf-table`, `vrf`) is not here: in 1 of 4 boots
ifupdown2 said "dum0: device not found" and enslaved the member after
netguard's post-up had read its table (docs/support-matrix.md). Dummy links stand in for ports (ifupdown2's
`link-type dummy`); DAD runs on the bond and on the bridge's VLAN, which
are not NOARP.
"""

from __future__ import annotations

import pytest

from tests.vm.harness import guest_of

ROOT = "trixie-ifupdown2"

TOPOLOGY = """\
auto lo
iface lo inet loopback

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

CASE = {
    "iface": "bond0",
    "addresses": ["2001:db8:b0::1", "2001:db8:b0::2"],
    "global_prefix": None,
    "interfaces": ["bond0", "br0.100"],
    "binds": {"bond0": ["2001:db8:b0::1", "2001:db8:b0::2"], "br0.100": ["2001:db8:100::1"]},
}


@pytest.fixture(scope="module")
def booted(tmp_path_factory) -> dict:
    guest = guest_of(ROOT, tmp_path_factory.mktemp("vm-ifupdown2"))
    addons = "etc/network/ifupdown2/addons.conf"  # the opt-in netguard-interfaces(5) gives
    opt_in = (guest.tree / "usr/share/netguard/ifupdown2-addons.conf").read_text()
    guest.write(addons, (guest.tree / addons).read_text() + opt_in)
    result = guest.boot(TOPOLOGY, CASE, "ifupdown2")
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
