"""Metrics for Prometheus: Debian's node_exporter scrapes what real ifup, ifdown, refresh and probe wrote.

node_exporter runs inside the test's namespace with only its textfile
collector, on that namespace's loopback; the scrape is parsed by the tests'
own reader (tests/prometheus.py) and checked by promtool, and every scrape
must show node_textfile_scrape_error 0 (node_exporter's own parser took
every file).
"""

from __future__ import annotations

import os
import time

import pytest

from tests import prometheus
from tests.prometheus import value
from tests.sandbox import veth

pytestmark = pytest.mark.ifupdown  # and Debian's prometheus packages (NETGUARD_PROMETHEUS)

PREFIXES = ["2001:db8:f00::/48", "2001:db8:f10::/48", "198.51.100.0/24"]
STANZA = """\
iface eth0 inet6 static
    address 2001:db8:1::2/64
    wait-dad 5
    reject-asn 64500
    reject-asn-probe [2001:db8:f00::10]:8080
"""


@pytest.fixture
def fleet(make_host, make_namespace, tmp_path):
    where = tmp_path / "textfile"
    where.mkdir()
    where.chmod(0o755)
    host = make_host(
        "ngm",
        f"Metrics-Dir: {where}\nReject-Allow-Special: yes\nRefresh-Sources: mirror\n"
        "Mirror-Url: http://127.0.0.1:9/\nFetch-Timeout: 2\n",
    )
    peer = make_namespace("ngp")
    veth(host, "eth0", peer, "eth0")
    peer.exec("ip", "link", "set", "eth0", "up")
    listing = host.netguard_state.parent / "as64500.txt"
    listing.parent.mkdir(parents=True, exist_ok=True)
    listing.write_text("\n".join(PREFIXES) + "\n")
    host.netguard("import", "64500", str(listing))
    host.write_interfaces(STANZA)
    with prometheus.node_exporter(host, where) as url:
        yield host, where, url


def scrape(host, url: str) -> dict:
    text = prometheus.scrape(host, url)
    samples = prometheus.parse(text)
    assert value(samples, "node_textfile_scrape_error") == 0, text
    checked = prometheus.promtool("check", "metrics", stdin=text)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return samples


def test_a_scrape_follows_ifup_refresh_probe_ifdown_and_a_deleted_interface(fleet):
    host, where, url = fleet
    before = time.time()
    host.ifup("eth0")
    seen = scrape(host, url)
    for phase in ("pre-up", "post-up"):
        assert value(seen, "netguard_hook_outcome", iface="eth0", phase=phase, status="ok") == 1, seen
        assert value(seen, "netguard_hook_outcome", iface="eth0", phase=phase, status="failed") == 0
        stamp = value(seen, "netguard_hook_outcome_timestamp_seconds", iface="eth0", phase=phase)
        assert stamp is not None and before - 1 <= stamp <= time.time() + 1
    waited = value(seen, "netguard_wait_seconds", iface="eth0", where="interface")
    assert waited is not None and 0 <= waited < 5
    for state, count in (("wanted", 2), ("installed", 2), ("missing", 0)):
        assert value(seen, "netguard_reject_routes", iface="eth0", family="inet6", state=state) == count, seen
    assert value(seen, "netguard_cache_prefixes", asn="AS64500", source="import", family="inet6") == 2
    assert value(seen, "netguard_cache_prefixes", asn="AS64500", source="import", family="inet") == 1
    fetched = value(seen, "netguard_cache_fetched_timestamp_seconds", asn="AS64500", source="import")
    assert fetched is not None and time.time() - fetched < 120
    assert value(seen, "netguard_cache_max_age_seconds") == 7 * 86400

    # A refresh whose only source fails: the attempt shows, the success does not.
    failed = host.netguard("refresh", check=False)
    assert failed.returncode != 0
    seen = scrape(host, url)
    assert value(seen, "netguard_refresh_success", asn="AS64500") == 0
    attempt = value(seen, "netguard_refresh_attempt_timestamp_seconds", asn="AS64500")
    assert attempt is not None and attempt >= before
    assert value(seen, "netguard_refresh_success_timestamp_seconds", asn="AS64500") == fetched

    # A probe round: the target has no path through eth0, so the round says unreachable;
    # the verdict is still unknown (three rounds decide) and the routes stay.
    host.netguard("probe")
    seen = scrape(host, url)
    assert value(seen, "netguard_probe_verdict", iface="eth0", status="unknown") == 1
    assert value(seen, "netguard_probe_verdict", iface="eth0", status="reachable") == 0
    assert value(seen, "netguard_probe_streak", iface="eth0") == 1
    assert value(seen, "netguard_probe_target_answered", iface="eth0", target="[2001:db8:f00::10]:8080") == 0
    assert value(seen, "netguard_reject_withdrawn", iface="eth0") == 0
    shown = host.netguard("status", "--json").stdout  # held to docs/status.schema.json (sandbox.py)
    assert '"verdict": "unknown"' in shown, shown

    host.ifdown("eth0")
    seen = scrape(host, url)
    for state in ("wanted", "installed", "missing"):
        assert value(seen, "netguard_reject_routes", iface="eth0", family="inet6", state=state) == 0, seen
    assert value(seen, "netguard_hook_outcome", iface="eth0", phase="post-down", status="ok") == 1

    host.exec("ip", "link", "del", "eth0")
    host.netguard("refresh", check=False)  # the next write, by any writer
    seen = scrape(host, url)
    assert not [key for key in seen if ("iface", "eth0") in key[1]], seen
    assert value(seen, "netguard_cache_prefixes", asn="AS64500", source="import", family="inet6") == 2
    assert sorted(os.listdir(where)) == ["netguard_cache.prom", "netguard_probe.prom", "netguard_routes.prom"]


def test_duplicates_at_boot_are_counted_and_the_failed_interface_named(make_host, make_namespace, tmp_path):
    """`ifup -a` with wait-dad on two interfaces, one of whose addresses the peer holds, and
    an ipv4-dad conflict on a third: the counters and outcomes a fleet alerts on."""
    where = tmp_path / "textfile"
    where.mkdir()
    where.chmod(0o755)
    host = make_host("ngm", f"Metrics-Dir: {where}\n")
    peer = make_namespace("ngp")
    for index in range(3):
        veth(host, f"eth{index}", peer, f"eth{index}")
        peer.exec("ip", "link", "set", f"eth{index}", "up")
    peer.exec("ip", "-6", "addr", "add", "2001:db8:1::1/64", "dev", "eth1", "nodad")
    peer.exec("ip", "addr", "add", "192.0.2.10/24", "dev", "eth2")
    stanzas = "".join(
        f"auto eth{index}\niface eth{index} inet6 manual\n"
        f"    up ip -6 addr add 2001:db8:{index}::1/64 dev eth{index}\n    wait-dad 10\n"
        for index in (0, 1)
    )
    stanzas += "auto eth2\niface eth2 inet static\n    address 192.0.2.10/24\n    ipv4-dad on\n    ipv4-dad-failure warn\n"
    host.write_interfaces(stanzas)
    with prometheus.node_exporter(host, where) as url:
        done = host.exec("ifup", "-a", "--state-dir", host.state_dir, check=False, timeout=120)
        assert done.returncode != 0, done.stderr
        seen = scrape(host, url)
    assert value(seen, "netguard_dad_failures_total", iface="eth1", family="inet6") == 1, seen
    assert value(seen, "netguard_hook_outcome", iface="eth1", phase="post-up", status="failed") == 1
    assert value(seen, "netguard_hook_outcome", iface="eth0", phase="post-up", status="ok") == 1
    assert value(seen, "netguard_wait_seconds", iface="eth1", where="run_end") is not None
    assert value(seen, "netguard_dad_failures_total", iface="eth0", family="inet6") is None
    assert value(seen, "netguard_dad_failures_total", iface="eth2", family="inet") == 1
    assert value(seen, "netguard_ipv4_dad_in_use", iface="eth2", address="192.0.2.10") == 1
    assert value(seen, "netguard_hook_outcome", iface="eth2", phase="pre-up", status="warning") == 1
