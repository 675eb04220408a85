"""`netguard refresh` from a real IRRd 4 (not a stand-in), then the routes through real ifup."""

from __future__ import annotations

import pytest

from netguard.prefixes.cache import read_entry
from netguard.prefixes.prefix import format_prefix
from tests import irrd
from tests.conftest import require
from tests.sandbox import veth

pytestmark = pytest.mark.ifupdown

RPSL = """\
route:          192.0.2.0/24
descr:          netguard test
origin:         AS64500
mnt-by:         TEST-MNT
source:         TEST

route6:         2001:db8:100::/40
descr:          netguard test
origin:         AS64500
mnt-by:         TEST-MNT
source:         TEST

route6:         2001:db8:300::/48
descr:          netguard test
origin:         AS64500
mnt-by:         TEST-MNT
source:         TEST

route6:         2001:db8:900::/48
descr:          another AS: must not be cached for AS64500
origin:         AS64501
mnt-by:         TEST-MNT
source:         TEST
"""


def test_refresh_caches_exactly_what_irrd_has_for_the_as(make_host, make_namespace):
    require(irrd.missing())
    host = make_host(
        "ngi",
        f"Reject-Allow-Special: yes\nRefresh-Sources: irr\nIrr-Host: 127.0.0.1\nIrr-Port: {irrd.WHOIS_PORT}\nIrr-Sources: TEST\n",
    )
    veth(host, "eth0", make_namespace("ngp"), "eth0")
    with irrd.irrd_server(host, host.netguard_state.parent / "irrd", RPSL, probe_asn=64500):
        result = host.netguard("refresh", "--no-apply", "64500")
        assert "AS64500: 2 IPv6 and 1 IPv4 prefixes (registered, irr)" in result.stdout, result.stderr
        entry = read_entry(str(host.netguard_cache), 64500, 1000)
        assert sorted(format_prefix(p) for p in entry.prefixes) == [
            "192.0.2.0/24",
            "2001:db8:100::/40",
            "2001:db8:300::/48",
        ]
        assert entry.source == "irr"
        unknown = host.netguard("refresh", "--no-apply", "64502", check=False)
        assert unknown.returncode == 1 and "irr: empty answer" in unknown.stderr
    host.write_interfaces("iface eth0 inet6 manual\n    reject-asn 64500\n")
    host.ifup("eth0")
    shown = host.exec("ip", "-6", "route", "show", "proto", "241").stdout
    assert sorted(line.split()[1] for line in shown.splitlines()) == [
        "2001:db8:100::/40",
        "2001:db8:300::/48",
    ]
    host.ifdown("eth0")


def test_the_tier_ran_the_documented_irrd_version():
    require(irrd.missing())
    assert irrd.version() == irrd.IRRD_VERSION
