"""`netguard import ASN FILE`: the prefix cache from a plain list, for air-gapped hosts and labs."""

from __future__ import annotations

import argparse

from netguard.config import load_config
from netguard.errors import EXIT_OK, OptionError


def run(args: argparse.Namespace) -> int:
    """Fill the cache from a plain list: air-gapped hosts, labs, tests."""
    from netguard.options import BadValue, parse_asn
    from netguard.prefixes.cache import CacheEntry, now_utc, parse_prefix_lines, write_entry

    try:
        asn = parse_asn(args.asn)
    except BadValue as err:
        raise OptionError(f"bad AS number {args.asn!r}; {err}", "", "import") from None
    try:
        with open(args.file, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeError) as err:
        raise OptionError(f"cannot read {args.file}: {err}", "", "import") from None
    prefixes, bad = parse_prefix_lines(lines)
    if bad:
        number, text = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise OptionError(
            f"{args.file}:{number}: {text!r} is not a prefix{more}; fix the list (one prefix per line, # comments)",
            "",
            "import",
        )
    stamp = now_utc()
    entry = CacheEntry(
        asn,
        f"import:{args.source or args.file}",
        stamp,
        stamp,
        tuple(sorted(set(prefixes), key=lambda p: (p.version, p))),
    )
    path = write_entry(load_config(args.config).cache_dir, entry)
    v6 = sum(p.version == 6 for p in entry.prefixes)
    print(f"AS{asn}: {v6} IPv6 and {len(entry.prefixes) - v6} IPv4 prefixes cached in {path}")
    return EXIT_OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("import", help="cache an AS's prefixes from a plain list (one per line)")
    parser.add_argument("asn", metavar="ASN", help="174 or AS174")
    parser.add_argument("file", metavar="FILE", help="prefixes, one per line, # comments")
    parser.add_argument("--source", help="where the list came from, recorded in the cache")
    parser.set_defaults(run=run)
