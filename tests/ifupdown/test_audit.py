"""strace audits a whole cycle: every open root makes under State-Dir or Cache-Dir refuses links
and never blocks on what is not a regular file.

ifup, status, refresh (its source fails), probe and ifdown of a stanza with
dad off, wait-dad, reject-asn and reject-asn-probe, each under `strace -f`,
with the cache imported first. Every open, openat and openat2 of a path
inside State-Dir or Cache-Dir must carry O_NOFOLLOW (a planted link is never
followed, whatever component), and must be non-blocking, a directory, or an
exclusive creation (a FIFO planted there never hangs the hook).
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests.conftest import require
from tests.sandbox import INSTALLED, linked_pair

pytestmark = pytest.mark.ifupdown

OPEN = re.compile(r'^(\d+)\s+(?:open|openat|openat2)\((?:AT_FDCWD|\d+), "([^"]*)", ([A-Z0-9_|]+)')
STANZA = """\
iface eth0 inet6 static
    address 2001:db8:1::2/64
    dad off
    wait-dad 3
    reject-asn 64500
    reject-asn-probe [2001:db8:f00::10]:443
"""


def audited(host, log, *argv: str) -> None:
    host.exec("strace", "-f", "-qq", "-e", "trace=open,openat,openat2,creat", "-o", str(log), *argv,
              check=False, timeout=120)  # fmt: skip


def test_every_open_under_state_dir_and_cache_dir_refuses_links_and_never_blocks(make_host, make_namespace):
    if not shutil.which("strace"):
        require("strace is not installed (make deps installs it)")
    host, _peer = linked_pair(
        make_host,
        make_namespace,
        "Reject-Allow-Special: yes\nRefresh-Sources: mirror\nMirror-Url: http://127.0.0.1:9\n",
    )
    listing = host.netguard_state.parent / "as64500.txt"
    listing.write_text("2001:db8:f00::/48\n")
    host.write_interfaces(STANZA)
    logs = host.netguard_state.parent / "strace"
    logs.mkdir()
    netguard = ["/usr/sbin/netguard"] if INSTALLED else ["/usr/bin/python3", "-m", "netguard"]
    state = ["--state-dir", host.state_dir]
    steps = {
        "import": [*netguard, "import", "64500", str(listing)],
        "ifup": ["ifup", *state, "eth0"],
        "status": [*netguard, "status", "--json"],
        "refresh": [*netguard, "refresh"],
        "probe": [*netguard, "probe"],
        "ifdown": ["ifdown", *state, "eth0"],
    }
    for name, argv in steps.items():
        audited(host, logs / name, *argv)
    roots = (str(host.netguard_state), str(host.netguard_cache))
    seen, bad = 0, []
    for name in steps:
        for line in (logs / name).read_text().splitlines():
            match = OPEN.match(line)
            if not match:
                continue
            path, flags = match.group(2), set(match.group(3).split("|"))
            if not path.startswith(roots):
                continue
            seen += 1
            blocking = not flags & {"O_NONBLOCK", "O_DIRECTORY"} and not {"O_CREAT", "O_EXCL"} <= flags
            if "O_NOFOLLOW" not in flags or blocking:
                bad.append(f"{name}: {line}")
    assert seen >= 20, f"only {seen} opens under State-Dir and Cache-Dir: the audit saw too little"
    assert not bad, "\n".join(bad)
