"""The prefix cache: one deb822 file per AS under Cache-Dir, written atomically.

Hooks only read it (they never fetch: at boot the network may be down);
`netguard import` (and later `netguard refresh`) write it. Files that are
not root's, or that others could write, are refused: whoever can write the
cache decides which networks this host cannot reach.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import stat
import tempfile
from dataclasses import dataclass, field

from netguard.errors import NetguardError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class CacheError(NetguardError):
    """A cache entry is missing, unsafe or unreadable: the whole entry is unused."""


@dataclass(frozen=True)
class CacheEntry:
    asn: int
    source: str
    fetched: str
    data_time: str
    prefixes: tuple[IPNetwork, ...]
    bad_lines: tuple[str, ...] = field(default=())  # kept out of prefixes, reported once each


def entry_path(cache_dir: str, asn: int) -> str:
    return os.path.join(cache_dir, f"AS{asn}")


def cached_asns(cache_dir: str) -> set[int]:
    """The ASNs that have an entry file (readable or not)."""
    try:
        names = os.listdir(cache_dir)
    except OSError:
        return set()
    return {int(n[2:]) for n in names if n.startswith("AS") and n[2:].isdigit()}


def parse_prefix_lines(lines: list[str]) -> tuple[list[IPNetwork], list[tuple[int, str]]]:
    """Prefixes from text lines ('#' comments, blanks ignored); bad lines as (number, text)."""
    good: list[IPNetwork] = []
    bad: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            good.append(ipaddress.ip_network(text, strict=True))
        except ValueError:
            bad.append((number, text))
    return good, bad


def _check_safe(path: str, info: os.stat_result, asn: int) -> None:
    if info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise CacheError(
            f"AS{asn}: {path} is not root's or is group/world-writable; refused; "
            f"fix with: chown root:root {path} && chmod 644 {path}"
        )


def format_entry(entry: CacheEntry) -> str:
    from debian.deb822 import Deb822

    paragraph = Deb822()
    paragraph["ASN"] = str(entry.asn)
    paragraph["Source"] = entry.source
    paragraph["Fetched"] = entry.fetched
    paragraph["Data-Time"] = entry.data_time
    for version, key in ((4, "IPv4"), (6, "IPv6")):
        prefixes = [str(p) for p in entry.prefixes if p.version == version]
        paragraph[key] = "".join("\n " + p for p in prefixes)
    return paragraph.dump()


_PREFIX_FIELDS = ("IPv4", "IPv6")


def _split_prefix_fields(lines: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Header lines, and the continuation lines of each prefix field.

    python-debian parses a field of 100k continuation lines in seconds; these
    fields are one prefix per line, so they are cut out by the deb822 rule
    (a line starting with a space or tab continues the field above) and the
    small header alone goes through Deb822.
    """
    header: list[str] = []
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        if line[:1] in (" ", "\t"):
            (current if current is not None else header).append(line)
            continue
        name, _, value = line.partition(":")
        if name in _PREFIX_FIELDS:
            current = fields.setdefault(name, [])
            if value.strip():
                current.append(value)
        else:
            current = None
            header.append(line)
    return header, fields


def parse_entry(text: str, asn: int, origin: str) -> CacheEntry:
    from debian.deb822 import Deb822

    header, prefix_fields = _split_prefix_fields(text.splitlines())
    try:
        paragraph = Deb822(header)
    except (ValueError, UnicodeError) as err:
        raise CacheError(
            f"AS{asn}: {origin}: not a deb822 record ({err}); run `netguard import` again"
        ) from None
    if paragraph.get("ASN", "").strip() != str(asn):
        raise CacheError(f"AS{asn}: {origin}: records ASN {paragraph.get('ASN')!r}; corrupt, re-import it")
    good: list[IPNetwork] = []
    bad: list[str] = []
    for version, key in ((4, "IPv4"), (6, "IPv6")):
        prefixes, errors = parse_prefix_lines(prefix_fields.get(key, []))
        for prefix in prefixes:
            if prefix.version == version:
                good.append(prefix)
            else:
                bad.append(f"{prefix} (in {key})")
        bad.extend(text for _, text in errors)
    return CacheEntry(
        asn=asn,
        source=paragraph.get("Source", ""),
        fetched=paragraph.get("Fetched", ""),
        data_time=paragraph.get("Data-Time", ""),
        prefixes=tuple(good),
        bad_lines=tuple(bad),
    )


def read_entry(cache_dir: str, asn: int) -> CacheEntry:
    path = entry_path(cache_dir, asn)
    try:
        with open(path, encoding="utf-8") as handle:
            _check_safe(path, os.fstat(handle.fileno()), asn)
            text = handle.read()
    except FileNotFoundError:
        raise CacheError(
            f"AS{asn}: no prefix data in {cache_dir}; run `netguard import {asn} FILE`"
        ) from None
    except (OSError, UnicodeError) as err:
        raise CacheError(f"AS{asn}: cannot read {path}: {err}") from None
    return parse_entry(text, asn, path)


def write_entry(cache_dir: str, entry: CacheEntry) -> str:
    """temp file + fsync + rename + fsync(dir): readers see the old entry or the new, never half."""
    os.makedirs(cache_dir, mode=0o755, exist_ok=True)
    path = entry_path(cache_dir, entry.asn)
    descriptor, temp = tempfile.mkstemp(prefix=f".AS{entry.asn}.", dir=cache_dir)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(format_entry(entry))
            handle.flush()
            os.fchmod(handle.fileno(), 0o644)
            os.fsync(handle.fileno())
        os.rename(temp, path)
    except BaseException:
        os.unlink(temp)
        raise
    directory = os.open(cache_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return path


def now_utc() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
