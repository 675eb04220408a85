"""A fleet mirror through Debian's nginx, and netguard-refresh.service's two steps, end to end.

Host A refreshes from a RIPEstat stand-in; nginx (in A's namespace) serves
A's Cache-Dir as a static directory; host B, another namespace behind a
veth, refreshes from that mirror and installs the same routes on ifup. The
service's steps run as the unit runs them: the fetch as an unprivileged
user into a staging directory, then root validates, caches and re-applies.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
import time

import pytest

from tests.conftest import require
from tests.fakes import ripestat_answer
from tests.sandbox import CHECKOUT, INSTALLED, veth

pytestmark = pytest.mark.ifupdown

PREFIXES = ["2001:db8:100::/40", "2001:db8:300::/48", "198.51.100.0/24"]
LAB = "Reject-Allow-Special: yes\n"
PORT = 8053


def routes(host, family: str = "-6") -> list[str]:
    shown = host.exec("ip", family, "route", "show", "proto", "netguard").stdout
    return sorted(line.split()[1] for line in shown.splitlines())


def serve(namespace, *argv: str) -> subprocess.Popen:
    return subprocess.Popen(["ip", "netns", "exec", namespace.name, *argv], stdout=subprocess.PIPE, text=True)


def ripestat_in(host) -> subprocess.Popen:
    data = host.netguard_state.parent / "ripestat"
    data.mkdir(parents=True)
    (data / "AS64500.json").write_bytes(ripestat_answer("64500", PREFIXES))
    server = serve(host, "/usr/bin/python3", str(CHECKOUT / "tests" / "fakes.py"), str(data), str(PORT))
    assert server.stdout is not None and "serving" in server.stdout.readline()
    return server


def nginx_in(namespace, root, address: str) -> subprocess.Popen:
    """Debian's nginx, serving `root` at /netguard/ on address:8080: the README's two lines, and no more."""
    work = root.parent / "nginx"
    work.mkdir()
    (work / "nginx.conf").write_text(
        textwrap.dedent(
            f"""\
            daemon off;
            pid {work}/nginx.pid;
            error_log {work}/error.log;
            events {{}}
            http {{
                access_log off;
                client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;
                fastcgi_temp_path {work}/fastcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
                server {{
                    listen [{address}]:8080;
                    location /netguard/ {{ alias {root}/; }}
                }}
            }}
            """
        )
    )
    server = serve(namespace, "nginx", "-c", str(work / "nginx.conf"))
    deadline = time.monotonic() + 10
    while namespace.exec("ss", "-ltn", check=False).stdout.count(":8080") == 0:
        assert time.monotonic() < deadline and server.poll() is None, (work / "error.log").read_text()
        time.sleep(0.05)
    return server


def stop(*servers: subprocess.Popen) -> None:
    for server in servers:
        server.terminate()
        server.wait(timeout=10)


def test_host_b_installs_what_host_a_fetched_through_nginx(make_host, make_namespace):
    require(None if shutil.which("nginx") else "nginx not installed (apt-get install nginx)")
    host_a = make_host(
        "nga",
        LAB
        + f"Refresh-Sources: ripestat\nRipestat-Url: http://127.0.0.1:{PORT}/data/ris-prefixes/data.json\n",
    )
    host_b = make_host(
        "ngb", LAB + "Refresh-Sources: mirror\nMirror-Url: http://[2001:db8:f::a]:8080/netguard\n"
    )
    peer = make_namespace("ngp")
    veth(host_a, "eth1", host_b, "eth1")
    for host, address in ((host_a, "2001:db8:f::a"), (host_b, "2001:db8:f::b")):
        host.exec("ip", "-6", "addr", "add", f"{address}/64", "dev", "eth1", "nodad")
        host.exec("ip", "link", "set", "eth1", "up")
    veth(host_a, "eth0", peer, "eth0")
    veth(host_b, "eth0", make_namespace("ngp"), "eth0")
    ripestat = ripestat_in(host_a)
    nginx = nginx_in(host_a, host_a.netguard_cache, "2001:db8:f::a")
    try:
        stanza = "auto eth0\niface eth0 inet6 manual\n    reject-asn 64500\n"
        host_a.write_interfaces(stanza)
        host_b.write_interfaces(stanza)
        assert "(announced, ripestat)" in host_a.netguard("refresh", "--no-apply").stdout
        fetched = host_b.netguard("refresh", "--no-apply")
        assert "AS64500: 2 IPv6 and 1 IPv4 prefixes (mirrored, mirror)" in fetched.stdout, fetched.stderr
        host_a.ifup("eth0")
        host_b.ifup("eth0")
        assert routes(host_b) == routes(host_a) == ["2001:db8:100::/40", "2001:db8:300::/48"]
        host_b.ifdown("eth0")
        host_a.ifdown("eth0")
    finally:
        stop(nginx, ripestat)


def test_the_refresh_service_fetches_unprivileged_and_root_applies(make_host, make_namespace):
    host = make_host(
        "ngs",
        LAB
        + f"Refresh-Sources: ripestat\nRipestat-Url: http://127.0.0.1:{PORT}/data/ris-prefixes/data.json\n",
    )
    veth(host, "eth0", make_namespace("ngp"), "eth0")
    ripestat = ripestat_in(host)
    stage = host.netguard_state.parent / "staging"
    stage.mkdir()
    shutil.chown(stage, "nobody")  # systemd's CacheDirectory= for the DynamicUser
    command = ["/usr/sbin/netguard"] if INSTALLED else ["/usr/bin/python3", "-m", "netguard"]
    try:
        host.write_interfaces("auto eth0\niface eth0 inet6 manual\n    reject-asn 64500\n")
        host.ifup("eth0")
        assert routes(host) == []  # nothing cached yet
        fetch = host.exec("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env",
                          f"PYTHONPATH={CHECKOUT}", *command, "refresh", "--stage", str(stage))  # fmt: skip
        assert "staged" in fetch.stdout
        assert not (host.netguard_cache / "AS64500").exists()  # the unprivileged step wrote only its staging
        assert os.stat(stage / "AS64500").st_uid != 0
        applied = host.netguard("refresh", "--from-stage", str(stage))
        assert "AS64500: 2 IPv6 and 1 IPv4 prefixes" in applied.stdout
        assert routes(host) == ["2001:db8:100::/40", "2001:db8:300::/48"]
        # A staged entry is untrusted input: the root step refuses what the grammar refuses.
        (stage / "AS64500").write_text("ASN: 64500\nIPv6:\n ::/0\n 2a0b:8000::%eth0/32\n")
        refused = host.netguard("refresh", "--from-stage", str(stage), check=False)
        assert refused.returncode == 1 and "staged answer refused" in refused.stderr
        assert routes(host) == ["2001:db8:100::/40", "2001:db8:300::/48"]
        host.ifdown("eth0")
        assert routes(host) == []
    finally:
        stop(ripestat)
