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
from netguard.safefile import UnsafeFile, read_bounded, write_atomic

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


def _open(state_dir: str, *parts: str, make: bool = False) -> int:
    from netguard.safefile import open_directory

    return open_directory(state_dir, "boot", *parts, make=make)


def _mark(descriptor: int) -> str:
    """The run's mark ("pid starttime" of the ifup that made it), "" when none or unreadable."""
    try:
        return read_bounded("run", MARK_LIMIT, dir_fd=descriptor).decode("ascii").strip()
    except (OSError, UnsafeFile, UnicodeDecodeError):
        return ""


def _owned_mark(descriptor: int) -> bool:
    """The run's mark names this hook's ifup (a second `ifup -a`'s mark is not ours)."""
    return _mark(descriptor) == identity(ifup_pid())


def _live_mark(descriptor: int) -> bool:
    """The mark names another `ifup -a` that still runs (not when its ifup is gone)."""
    mark = _mark(descriptor)
    pid = mark.partition(" ")[0]
    return pid.isdigit() and mark != identity(ifup_pid()) and identity(int(pid)) == mark


def _clear_pending(state_dir: str) -> None:
    """No deferred wait is left (through open_directory: no link followed)."""
    try:
        pending = _open(state_dir, "pending")
    except FileNotFoundError:
        return
    try:
        for name in os.listdir(pending):
            os.unlink(name, dir_fd=pending)
    finally:
        os.close(pending)


def begin(state_dir: str) -> bool:
    """--all pre-up: this ifup's run is in progress; what a killed run left is dropped. False
    when another `ifup -a` is still running: its mark and its pending waits stay, and this
    run's interfaces each wait for themselves (two runs never share, or clear, one record)."""
    where = _open(state_dir, make=True)
    try:
        if _live_mark(where):
            return False
        _clear_pending(state_dir)
        write_atomic(
            os.path.join(state_dir, "boot"),
            "run",
            (identity(ifup_pid()) + "\n").encode("ascii"),
            sync=False,
            dir_fd=where,
        )
    finally:
        os.close(where)
    return True


def in_progress(state_dir: str) -> bool:
    """True in an interface's hook when its ifup is the one that marked the run."""
    try:
        where = _open(state_dir)
    except (OSError, UnsafeFile):
        return False
    try:
        return _owned_mark(where)
    finally:
        os.close(where)


def defer(state_dir: str, wait: Pending) -> None:
    pending = _open(state_dir, "pending", make=True)
    line = (
        f"{wait.deadline!r} {wait.timeout!r} {int(wait.need_global)} {wait.on_failure} {wait.deferred_at!r}\n"
    )
    try:
        write_atomic(
            os.path.join(state_dir, "boot", "pending"),
            wait.iface,
            line.encode("ascii"),
            sync=False,
            dir_fd=pending,
        )
    finally:
        os.close(pending)


def pending(state_dir: str) -> list[Pending]:
    """The waits interfaces deferred in this run (a record that does not parse is dropped)."""
    from netguard.context import iface_refusal

    try:
        where = _open(state_dir, "pending")
    except FileNotFoundError:
        return []
    found = []
    try:
        for name in sorted(os.listdir(where)):
            if iface_refusal(name):  # write_atomic's `.tmp.PID.HEX` is longer than any interface name
                continue
            try:
                words = read_bounded(name, 256, dir_fd=where).decode("ascii").split()
                deadline, timeout, need_global, on_failure, deferred_at = words
                found.append(
                    Pending(
                        name,
                        float(deadline),
                        float(timeout),
                        need_global == "1",
                        on_failure,
                        float(deferred_at),
                    )
                )
            except (OSError, UnsafeFile, UnicodeDecodeError, ValueError):
                continue
    finally:
        os.close(where)
    return found


def finish(state_dir: str) -> None:
    """--all post-up, its wait done: no mark and no pending wait of this run is left. Everything
    goes through descriptors (no link followed), and only a run that owns the mark clears it:
    a second `ifup -a` started meanwhile keeps its own."""
    try:
        where = _open(state_dir)
    except FileNotFoundError:
        return
    try:
        if not _owned_mark(where):
            return
        _clear_pending(state_dir)
        os.unlink("run", dir_fd=where)
    finally:
        os.close(where)
