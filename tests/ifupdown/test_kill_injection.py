"""SIGKILL injected into the hook at every class of system call it makes, in post-up and pre-down.

strace --inject kills the hook process at the Nth call of one syscall (for
every syscall the hook makes in that phase, at a third, two thirds and the
last of its calls): a kill at any instant of the route transaction, the
record's write, the lock, a netlink send. Two interfaces want reject routes,
one prefix wanted by both. After the killed phase, a plain ifdown must leave
no route that only eth0 wanted, and a plain ifup exactly the union of what
both want.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import require
from tests.sandbox import veth

pytestmark = pytest.mark.ifupdown

EACH = {
    "64500": ["2001:db8:f00::/48", "2001:db8:f10::/48"],
    "64501": ["2001:db8:f10::/48", "2001:db8:f20::/48"],
}
STANZAS = """\
iface eth0 inet6 static
    address 2001:db8:1::2/64
    dad off
    reject-asn 64500

iface eth1 inet6 static
    address 2001:db8:2::2/64
    dad off
    reject-asn 64501
"""
WRAPPER = '#!/bin/sh\nexec strace -f -qq -o {log} {inject} "$(dirname "$0")/netguard.real" "$@"\n'
# The calls that change or decide state: files, the lock, netlink, processes.
# Records are written, renamed and removed through directory descriptors (safefile.open_directory):
# renameat/renameat2, unlinkat and mkdirat are the same decisions as rename, unlink and mkdir.
CLASSES = {"openat", "read", "write", "close", "rename", "renameat", "renameat2", "unlink", "unlinkat",
           "mkdir", "mkdirat", "flock", "fstat", "newfstatat",
           "socket", "bind", "sendto", "sendmsg", "recvfrom", "recvmsg", "getdents64", "clone", "wait4",
           "fsync", "fchmod", "lseek"}  # fmt: skip
PHASES = {"post-up": "if-up.d", "pre-down": "if-down.d"}


def routes(host) -> list[str]:
    shown = host.exec("ip", "-6", "route", "show", "proto", "netguard").stdout
    return sorted(line.split()[1] for line in shown.splitlines())


def wrap(host, directory: str, inject: str, log: str) -> None:
    hooks = host.etc / "network" / directory
    if not (hooks / "netguard.real").exists():
        (hooks / "netguard").rename(hooks / "netguard.real")  # run-parts skips names with a dot
    (hooks / "netguard").write_text(WRAPPER.format(log=log, inject=inject))
    (hooks / "netguard").chmod(0o755)


def unwrap(host, directory: str) -> None:
    hooks = host.etc / "network" / directory
    if (hooks / "netguard.real").exists():
        (hooks / "netguard.real").replace(hooks / "netguard")


def counts(log: str) -> dict[str, int]:
    """`strace -c` summary: calls per syscall."""
    found = {}
    for line in Path(log).read_text().splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[-1] in CLASSES and fields[3].isdigit():
            found[fields[-1]] = int(fields[3])
    return found


@pytest.fixture
def pair(make_host, make_namespace):
    if not shutil.which("strace"):
        require("strace is not installed (make deps installs it)")
    host = make_host("ngk", "Reject-Allow-Special: yes\n")
    peer = make_namespace("ngkp")
    for index in (0, 1):
        veth(host, f"eth{index}", peer, f"eth{index}")
        peer.exec("ip", "link", "set", f"eth{index}", "up")
    for asn, prefixes in EACH.items():
        listing = host.netguard_state.parent / f"AS{asn}.txt"
        listing.parent.mkdir(parents=True, exist_ok=True)
        listing.write_text("\n".join(prefixes) + "\n")
        host.netguard("import", asn, str(listing))
    host.write_interfaces(STANZAS)
    host.ifup("eth1")
    return host


def union() -> list[str]:
    return sorted({p for prefixes in EACH.values() for p in prefixes})


def plain(host, verb: str) -> None:
    host.exec(verb, "--force", "--state-dir", host.state_dir, "eth0", check=False, timeout=60)


@pytest.mark.parametrize("phase", list(PHASES))
def test_a_hook_killed_at_any_syscall_leaves_exactly_the_wanted_routes_after_a_plain_ifdown_and_ifup(
    pair, phase
):
    host = pair
    directory = PHASES[phase]
    summary = str(host.netguard_state.parent / "count.txt")
    wrap(host, directory, "-c", summary)  # one counting run: which calls, how many
    host.ifup("eth0")
    host.ifdown("eth0")
    unwrap(host, directory)
    calls = counts(summary)
    renames = {"rename", "renameat", "renameat2"} & set(calls)
    assert renames and ({"openat", "sendto"} <= set(calls) or {"openat", "sendmsg"} <= set(calls)), calls
    tried = killed = 0
    log = host.netguard_state.parent / "injected.txt"
    for syscall, total in sorted(calls.items()):
        for when in sorted({max(1, total // 3), max(1, 2 * total // 3), total}):
            inject = f"-e trace={syscall} -e inject={syscall}:signal=SIGKILL:when={when}"
            if phase == "pre-down":
                host.ifup("eth0")
            wrap(host, directory, inject, str(log))
            plain(host, "ifup" if phase == "post-up" else "ifdown")
            unwrap(host, directory)
            killed += "+++ killed by SIGKILL +++" in log.read_text()
            plain(host, "ifdown")
            left = [r for r in routes(host) if r not in EACH["64501"]]
            assert left == [], f"{syscall} call {when} of {total}: eth0's routes left after ifdown: {left}"
            assert routes(host) == sorted(EACH["64501"]), (
                f"{syscall} call {when}: eth1's routes {routes(host)}"
            )
            plain(host, "ifup")
            assert routes(host) == union(), f"{syscall} call {when} of {total}: after ifup {routes(host)}"
            plain(host, "ifdown")
            tried += 1
    assert tried >= 20 and killed >= 0.8 * tried, (tried, killed)  # the kills happened
