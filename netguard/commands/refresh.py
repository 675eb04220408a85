"""`netguard refresh [ASN...]`: fill the prefix cache from the network, then re-apply.

Hooks never fetch; this command (run daily by netguard-refresh.timer) does.
Per AS the sources are tried in order (Refresh-Sources); a failed or empty
answer falls through to the next one. An answer that shrank by more than
half against the cached entry is refused (--force accepts it): a broken
source must not quietly lift the reject routes. The cache changes only by
an atomic write of a validated entry.
"""

from __future__ import annotations

import argparse
import sys

from netguard import log
from netguard.config import Config, load_config
from netguard.errors import EXIT_FAILURE, EXIT_OK, OptionError
from netguard.interfaces import DEFAULT_INTERFACES, read_interfaces
from netguard.options import BadValue, parse_asn
from netguard.prefixes import sources
from netguard.prefixes.cache import CacheEntry, CacheError, now_utc, read_entry, write_entry

KNOWN_SOURCES = ("ripestat", "irr")


def configured_asns(path: str) -> list[int]:
    """Every ASN named in a reject-asn option of the interfaces configuration."""
    found: list[int] = []
    for stanza in read_interfaces(path):
        for option in stanza.options:
            if option.name != "reject-asn":
                continue
            for word in option.value.replace(",", " ").split():
                try:
                    asn = parse_asn(word)
                except BadValue:
                    continue  # `netguard check` reports it
                if asn not in found:
                    found.append(asn)
    return found


def fetch(config: Config, source: str, asn: int) -> sources.Fetched:
    if source == "ripestat":
        return sources.fetch_ripestat(config.ripestat_url, asn, config.fetch_timeout, config.fetch_max_bytes)
    return sources.fetch_irr(
        config.irr_host,
        config.irr_port,
        config.irr_sources,
        asn,
        config.fetch_timeout,
        config.fetch_max_bytes,
    )


def refresh_one(config: Config, asn: int, force: bool) -> tuple[bool, str]:
    """(cache written, one line saying what happened)."""
    problems = []
    for source in config.refresh_sources.split():
        try:
            fetched = fetch(config, source, asn)
        except sources.FetchError as err:
            problems.append(err.message)
            continue
        if not fetched.prefixes:
            problems.append(f"{source}: empty answer")
            continue
        try:
            old = read_entry(config.cache_dir, asn)
        except CacheError:
            old = None
        if old is not None and old.prefixes and len(fetched.prefixes) * 2 < len(old.prefixes) and not force:
            return False, (
                f"AS{asn}: {source} answered {len(fetched.prefixes)} prefixes, down from {len(old.prefixes)} "
                "(shrank by more than half); cache kept; check the source, or accept with --force"
            )
        entry = CacheEntry(asn, fetched.source, now_utc(), fetched.data_time or now_utc(), fetched.prefixes)
        write_entry(config.cache_dir, entry)
        v6 = sum(p.version == 6 for p in entry.prefixes)
        kind = "announced" if fetched.source == "ripestat" else "registered"
        note = f" (after: {'; '.join(problems)})" if problems else ""
        return (
            True,
            f"AS{asn}: {v6} IPv6 and {len(entry.prefixes) - v6} IPv4 prefixes ({kind}, {source}){note}",
        )
    return False, f"AS{asn}: no source answered: {'; '.join(problems) or 'no sources configured'}; cache kept"


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    unknown = [s for s in config.refresh_sources.split() if s not in KNOWN_SOURCES]
    if unknown:
        raise OptionError(
            f"unknown source {unknown[0]!r} in Refresh-Sources; known: {', '.join(KNOWN_SOURCES)}"
        )
    try:
        asns = [parse_asn(a) for a in args.asns] if args.asns else configured_asns(args.interfaces)
    except BadValue as err:
        raise OptionError(f"bad AS number; {err}", "", "refresh") from None
    if not asns:
        print(f"netguard: refresh: no reject-asn option in {args.interfaces}; nothing to do")
        return EXIT_OK
    failed = 0
    for number, asn in enumerate(asns, 1):  # one request at a time (RIPEstat: at most 8 per IP)
        ok, line = refresh_one(config, asn, args.force)
        failed += not ok
        progress = f"[{number}/{len(asns)}] " if sys.stdout.isatty() and len(asns) > 1 else ""
        print(("" if ok else "netguard: refresh: ") + progress + line, file=sys.stdout if ok else sys.stderr)
    if not args.no_apply:
        from netguard import reconcile

        for key, outcomes in reconcile.reapply_all(config).items():
            for outcome in outcomes:
                log.info("", "refresh", f"{key}: +{outcome.added} -{outcome.deleted} routes")
                if outcome.added or outcome.deleted:
                    print(f"{key}: re-applied: +{outcome.added} -{outcome.deleted} routes")
    return EXIT_FAILURE if failed else EXIT_OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("refresh", help="fetch prefix data for reject-asn, then re-apply it")
    parser.add_argument(
        "asns", nargs="*", metavar="ASN", help="default: every ASN in the interfaces configuration"
    )
    parser.add_argument("-i", "--interfaces", default=DEFAULT_INTERFACES, help="default: %(default)s")
    parser.add_argument("--force", action="store_true", help="accept an answer that shrank by more than half")
    parser.add_argument(
        "--no-apply", action="store_true", help="only fill the cache; leave routes as they are"
    )
    parser.set_defaults(run=run)
