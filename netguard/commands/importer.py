"""`netguard import ASN FILE`: the prefix cache from a plain list, for air-gapped hosts and labs."""

from __future__ import annotations

import argparse

from netguard.config import load_config
from netguard.errors import EXIT_OK, OptionError, shown

IMPORT_FACTOR = 4  # a list may carry comments and spacing: up to 4x an entry's size limit


def parse_list(text: str, origin: str) -> list[tuple[int, int, int]]:
    """Prefixes, one per line, '#' comments; the first bad line is named (with how many more)."""
    from itertools import repeat
    from operator import itemgetter

    from netguard.prefixes.prefix import PrefixError, parse, parse_all, sort_prefixes

    lines = text.split("\n")
    if "#" in text:
        lines = list(map(itemgetter(0), map(str.partition, lines, repeat("#"))))
    every = parse_all(list(filter(None, map(str.strip, lines))))  # in C, when every line is good
    if every is not None:
        return sort_prefixes(set(every))
    prefixes = set()
    bad: list[tuple[int, str, str]] = []
    for number, raw in enumerate(text.split("\n"), 1):
        word = raw.split("#", 1)[0].strip()
        if not word:
            continue
        try:
            prefixes.add(parse(word))
        except PrefixError as err:
            bad.append((number, word, str(err)))
    if bad:
        number, word, why = bad[0]
        more = f" (and {len(bad) - 1} more bad lines)" if len(bad) > 1 else ""
        raise OptionError(
            f"{origin}:{number}: {shown(word)} is not a prefix: {why}{more}; "
            "fix the list (one prefix per line, # comments)",
            "",
            "import",
        )
    return sort_prefixes(prefixes)


def run(args: argparse.Namespace) -> int:
    """Fill the cache from a plain list: air-gapped hosts, labs, tests."""
    from netguard.options import BadValue, parse_asn
    from netguard.prefixes.cache import (
        CacheEntry,
        CacheError,
        now_utc,
        read_entry,
        shrinkage,
        size_limit,
        write_entry,
    )
    from netguard.safefile import UnsafeFile, read_bounded

    try:
        asn = parse_asn(args.asn)
    except BadValue as err:
        raise OptionError(f"bad AS number {shown(args.asn)}; {err}", "", "import") from None
    config = load_config(args.config)
    path = "/dev/stdin" if args.file == "-" else args.file
    limit = size_limit(config.reject_max_routes) * IMPORT_FACTOR
    try:
        data = read_bounded(path, limit, allow_pipe=True, follow=True, check_owner=False)
        text = data.decode("ascii")
    except FileNotFoundError:
        raise OptionError(f"{args.file}: no such file", "", "import") from None
    except UnsafeFile as err:
        raise OptionError(err.message, "", "import") from None
    except UnicodeDecodeError as err:
        raise OptionError(
            f"{args.file}: not ASCII text (byte {err.start}); a prefix list is ASCII", "", "import"
        ) from None
    prefixes = parse_list(text, args.file)
    if len(prefixes) > config.reject_max_routes:
        raise OptionError(
            f"{args.file}: {len(prefixes)} prefixes, more than Reject-Max-Routes {config.reject_max_routes}; "
            "nothing cached",
            "",
            "import",
        )
    if not prefixes and not args.force:
        raise OptionError(
            f"{args.file}: no prefix in it (an empty file, or a pipe nobody wrote to); nothing cached; "
            "to cache an empty entry, use --force",
            "",
            "import",
        )
    try:
        old = read_entry(config.cache_dir, asn, config.reject_max_routes)
    except CacheError:
        old = None
    shrunk = shrinkage(old.prefixes if old else (), tuple(prefixes))
    if shrunk and not args.force:
        raise OptionError(
            f"AS{asn}: {args.file} holds {shrunk}, shrank by more than half; cache kept; "
            "check the list, or accept with --force",
            "",
            "import",
        )
    stamp = now_utc()
    entry = CacheEntry(asn, f"import:{args.source or args.file}", stamp, stamp, tuple(prefixes))
    written = write_entry(config.cache_dir, entry)
    v6 = sum(p[0] == 6 for p in prefixes)
    print(f"AS{asn}: {v6} IPv6 and {len(prefixes) - v6} IPv4 prefixes cached in {written}")
    from netguard import cachemetrics

    cachemetrics.publish(config)
    return EXIT_OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("import", help="cache an AS's prefixes from a plain list (one per line)")
    parser.add_argument("asn", metavar="ASN", help="174 or AS174")
    parser.add_argument(
        "file", metavar="FILE", help="prefixes, one per line, # comments; - for standard input"
    )
    parser.add_argument("--source", help="where the list came from, recorded in the cache")
    parser.add_argument(
        "--force", action="store_true", help="accept an empty list, or one that shrank by more than half"
    )
    parser.set_defaults(run=run)
