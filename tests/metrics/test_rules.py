"""The shipped alert rules, checked and unit-tested by Debian's promtool (tests/metrics/netguard.rules.test.yml)."""

from __future__ import annotations

from pathlib import Path

from tests import prometheus
from tests.sandbox import CHECKOUT, INSTALLED

RULES = (
    Path("/usr/share/netguard/prometheus/netguard.rules.yml")
    if INSTALLED
    else CHECKOUT / "docs" / "prometheus" / "netguard.rules.yml"
)
CASES = Path(__file__).with_name("netguard.rules.test.yml")
ALERTS = [
    "NetguardCacheStale",
    "NetguardRefreshFailing",
    "NetguardWaitFailed",
    "NetguardDuplicateAddress",
    "NetguardRejectRoutesMissing",
    "NetguardProbeFlapping",
]


def test_promtool_checks_the_rules():
    done = prometheus.promtool("check", "rules", str(RULES))
    assert done.returncode == 0 and f"SUCCESS: {len(ALERTS)} rules found" in done.stdout, (
        done.stdout + done.stderr
    )


def test_every_rule_fires_on_its_case_and_not_on_the_near_miss(tmp_path):
    cases = tmp_path / "netguard.rules.test.yml"
    cases.write_text(CASES.read_text().replace("  - RULES\n", f"  - {RULES}\n"))
    done = prometheus.promtool("test", "rules", str(cases))
    assert done.returncode == 0 and "SUCCESS" in done.stdout, done.stdout + done.stderr
    text = CASES.read_text()
    for alert in ALERTS:  # a case per rule, and the rules are these
        assert f"alertname: {alert}\n" in text and f"- alert: {alert}\n" in RULES.read_text(), alert


def test_every_metric_a_rule_reads_is_one_netguard_writes():
    import re

    from netguard import metrics

    used = set(re.findall(r"\bnetguard_[a-z_]+\b", RULES.read_text()))
    assert used and used <= set(metrics.METRICS), used - set(metrics.METRICS)
