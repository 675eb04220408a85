"""The one sequence that changes reject routes, for the hook and the CLI.

Under the State-Dir lock, from start to end: read every interface's wants
(strictly; a corrupt file is set aside), change this interface's, screen the
union as cache data is screened, check the cap on the union, write the file,
then make the kernel hold exactly the union. Route dumps are not trusted
whole (the kernel may miss routes in a dump while other tables change): after
changing anything the kernel is dumped again, until a dump shows nothing left
to do. Re-running it is harmless; a run killed half-way is completed by the
next. Routes are best-effort: every problem is a warning.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable

from netguard import apply, log, state, wants
from netguard import rejectplan as reject
from netguard.config import Config
from netguard.prefixes.prefix import BITS, FAMILY, Prefix, format_prefix
from netguard.prefixes.safety import Limits, Protected, matters, screen
from netguard.record import NamedTuple

MAX_FAILURES_SHOWN = 5
MAX_ROUNDS = 5  # (believed,) dump, change, dump again ...: one dump when nothing differs


class Outcome(NamedTuple):
    family: str
    wanted: int  # routes this interface wants (0 when it went down)
    added: int
    deleted: int


Changes = dict[wants.Key, wants.Wants | None]  # None: the interface no longer wants anything


def limits(config: Config) -> Limits:
    return Limits(config.reject_min_length_ipv6, config.reject_min_length_ipv4, config.reject_allow_special)


def _report(iface: str, failures: list[tuple[Prefix, str, int]]) -> None:
    for route, verb, code in failures[:MAX_FAILURES_SHOWN]:
        if code == errno.EEXIST:
            hint = "a route for it exists that is not netguard's; left alone"
        else:
            hint = os.strerror(code)
        log.warn(iface, reject.OPTION, f"cannot {verb} unreachable route {format_prefix(route)}: {hint}")
    if len(failures) > MAX_FAILURES_SHOWN:
        log.warn(iface, reject.OPTION, f"... and {len(failures) - MAX_FAILURES_SHOWN} more route failures")


def sync(
    family: str,
    want: set[Prefix],
    iface: str,
    believed: set[Prefix] | None = None,
    table: int = wants.MAIN_TABLE,
) -> tuple[int, int, set[Prefix]]:
    """Make the kernel's netguard routes of one family in one table equal `want`: (added,
    deleted, the wanted routes that could not be installed).

    `believed` is what the last transaction left installed (the wants files'
    union before this one's changes): the first round changes the kernel from
    it without dumping every route first (ifdown of 100k routes: one full dump
    fewer); every round after a change dumps, and the kernel is trusted only
    once a dump shows nothing left to do (a route removed behind our back comes
    back, one gone already is not a failure).
    """
    address_family = FAMILY[reject.FAMILIES[family]]
    ours: set[Prefix] = set()  # every route any dump of this run showed as ours
    foreign: dict[Prefix, tuple[Prefix, str, int]] = {}  # EEXIST from a route not (yet) seen as ours
    failures: list[tuple[Prefix, str, int]] = []
    added = deleted = 0
    for round_number in range(MAX_ROUNDS):
        if round_number == 0 and believed is not None:
            if believed is want or believed == want:
                continue  # believed, not seen: a dump decides
            installed = believed
        else:
            installed = state.netguard_routes(address_family, reject.PROTOCOL, table)
            ours |= installed
        delete, add = reject.difference(want, installed)
        add = [route for route in add if route not in ours and route not in foreign]
        if not delete and not add:
            break
        failures = apply.change_routes(delete, add, reject.PROTOCOL, table)
        failed = {(route, verb) for route, verb, _code in failures}
        added += sum((route, "add") not in failed for route in add)
        deleted += sum((route, "delete") not in failed for route in delete)
        for failure in failures:
            if failure[2] == errno.EEXIST:
                foreign[failure[0]] = failure
    failures = [f for f in failures if f[2] != errno.EEXIST]
    foreign_only = [f for route, f in foreign.items() if route not in ours]
    _report(iface, failures + foreign_only)
    missing = {route for route, verb, _code in failures + foreign_only if verb == "add"}
    return added, deleted, missing


def _tables(family: str, *states: dict[wants.Key, wants.Wants]) -> list[int]:
    """The tables some interface's routes of the family are (or are to be) in; main always."""
    return sorted(
        {wants.MAIN_TABLE} | {w.record.table for s in states for (_i, f), w in s.items() if f == family}
    )


def _screened(
    union: set[Prefix], fresh: set[Prefix], protected: Protected, config: Config, iface: str
) -> set[Prefix]:
    """The union with what was read back from State-Dir screened again (a tampered wants
    file cannot add a default route); `fresh`, planned this run, was just screened."""
    kept, refused = screen(union - fresh if fresh else union, protected, limits(config))
    for prefix, why in refused[:MAX_FAILURES_SHOWN]:
        log.warn(iface, reject.OPTION, f"a wants file holds {format_prefix(prefix)}: {why}; not installed")
    if not refused:
        return union
    return set(kept) | (union & fresh)


Decide = Callable[[dict[wants.Key, wants.Wants], Protected], Changes]


def transaction(
    config: Config,
    iface: str,
    decide: Decide,
    families: list[str],
    gateways: list[str] = (),  # type: ignore[assignment]
) -> list[Outcome]:
    """Under the lock: decide the changes from every interface's wants, record them, sync the kernel."""
    outcomes = []
    counts: dict[str, dict[str, tuple[int, int]]] = {}
    with wants.Locked(config.state_dir):
        current, problems = wants.read_all(config.state_dir, config.reject_max_routes)
        for problem in problems:
            log.warn(iface, reject.OPTION, problem)
        known = {w.record.gateway for w in current.values() if w.record.gateway}
        protected = state.protected_things(sorted(known | {g for g in gateways if g}))
        changes = decide(current, protected)
        after = dict(current)  # every interface's wants once this transaction is done
        touched = (
            {family for _iface, family in changes}
            | set(families)
            | ({*reject.FAMILIES} if problems else set())
        )
        for family in sorted(touched):
            proposed = dict(current)
            mine = {key: value for key, value in changes.items() if key[1] == family}
            fresh = {p for value in mine.values() if value is not None for p in value.prefixes}
            for key, value in mine.items():
                if value is None:
                    proposed.pop(key, None)
                else:
                    proposed[key] = value
            tables = _tables(family, current, proposed)
            believed = {t: wants.union(current, family, t) for t in tables}  # what the last transaction left
            want = {
                t: _screened(
                    wants.union(proposed, family, t) if mine else believed[t], fresh, protected, config, iface
                )
                for t in tables
            }
            # distinct routes in all tables: no copy of a 300k-route set when they are in one
            distinct = len(want[tables[0]]) if len(tables) == 1 else len(set().union(*want.values()))
            if distinct > config.reject_max_routes:
                log.warn(
                    iface,
                    reject.OPTION,
                    f"{family}: {distinct} distinct reject routes in all would exceed Reject-Max-Routes "
                    f"{config.reject_max_routes}; this change refused, other interfaces unchanged; "
                    "raise it in /etc/netguard/netguard.conf",
                )
                mine, proposed = {}, current
                want = {t: _screened(believed[t], set(), protected, config, iface) for t in tables}
            for key, value in mine.items():
                if value is None:
                    wants.remove_wants(config.state_dir, key)
                    after.pop(key, None)
                else:
                    wants.write_wants(config.state_dir, key, value)
                    after[key] = value
            added = deleted = 0
            failed: dict[int, set[Prefix]] = {}
            for table in tables:
                table_added, table_deleted, failed[table] = sync(
                    family, want[table], iface, believed[table], table
                )
                added, deleted = added + table_added, deleted + table_deleted
            wanted = sum(
                len(w.prefixes) for (name, f), w in proposed.items() if name == iface and f == family
            )
            outcomes.append(Outcome(family, wanted, added, deleted))
            counts[family] = route_counts(proposed, family, want, failed)
            for name, f in current:  # gone down: its series read 0
                if f == family:
                    counts[family].setdefault(name, (0, 0))
        probes = any(w.record.probes for w in (*current.values(), *after.values()))
        _publish(config, iface, counts, after, probes)
    return outcomes


def route_counts(
    proposed: dict[wants.Key, wants.Wants],
    family: str,
    want: dict[int, set[Prefix]],
    failed: dict[int, set[Prefix]],
) -> dict[str, tuple[int, int]]:
    """Per interface: (wanted, missing) once each table holds its `want` but `failed`. The set
    operations run only for a table where some route is not in (failed, or screened out of
    the union): the common case costs a sum."""
    short = {
        table: bool(failed.get(table)) or len(routes) < len(wants.union(proposed, family, table))
        for table, routes in want.items()
    }  # once per table, not per interface
    counts = {}
    for (name, f), wanted in proposed.items():
        if f != family:
            continue
        table = wanted.record.table
        routes, lost = want.get(table, set()), failed.get(table, set())
        missing = sum(p not in routes or p in lost for p in wanted.prefixes) if short.get(table, True) else 0
        counts[name] = (len(wanted.prefixes), missing)
    return counts


def _publish(
    config: Config,
    iface: str,
    counts: dict[str, dict[str, tuple[int, int]]],
    now: dict[wants.Key, wants.Wants],
    probes: bool,
) -> None:
    """netguard_routes.prom: the interfaces' reject routes after the change (the series of
    families not changed are kept from the file); netguard_probe.prom: the probe verdicts of
    the interfaces that still want probes (when some interface wanted or wants any: else the
    file already says none). Both under the lock: one writer at a time."""
    if not config.metrics_on:
        return
    from netguard import metrics

    samples = []
    for family, per_iface in counts.items():
        for name, (wanted, missing) in per_iface.items():
            for what, value in (("wanted", wanted), ("installed", wanted - missing), ("missing", missing)):
                samples.append(
                    metrics.sample("netguard_reject_routes", value, iface=name, family=family, state=what)
                )
    problem = metrics.publish(config, "routes", samples, merge=True)
    if probes:
        from netguard import probestate

        targets = {name: w.record.probes for (name, _family), w in now.items() if w.record.probes}
        problem = problem or metrics.publish(
            config, "probe", probestate.metric_samples(config.state_dir, targets)
        )
    metrics.report(iface, problem)


def probe_withdrawn(config: Config, record: wants.StanzaRecord, iface: str) -> bool:
    """reject-asn-probe found the ASes reachable through the interface: its routes are withdrawn."""
    if not record.probes:
        return False
    from netguard import probestate

    return probestate.withdrawn(probestate.load(config.state_dir, iface))


def inputs(config: Config, record: wants.StanzaRecord, protected: Protected, iface: str) -> str:
    """A fingerprint of everything one stanza's plan depends on: the same inputs give the same plan.

    The stanza's record, the limits, the host's protected things and each
    cache entry's identity (a refresh writes a new file: a new inode).
    """
    import zlib

    from netguard.prefixes.cache import entry_path

    identities = []
    for asn in record.asns:
        try:
            info = os.stat(entry_path(config.cache_dir, asn), follow_symlinks=False)
            identities.append((asn, info.st_ino, info.st_size, info.st_mtime_ns))
        except OSError:
            identities.append((asn, 0, 0, 0))
    bounds = limits(config)

    def relevant(addresses: frozenset) -> list:
        # A link-local address appearing after ifup (or a fe80:: gateway) must not
        # force a plan again when it cannot change the screen's verdict.
        return sorted(a for a in addresses if matters((a[0], a[1], BITS[a[0]]), bounds))

    facts = (
        record,
        probe_withdrawn(config, record, iface),
        bounds,
        relevant(protected.own),
        relevant(protected.gateways),
        relevant(protected.nameservers),
        sorted(p for p in protected.onlink if matters(p, bounds)),
        identities,
    )
    text = repr(facts).encode()
    return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}{len(text):x}"


def plan_stanza(
    config: Config, iface: str, families: list[str], record: wants.StanzaRecord, protected: Protected
) -> dict[wants.Key, wants.Wants]:
    """One stanza's wants from the cache, after the safety screen: the hook's post-up and refresh's re-apply."""
    from netguard.prefixes.cache import CacheError, read_entry

    fingerprint = inputs(config, record, protected, iface)
    if probe_withdrawn(config, record, iface):
        log.info(iface, reject.OPTION, "the probe targets answer through this interface: no reject routes")
        return {(iface, family): wants.Wants(record, (), fingerprint) for family in families}
    entries = []
    missing = []
    for asn in record.asns:
        try:
            entries.append(read_entry(config.cache_dir, asn, config.reject_max_routes))
        except CacheError as err:
            if "no prefix data" in err.message:
                missing.append(asn)
            else:
                log.warn(iface, reject.OPTION, err.message)
    if missing:
        log.warn(iface, reject.OPTION, reject.summarise_missing(missing))
    planned = {}
    for family in families:
        prefixes, warnings = reject.plan_prefixes(
            reject.FAMILIES[family], entries, record.exceptions, protected, limits(config)
        )
        for warning in reject.summarise(warnings):
            log.warn(iface, reject.OPTION, warning)
        planned[(iface, family)] = wants.Wants(record, tuple(prefixes), fingerprint)
    return planned


def replan(config: Config, iface: str, families: list[str], record: wants.StanzaRecord) -> Decide:
    """The decision for one stanza: plan again only what its inputs changed for."""

    def decide(current: dict[wants.Key, wants.Wants], protected: Protected) -> Changes:
        fingerprint = inputs(config, record, protected, iface)
        stale = [f for f in families if (had := current.get((iface, f))) is None or had.inputs != fingerprint]
        return dict(plan_stanza(config, iface, stale, record, protected)) if stale else {}

    return decide


def apply_stanza(
    config: Config, iface: str, families: list[str], record: wants.StanzaRecord
) -> list[Outcome]:
    outcomes = transaction(config, iface, replan(config, iface, families, record), families, [record.gateway])
    where = "" if record.table == wants.MAIN_TABLE else f" in table {record.table} (the interface's VRF)"
    for outcome in outcomes:
        log.info(
            iface,
            reject.OPTION,
            f"{outcome.wanted} {outcome.family} routes wanted{where}; kernel: +{outcome.added} -{outcome.deleted}",
        )
    return outcomes


def withdraw(config: Config, iface: str, families: list[str]) -> list[Outcome]:
    """The interface goes down: it wants nothing, whatever its stanza says now (and its probe verdict goes)."""
    from netguard import probestate

    def decide(_current: dict[wants.Key, wants.Wants], _protected: Protected) -> Changes:
        probestate.clear(config.state_dir, iface)
        return dict.fromkeys((iface, f) for f in families)

    outcomes = transaction(config, iface, decide, families)
    for outcome in outcomes:
        log.info(
            iface, reject.OPTION, f"{outcome.family}: kernel -{outcome.deleted} (+{outcome.added} healed)"
        )
    return outcomes


def reapply_all(config: Config) -> list[Outcome]:
    """Re-plan every interface that wants routes now against the current cache, all under the lock.

    The lock is held from reading the wants to syncing the kernel, so an
    ifdown that ran before sees its file gone, and one that runs after
    removes what this wrote: a refresh never brings an interface's routes back.
    """

    def decide(current: dict[wants.Key, wants.Wants], protected: Protected) -> Changes:
        changes: Changes = {}
        for (iface, family), wanted in current.items():
            if wanted.record.asns:
                changes.update(replan(config, iface, [family], wanted.record)(current, protected))
        return changes

    return transaction(config, "", decide, [])


def probed(config: Config, iface: str, reachable: bool, line: str) -> tuple[bool, str] | None:
    """A probe round's result, under the lock: (routes withdrawn now, the verdict) when the verdict
    changed, else None. An interface that went down meanwhile is left alone."""
    from netguard import probestate

    changed: list[tuple[bool, str]] = []

    def decide(current: dict[wants.Key, wants.Wants], protected: Protected) -> Changes:
        mine = {key: value for key, value in current.items() if key[0] == iface and value.record.probes}
        if not mine:
            return {}  # ifdown ran while we probed: the result is no one's
        before = probestate.load(config.state_dir, iface)
        after = probestate.next_state(before, reachable, line)
        probestate.save(config.state_dir, iface, after)
        if probestate.withdrawn(before) != probestate.withdrawn(after):
            changed.append((probestate.withdrawn(after), after.verdict))
        record = next(iter(mine.values())).record
        return replan(config, iface, sorted(family for _i, family in mine), record)(current, protected)

    transaction(config, iface, decide, [])
    return changed[0] if changed else None
