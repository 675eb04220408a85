"""The prefix cache: one deb822 file per AS under Cache-Dir, written atomically.

Hooks only read it (they never fetch: at boot the network may be down);
`netguard import` and `netguard refresh` write it, after validating every
prefix with the one grammar (prefix.py). The hook reads it with a small
parser of its own, bounded before the first byte: the file stays deb822
(one paragraph, a prefix per continuation line), but python-debian is
neither needed nor imported. Whoever can write the cache decides which
networks this host cannot reach: see safefile.py for what is refused.
"""

from __future__ import annotations

import os
import time
from itertools import islice, takewhile
from operator import itemgetter, methodcaller

from netguard.errors import NetguardError
from netguard.prefixes.prefix import Prefix, PrefixError, format_prefix, parse, parse_all
from netguard.record import NamedTuple
from netguard.safefile import UnsafeFile, check_directory, listdir, read_bounded, write_atomic

LINE_BYTES = 45  # " " + the longest canonical prefix (39 + "/128") + "\n"
HEADER_BYTES = 4096
_FIELDS = {4: "IPv4", 6: "IPv6"}
_HEADER_KEYS = ("ASN", "Source", "Fetched", "Data-Time")
_INDENTED, _UNINDENTED = methodcaller("startswith", " "), itemgetter(slice(1, None))  # a section's lines
_VERSION = itemgetter(0)


class CacheError(NetguardError):
    """A cache entry is missing, unsafe or unreadable: the whole entry is unused."""


class CacheEntry(NamedTuple):
    asn: int
    source: str
    fetched: str
    data_time: str
    prefixes: tuple[Prefix, ...]
    bad_lines: tuple[str, ...] = ()  # kept out of prefixes, reported once


def entry_path(cache_dir: str, asn: int) -> str:
    return os.path.join(cache_dir, f"AS{asn}")


def size_limit(max_routes: int) -> int:
    """The most bytes an entry of max_routes prefixes can need: larger is refused unread."""
    return HEADER_BYTES + max_routes * LINE_BYTES


def cached_asns(cache_dir: str) -> set[int]:
    """The ASNs that have an entry file (readable or not)."""
    try:
        names = listdir(os.path.realpath(cache_dir))  # a configured link is resolved (check_directory too)
    except (OSError, UnsafeFile):
        return set()
    return {int(n[2:]) for n in names if n.startswith("AS") and n[2:].isascii() and n[2:].isdigit()}


def header_value(text: str) -> str:
    """A header value as stored: printable ASCII on one line (a newline would forge a field)."""
    return "".join(c if c.isascii() and c.isprintable() else "?" for c in text)[:200]


def format_entry(entry: CacheEntry) -> str:
    lines = [
        f"ASN: {entry.asn}",
        f"Source: {header_value(entry.source)}",
        f"Fetched: {header_value(entry.fetched)}",
        f"Data-Time: {header_value(entry.data_time)}",
    ]
    for version, key in _FIELDS.items():
        lines.append(f"{key}:")
        lines.extend(" " + format_prefix(p) for p in entry.prefixes if p[0] == version)
    return "\n".join(lines) + "\n"


def parse_entry(text: str, asn: int, origin: str) -> CacheEntry:
    """The deb822 paragraph netguard writes; bad prefix lines are kept apart, named once."""
    header: dict[str, str] = {}
    good: list[Prefix] = []
    bad: list[str] = []
    lines = text.split("\n")
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        if line[:1] == " ":  # a section's lines are taken with its key line, below
            raise CacheError(f"AS{asn}: {origin}:{number}: continuation line outside IPv4/IPv6; corrupt")
        if not line or line.startswith("#"):
            continue
        key, colon, value = line.partition(":")
        if key in ("IPv4", "IPv6") and colon and not value.strip():
            section = list(map(_UNINDENTED, takewhile(_INDENTED, islice(lines, number, None))))
            number += len(section)
            _read_section(section, 4 if key == "IPv4" else 6, good, bad)
        elif key in _HEADER_KEYS and colon:
            header[key] = value.strip()
        else:
            raise CacheError(f"AS{asn}: {origin}:{number}: not a netguard cache line; corrupt, refresh it")
    if header.get("ASN") != str(asn):
        raise CacheError(f"AS{asn}: {origin}: records ASN {header.get('ASN')!r}; corrupt, refresh it")
    return CacheEntry(
        asn=asn,
        source=header.get("Source", ""),
        fetched=header.get("Fetched", ""),
        data_time=header.get("Data-Time", ""),
        prefixes=tuple(good),
        bad_lines=tuple(bad),
    )


def _read_section(texts: list[str], version: int, good: list[Prefix], bad: list[str]) -> None:
    """One IPv4:/IPv6: section's prefixes into good, the lines that are not into bad."""
    prefixes = parse_all(texts)  # the whole section in C, when every line is good
    if prefixes is not None and all(map(version.__eq__, map(_VERSION, prefixes))):
        good.extend(prefixes)
        return
    for text in texts:
        try:
            prefix = parse(text)
        except PrefixError as err:
            bad.append(f"{text[:60]!r} ({err})")
            continue
        if prefix[0] == version:
            good.append(prefix)
        else:
            bad.append(f"{text!r} (in IPv{version})")


def read_entry(cache_dir: str, asn: int, max_routes: int) -> CacheEntry:
    """One AS's entry, refused (CacheError) when missing, unsafe, oversized or corrupt."""
    path = entry_path(cache_dir, asn)
    try:
        check_directory(cache_dir)
        data = read_bounded(path, size_limit(max_routes))
    except FileNotFoundError:
        raise CacheError(
            f"AS{asn}: no prefix data in {cache_dir}; run `netguard refresh {asn}` or `netguard import {asn} FILE`"
        ) from None
    except UnsafeFile as err:
        raise CacheError(f"AS{asn}: {err.message}") from None
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise CacheError(f"AS{asn}: {path}: not ASCII; corrupt, refresh it") from None
    return parse_entry(text, asn, path)


def write_entry(cache_dir: str, entry: CacheEntry) -> str:
    """temp file + fsync + rename + fsync(dir): readers see the old entry or the new, never half."""
    try:
        os.makedirs(cache_dir, mode=0o755, exist_ok=True)
        check_directory(cache_dir)
        return write_atomic(cache_dir, f"AS{entry.asn}", format_entry(entry).encode("ascii"))
    except OSError as err:  # disk full, read-only file system ...: the old entry, if any, is untouched
        raise CacheError(
            f"AS{entry.asn}: cannot write to {cache_dir}: {err.strerror}; the cache is as it was"
        ) from None


def now_utc() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())  # not datetime: ~1 ms of every hook


def shrinkage(old: tuple[Prefix, ...], new: tuple[Prefix, ...]) -> str:
    """The one shrink rule of refresh and import. Per family: '3 IPv6 prefixes, down from 100' when one shrank by more than half, else ''."""
    for version in (6, 4):
        before = sum(p[0] == version for p in old)
        after = sum(p[0] == version for p in new)
        if before and after * 2 < before:
            return f"{after} IPv{version} prefixes, down from {before}"
    return ""
