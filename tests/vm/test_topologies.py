"""Servers' topologies on Debian's own kernel (QEMU), through real ifupdown at boot and after it.

One boot per release, several cases in it (a boot costs a minute under TCG).
networking.service raises, from `auto` stanzas: a switch (a bridge with
veth ports, made by pre-up lines), an active-backup bond over two veths
(ifenslave's hooks), Proxmox's `vmbr0` over the bond (bridge-utils'
hooks; `bridge-stp off`, `bridge-fd 0`) with `wait-dad`, a VLAN of the
vlan package's kind (`vlan100` + `vlan-raw-device`, created by its pre-up
hook, which sorts after netguard's old `netguard` name) with `dad off`, and
an ifupdown-made VLAN (`ngv0.200`) with `dad off`. The checker, a unit
ordered after network-online.target, reads each interface's addresses,
flags and accept_dad and binds vmbr0's address. Then, in the same boot,
alias stanzas with `ipv4-dad on` go up with real `ifup` against a peer
in a network namespace that already uses one alias's address.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import require
from tests.vm.harness import Guest, release_roots

ROOTS = release_roots()
RELEASES = ("bookworm", "trixie")

TOPOLOGY = """\
auto lo
iface lo inet loopback

# the switch: a bridge whose ports are the peers of the bond's slaves
auto ngsw
iface ngsw inet manual
    pre-up ip link add ngsw type bridge && ip link set ngsw up
    pre-up ip link add ngb0 type veth peer name ngb0p && ip link set ngb0p master ngsw up
    pre-up ip link add ngb1 type veth peer name ngb1p && ip link set ngb1p master ngsw up
    pre-up ip link add ngv0 type veth peer name ngv0p && ip link set ngv0p up

auto bond0
iface bond0 inet manual
    bond-slaves ngb0 ngb1
    bond-mode active-backup
    bond-miimon 100
    bond-primary ngb0

# Proxmox's layout: the host's address on a bridge over the bond
auto vmbr0
iface vmbr0 inet6 static
    address 2001:db8:b::1/64
    bridge-ports bond0
    bridge-stp off
    bridge-fd 0
    wait-dad 10

# the vlan package's VLAN: its pre-up hook creates it
auto vlan100
iface vlan100 inet6 static
    address 2001:db8:100::1/64
    vlan-raw-device ngv0
    dad off

# ifupdown's own VLAN: ifupdown creates it before the pre-up hooks
auto ngv0.200
iface ngv0.200 inet6 static
    address 2001:db8:200::1/64
    dad off
"""

ALIASES = """\
iface ngv1 inet static
    address 192.0.2.1/24

iface ngv1:1 inet static
    address 192.0.2.11/24
    ipv4-dad on

iface ngv1:2 inet static
    address 192.0.2.12/24
    ipv4-dad on
"""

PEER = (
    "ip netns add ngpeer && ip link add ngv1 type veth peer name ngv1p netns ngpeer && "
    "ip -n ngpeer link set ngv1p up && ip -n ngpeer addr add 192.0.2.11/24 dev ngv1p"
)
CASE = {
    "iface": "vmbr0",
    "addresses": ["2001:db8:b::1"],
    "global_prefix": None,
    "interfaces": ["vmbr0", "bond0", "vlan100", "ngv0.200"],
    "binds": {"vmbr0": ["2001:db8:b::1"], "vlan100": ["2001:db8:100::1"], "ngv0.200": ["2001:db8:200::1"]},
    "commands": [
        PEER,
        "ifup -i /etc/netguard-vmtest/aliases ngv1",
        "ifup -i /etc/netguard-vmtest/aliases ngv1:1",  # 192.0.2.11: the peer uses it
        "ifup -i /etc/netguard-vmtest/aliases ngv1:2",  # 192.0.2.12: free
    ],
    "after": {"3": ["ngv1"]},
}


@pytest.fixture(scope="module", params=RELEASES)
def guest(request, tmp_path_factory) -> Guest:
    release = request.param
    root = ROOTS.get(release)
    deb = Path(os.environ.get("NETGUARD_DEB", "/nonexistent"))
    if root is None or not (root / ".netguard-vm-root").exists():
        require(f"no VM root for {release} (NETGUARD_VM_ROOTS; make check makes it with tests/vm/make-root)")
    if not deb.is_file():
        require("NETGUARD_DEB names no .deb of this checkout (make check builds it)")
    made = Guest(root, deb, tmp_path_factory.mktemp(f"vm-topo-{release}"))
    (made.tree / "etc/netguard-vmtest/aliases").write_text(ALIASES)
    made.release = release  # type: ignore[attr-defined]
    return made


def test_topologies_at_boot_and_alias_stanzas(guest: Guest) -> None:
    result = guest.boot(TOPOLOGY, CASE, "topologies")
    state = result["interfaces"]
    journal = result["journal"]
    context = json.dumps({"interfaces": state, "journal": journal[-3000:]})[:8000]

    # vmbr0 over an active-backup bond: usable when network-online.target is reached
    assert state["vmbr0"]["binds"] == {"2001:db8:b::1": 0}, context
    assert not [a for a in state["vmbr0"]["inet6"] if {"tentative", "dadfailed"} & set(a["flags"])], context
    status = json.loads(result["status"])["interfaces"]
    assert status["vmbr0"]["outcomes"]["post-up"]["status"] == "ok", status["vmbr0"]

    # `dad off` on the vlan package's VLAN (created by its hook in pre-up) and on ifupdown's own
    for vlan in ("vlan100", "ngv0.200"):
        assert state[vlan]["accept_dad"] == 0, (vlan, context)
        assert all(bind == 0 for bind in state[vlan]["binds"].values()), (vlan, context)
        assert not [a for a in state[vlan]["inet6"] if "tentative" in a["flags"]], (vlan, context)
    assert "does not exist yet" not in journal, journal[-3000:]

    # alias stanzas: ipv4-dad probes the alias's own address on the base device
    commands = result["commands"]
    assert all(c["rc"] == 0 for c in commands[:2]), commands
    taken, free = commands[2], commands[3]
    assert taken["rc"] != 0, taken
    assert "ngv1:1: ipv4-dad: 192.0.2.11 is in use by" in taken["err"], taken
    assert free["rc"] == 0, free
    on_base = {a["address"]: a["label"] for a in result["after"]["3"]["ngv1"]["inet"]}
    assert "192.0.2.11" not in on_base, on_base  # the duplicate was never configured
    assert on_base.get("192.0.2.12") == "ngv1:2", on_base
    assert on_base.get("192.0.2.1") == "ngv1", on_base
    print(guest.release, "topology boot:", result["boot_seconds"], "s")  # type: ignore[attr-defined]
