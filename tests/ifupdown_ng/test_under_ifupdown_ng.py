"""The same hooks under ifupdown-ng (Debian's package, unpacked: it conflicts with ifupdown).

ifupdown-ng runs /etc/network/if-{pre-up,up,down,post-down}.d with PHASE
pre-up/up/down/post-down, exports no ADDRFAM, and ignores hook failures.
NETGUARD_IFUPDOWN_NG names the unpacked tree (`.ci/run` makes it with
`apt-get download ifupdown-ng && dpkg -x`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import STRICT
from tests.sandbox import linked_pair

pytestmark = pytest.mark.ifupdown

ROOT = os.environ.get("NETGUARD_IFUPDOWN_NG", "")
STANZA = """\
iface eth0
    address 2001:db8::1/64
    up ip -6 addr add 2001:db8::2/64 dev eth0
"""


@pytest.fixture
def ng_host(make_host, make_namespace):
    if not ROOT or not Path(ROOT, "sbin", "ifup").exists():
        reason = "NETGUARD_IFUPDOWN_NG does not name an unpacked ifupdown-ng"
        if STRICT and os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    host, _peer = linked_pair(make_host, make_namespace, "Reject-Allow-Special: yes\n")
    shutil.copy(Path(ROOT, "etc", "network", "ifupdown-ng.conf"), host.etc / "network" / "ifupdown-ng.conf")
    return host


def ng(host, verb: str) -> list[str]:
    return [
        f"{ROOT}/sbin/{verb}",
        "-E",
        f"{ROOT}/usr/libexec/ifupdown-ng",
        "-S",
        f"{host.state_dir}/ng.state",
        "eth0",
    ]


def test_wait_dad_and_reject_asn_under_ifupdown_ng(ng_host):
    host = ng_host
    listing = host.netguard_state.parent / "as64500.txt"
    listing.write_text("2001:db8:100::/48\n198.51.100.0/24\n")
    host.netguard("import", "64500", str(listing))
    host.write_interfaces(STANZA + "    wait-dad 10\n    reject-asn 64500\n")
    for _ in range(3):
        result = host.ifup_then_bind_with(ng(host, "ifup"), "eth0", ["2001:db8::1", "2001:db8::2"])
        assert result["rc"] == 0, result["stderr"]
        assert result["bind"] == {"2001:db8::1": 0, "2001:db8::2": 0, "link-local": 0}
        # No ADDRFAM under ifupdown-ng: the stanza's addresses make it IPv6 only.
        assert host.exec("ip", "-6", "route", "show", "proto", "netguard").stdout.startswith(
            "unreachable 2001:db8:100::/48"
        )
        assert host.exec("ip", "-4", "route", "show", "proto", "netguard").stdout == ""
        host.exec(*ng(host, "ifdown"))
        assert host.exec("ip", "-6", "route", "show", "proto", "netguard").stdout == ""


def test_dad_off_under_ifupdown_ng(ng_host):
    host = ng_host
    host.write_interfaces(STANZA + "    dad off\n")
    result = host.ifup_then_bind_with(ng(host, "ifup"), "eth0", ["2001:db8::1", "2001:db8::2"])
    assert result["bind"] == {"2001:db8::1": 0, "2001:db8::2": 0, "link-local": 0}
    assert host.exec("cat", "/proc/sys/net/ipv6/conf/eth0/accept_dad").stdout.strip() == "0"
