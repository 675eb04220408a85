"""Run a command, then at once try bind() on IPv6 addresses; print JSON.

Runs inside the test namespace (`ip netns exec NS python3 bindprobe.py`), so
the bind happens microseconds after the command (ifup) returns, exactly the
moment a service started by the boot sequence would try it.
usage: bindprobe.py IFACE [ADDRESS...] -- COMMAND...
The link-local address of IFACE is always probed too, as "link-local".
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys


def link_local_of(iface: str) -> str | None:
    with open("/proc/net/if_inet6", encoding="ascii") as handle:
        for line in handle:
            hexaddr, _index, _plen, scope, _flags, name = line.split()
            if name == iface and scope == "20":
                return str(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(hexaddr)))
    return None


def bind_errno(address: str, iface: str | None = None) -> int:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        try:
            if iface:
                sock.bind((address, 0, 0, socket.if_nametoindex(iface)))
            else:
                sock.bind((address, 0))
        except OSError as err:
            return err.errno or -1
    return 0


def main(argv: list[str]) -> int:
    split = argv.index("--")
    iface, addresses, command = argv[0], argv[1:split], argv[split + 1 :]
    completed = subprocess.run(command, capture_output=True, text=True)
    results = {address: bind_errno(address) for address in addresses}
    local = link_local_of(iface)
    results["link-local"] = bind_errno(local, iface) if local else -2
    print(json.dumps({"rc": completed.returncode, "stderr": completed.stderr, "bind": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
