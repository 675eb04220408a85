"""`netguard refresh [ASN...]`: fill the prefix cache from the network, then re-apply.

Hooks never fetch; this command (run daily by netguard-refresh.timer) does.
Per AS the sources are tried in order (Refresh-Sources); a failed or empty
answer falls through to the next one. An answer in which either family
shrank by more than half against the cached entry is refused (--force
accepts it): a broken source must not quietly lift the reject routes. The
cache changes only by an atomic write of a validated entry.
"""

from __future__ import annotations

import argparse
import os
import sys

from netguard import log
from netguard.catalogue import any_option_set, parse_options
from netguard.commands.check import add_rules_argument, rules_of
from netguard.config import Config, load_config
from netguard.errors import EXIT_FAILURE, EXIT_OK, OptionError
from netguard.interfaces import DEFAULT_INTERFACES, IFUPDOWN, RULE_NAMES, TemplateNotRendered, read_interfaces
from netguard.options import BadValue, parse_asn
from netguard.prefixes.cache import (
    CacheEntry,
    CacheError,
    cached_asns,
    now_utc,
    read_entry,
    shrinkage,
    write_entry,
)

# sources is imported where it is used: its http.client and ssl cost every command ~25 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from netguard.prefixes import sources


def configured_asns(path: str, rules: str = IFUPDOWN) -> list[int]:
    """Every ASN named in a reject-asn option of the interfaces configuration (a template
    read as written is said: its reject-asn options may not be what ifupdown2 will see)."""
    found: list[int] = []
    notes: list[TemplateNotRendered] = []
    stanzas = read_interfaces(path, rules, notes)
    for note in notes:
        log.warn("", "refresh", f"{note.path}: {note.message}")
    for stanza in stanzas:
        env = stanza.env()
        if not any_option_set(env):
            continue
        try:
            asns = parse_options(env, stanza.iface)["reject-asn"]  # exactly what the hook will ask for
        except OptionError:
            continue  # `netguard check` reports it
        found.extend(asn for asn in asns if asn not in found)
    return found


def fetch(config: Config, source: str, asn: int) -> sources.Fetched:
    from netguard.prefixes import sources

    if source == "ripestat":
        return sources.fetch_ripestat(config.ripestat_url, asn, config.fetch_timeout, config.fetch_max_bytes)
    if source == "mirror":
        if not config.mirror_url:
            raise sources.FetchError("mirror: Refresh-Sources names mirror but Mirror-Url is not set")
        return sources.fetch_mirror(config.mirror_url, asn, config.fetch_timeout, config.fetch_max_bytes)
    return sources.fetch_irr(
        config.irr_host,
        config.irr_port,
        config.irr_sources,
        asn,
        config.fetch_timeout,
        config.fetch_max_bytes,
    )


def fetch_first(config: Config, asn: int) -> tuple[sources.Fetched | None, list[str]]:
    from netguard.prefixes import sources

    """The first source that answers with prefixes, and what the ones before it said."""
    problems = []
    for source in config.refresh_sources.split():
        try:
            fetched = fetch(config, source, asn)
        except sources.FetchError as err:
            problems.append(err.message)
            continue
        if fetched.prefixes:
            return fetched, problems
        problems.append(f"{source}: empty answer")
    return None, problems


def accept(config: Config, asn: int, fetched: sources.Fetched, force: bool, note: str) -> tuple[bool, str]:
    """Into the cache, unless a family shrank by more than half: (cache written, one line)."""
    try:
        old = read_entry(config.cache_dir, asn, config.reject_max_routes)
    except CacheError:
        old = None
    shrunk = shrinkage(old.prefixes if old else (), fetched.prefixes)
    if shrunk and not force:
        return False, (
            f"AS{asn}: {fetched.source} answered {shrunk}, shrank by more than half; cache kept; "
            "check the source, or accept with --force"
        )
    write_entry(config.cache_dir, as_entry(asn, fetched))
    return True, describe(asn, fetched) + note


def as_entry(asn: int, fetched: sources.Fetched) -> CacheEntry:
    return CacheEntry(asn, fetched.source, now_utc(), fetched.data_time or now_utc(), fetched.prefixes)


def describe(asn: int, fetched: sources.Fetched) -> str:
    v6 = sum(p[0] == 6 for p in fetched.prefixes)
    kind = {"ripestat": "announced", "irr": "registered"}.get(fetched.source, "mirrored")
    return f"AS{asn}: {v6} IPv6 and {len(fetched.prefixes) - v6} IPv4 prefixes ({kind}, {fetched.source.split(':')[0]})"


def refresh_one(config: Config, asn: int, force: bool, stage: str | None = None) -> tuple[bool, str]:
    """(done, one line saying what happened): into the cache, or into the staging directory."""
    fetched, problems = fetch_first(config, asn)
    if fetched is None:
        return (
            False,
            f"AS{asn}: no source answered: {'; '.join(problems) or 'no sources configured'}; cache kept",
        )
    note = f" (after: {'; '.join(problems)})" if problems else ""
    if stage is not None:
        write_entry(stage, as_entry(asn, fetched))
        return True, describe(asn, fetched) + note + "; staged"
    return accept(config, asn, fetched, force, note)


def _record_attempts(config: Config, tried: dict[int, bool]) -> None:
    """Each AS's attempt (did it fill the cache?) for the metrics; then netguard_cache.prom."""
    from netguard import cachemetrics

    for asn, ok in tried.items():
        cachemetrics.record_attempt(config, asn, ok)
    cachemetrics.publish(config)


def from_stage(config: Config, stage: str, force: bool) -> list[tuple[int, tuple[bool, str]]]:
    """The staged answers, read as untrusted input (an unprivileged step wrote them) and accepted like a mirror's."""
    from netguard.prefixes import sources
    from netguard.prefixes.cache import parse_entry, size_limit
    from netguard.safefile import UnsafeFile, read_bounded

    results: list[tuple[int, tuple[bool, str]]] = []
    for asn in sorted(cached_asns(stage)):
        path = os.path.join(stage, f"AS{asn}")
        try:
            data = read_bounded(path, size_limit(config.reject_max_routes), check_owner=False)
            entry = parse_entry(data.decode("ascii"), asn, path)
        except (UnsafeFile, CacheError) as err:
            results.append((asn, (False, f"AS{asn}: staged answer refused: {err.message}")))
            continue
        except (OSError, UnicodeDecodeError) as err:
            results.append((asn, (False, f"AS{asn}: staged answer refused: {path}: {err}")))
            continue
        if entry.bad_lines:
            results.append((asn, (False, f"AS{asn}: staged answer refused: {path}: {entry.bad_lines[0]}")))
            continue
        fetched = sources.Fetched(entry.source, entry.data_time, entry.prefixes)
        results.append((asn, accept(config, asn, fetched, force, "")))
    return results


def refuse_cache_as_stage(config: Config, stage: str) -> None:
    """The fetch step empties its staging directory first: never the cache (or a directory
    holding it), which would lose every entry before a single answer came."""
    staged, cache = os.path.realpath(stage), os.path.realpath(config.cache_dir)
    if staged == cache or cache.startswith(staged.rstrip("/") + "/"):
        raise OptionError(
            f"--stage {stage} is Cache-Dir or holds it ({config.cache_dir}); staging there would delete "
            "the cached entries; name a directory of its own (the service uses /var/cache/netguard-staging)",
            "",
            "refresh",
        )


def clear_stage(stage: str) -> None:
    """The fetch step starts from an empty staging directory: nothing stale is applied later."""
    for asn in cached_asns(stage):
        os.unlink(os.path.join(stage, f"AS{asn}"))


def report(results: list[tuple[bool, str]]) -> int:
    for number, (ok, line) in enumerate(results, 1):
        progress = f"[{number}/{len(results)}] " if sys.stdout.isatty() and len(results) > 1 else ""
        print(("" if ok else "netguard: refresh: ") + progress + line, file=sys.stdout if ok else sys.stderr)
    return sum(not ok for ok, _line in results)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    # The staging directory is systemd's CacheDirectory= of a DynamicUser: a link to
    # /var/cache/private/...; it is resolved once, here, for both steps.
    args.stage = os.path.realpath(args.stage) if args.stage else args.stage
    args.from_stage = os.path.realpath(args.from_stage) if args.from_stage else args.from_stage
    if args.from_stage:
        results = from_stage(config, args.from_stage, args.force)
        failed = report([line for _asn, line in results])
        tried = dict(results)
        rules, _chosen = rules_of(args)
        for asn in configured_asns(args.interfaces, rules):  # what the fetch step could not stage
            tried.setdefault(asn, (False, ""))
        _record_attempts(config, {asn: ok for asn, (ok, _line) in tried.items()})
    else:
        for source, url in (("ripestat", config.ripestat_url), ("mirror", config.mirror_url)):
            if source in config.refresh_sources.split() and url.startswith("http://"):
                print(f"netguard: refresh: {source}: plain http ({url}), as configured: no TLS")
        rules, chosen = rules_of(args)
        try:
            asns = [parse_asn(a) for a in args.asns] if args.asns else configured_asns(args.interfaces, rules)
        except BadValue as err:
            raise OptionError(f"bad AS number; {err}", "", "refresh") from None
        if args.stage:
            refuse_cache_as_stage(config, args.stage)
            clear_stage(args.stage)
        if not asns:
            print(
                f"netguard: refresh: no reject-asn option in {args.interfaces} "
                f"(read with the rules of {RULE_NAMES[rules]}, {chosen}); nothing to do"
            )
            return EXIT_OK
        # One request at a time (RIPEstat: at most 8 per IP).
        results = [(asn, refresh_one(config, asn, args.force, args.stage)) for asn in asns]
        failed = report([line for _asn, line in results])
        if not args.stage:
            _record_attempts(config, {asn: ok for asn, (ok, _line) in results})
    if not args.no_apply and not args.stage:
        from netguard import reconcile

        for outcome in reconcile.reapply_all(config):
            log.info("", "refresh", f"{outcome.family}: +{outcome.added} -{outcome.deleted} routes")
            if outcome.added or outcome.deleted:
                print(f"{outcome.family}: re-applied: +{outcome.added} -{outcome.deleted} routes")
    return EXIT_FAILURE if failed else EXIT_OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("refresh", help="fetch prefix data for reject-asn, then re-apply it")
    parser.add_argument(
        "asns", nargs="*", metavar="ASN", help="default: every ASN in the interfaces configuration"
    )
    parser.add_argument("-i", "--interfaces", default=DEFAULT_INTERFACES, help="default: %(default)s")
    parser.add_argument("--force", action="store_true", help="accept an answer that shrank by more than half")
    add_rules_argument(parser)
    parser.add_argument(
        "--no-apply", action="store_true", help="only fill the cache; leave routes as they are"
    )
    steps = parser.add_mutually_exclusive_group()
    steps.add_argument(
        "--stage",
        metavar="DIR",
        help="fetch into DIR only (the unprivileged step of netguard-refresh.service)",
    )
    steps.add_argument(
        "--from-stage",
        metavar="DIR",
        help="validate what --stage left in DIR, cache it, re-apply (the root step)",
    )
    parser.set_defaults(run=run)
