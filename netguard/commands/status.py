"""`netguard status [IFACE...] [--json]`: what netguard does, against the running state.

Like ifupdown2's query-checkcurr: per interface the options in effect,
each IPv6 address with its DAD state, the reject routes wanted against
those installed; per AS the cache's source, age and size.
"""

from __future__ import annotations

import argparse
import datetime
import json

from netguard import outcome, state, wants
from netguard import rejectplan as reject
from netguard.catalogue import all_options
from netguard.commands.check import add_rules_argument, rules_of
from netguard.config import Config, load_config
from netguard.errors import EXIT_OK, escaped
from netguard.interfaces import DEFAULT_INTERFACES, IFUPDOWN, RULE_NAMES, TemplateNotRendered, read_interfaces
from netguard.prefixes.cache import CacheEntry, CacheError, read_entry
from netguard.prefixes.prefix import BITS, FAMILY, Prefix, format_prefix

SCHEMA_VERSION = (
    3  # of --json (3: reject.table): docs/status.schema.json (/usr/share/netguard/status.schema.json)
)


def _age_days(stamp: str) -> float | None:
    try:
        when = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    except ValueError:
        return None
    return round((datetime.datetime.now(datetime.UTC) - when).total_seconds() / 86400, 2)


def read_entries(config: Config, asns: set[int]) -> dict[int, CacheEntry | CacheError]:
    """Each AS's cache entry, read once (a large one takes ~0.5 s to parse)."""
    entries: dict[int, CacheEntry | CacheError] = {}
    for asn in sorted(asns):
        try:
            entries[asn] = read_entry(config.cache_dir, asn, config.reject_max_routes)
        except CacheError as err:
            entries[asn] = err
    return entries


def cache_report(config: Config, entries: dict[int, CacheEntry | CacheError]) -> dict:
    report: dict[str, dict] = {}
    for asn, entry in entries.items():
        if isinstance(entry, CacheError):
            report[f"AS{asn}"] = {"error": entry.message}
            continue
        age = _age_days(entry.fetched)
        report[f"AS{asn}"] = {
            "source": entry.source,
            "fetched": entry.fetched,
            "age_days": age,
            "stale": age is None or age > config.cache_max_age_days,
            "ipv4": sum(p[0] == 4 for p in entry.prefixes),
            "ipv6": sum(p[0] == 6 for p in entry.prefixes),
        }
    return report


class CoverIndex:
    """Is a prefix inside some installed route? One set lookup per distinct route length,
    not one comparison per route (100k cached x 100k installed would take hours)."""

    def __init__(self, routes: set[Prefix]) -> None:
        self.keys = set(routes)
        self.lengths = sorted({length for _v, _value, length in routes})

    def covers(self, prefix: Prefix) -> bool:
        version, value, prefix_length = prefix
        bits = BITS[version]
        for length in self.lengths:
            if length > prefix_length:
                break
            shift = bits - length
            if (version, value >> shift << shift, length) in self.keys:
                return True
        return False


def build(
    config: Config, interfaces_path: str, only: list[str], rules: str = IFUPDOWN, chosen: str = ""
) -> dict:
    from pyroute2 import IPRoute

    notes: list[TemplateNotRendered] = []
    stanzas = [s for s in read_interfaces(interfaces_path, rules, notes) if s.netguard_options()]
    current, problems = wants.read_all(config.state_dir, config.reject_max_routes, set_bad_aside=False)
    names = sorted({s.iface for s in stanzas} | {iface for iface, _family in current})
    if only:
        names = [n for n in names if n in only] + [n for n in only if n not in names]
    # Per family and table: main, and each VRF table an interface's routes were installed in.
    tables = sorted({wants.MAIN_TABLE} | {w.record.table for w in current.values()})
    in_table = {
        (family, table): state.netguard_routes(FAMILY[version], reject.PROTOCOL, table)
        for family, version in reject.FAMILIES.items()
        for table in tables
    }
    installed = {family: set().union(*(in_table[(family, t)] for t in tables)) for family in reject.FAMILIES}
    index = {family: CoverIndex(routes) for family, routes in installed.items()}
    with IPRoute() as ipr:
        addresses = state.ipv6_addresses(ipr)
    records = {key: wanted.record for key, wanted in current.items() if key[0] in names}
    entries = read_entries(config, {asn for record in records.values() for asn in record.asns})
    report: dict = {
        "version": SCHEMA_VERSION,
        "interfaces": {},
        "routes": {},
        "cache": {},
        "problems": problems,
        "rules": {
            "implementation": rules,
            "chosen": chosen,
            "not_rendered": [{"path": note.path, "why": note.message} for note in notes],
        },
    }
    for name in names:
        # Each option as the hook receives it (the implementation's own rules: with
        # `Wait-Dad a` then `wait_dad b`, ifupdown 0.8 exports b), not as the lines read.
        options: dict[str, str] = {}
        for stanza in stanzas:
            if stanza.iface == name:
                env = stanza.env()
                for option in all_options():
                    if env.get(option.env_name, "").strip():
                        options[option.name] = " ".join(env[option.env_name].split())
        entry: dict = {
            "exists": state.interface_exists(name),
            "carrier": state.has_carrier(name),
            "options": options,
            "addresses": [
                {"address": a.address, "prefixlen": a.prefixlen, "dad": a.dad_state}
                for a in addresses
                if a.ifname == name
            ],
            "reject": {},
            "outcomes": outcome.read(config.state_dir, name, problems=problems),
            "ipv4_dad": outcome.read(config.state_dir, name, outcome.IPV4_DAD, problems),
            "waits": outcome.read(config.state_dir, name, outcome.WAIT, problems),
        }
        for family, version in reject.FAMILIES.items():
            key = (name, family)
            if key not in current:
                continue
            record = records[key]
            wanted = current[key].prefixes
            routes_there = in_table[(family, record.table)]
            missing = [format_prefix(p) for p in wanted if p not in routes_there]
            per_asn = {}
            for asn in record.asns:
                cache_entry = entries[asn]
                if isinstance(cache_entry, CacheError):
                    continue
                cached = [p for p in cache_entry.prefixes if p[0] == version]
                per_asn[f"AS{asn}"] = {
                    "cached": len(cached),
                    "covered": sum(index[family].covers(p) for p in cached),
                }
            entry["reject"][family] = {
                "asns": [f"AS{a}" for a in record.asns],
                "wanted": len(wanted),
                "installed": len(wanted) - len(missing),
                "missing": missing,
                "per_asn": per_asn,
                "because": "static option",
                "table": record.table,
            }
            if record.probes:
                from netguard import probestate

                probe = probestate.load(config.state_dir, name)
                entry["reject"][family]["probe"] = {
                    "targets": list(record.probes),
                    "verdict": probe.verdict,
                    "streak": probe.streak,
                    "last": probe.last,
                }
                entry["reject"][family]["because"] = (
                    "withdrawn: the probe targets answer through this interface"
                    if probestate.withdrawn(probe)
                    else f"static option, kept by the probe ({probe.verdict})"
                )
        report["interfaces"][name] = entry
    for family in reject.FAMILIES:
        extra = []
        for table in tables:
            union = wants.union(current, family, table)
            where = "" if table == wants.MAIN_TABLE else f" table {table}"
            extra += [format_prefix(p) + where for p in sorted(in_table[(family, table)] - union)]
        report["routes"][family] = {
            "installed": sum(len(in_table[(family, t)]) for t in tables),
            "extra": extra,
        }
    report["cache"] = cache_report(config, entries)
    return report


def render(report: dict) -> str:
    lines = []
    for name, entry in report["interfaces"].items():
        shown = "absent" if not entry["exists"] else ("up" if entry["carrier"] else "no carrier")
        options = ", ".join(f"{k} {v}" for k, v in entry["options"].items()) or "no netguard options"
        lines.append(f"{name} ({shown}): {options}")
        for phase, last in entry["outcomes"].items():
            said = f": {last['message']}" if last["message"] else ""
            lines.append(f"  {phase} {last['time']} {last['status']}{said}")
        for address in entry["addresses"]:
            lines.append(f"  {address['address']}/{address['prefixlen']:<4} {address['dad']}")
        for option, wait in entry["waits"].items():
            if option == "boot":  # commands/bootwait.py: network-online.target held for a hotplug interface
                lines.append(
                    f"  boot wait (netguard-wait@): {wait['status']} after {wait['message']} ({wait['time']})"
                )
                continue
            lines.append(f"  {option} waited {wait['status']}: {wait['message']} ({wait['time']})")
        for address, probe in entry["ipv4_dad"].items():
            said = f" {probe['message']}" if probe["message"] else ""
            lines.append(f"  {address} ipv4-dad {probe['time']}: {probe['status']}{said}")
        for family, routes in entry["reject"].items():
            lines.append(
                f"  reject {family}: {routes['wanted']} wanted, {routes['installed']} installed, "
                f"{len(routes['missing'])} missing"
                + (
                    f", in table {routes['table']} (the interface's VRF)"
                    if routes["table"] != wants.MAIN_TABLE
                    else ""
                )
                + (f" ({', '.join(routes['missing'][:3])} ...)" if routes["missing"] else "")
            )
            lines.append(f"    routes: {routes['because']}")
            if "probe" in routes:
                probe = routes["probe"]
                lines.append(
                    f"    probe {' '.join(probe['targets'])}: {probe['verdict']}; last: {probe['last'] or 'none yet'}"
                )
            for asn, counts in routes["per_asn"].items():
                lines.append(f"    {asn}: {counts['covered']} of {counts['cached']} cached prefixes covered")
    for family, routes in report["routes"].items():
        if routes["installed"] or routes["extra"]:
            lines.append(
                f"routes {family}: {routes['installed']} installed (proto netguard), {len(routes['extra'])} extra"
            )
    lines.extend(f"problem: {problem}" for problem in report["problems"])
    for asn, info in report["cache"].items():
        if "error" in info:
            lines.append(f"cache {asn}: {info['error']}")
            continue
        warning = "  WARNING: stale, run `netguard refresh`" if info["stale"] else ""
        lines.append(
            f"cache {asn}: {info['ipv6']} IPv6, {info['ipv4']} IPv4 from {info['source']}, "
            f"fetched {info['fetched']} ({info['age_days']} days){warning}"
        )
    rules = report["rules"]
    not_rendered = [f"{note['path']}: {note['why']}" for note in rules["not_rendered"]]
    if not lines:
        lines = ["no interface uses a netguard option, and no netguard route is installed"]
    else:
        lines.append(
            f"{RULE_NAMES[rules['implementation']]}'s rules read the interfaces files ({rules['chosen']})"
        )
    lines.extend(not_rendered)
    return "\n".join(map(escaped, lines))


def run(args: argparse.Namespace) -> int:
    from netguard.context import iface_refusal
    from netguard.errors import OptionError, shown

    for name in args.ifaces:  # a name is never a path: `../x` would read another file as a record
        refusal = iface_refusal(name)
        if refusal:
            raise OptionError(f"{shown(name)} is {refusal}; give an interface name", "", "status")
    rules, chosen = rules_of(args)
    report = build(load_config(args.config), args.interfaces, args.ifaces, rules, chosen)
    print(json.dumps(report, indent=2, sort_keys=True) if args.json else render(report))
    return EXIT_OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("status", help="options, DAD states, reject routes and cache, per interface")
    parser.add_argument("ifaces", nargs="*", metavar="IFACE")
    parser.add_argument("-i", "--interfaces", default=DEFAULT_INTERFACES, help="default: %(default)s")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    add_rules_argument(parser)
    parser.set_defaults(run=run)
