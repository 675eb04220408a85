"""One DAD wait for every interface of an `ifup -a` (the boot run), not one after another.

ifupdown 0.8 runs the hooks once more before and after all interfaces with
IFACE=--all (main.c: do_pre_all, do_post_all; --all's post-up runs even when
an interface failed, measured). The --all pre-up marks the run in progress,
tied to that ifup process (pid and start time, so a killed ifup leaves no
mark a later run could mistake for its own); each interface's wait-dad
post-up then records what it must wait for instead of waiting; the --all
post-up waits once for all of them together. A single `ifup eth0` or
ifup@.service (hotplug) is not the marked process, so it waits per interface.

`State-Dir/boot/run` holds the mark, `State-Dir/boot/pending/IFACE` each
interface's wait (monotonic deadline, need_global, on_failure).
"""

from __future__ import annotations

import os

from netguard.record import NamedTuple
from netguard.safefile import UnsafeFile, check_directory, listdir, own_directory, read_bounded, write_atomic

MARK_LIMIT = 64


class Pending(NamedTuple):
    iface: str
    deadline: float  # time.monotonic() (CLOCK_MONOTONIC: the same clock in every process)
    timeout: float
    need_global: bool
    on_failure: str
    deferred_at: float


def _stat_fields(pid: int) -> tuple[str, list[str]] | None:
    """(comm, the fields after it) of /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            head, _, rest = handle.read().rpartition(")")
    except OSError:
        return None
    return head.partition("(")[2], rest.split()


def ifup_pid() -> int:
    """The ifup (or ifdown, ifquery) this hook runs under: up the parent chain; else our grandparent."""
    pid = os.getppid()
    chain: list[int] = []
    while pid > 1 and len(chain) < 8:
        found = _stat_fields(pid)
        if found is None or len(found[1]) < 2:
            break
        comm, fields = found
        chain.append(pid)
        if comm.startswith(("ifup", "ifdown")):
            return pid
        pid = int(fields[1])
    return chain[1] if len(chain) > 1 else os.getppid()


def identity(pid: int) -> str:
    """pid and start time (clock ticks since boot): a reused pid is another process."""
    found = _stat_fields(pid)
    start = found[1][19] if found and len(found[1]) > 19 else "?"
    return f"{pid} {start}"


def _paths(state_dir: str) -> tuple[str, str]:
    where = os.path.join(state_dir, "boot")
    return where, os.path.join(where, "pending")


def begin(state_dir: str) -> None:
    """--all pre-up: this ifup's run is in progress; what a killed run left is dropped."""
    check_directory(state_dir)
    where, pending = _paths(state_dir)
    own_directory(where)
    own_directory(pending)
    for name in listdir(pending):
        os.unlink(os.path.join(pending, name))
    write_atomic(where, "run", (identity(ifup_pid()) + "\n").encode("ascii"), sync=False)


def in_progress(state_dir: str) -> bool:
    """True in an interface's hook when its ifup is the one that marked the run."""
    where, _ = _paths(state_dir)
    try:
        mark = read_bounded(os.path.join(where, "run"), MARK_LIMIT).decode("ascii").strip()
    except (OSError, UnsafeFile, UnicodeDecodeError):
        return False
    return mark == identity(ifup_pid())


def defer(state_dir: str, wait: Pending) -> None:
    _, pending = _paths(state_dir)
    own_directory(pending)
    line = (
        f"{wait.deadline!r} {wait.timeout!r} {int(wait.need_global)} {wait.on_failure} {wait.deferred_at!r}\n"
    )
    write_atomic(pending, wait.iface, line.encode("ascii"), sync=False)


def pending(state_dir: str) -> list[Pending]:
    """The waits interfaces deferred in this run (a record that does not parse is dropped)."""
    from netguard.context import iface_refusal

    _, where = _paths(state_dir)
    try:
        names = sorted(listdir(where))
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        if iface_refusal(name):  # write_atomic's `.tmp.PID.HEX` is longer than any interface name
            continue
        try:
            words = read_bounded(os.path.join(where, name), 256).decode("ascii").split()
            deadline, timeout, need_global, on_failure, deferred_at = words
            found.append(
                Pending(
                    name, float(deadline), float(timeout), need_global == "1", on_failure, float(deferred_at)
                )
            )
        except (OSError, UnsafeFile, UnicodeDecodeError, ValueError):
            continue
    return found


def finish(state_dir: str) -> None:
    """--all post-up, its wait done: no mark and no pending wait is left."""
    where, pending_dir = _paths(state_dir)
    for path in [os.path.join(pending_dir, name) for name in _listing(pending_dir)] + [
        os.path.join(where, "run")
    ]:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def _listing(path: str) -> list[str]:
    try:
        return listdir(path)
    except FileNotFoundError:
        return []
