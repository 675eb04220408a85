"""reject-asn planning: entries -> screened, collapsed, carved prefixes; union and difference."""

from __future__ import annotations

import ipaddress

from netguard import rtnl
from netguard.features import reject
from netguard.prefixes.cache import CacheEntry
from netguard.prefixes.safety import Limits, Protected

N = ipaddress.ip_network
LAB = Limits(allow_special=True)


def entry(asn: int, *prefixes: str, bad: tuple[str, ...] = ()) -> CacheEntry:
    return CacheEntry(asn, "test", "t", "t", tuple(N(p) for p in prefixes), bad)


def test_plan_collapses_across_asns_and_keeps_the_family():
    entries = [entry(64500, "2001:db8:100::/40", "192.0.2.0/24"), entry(64501, "2001:db8:100:5::/64")]
    prefixes, warnings = reject.plan_prefixes(6, entries, (), Protected(), LAB)
    assert prefixes == [N("2001:db8:100::/40")]
    assert warnings == []
    v4, _ = reject.plan_prefixes(4, entries, (), Protected(), LAB)
    assert v4 == [N("192.0.2.0/24")]


def test_plan_warns_per_refusal_and_bad_line_naming_the_asn():
    protected = Protected(nameservers=frozenset({ipaddress.ip_address("2001:db8:53::1")}))
    entries = [entry(64500, "::/0", "2001:db8:53::/48", "2001:db8:1::/48", bad=("2001:db8:zz::/48",))]
    prefixes, warnings = reject.plan_prefixes(6, entries, (), protected, LAB)
    assert prefixes == [N("2001:db8:1::/48")]
    assert warnings == [
        "AS64500: malformed cache line '2001:db8:zz::/48'; skipped",
        "AS64500: not installing ::/0: a default route",
        "AS64500: not installing 2001:db8:53::/48: covers the nameserver 2001:db8:53::1",
    ]


def test_plan_carves_exceptions():
    prefixes, _ = reject.plan_prefixes(
        6, [entry(64500, "2001:db8::/46")], (N("2001:db8:1::/48"),), Protected(), LAB
    )
    assert prefixes == [N("2001:db8::/48"), N("2001:db8:2::/47")]


def test_union_is_per_family_and_difference_touches_only_what_differs():
    wants = {"eth0.inet6": ["2001:db8:1::/48"], "eth1.inet6": ["2001:db8:1::/48", "2001:db8:2::/48"]}
    wants["eth0.inet"] = ["192.0.2.0/24"]
    union = reject.union(wants, "inet6")
    assert union == {rtnl.route_of(N("2001:db8:1::/48")), rtnl.route_of(N("2001:db8:2::/48"))}
    installed = {rtnl.route_of(N("2001:db8:1::/48")), rtnl.route_of(N("2001:db8:9::/48"))}
    delete, add = reject.difference(union, installed)
    assert delete == [rtnl.route_of(N("2001:db8:9::/48"))]
    assert add == [rtnl.route_of(N("2001:db8:2::/48"))]


def test_status_cover_index_matches_subnet_of():
    from netguard.commands.status import CoverIndex

    routes = [N("2001:db8:100::/40"), N("2001:db8:200::/48"), N("192.0.2.0/24")]
    index = CoverIndex(routes)
    for probe in [
        "2001:db8:1ff::/48",
        "2001:db8:100::/40",
        "2001:db8::/32",
        "2001:db8:201::/48",
        "192.0.2.128/25",
        "192.0.3.0/24",
    ]:
        prefix = N(probe)
        expected = any(prefix.version == r.version and prefix.subnet_of(r) for r in routes)
        assert index.covers(prefix) == expected, probe
