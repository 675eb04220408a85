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
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from netguard.errors import NetguardError
from netguard.prefixes.cache import size_limit
from netguard.prefixes.prefix import Prefix, PrefixError, format_prefix, parse
from netguard.safefile import UnsafeFile, check_directory, open_lock, read_bounded

FAMILIES = ("inet", "inet6")
MAGIC = "netguard-wants: 1"
_TEMP = ".tmp."
_BAD = ".bad."

Key = tuple[str, str]  # (iface, family)


class WantsError(NetguardError):
    """A wants file is unreadable or corrupt; it has been set aside."""


@dataclass(frozen=True)
class StanzaRecord:
    """What the stanza said, so `netguard refresh` can re-plan it without ifupdown."""

    asns: tuple[int, ...]
    exceptions: tuple[Prefix, ...]
    gateway: str


@dataclass(frozen=True)
class Wants:
    record: StanzaRecord
    prefixes: tuple[Prefix, ...]


def directory(state_dir: str) -> str:
    return os.path.join(state_dir, "reject")


def file_name(key: Key) -> str:
    iface, family = key
    return f"{family}.{iface}"


def key_of(name: str) -> Key | None:
    family, dot, iface = name.partition(".")
    return (iface, family) if dot and family in FAMILIES and iface else None


@contextmanager
def locked(state_dir: str) -> Iterator[None]:
    """Held while wants files change and the kernel is reconciled; clears dead hooks' temp files."""
    where = directory(state_dir)
    check_directory(state_dir)
    os.makedirs(where, mode=0o755, exist_ok=True)
    check_directory(where)
    descriptor = open_lock(os.path.join(where, ".lock"))
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        for name in os.listdir(where):
            if name.startswith(_TEMP):  # every writer holds the lock: a temp file now is a dead hook's
                os.unlink(os.path.join(where, name))
        yield
    finally:
        os.close(descriptor)


def format_wants(wants: Wants) -> str:
    record = wants.record
    lines = [
        MAGIC,
        f"asns: {' '.join(map(str, record.asns))}",
        f"except: {' '.join(format_prefix(p) for p in record.exceptions)}",
        f"gateway: {record.gateway}",
    ]
    lines.extend(format_prefix(p) for p in wants.prefixes)
    return "\n".join(lines) + "\n"


def parse_wants(text: str) -> Wants:
    """Strict: the header exactly as written, then one prefix per line (ValueError otherwise)."""
    lines = text.split("\n")
    if len(lines) < 5 or lines[0] != MAGIC or lines[-1] != "":
        raise ValueError("not a netguard wants file")
    fields = {}
    for line, name in zip(lines[1:4], ("asns", "except", "gateway"), strict=True):
        key, _, value = line.partition(": ")
        if key != name and line != f"{name}:":
            raise ValueError(f"expected {name!r}, found {line[:40]!r}")
        fields[name] = value
    asns = tuple(int(a) for a in fields["asns"].split() if a.isascii() and a.isdigit())
    if len(asns) != len(fields["asns"].split()):
        raise ValueError("bad AS number")
    record = StanzaRecord(asns, tuple(parse(p) for p in fields["except"].split()), fields["gateway"])
    return Wants(record, tuple(parse(line) for line in lines[4:-1]))


def write_wants(state_dir: str, key: Key, wants: Wants) -> None:
    where = directory(state_dir)
    descriptor, temp = tempfile.mkstemp(prefix=_TEMP, dir=where)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(format_wants(wants))
        handle.flush()
        os.fchmod(handle.fileno(), 0o644)  # nothing secret: `netguard status` works for every user
        os.fsync(handle.fileno())
    os.rename(temp, os.path.join(where, file_name(key)))


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


def read_all(state_dir: str, max_routes: int) -> tuple[dict[Key, Wants], list[str]]:
    """Every interface's wants, and a warning for each file set aside as unreadable or corrupt."""
    where = directory(state_dir)
    found: dict[Key, Wants] = {}
    problems: list[str] = []
    try:
        names = sorted(os.listdir(where))
    except FileNotFoundError:
        return found, problems
    for name in names:
        key = key_of(name)
        if key is None:
            continue
        path = os.path.join(where, name)
        try:
            found[key] = parse_wants(read_bounded(path, size_limit(max_routes)).decode("ascii"))
        except FileNotFoundError:
            continue
        except (UnsafeFile, UnicodeDecodeError, ValueError, PrefixError) as err:
            why = err.message if isinstance(err, UnsafeFile) else f"{type(err).__name__}: {err}"
            try:
                aside = set_aside(state_dir, name)
            except OSError as rename_error:
                aside = f"(could not set it aside: {rename_error.strerror})"
            problems.append(f"{path}: corrupt, set aside as {aside}; {why[:120]}; ifup {key[0]} again")
    return found, problems
