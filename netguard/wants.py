"""Which reject routes each interface's stanza wants, kept under State-Dir.

One file per family and interface (`reject/inet6.eth0`: the family first, so
no interface name, not even `.x`, makes a hidden file), so interfaces never
share a file; one flock serialises every read-modify-write of the files and
of the kernel's routes, for the hook and for `refresh` alike. A file is
written before the kernel is touched: a hook killed half-way leaves a file
that says what should be there, and the next run completes it. Files are
read back with the same strict grammar and limits as cache entries; one
that fails is set aside (renamed `.bad.*`), named in a warning, and never
stops another interface.
"""

from __future__ import annotations

import fcntl
import os
import struct
import time
from itertools import repeat
from operator import and_, itemgetter

from netguard.errors import NetguardError
from netguard.options import FAMILIES
from netguard.prefixes.cache import size_limit
from netguard.prefixes.prefix import BITS, Prefix, PrefixError, format_prefix, packed, parse
from netguard.record import NamedTuple
from netguard.safefile import (
    UnsafeFile,
    check_directory,
    listdir,
    open_lock,
    own_directory,
    read_bounded,
    write_atomic,
)

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from typing import Literal

VERSIONS = {"inet": 4, "inet6": 6}
MAGIC = "netguard-wants: 4"  # 4 added `table:`; a format 3 file (0.1.0) is read as table main
_OLDER = "netguard-wants: 3"
MAIN_TABLE = 254
_TEMP = ".tmp."
_BAD = ".bad."

Key = tuple[str, str]  # (iface, family)
_FIRST = itemgetter(0)
_BIG: Literal["big"] = "big"
_HOST_BITS = {
    v: tuple((1 << (bits - n)) - 1 for n in range(bits + 1)) for v, bits in BITS.items()
}  # by length


class WantsError(NetguardError):
    """A wants file is unreadable or corrupt; it has been set aside."""


class StanzaRecord(NamedTuple):
    """What the stanza said, so `netguard refresh` can re-plan it without ifupdown."""

    asns: tuple[int, ...]
    exceptions: tuple[Prefix, ...]
    gateway: str
    probes: tuple[str, ...] = ()  # reject-asn-probe targets: routes only while they are unreachable
    table: int = MAIN_TABLE  # where the routes go: the interface's VRF's table when it had one at ifup


class Wants(NamedTuple):
    record: StanzaRecord
    prefixes: tuple[Prefix, ...]
    inputs: str = ""  # what the plan was made from (reconcile.inputs): the same again, no re-plan


def union(wanted: dict[Key, Wants], family: str, table: int | None = None) -> set[Prefix]:
    """Every route of one family the interfaces want (in one table, or in all)."""
    return set().union(
        *[w.prefixes for (_i, f), w in wanted.items() if f == family and table in (None, w.record.table)]
    )


def directory(state_dir: str) -> str:
    return os.path.join(state_dir, "reject")


def file_name(key: Key) -> str:
    iface, family = key
    return f"{family}.{iface}"


def key_of(name: str) -> Key | None:
    family, dot, iface = name.partition(".")
    return (iface, family) if dot and family in FAMILIES and iface else None


class Locked:
    """Held (a with block) while wants files change and the kernel is reconciled; clears dead
    hooks' temp files. A class, not contextlib's decorator: contextlib costs every hook ~0.6 ms."""

    def __init__(self, state_dir: str) -> None:
        self.state_dir = state_dir
        self.descriptor = -1

    def __enter__(self) -> None:
        where = directory(self.state_dir)
        check_directory(self.state_dir)
        own_directory(where)
        check_directory(where)
        self.descriptor = open_lock(os.path.join(where, ".lock"))
        try:
            fcntl.flock(self.descriptor, fcntl.LOCK_EX)
            for name in listdir(where):
                if name.startswith(_TEMP):  # every writer holds the lock: a temp file now is a dead hook's
                    os.unlink(os.path.join(where, name))
        except BaseException:
            os.close(self.descriptor)
            raise

    def __exit__(self, *_exc: object) -> None:
        os.close(self.descriptor)


def format_wants(wants: Wants) -> bytes:
    """A short text header, then the prefixes as fixed-size records (address, length).

    Binary so that reading 100k prefixes back costs milliseconds; every
    record is still checked on the way in (see parse_wants).
    """
    record = wants.record
    header = "\n".join(
        [
            MAGIC,
            f"asns: {' '.join(map(str, record.asns))}",
            f"except: {' '.join(format_prefix(p) for p in record.exceptions)}",
            f"gateway: {record.gateway}",
            f"probes: {' '.join(record.probes)}",
            f"table: {record.table}",
            f"inputs: {wants.inputs}",
            f"count: {len(wants.prefixes)}",
        ]
    )
    body = b"".join(packed(p) + bytes((p[2],)) for p in wants.prefixes)
    return header.encode("ascii") + b"\n\n" + body


def _header(lines: list[str], name: str) -> str:
    line = lines.pop(0) if lines else ""
    key, colon, value = line.partition(":")
    if key != name or not colon:
        raise ValueError(f"expected {name!r}, found {line[:40]!r}")
    return value.strip()


def parse_wants(data: bytes, version: int) -> Wants:
    """Strict: the header exactly as written, then `count` records of the file's family (ValueError otherwise)."""
    split = data.find(b"\n\n")
    if split < 0:
        raise ValueError("not a netguard wants file")
    lines = data[:split].decode("ascii").split("\n")
    magic = lines.pop(0)
    if magic not in (MAGIC, _OLDER):
        raise ValueError(f"not a netguard wants file of format 3 or 4 ({magic[:40]!r})")
    asn_words = _header(lines, "asns").split()
    if not all(a.isascii() and a.isdigit() for a in asn_words):
        raise ValueError("bad AS number")
    exceptions = tuple(parse(p) for p in _header(lines, "except").split())
    gateway = _header(lines, "gateway")
    probes = tuple(_header(lines, "probes").split())
    table = MAIN_TABLE
    if magic == MAGIC:
        table_text = _header(lines, "table")
        if not (table_text.isascii() and table_text.isdigit() and 0 < int(table_text) < 1 << 32) or (
            int(table_text) == 255  # the kernel's local table: never netguard's
        ):
            raise ValueError(f"bad table {table_text[:12]!r}")
        table = int(table_text)
    inputs = _header(lines, "inputs")
    count_text = _header(lines, "count")
    width = BITS[version] // 8
    body = data[split + 2 :]
    if not count_text.isdigit() or len(body) != int(count_text) * (width + 1):
        raise ValueError(f"{len(body)} bytes of records, not {count_text} of {width + 1}")
    # In C (struct, map, zip): no bytecode per record, 20k records in ~5 ms.
    values = list(map(int.from_bytes, map(_FIRST, struct.iter_unpack(f">{width}sx", body)), repeat(_BIG)))
    lengths = list(body[width :: width + 1])  # every record's last byte
    if lengths and (
        max(lengths) > BITS[version] or any(map(and_, values, map(_HOST_BITS[version].__getitem__, lengths)))
    ):
        bits = BITS[version]
        bad = next(
            i
            for i, (v, n) in enumerate(zip(values, lengths, strict=True))
            if n > bits or v & ((1 << (bits - n)) - 1)
        )
        raise ValueError(f"record {bad}: not a prefix")
    record = StanzaRecord(tuple(int(a) for a in asn_words), exceptions, gateway, probes, table)
    return Wants(record, tuple(zip(repeat(version), values, lengths)), inputs)


def write_wants(state_dir: str, key: Key, wants: Wants) -> None:
    # No fsync: State-Dir (see safefile.write_atomic).
    write_atomic(directory(state_dir), file_name(key), format_wants(wants), sync=False)


def remove_wants(state_dir: str, key: Key) -> bool:
    try:
        os.unlink(os.path.join(directory(state_dir), file_name(key)))
    except FileNotFoundError:
        return False
    return True


def set_aside(state_dir: str, name: str) -> str:
    """Rename a bad file out of the way (kept for the admin to look at, never read again)."""
    target = f"{_BAD}{name}.{time.strftime('%Y%m%dT%H%M%S')}"
    os.rename(os.path.join(directory(state_dir), name), os.path.join(directory(state_dir), target))
    return target


def read_all(
    state_dir: str, max_routes: int, set_bad_aside: bool = True
) -> tuple[dict[Key, Wants], list[str]]:
    """Every interface's wants, and a warning for each file unreadable or corrupt.

    set_bad_aside: rename such a file out of the way; only under the lock (the hook,
    probe): a read-only command (status) names it and leaves it where it is."""
    where = directory(state_dir)
    found: dict[Key, Wants] = {}
    problems: list[str] = []
    try:
        names = sorted(listdir(where))
    except FileNotFoundError:
        return found, problems
    for name in names:
        key = key_of(name)
        if key is None:
            continue
        path = os.path.join(where, name)
        try:
            found[key] = parse_wants(read_bounded(path, size_limit(max_routes)), VERSIONS[key[1]])
        except FileNotFoundError:
            continue
        except (UnsafeFile, UnicodeDecodeError, ValueError, PrefixError) as err:
            why = err.message if isinstance(err, UnsafeFile) else f"{type(err).__name__}: {err}"
            if not set_bad_aside:
                problems.append(f"{path}: corrupt; {why[:120]}; ifup {key[0]} again")
                continue
            try:
                aside = set_aside(state_dir, name)
            except OSError as rename_error:
                aside = f"(could not set it aside: {rename_error.strerror})"
            problems.append(f"{path}: corrupt, set aside as {aside}; {why[:120]}; ifup {key[0]} again")
    return found, problems
