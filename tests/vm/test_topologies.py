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
flags and accept_dad and binds vmbr0's address. Then, in the same boot, with real `ifup`:
alias stanzas with `ipv4-dad on` against a peer in a network namespace
that already uses one alias's address; an interface enslaved to a
management VRF (`ip link add mgmt type vrf table 1001`) with `reject-asn`,
read back and taken down; an 802.3ad bond against a partner bond in a
namespace (LACP), a balance-rr bond into a switch (its own ARP probes come
back on the other slave) and an active-backup bond whose active slave loses
its link during the wait; macvlans whose far end already uses their
addresses. Each test below reads its part of the one boot.
"""

from __future__ import annotations

import json

import pytest

from tests.sandbox import run
from tests.vm.harness import Guest, guest_of

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

# a VLAN on the bond
auto bond0.300
iface bond0.300 inet6 static
    address 2001:db8:300::1/64
    dad off

# a management VRF made by hand (ifupdown has no vrf options), and an interface in it
auto mgmt
iface mgmt inet manual
    pre-up ip link add mgmt type vrf table 1001

auto ngv2
iface ngv2 inet6 static
    address 2001:db8:e::1/64
    pre-up ip link add ngv2 type veth peer name ngv2p && ip link set ngv2p up && ip link set ngv2 master mgmt
    reject-asn 64500

# Proxmox's layout: the host's address on a bridge over the bond; last, as the race needs
auto vmbr0
iface vmbr0 inet6 static
    address 2001:db8:b::1/64
    up sysctl -q -w net.ipv6.conf.vmbr0.dad_transmits=8
    up ip -6 addr add 2001:db8:b::2/64 dev vmbr0
    bridge-ports bond0
    bridge-stp off
    bridge-fd 0
{vmbr0}
"""
WITH_WAIT = "    wait-dad 20\n"
# nginx (Debian's unit: After= and Wants=network-online.target) on vmbr0's up-line address
NGINX = "server {\n    listen [2001:db8:b::2]:8080;\n    root /var/www/html;\n}\n"
AS64500 = ["2001:db8:f000::/40", "2001:db8:f100::/48"]  # covering no address of the guest

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

# Stanzas raised after boot with `ifup -i`: bonds against a partner and a switch, macvlans.
AFTER_BOOT = """\
# 802.3ad against a partner bond in a namespace (LACP, fast rate)
iface bond1 inet static
    address 192.0.2.51/24
    bond-slaves ngl0 ngl1
    bond-mode 802.3ad
    bond-miimon 100
    bond-lacp-rate fast
    ipv4-dad on

iface bond1 inet6 manual
    up ip -6 addr add 2001:db8:51::1/64 dev bond1
    wait-dad 30

# balance-rr into a switch: our own ARP probes come back on the other slave
iface bond2 inet static
    address 192.0.2.71/24
    bond-slaves ngr0 ngr1
    bond-mode balance-rr
    bond-miimon 100
    ipv4-dad on

# active-backup, its active slave's link lost while wait-dad waits
iface bond3 inet6 manual
    bond-slaves ngf0 ngf1
    bond-mode active-backup
    bond-miimon 100
    bond-primary ngf0
    up ip -6 addr add 2001:db8:53::1/64 dev bond3
    wait-dad 15

# macvlans on a link whose far end already uses the addresses
iface mv0 inet static
    address 192.0.2.81/24
    ipv4-dad on

iface mv1 inet6 manual
    up ip -6 addr add 2001:db8:81::1/64 dev mv1
    wait-dad 10

iface mv2 inet6 static
    address 2001:db8:82::1/64
    dad off
"""

IFUP = "ifup -i /etc/netguard-vmtest/after-boot "
COMMANDS = {  # name: shell command, run in this order after the checker's look at network-online
    "peer": "ip netns add ngpeer && ip link add ngv1 type veth peer name ngv1p netns ngpeer && "
    "ip -n ngpeer link set ngv1p up && ip -n ngpeer addr add 192.0.2.11/24 dev ngv1p",
    "alias base": "ifup -i /etc/netguard-vmtest/aliases ngv1",
    "alias taken": "ifup -i /etc/netguard-vmtest/aliases ngv1:1",  # 192.0.2.11: the peer uses it
    "alias free": "ifup -i /etc/netguard-vmtest/aliases ngv1:2",  # 192.0.2.12
    "vrf table": "ip -6 route show table 1001 proto netguard",  # ngv2's reject routes
    "vrf main": "ip -6 route show proto netguard",
    "vrf ifdown": "ifdown ngv2",
    "vrf table after": "ip -6 route show table 1001 proto netguard",
    "lacp partner": "ip netns add ngpartner && "
    "ip link add ngl0 type veth peer name ngl0p netns ngpartner && "
    "ip link add ngl1 type veth peer name ngl1p netns ngpartner && "
    "ip -n ngpartner link add pbond type bond mode 802.3ad miimon 100 lacp_rate fast && "
    "ip -n ngpartner link set ngl0p master pbond && ip -n ngpartner link set ngl1p master pbond && "
    "ip -n ngpartner link set pbond up && ip -n ngpartner addr add 192.0.2.52/24 dev pbond",
    "lacp ifup": IFUP + "bond1",
    "lacp state": "cat /proc/net/bonding/bond1",
    "rr switch": "ip link add ngsw2 type bridge && ip link set ngsw2 up && "
    "ip link add ngr0 type veth peer name ngr0p && ip link add ngr1 type veth peer name ngr1p && "
    "ip link set ngr0p master ngsw2 up && ip link set ngr1p master ngsw2 up",
    "rr ifup": IFUP + "bond2",
    "failover switch": "ip link add ngsw3 type bridge && ip link set ngsw3 up && "
    "ip link add ngf0 type veth peer name ngf0p && ip link add ngf1 type veth peer name ngf1p && "
    "ip link set ngf0p master ngsw3 up && ip link set ngf1p master ngsw3 up",
    "failover ifup": "(sleep 1; ip link set ngf0p down) & " + IFUP + "bond3; code=$?; wait; exit $code",
    "failover state": "cat /proc/net/bonding/bond3",
    "macvlan peer": "ip netns add ngpeer3 && ip link add ngm0 type veth peer name ngm0p netns ngpeer3 && "
    "ip -n ngpeer3 link set ngm0p up && ip -n ngpeer3 addr add 192.0.2.81/24 dev ngm0p && "
    "ip -n ngpeer3 addr add 2001:db8:81::1/64 dev ngm0p nodad && ip link set ngm0 up && "
    "for m in mv0 mv1 mv2; do ip link add $m link ngm0 type macvlan mode bridge || exit 1; done",
    "macvlan taken4": IFUP + "mv0",
    "macvlan taken6": IFUP + "mv1",
    "macvlan dad off": IFUP + "mv2",
}
NAMES = list(COMMANDS)
CASE = {
    "iface": "vmbr0",
    "addresses": ["2001:db8:b::1"],
    "global_prefix": None,
    "interfaces": ["vmbr0", "bond0", "vlan100", "ngv0.200", "bond0.300"],
    "nginx": True,
    "binds": {
        "vmbr0": ["2001:db8:b::1", "2001:db8:b::2"],
        "vlan100": ["2001:db8:100::1"],
        "ngv0.200": ["2001:db8:200::1"],
        "bond0.300": ["2001:db8:300::1"],
        "bond1": ["2001:db8:51::1"],
        "bond3": ["2001:db8:53::1"],
        "mv2": ["2001:db8:82::1"],
    },
    "commands": list(COMMANDS.values()),
    "after": {
        str(NAMES.index("alias free")): ["ngv1"],
        str(NAMES.index("lacp ifup")): ["bond1"],
        str(NAMES.index("rr ifup")): ["bond2"],
        str(NAMES.index("failover ifup")): ["bond3"],
        str(NAMES.index("macvlan taken4")): ["mv0"],
        str(NAMES.index("macvlan dad off")): ["mv2"],
    },
}


def prepared(release: str, tmp_path_factory) -> Guest:
    """The release's root with the .deb, the after-boot stanzas, AS64500's cache entry and
    nginx's site."""
    guest = guest_of(release, tmp_path_factory.mktemp(f"vm-topo-{release}"))
    guest.write("etc/netguard-vmtest/aliases", ALIASES)
    guest.write("etc/netguard-vmtest/after-boot", AFTER_BOOT)
    conf = (guest.tree / "etc/netguard/netguard.conf").read_text()
    guest.write("etc/netguard/netguard.conf", conf + "Reject-Allow-Special: yes\n")  # documentation prefixes
    guest.write("tmp/as64500", "\n".join(AS64500) + "\n")
    run("chroot", str(guest.tree), "netguard", "import", "64500", "/tmp/as64500")
    guest.write("etc/nginx/sites-enabled/default", NGINX)
    # The checker looks once nginx has started or failed: its own work (netguard status, the
    # generator, the commands) would otherwise take the two CPUs from nginx's start under TCG.
    (guest.tree / "etc/systemd/system/netguard-vmcheck.service.d").mkdir(parents=True, exist_ok=True)
    guest.write(
        "etc/systemd/system/netguard-vmcheck.service.d/after-nginx.conf", "[Unit]\nAfter=nginx.service\n"
    )
    return guest


@pytest.fixture(scope="module", params=RELEASES)
def guest(request, tmp_path_factory) -> Guest:
    made = prepared(request.param, tmp_path_factory)
    made.release = request.param  # type: ignore[attr-defined]
    return made


@pytest.fixture(scope="module")
def booted(guest) -> dict:
    """One boot of the release's root with every topology; its result, read by every test here."""
    release = guest.release  # type: ignore[attr-defined]
    result = guest.boot(TOPOLOGY.format(vmbr0=WITH_WAIT), CASE, "topologies")
    result["ran"] = dict(zip(NAMES, result["commands"], strict=True))
    print(release, "topology boot:", result["boot_seconds"], "s")
    return result


def after(result: dict, name: str, iface: str) -> dict:
    return result["after"][str(NAMES.index(name))][iface]


def usable(state: dict) -> bool:
    return all(code == 0 for code in state["binds"].values()) and not [
        a for a in state["inet6"] if {"tentative", "dadfailed"} & set(a["flags"])
    ]


def test_vmbr0_over_an_active_backup_bond_is_usable_at_network_online(booted):
    state = booted["interfaces"]
    assert state["vmbr0"]["binds"] == {"2001:db8:b::1": 0, "2001:db8:b::2": 0}, state["vmbr0"]
    assert usable(state["vmbr0"]), state["vmbr0"]
    status = json.loads(booted["status"])["interfaces"]
    assert status["vmbr0"]["outcomes"]["post-up"]["status"] == "ok", status["vmbr0"]


def test_dad_off_reaches_every_kind_of_vlan(booted):
    """`vlan100` is created by the vlan package's pre-up hook, which sorts after the pre-up hook's
    name before 0.2 (`netguard`: DAD stayed on, with a warning); `ngv0.200` by ifupdown itself;
    `bond0.300` on the bond."""
    state = booted["interfaces"]
    for vlan in ("vlan100", "ngv0.200", "bond0.300"):
        assert state[vlan]["accept_dad"] == 0, (vlan, state[vlan])
        assert usable(state[vlan]), (vlan, state[vlan])
    assert "does not exist yet" not in booted["journal"], booted["journal"][-3000:]


def test_alias_stanzas_probe_their_own_address_on_the_base_device(booted):
    ran = booted["ran"]
    assert ran["peer"]["rc"] == 0 and ran["alias base"]["rc"] == 0, ran
    assert ran["alias taken"]["rc"] != 0, ran["alias taken"]
    assert "ngv1:1: ipv4-dad: 192.0.2.11 is in use by" in ran["alias taken"]["err"], ran["alias taken"]
    assert ran["alias free"]["rc"] == 0, ran["alias free"]
    on_base = {a["address"]: a["label"] for a in after(booted, "alias free", "ngv1")["inet"]}
    assert "192.0.2.11" not in on_base, on_base  # the duplicate was never configured
    assert on_base.get("192.0.2.12") == "ngv1:2" and on_base.get("192.0.2.1") == "ngv1", on_base


def test_reject_routes_of_an_interface_in_a_vrf_go_to_its_table(booted):
    ran = booted["ran"]

    def shown(name: str) -> list[str]:
        return sorted(line.split()[1] for line in ran[name]["out"].splitlines())

    assert shown("vrf table") == AS64500, ran["vrf table"]
    assert shown("vrf main") == [], ran["vrf main"]
    assert ran["vrf ifdown"]["rc"] == 0, ran["vrf ifdown"]
    assert shown("vrf table after") == [], ran["vrf table after"]  # withdrawn from the recorded table
    status = json.loads(booted["status"])["interfaces"]["ngv2"]
    assert status["reject"]["inet6"]["table"] == 1001 and status["reject"]["inet6"]["missing"] == [], status
    assert "in table 1001 (the interface's VRF)" in booted["journal"], booted["journal"][-3000:]


def test_bonds_802_3ad_balance_rr_and_a_failover_during_the_wait(booted):
    ran = booted["ran"]
    # 802.3ad with a partner: ipv4-dad finds no false duplicate, wait-dad covers LACP's start
    assert ran["lacp partner"]["rc"] == 0, ran["lacp partner"]
    assert ran["lacp ifup"]["rc"] == 0 and "in use" not in ran["lacp ifup"]["err"], ran["lacp ifup"]
    assert "802.3ad" in ran["lacp state"]["out"], ran["lacp state"]
    assert usable(after(booted, "lacp ifup", "bond1")), after(booted, "lacp ifup", "bond1")
    # balance-rr into a switch: our own probes come back on the other slave; never a conflict
    assert ran["rr switch"]["rc"] == 0, ran["rr switch"]
    assert ran["rr ifup"]["rc"] == 0 and "in use" not in ran["rr ifup"]["err"], ran["rr ifup"]
    assert "192.0.2.71" in [a["address"] for a in after(booted, "rr ifup", "bond2")["inet"]]
    # active-backup: the active slave's link lost 1 s into ifup; the wait still ends usable
    assert ran["failover ifup"]["rc"] == 0, ran["failover ifup"]
    assert "Currently Active Slave: ngf1" in ran["failover state"]["out"], ran["failover state"]
    assert usable(after(booted, "failover ifup", "bond3")), after(booted, "failover ifup", "bond3")


def test_dad_and_ipv4_dad_on_macvlans(booted):
    ran = booted["ran"]
    assert ran["macvlan peer"]["rc"] == 0, ran["macvlan peer"]
    assert ran["macvlan taken4"]["rc"] != 0, ran["macvlan taken4"]
    assert "mv0: ipv4-dad: 192.0.2.81 is in use by" in ran["macvlan taken4"]["err"], ran["macvlan taken4"]
    assert "192.0.2.81" not in [a["address"] for a in after(booted, "macvlan taken4", "mv0")["inet"]]
    assert ran["macvlan taken6"]["rc"] != 0, ran["macvlan taken6"]
    assert "mv1: wait-dad: duplicate address 2001:db8:81::1" in ran["macvlan taken6"]["err"], ran[
        "macvlan taken6"
    ]
    assert ran["macvlan dad off"]["rc"] == 0, ran["macvlan dad off"]
    state = after(booted, "macvlan dad off", "mv2")
    assert state["accept_dad"] == 0 and usable(state), state


def test_nginx_binds_vmbr0s_address_at_boot_with_wait_dad_and_not_without(guest, booted):
    """The nspawn boot tier's check on Debian's kernel and a server's topology: nginx, ordered
    after network-online.target, listens on an address of vmbr0 (over a bond) from an `up`
    line, whose DAD takes 8 s (dad_transmits 8, as a cautious site may set it: under TCG nginx
    itself takes seconds to start, so a 1 s DAD could be over before it binds, and the control
    would prove nothing). With wait-dad it starts; the control boot, without the option, fails
    to bind."""
    assert booted["nginx"]["active"] == "active", booted["nginx"]
    control = guest.boot(
        TOPOLOGY.format(vmbr0=""), {**CASE, "commands": [], "after": {}}, "topologies-control"
    )
    assert control["nginx"]["active"] != "active", control["nginx"]
    assert "Cannot assign requested address" in control["nginx"]["log"], control["nginx"]
    print(guest.release, "control boot:", control["boot_seconds"], "s")  # type: ignore[attr-defined]
