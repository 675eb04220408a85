"""The blog's second problem as a topology: a far network that IPv6 cannot reach, IPv4 can.

Three namespaces: HOST (real ifupdown, netguard's hooks), ROUTER and FAR (a
dual-stack web server in "AS64500", 2001:db8:f00::/48 and 198.51.100.0/24).
ROUTER forwards both families; break_ipv6() makes it drop IPv6 towards FAR
silently (a blackhole route: no ICMP, as a broken path behaves), restore()
undoes it. HOST resolves far.example to both addresses from its own
/etc/hosts. Used by bench/fallback.py, `make demo` and the probe tests.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator

from tests import sandbox

FAR_V6, FAR_V4 = "2001:db8:f00::10", "198.51.100.10"
FAR_PREFIXES = ["2001:db8:f00::/48", "198.51.100.0/24"]
PORT = 8080
STANZA = """\
iface eth0 inet6 static
    address 2001:db8:1::2/64
    gateway 2001:db8:1::1
    dad off
    up ip addr add 192.0.2.2/24 dev eth0
    up ip route add default via 192.0.2.1 dev eth0
    down ip addr del 192.0.2.2/24 dev eth0
"""


class BrokenPath:
    def __init__(self, host: sandbox.IfupdownHost, router: sandbox.Namespace, far: sandbox.Namespace) -> None:
        self.host, self.router, self.far = host, router, far

    def break_ipv6(self) -> None:
        self.router.exec("ip", "-6", "route", "replace", "blackhole", f"{FAR_V6}/128")

    def restore(self) -> None:
        self.router.exec("ip", "-6", "route", "del", "blackhole", f"{FAR_V6}/128", check=False)


def _link(
    a: sandbox.Namespace,
    a_name: str,
    a_addrs: list[str],
    b: sandbox.Namespace,
    b_name: str,
    b_addrs: list[str],
) -> None:
    sandbox.veth(a, a_name, b, b_name)
    for namespace, name, addresses in ((a, a_name, a_addrs), (b, b_name, b_addrs)):
        for address in addresses:
            namespace.exec("ip", "addr", "add", address, "dev", name, *(["nodad"] if ":" in address else []))
        namespace.exec("ip", "link", "set", name, "up")


@contextlib.contextmanager
def broken_path(prefix: str = "ngb", config: str = "") -> Iterator[BrokenPath]:
    """HOST, ROUTER and FAR, wired and serving; all removed on exit. HOST's eth0 is left to ifup."""
    created = [name for name in ("netguard", "iproute2") if sandbox.ensure_etc_mountpoint(name)]
    host = sandbox.IfupdownHost(f"{prefix}h", "Reject-Allow-Special: yes\n" + config)
    router = sandbox.Namespace(f"{prefix}r")
    far = sandbox.Namespace(f"{prefix}f")
    server = None
    try:
        sandbox.veth(host, "eth0", router, "eth0")
        for address in ("2001:db8:1::1/64", "192.0.2.1/24"):
            router.exec("ip", "addr", "add", address, "dev", "eth0", *(["nodad"] if ":" in address else []))
        router.exec("ip", "link", "set", "eth0", "up")
        _link(
            router,
            "eth1",
            ["2001:db8:f00::1/64", "198.51.100.1/24"],
            far,
            "eth0",
            [f"{FAR_V6}/64", f"{FAR_V4}/24"],
        )
        router.sysctl("net.ipv6.conf.all.forwarding", 1)
        router.sysctl("net.ipv4.ip_forward", 1)
        far.exec("ip", "-6", "route", "add", "default", "via", "2001:db8:f00::1")
        far.exec("ip", "route", "add", "default", "via", "198.51.100.1")
        (host.etc / "hosts").write_text(
            f"127.0.0.1 localhost\n::1 localhost\n{FAR_V6} far.example\n{FAR_V4} far.example\n"
        )
        host.write_resolv_conf("")  # no nameserver: names come from /etc/hosts
        server = subprocess.Popen(
            ["ip", "netns", "exec", far.name, "/usr/bin/python3", "-c",
             "import http.server, socket\n"
             "class S(http.server.ThreadingHTTPServer):\n"
             "    address_family = socket.AF_INET6\n"
             "    def server_bind(self):\n"
             "        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)\n"
             "        super().server_bind()\n"
             "class H(http.server.BaseHTTPRequestHandler):\n"
             "    def do_GET(self):\n"
             "        body = self.client_address[0].encode() + b'\\n'\n"
             "        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers()\n"
             "        self.wfile.write(body)\n"
             "    def log_message(self, *a): pass\n"
             f"S(('::', {PORT}), H).serve_forever()\n"],
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while f":{PORT}" not in far.exec("ss", "-ltn").stdout:
            if time.monotonic() > deadline:
                raise RuntimeError("the far server did not start")
            time.sleep(0.05)
        yield BrokenPath(host, router, far)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        for namespace in (host, router, far):
            namespace.close()
        for name in created:
            with contextlib.suppress(OSError):
                (sandbox.Path("/etc") / name).rmdir()


def import_far_as(path: BrokenPath) -> None:
    listing = path.host.netguard_state.parent / "as64500.txt"
    listing.parent.mkdir(parents=True, exist_ok=True)
    listing.write_text("\n".join(FAR_PREFIXES) + "\n")
    path.host.netguard("import", "64500", str(listing))


# Each client as a user runs it, connecting by name; `timeout` caps a hang at CAP seconds.
CAP = 20
CLIENTS = {
    "python socket.create_connection": [
        "/usr/bin/python3", "-c",
        f"import socket; s = socket.create_connection(('far.example', {PORT})); "
        "s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n'); "
        "print(b''.join(iter(lambda: s.recv(4096), b'')).decode().split()[-1])",
    ],
    "wget": ["wget", "-q", "-O", "-", f"http://far.example:{PORT}/"],
    "curl": ["curl", "-s", f"http://far.example:{PORT}/"],
    "apt (apt-helper download-file)": [
        "sh", "-c", f"/usr/lib/apt/apt-helper download-file http://far.example:{PORT}/ /tmp/netguard-apt-$$ >/dev/null "
        "&& cat /tmp/netguard-apt-$$; rm -f /tmp/netguard-apt-$$",
    ],
}  # fmt: skip


def time_client(path: BrokenPath, argv: list[str], cap: float = CAP) -> tuple[float, str]:
    """Seconds until the client got its answer (or was stopped at cap), and which address answered."""
    start = time.monotonic()
    result = path.host.exec("timeout", str(cap), *argv, check=False, timeout=cap + 10)
    took = time.monotonic() - start
    answer = (
        result.stdout.strip().splitlines()[-1] if result.returncode == 0 and result.stdout.strip() else ""
    )
    via = (
        "IPv4" if answer.startswith("192.0.2.") or "." in answer else ("IPv6" if ":" in answer else "failed")
    )
    return took, via
