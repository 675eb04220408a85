"""A bounded watcher, started in pre-up, that names a duplicate or carrier-less address at once.

ifupdown 0.8 waits for an `inet6 static` primary address itself (settle-dad)
before any post-up hook runs: a duplicate there ends in `Waiting for DAD...
Timed out` after 6 s and netguard's wait-dad never speaks. So when wait-dad
is set, pre-up starts this watcher: it sleeps on the kernel's address and
link notifications and, the moment an address of the interface is
`dadfailed` (or it has waited a while without carrier), says so in the one
line wait-dad would have said, to ifup's stderr and the journal, and records
it. It never outlives ifup: it ends when post-up stops it, when ifup is
gone, or at its deadline, whichever comes first.
"""

from __future__ import annotations

import os
import select
import sys
import time

from netguard import log, outcome, state, usable
from netguard.boot import ifup_pid
from netguard.netlink import RouteSocket
from netguard.watch import RTMGRP_IPV6_IFADDR, RTMGRP_LINK

POLL = 0.2  # seconds between checks that ifup is still there
NO_CARRIER_AFTER = 2.0  # a tentative address without carrier this long: say so (settle-dad gives up at 6 s)


def pid_path(state_dir: str, iface: str) -> str:
    return os.path.join(state_dir, "watch", iface)


def start(iface: str, timeout: float, state_dir: str) -> None:
    """Spawn the watcher, detached, with our stderr; post-up stops it (see stop())."""
    import subprocess  # here, not on post-up's path: it imports signal, selectors, locale (~6 ms)

    stop(state_dir, iface)
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = f"import sys; sys.path.insert(0, {package_root!r}); from netguard.sentinel import main; main()"
    process = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", code, iface, f"{timeout:g}", str(ifup_pid()), state_dir],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # a SIGINT to ifup's group is ifup's; our deadline bounds us anyway
        close_fds=True,
    )
    from netguard.safefile import UnsafeFile, own_directory, write_atomic

    where = os.path.dirname(pid_path(state_dir, iface))
    try:  # never through a planted link: a real directory of ours, a temp file renamed into place
        own_directory(where)
        write_atomic(where, iface, f"{process.pid}\n".encode("ascii"), sync=False)
    except UnsafeFile:
        os.kill(process.pid, 15)  # unrecorded, post-up could not stop it: no watcher at all
        raise


def stop(state_dir: str, iface: str) -> None:
    """End the interface's watcher, if one runs (post-up: ifupdown's own wait is over)."""
    from _signal import SIGTERM  # not signal.py: its enums cost post-up ~3 ms

    from netguard.safefile import UnsafeFile, read_bounded

    path = pid_path(state_dir, iface)
    try:  # no link followed, no FIFO waited on, 32 bytes at most
        pid = int(read_bounded(path, 32).decode("ascii").strip())
        os.unlink(path)
    except (OSError, ValueError, UnicodeDecodeError, UnsafeFile):
        return
    if is_watcher(pid, iface, state_dir):
        try:
            os.kill(pid, SIGTERM)
        except OSError:
            pass


def is_watcher(pid: int, iface: str, state_dir: str) -> bool:
    """Root's watcher for this interface and State-Dir, started as start() starts it; not a
    process whose command line merely mentions it (a pid file's word is not trusted)."""
    try:
        if os.stat(f"/proc/{pid}").st_uid != os.geteuid():
            return False
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = handle.read(65536).split(b"\0")[:-1]
    except OSError:
        return False
    return (
        len(argv) == 9
        and argv[1:3] == [b"-I", b"-S"]
        and argv[4].endswith(b"from netguard.sentinel import main; main()")
        and argv[5] == os.fsencode(iface)
        and argv[8] == os.fsencode(state_dir)
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch(iface: str, timeout: float, ifup: int) -> str | None:
    """The line to say (a duplicate, or no carrier), or None when nothing went wrong in time."""
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    with RouteSocket(timeout=0.0, groups=RTMGRP_LINK | RTMGRP_IPV6_IFADDR) as sock:
        while time.monotonic() < deadline and _alive(ifup):
            addresses = state.proc_ipv6_addresses(iface)
            failed = [a for a in addresses if a.dadfailed]
            if failed:
                problem = usable.failure(usable.Verdict(tuple(failed), (), ()), iface, timeout, set())
                return problem.line() if problem else None
            tentative = [a for a in addresses if a.tentative]
            if tentative and not state.has_carrier(iface) and time.monotonic() - started > NO_CARRIER_AFTER:
                verdict = usable.Verdict((), tuple(tentative), ())
                problem = usable.failure(verdict, iface, time.monotonic() - started, {iface})
                return problem.line().replace("timed out", "still waiting") if problem else None
            ready, _, _ = select.select([sock], [], [], POLL)
            if ready:
                try:
                    while sock.recv(65536):
                        pass
                except OSError:  # drained (EAGAIN), or ENOBUFS: the re-read covers it
                    pass
    return None


def main() -> None:
    import signal

    iface, timeout, ifup, state_dir = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    log.to_journal()
    try:
        line = watch(iface, timeout, ifup)
    except Exception:  # the watcher only ever adds a message: it must never print a traceback
        log.traceback_to_journal(log.line(iface, usable.OPTION, "watcher traceback"))
        line = None
    if line is not None:
        log.error(line)
        outcome.record(state_dir, iface, "pre-up", "failed", line)
    os._exit(0)
