"""reject-asn planning: entries -> screened, collapsed, carved prefixes; difference; summaries."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from netguard import rejectplan as reject
from netguard.prefixes.cache import CacheEntry
from netguard.prefixes.prefix import format_prefix, parse, parse_address
from netguard.prefixes.safety import Limits, Protected

N = parse
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


def test_plan_warns_per_refusal_and_once_for_bad_lines_naming_the_asn():
    protected = Protected(nameservers=frozenset({parse_address("2001:db8:53::1")}))
    entries = [entry(64500, "::/0", "2001:db8:53::/48", "2001:db8:1::/48", bad=("'x' (bad)", "'y' (bad)"))]
    prefixes, warnings = reject.plan_prefixes(6, entries, (), protected, LAB)
    assert prefixes == [N("2001:db8:1::/48")]
    assert warnings == [
        "AS64500: malformed cache line 'x' (bad) and 1 more; skipped",
        "AS64500: not installing ::/0: a default route",
        "AS64500: not installing 2001:db8:53::/48: covers the nameserver 2001:db8:53::1",
    ]


def test_plan_carves_exceptions():
    prefixes, _ = reject.plan_prefixes(
        6, [entry(64500, "2001:db8::/46")], (N("2001:db8:1::/48"),), Protected(), LAB
    )
    assert prefixes == [N("2001:db8::/48"), N("2001:db8:2::/47")]


def test_difference_touches_only_what_differs():
    want = {N("2001:db8:1::/48"), N("2001:db8:2::/48")}
    installed = {N("2001:db8:1::/48"), N("2001:db8:9::/48")}
    assert reject.difference(want, installed) == ([N("2001:db8:9::/48")], [N("2001:db8:2::/48")])


def test_many_warnings_are_summarised():
    lines = [f"w{n}" for n in range(10000)]
    summary = reject.summarise(lines)
    assert summary[:5] == lines[:5] and len(summary) == 6 and "9995 more" in summary[5]
    assert reject.summarise(lines[:6]) == lines[:6]
    assert reject.summarise_missing(list(range(1, 328))) == (
        "327 ASNs have no cache entry: 1, 2, 3, 4, 5, ...; run `netguard refresh`"
    )


def test_status_cover_index_matches_subnet_of():
    from netguard.commands.status import CoverIndex

    routes = [N("2001:db8:100::/40"), N("2001:db8:200::/48"), N("192.0.2.0/24")]
    index = CoverIndex(set(routes))
    networks = [ipaddress.ip_network(format_prefix(r)) for r in routes]
    for probe in [
        "2001:db8:1ff::/48",
        "2001:db8:100::/40",
        "2001:db8::/32",
        "2001:db8:201::/48",
        "192.0.2.128/25",
        "192.0.3.0/24",
    ]:
        network = ipaddress.ip_network(probe)
        expected = any(network.version == r.version and network.subnet_of(r) for r in networks)  # type: ignore[arg-type]
        assert index.covers(N(probe)) == expected, probe


@given(st.sets(st.integers(0, 30)), st.sets(st.integers(0, 30)))
def test_difference_is_the_two_set_differences(wanted, there):
    """The sizes shortcut (nothing to add) gives what the two differences give."""
    want = {(6, (0x2A10 << 112) | n << 72, 56) for n in wanted}
    installed = {(6, (0x2A10 << 112) | n << 72, 56) for n in there}
    assert reject.difference(want, installed) == (sorted(installed - want), sorted(want - installed))
