"""The cache's and refresh's series for the metrics (netguard_cache.prom), and refresh's record.

Each refresh attempt per AS is kept in Cache-Dir/refresh/ASN (the outcome.py
format: whether it filled the cache, and when), so a refresh that has failed
for days shows as such across reboots; the last success is the cache entry's
own fetch time. Written by `netguard refresh` (the root step) and `import`.
"""

from __future__ import annotations

import calendar
import os
import time

from netguard import metrics, outcome
from netguard.config import Config
from netguard.prefixes.cache import CacheError, cached_asns, read_entry

KIND = "refresh"


def record_attempt(config: Config, asn: int, ok: bool) -> None:
    outcome.record(config.cache_dir, f"AS{asn}", KIND, "ok" if ok else "failed", f"{time.time():.3f}", KIND)


def _utc_seconds(stamp: str) -> float | None:
    try:
        return float(calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        return None


def samples(config: Config) -> list[metrics.Sample]:
    series = [metrics.sample("netguard_cache_max_age_seconds", config.cache_max_age_days * 86400)]
    for asn in sorted(cached_asns(config.cache_dir) | cached_asns(os.path.join(config.cache_dir, KIND)))[
        : metrics.MAX_ASNS
    ]:
        label = f"AS{asn}"
        attempt = outcome.read(config.cache_dir, label, KIND).get(KIND)
        if attempt is not None:
            try:
                when = float(attempt["message"])
            except ValueError:
                when = None
            if when is not None:
                series.append(metrics.sample("netguard_refresh_attempt_timestamp_seconds", when, asn=label))
                series.append(
                    metrics.sample("netguard_refresh_success", int(attempt["status"] == "ok"), asn=label)
                )
        try:
            entry = read_entry(config.cache_dir, asn, config.reject_max_routes)
        except CacheError:
            continue
        source = entry.source.split(":")[0]
        fetched = _utc_seconds(entry.fetched)
        if fetched is not None:
            series.append(
                metrics.sample("netguard_cache_fetched_timestamp_seconds", fetched, asn=label, source=source)
            )
            series.append(metrics.sample("netguard_refresh_success_timestamp_seconds", fetched, asn=label))
        v6 = sum(p[0] == 6 for p in entry.prefixes)
        series.append(metrics.sample("netguard_cache_prefixes", v6, asn=label, source=source, family="inet6"))
        series.append(
            metrics.sample(
                "netguard_cache_prefixes", len(entry.prefixes) - v6, asn=label, source=source, family="inet"
            )
        )
    return series


def publish(config: Config) -> None:
    if not metrics.directory(config):
        return
    metrics.report("", metrics.publish(config, "cache", samples(config)))
