"""The same hooks under ifupdown-ng and ifupdown2, Debian's packages unpacked (both conflict with ifupdown).

ifupdown-ng runs if-{pre-up,up,down,post-down}.d with PHASE pre-up/up/down/
post-down, exports no ADDRFAM and ignores hook failures. ifupdown2 exports
PHASE=up/down too, a comma-joined ADDRFAM, keeps the caller's environment,
and adds static addresses before the pre-up hooks (the link is still down).
NETGUARD_IFUPDOWN_NG and NETGUARD_IFUPDOWN2 name the unpacked trees (`make
check` makes them with `apt-get download` and `dpkg -x`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import require
from tests.sandbox import linked_pair

pytestmark = pytest.mark.ifupdown

TREES = {"ifupdown-ng": "NETGUARD_IFUPDOWN_NG", "ifupdown2": "NETGUARD_IFUPDOWN2"}
ADDRESSES = ["2001:db8::1", "2001:db8::2"]


def stanza(implementation: str, options: str) -> str:
    head = "iface eth0\n" if implementation == "ifupdown-ng" else "auto eth0\niface eth0 inet6 static\n"
    return head + "    address 2001:db8::1/64\n    up ip -6 addr add 2001:db8::2/64 dev eth0\n" + options


class Implementation:
    def __init__(self, name: str, tree: Path, host) -> None:
        self.name, self.tree, self.host = name, tree, host
        network = host.etc / "network"
        if name == "ifupdown-ng":
            shutil.copy(tree / "etc/network/ifupdown-ng.conf", network / "ifupdown-ng.conf")
        else:
            shutil.copytree(tree / "etc/network/ifupdown2", network / "ifupdown2")
            conf = network / "ifupdown2" / "ifupdown2.conf"
            conf.write_text(
                conf.read_text().replace("state_dir=/var/tmp/network/", f"state_dir={host.state_dir}/")
            )

    def command(self, verb: str) -> list[str]:
        if self.name == "ifupdown-ng":
            return [f"{self.tree}/sbin/{verb}", "-E", f"{self.tree}/usr/libexec/ifupdown-ng",
                    "-S", f"{self.host.state_dir}/ng.state", "eth0"]  # fmt: skip
        # ifupdown2 locks /run/network/.lock: give it a private /run instead of the host's.
        script = f"mount -t tmpfs tmpfs /run && mkdir /run/network && exec /usr/bin/python3 {self.tree}/bin/{verb} eth0"
        return ["unshare", "-m", "sh", "-c", script]


@pytest.fixture(params=sorted(TREES))
def implementation(request, make_host, make_namespace):
    tree = Path(os.environ.get(TREES[request.param], "/nonexistent"))
    if not (tree / "etc" / "network").is_dir():
        require(f"{TREES[request.param]} does not name an unpacked {request.param} (make check makes one)")
    host, _ = linked_pair(make_host, make_namespace, "Reject-Allow-Special: yes\n")
    return Implementation(request.param, tree, host)


def routes(host, family: str) -> str:
    return host.exec("ip", family, "route", "show", "proto", "netguard").stdout


def test_wait_dad_and_reject_asn(implementation):
    host = implementation.host
    listing = host.netguard_state.parent / "as64500.txt"
    listing.write_text("2001:db8:100::/48\n198.51.100.0/24\n")
    host.netguard("import", "64500", str(listing))
    host.write_interfaces(stanza(implementation.name, "    wait-dad 10\n    reject-asn 64500\n"))
    for _ in range(3):
        result = host.ifup_then_bind_with(implementation.command("ifup"), "eth0", ADDRESSES)
        assert result["rc"] == 0, result["stderr"]
        assert result["bind"] == {"2001:db8::1": 0, "2001:db8::2": 0, "link-local": 0}
        # An IPv6 stanza (ifupdown-ng: inferred from its addresses) installs IPv6 prefixes only.
        assert routes(host, "-6").startswith("unreachable 2001:db8:100::/48")
        assert routes(host, "-4") == ""
        host.exec(*implementation.command("ifdown"))
        assert routes(host, "-6") == ""


def test_dad_off(implementation):
    host = implementation.host
    host.write_interfaces(stanza(implementation.name, "    dad off\n"))
    result = host.ifup_then_bind_with(implementation.command("ifup"), "eth0", ADDRESSES)
    assert result["bind"] == {"2001:db8::1": 0, "2001:db8::2": 0, "link-local": 0}
    assert host.exec("cat", "/proc/sys/net/ipv6/conf/eth0/accept_dad").stdout.strip() == "0"
