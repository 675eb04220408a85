"""The one sequence that changes reject routes, for the hook and the CLI.

Under the State-Dir lock: record what this interface wants, take the union
of every interface's wants, dump our routes from the kernel, and apply only
the difference. Re-running it is harmless; a run killed half-way is
completed by the next one. Routes are best-effort: problems are warnings.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass

from netguard import apply, log, rtnl, state, wants
from netguard.config import Config
from netguard.features import reject
from netguard.prefixes.setops import IPNetwork

MAX_FAILURES_SHOWN = 5


@dataclass(frozen=True)
class Outcome:
    wanted: int  # routes this interface wants
    added: int  # routes the kernel was sent (failures are warned about, not counted apart)
    deleted: int


def _report(iface: str, failures: list) -> None:
    for route, verb, code in failures[:MAX_FAILURES_SHOWN]:
        prefix = rtnl.network_of(route)
        if code == errno.EEXIST:
            hint = "a route for it exists that is not netguard's; left alone"
        else:
            hint = os.strerror(code)
        log.warn(iface, reject.OPTION, f"cannot {verb} unreachable route {prefix}: {hint}")
    if len(failures) > MAX_FAILURES_SHOWN:
        log.warn(iface, reject.OPTION, f"... and {len(failures) - MAX_FAILURES_SHOWN} more route failures")


def _sync(family: str, current: dict[str, list[str]], iface: str) -> tuple[int, int]:
    """Make the kernel's netguard routes of one family equal the union of the wants: (added, deleted)."""
    _version, address_family = reject.FAMILIES[family]
    want = reject.union(current, family)
    installed = state.netguard_routes(address_family, reject.PROTOCOL)
    delete, add = reject.difference(want, installed)
    _report(iface, apply.change_routes(delete, add, reject.PROTOCOL))
    return len(add), len(delete)


def set_wants(
    config: Config,
    iface: str,
    family: str,
    prefixes: list[IPNetwork] | None,
    record: wants.StanzaRecord | None = None,
) -> Outcome | None:
    """Make the kernel hold the union with this interface wanting `prefixes` (None: nothing, it goes down)."""
    with wants.locked(config.state_dir):
        current = wants.all_wants(config.state_dir)
        key = f"{iface}.{family}"
        if prefixes is None:
            current.pop(key, None)
            wants.remove_wants(config.state_dir, iface, family)
        else:
            current[key] = [str(p) for p in prefixes]
            total = sum(len(v) for v in current.values())
            if total > config.reject_max_routes:
                log.warn(
                    iface,
                    reject.OPTION,
                    f"{total} reject routes in all would exceed Reject-Max-Routes "
                    f"{config.reject_max_routes}; nothing changed; raise it in /etc/netguard/netguard.conf",
                )
                return None
            wants.write_wants(config.state_dir, iface, family, prefixes, record)
        added, deleted = _sync(family, current, iface)
    return Outcome(len(prefixes or ()), added, deleted)


def apply_stanza(
    config: Config, iface: str, families: list[str], record: wants.StanzaRecord
) -> list[Outcome]:
    """Plan one stanza's routes from the cache and reconcile: the hook's post-up and refresh's re-apply."""
    import ipaddress

    from netguard.prefixes.cache import CacheError, read_entry
    from netguard.prefixes.safety import Limits

    entries = []
    for asn in record.asns:
        try:
            entries.append(read_entry(config.cache_dir, asn))
        except CacheError as err:
            log.warn(iface, reject.OPTION, err.message)
    protected = state.protected_things([record.gateway] if record.gateway else [])
    limits = Limits(config.reject_min_length_ipv6, config.reject_min_length_ipv4, config.reject_allow_special)
    exceptions = tuple(ipaddress.ip_network(e) for e in record.exceptions)
    outcomes = []
    for family in families:
        version, _ = reject.FAMILIES[family]
        prefixes, warnings = reject.plan_prefixes(version, entries, exceptions, protected, limits)
        for warning in warnings:
            log.warn(iface, reject.OPTION, warning)
        outcome = set_wants(config, iface, family, prefixes, record)
        if outcome is not None:
            log.info(
                iface,
                reject.OPTION,
                f"{outcome.wanted} {family} routes wanted; kernel: +{outcome.added} -{outcome.deleted}",
            )
            outcomes.append(outcome)
    return outcomes


def reapply_all(config: Config) -> dict[str, list[Outcome]]:
    """Re-plan every interface that is up with reject-asn against the current cache."""
    done: dict[str, list[Outcome]] = {}
    for key in wants.all_wants(config.state_dir):
        iface, _, family = key.rpartition(".")
        record = wants.read_record(config.state_dir, key)
        if record.asns:
            done[key] = apply_stanza(config, iface, [family], record)
    return done
