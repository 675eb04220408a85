"""Which reject routes each interface's stanza wants, kept under State-Dir.

One file per interface and family (`reject/eth0.inet6`), so interfaces never
share a file; one flock serialises the read-union-reconcile step, so eight
interfaces coming up in parallel end with exactly the union. The file is
written before the kernel is touched: a hook killed half-way leaves a file
that says what should be there, and the next run completes it.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from netguard.prefixes.setops import IPNetwork


def _directory(state_dir: str) -> str:
    return os.path.join(state_dir, "reject")


def want_path(state_dir: str, iface: str, family: str) -> str:
    return os.path.join(_directory(state_dir), f"{iface}.{family}")


@contextmanager
def locked(state_dir: str) -> Iterator[None]:
    """Held while an interface changes its wants and the kernel is reconciled."""
    os.makedirs(_directory(state_dir), mode=0o755, exist_ok=True)
    descriptor = os.open(os.path.join(_directory(state_dir), ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class StanzaRecord:
    """What the stanza said, so `netguard refresh` can re-plan it without ifupdown."""

    asns: tuple[int, ...]
    exceptions: tuple[str, ...]
    gateway: str


def write_wants(
    state_dir: str, iface: str, family: str, prefixes: list[IPNetwork], record: StanzaRecord | None = None
) -> None:
    directory = _directory(state_dir)
    descriptor, temp = tempfile.mkstemp(prefix=".want.", dir=directory)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        if record is not None:
            handle.write(f"# asns: {' '.join(map(str, record.asns))}\n")
            handle.write(f"# except: {' '.join(record.exceptions)}\n")
            handle.write(f"# gateway: {record.gateway}\n")
        handle.write("".join(f"{p}\n" for p in prefixes))
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(temp, want_path(state_dir, iface, family))


def remove_wants(state_dir: str, iface: str, family: str) -> bool:
    try:
        os.unlink(want_path(state_dir, iface, family))
    except FileNotFoundError:
        return False
    return True


def all_wants(state_dir: str) -> dict[str, list[str]]:
    """{"eth0.inet6": [prefix text, ...]} for every interface that wants routes."""
    directory = _directory(state_dir)
    found: dict[str, list[str]] = {}
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return found
    for name in sorted(names):
        if name.startswith("."):
            continue
        with open(os.path.join(directory, name), encoding="ascii") as handle:
            found[name] = [line for line in handle.read().split("\n") if line and not line.startswith("#")]
    return found


def read_record(state_dir: str, key: str) -> StanzaRecord:
    """The stanza header of one wants file (key: "eth0.inet6")."""
    fields = {"asns": "", "except": "", "gateway": ""}
    with open(os.path.join(_directory(state_dir), key), encoding="ascii") as handle:
        for line in handle:
            if not line.startswith("# "):
                break
            name, _, value = line[2:].partition(":")
            fields[name.strip()] = value.strip()
    return StanzaRecord(
        tuple(int(a) for a in fields["asns"].split()), tuple(fields["except"].split()), fields["gateway"]
    )
