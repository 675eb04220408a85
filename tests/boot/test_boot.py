"""A real boot: systemd boots a Debian root with netguard's .deb, ifupdown and nginx.

The root (`make boot-root`: mmdebstrap minbase of this machine's release,
the package under test installed) is booted by systemd-nspawn inside a
network namespace of the test's own (`--network-veth`: the container's
host0, the outer end brought up at once), with `--volatile=overlay` so
every boot starts from the same root. networking.service runs `ifup -a`;
nginx (After/Wants=network-online.target) listens on an address that an
`up` line adds: the blog's failure, at boot. Each boot is bounded; the
container is stopped with SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import require
from tests.sandbox import run, unique_name

ROOT = Path(os.environ.get("NETGUARD_BOOT_ROOT", "/nonexistent"))
# Debian 13 with ifupdown2 instead of ifupdown, netguard's addon enabled (make boot-root).
IFUPDOWN2_ROOT = Path(os.environ.get("NETGUARD_BOOT_ROOT_IFUPDOWN2", "/nonexistent"))
BOOTED_WITHIN = 60  # seconds for systemd to finish starting units
BOOTS = 3

NGINX = "server {\n    listen [2001:db8::1]:80;\n    root /var/www/html;\n}\n"


def interfaces(options: str = "", extra: int = 0) -> str:
    """host0 gets 2001:db8::1 (nginx's), hostN 2001:db8:N::1, each from an `up` line."""
    text = "auto lo\niface lo inet loopback\n\n"
    for index in range(1 + extra):
        address = f"2001:db8:{index}::1" if index else "2001:db8::1"
        text += (
            f"auto host{index}\niface host{index} inet6 manual\n"
            f"    up ip -6 addr add {address}/64 dev host{index}\n{options}"
        )
    return text


def write_in_root(relative: str, text: str, root: Path = ROOT) -> None:
    """Through paths resolved inside the root: a link there (sites-enabled/default) is removed,
    never followed to the host's file."""
    path = root / relative
    if path.is_symlink():
        path.unlink()
    path.write_text(text)


class Container:
    def __init__(self, netns: str, extra: int, before=None, root: Path = ROOT) -> None:
        self.netns = netns
        veths = [f"--network-veth-extra=vx{index}:host{index}" for index in range(1, 1 + extra)]
        self.process = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{netns}", "systemd-nspawn", "-D", str(root), "--boot",
             "--machine=netguard", "--network-veth", *veths, "--register=no", "--keep-unit",
             "--volatile=overlay", "--quiet"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        outer = ["ve-netguard", *(f"vx{index}" for index in range(1, 1 + extra))]
        deadline = time.monotonic() + 20
        while outer:  # the outer ends up at once: DAD needs carrier
            name = outer[0]
            if before is not None and name == "ve-netguard" and run("ip", "-n", netns, "link", "show", name,
                                                                   check=False).returncode == 0:  # fmt: skip
                before(netns)  # the peer's side is ready before the link carries anything
                before = None
            if run("ip", "-n", netns, "link", "set", name, "up", check=False).returncode == 0:
                outer.pop(0)
                continue
            assert time.monotonic() < deadline, f"{name} never appeared"
            time.sleep(0.02)
        self.pid = self._init_pid()

    def _init_pid(self) -> int:
        """The container's PID 1 (systemd), nspawn's descendant: not its intermediate child."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            below = [self.process.pid]
            for _depth in range(3):
                children = [
                    int(pid)
                    for parent in below
                    for pid in run("pgrep", "-P", str(parent), check=False).stdout.split()
                ]
                for pid in children:
                    if Path(f"/proc/{pid}/comm").read_text().strip() == "systemd":
                        return pid
                below = children
            time.sleep(0.05)
        raise AssertionError("the container's init never started")

    def exec(self, *argv: str, check: bool = False) -> subprocess.CompletedProcess:
        return run("nsenter", "-t", str(self.pid), "-a", *argv, check=check, timeout=60)

    def wait_booted(self) -> str:
        deadline = time.monotonic() + BOOTED_WITHIN
        while time.monotonic() < deadline:
            state = self.exec("systemctl", "is-system-running").stdout.strip()
            if state in ("running", "degraded"):
                return state
            time.sleep(0.2)
        raise AssertionError(f"not booted within {BOOTED_WITHIN} s: {state}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _booter(root: Path, variable: str):
    if not (root / "usr/lib/netguard/netguard").exists():
        require(f"{variable} ({root}) is no root with netguard installed (make boot-root makes one)")
    if not Path("/usr/bin/systemd-nspawn").exists():
        require("systemd-nspawn (package systemd-container) is not installed")
    netns = unique_name("ngboot")
    run("ip", "netns", "add", netns)
    started: list[Container] = []

    def booted(interfaces_text: str, extra: int = 0, before=None) -> Container:
        write_in_root("etc/network/interfaces", interfaces_text, root)
        write_in_root("etc/nginx/sites-enabled/default", NGINX, root)
        container = Container(netns, extra, before, root)
        started.append(container)
        container.wait_booted()
        return container

    yield booted
    for container in started:
        container.stop()
    run("ip", "netns", "del", netns, check=False)


@pytest.fixture
def boot():
    yield from _booter(ROOT, "NETGUARD_BOOT_ROOT")


@pytest.fixture
def boot_ifupdown2():
    yield from _booter(IFUPDOWN2_ROOT, "NETGUARD_BOOT_ROOT_IFUPDOWN2")


def network_online_after(container: Container) -> float:
    """Seconds from the container's systemd start to network-online.target (both CLOCK_MONOTONIC)."""

    def monotonic_us(unit: str, key: str) -> int:
        shown = container.exec("systemctl", "show", "-p", key, *([unit] if unit else []), check=True).stdout
        return int(shown.strip().partition("=")[2])

    started = monotonic_us("", "UserspaceTimestampMonotonic")
    return (monotonic_us("network-online.target", "ActiveEnterTimestampMonotonic") - started) / 1e6


def nginx_bound(container: Container) -> bool:
    journal = container.exec("journalctl", "-b", "-u", "nginx", "--no-pager").stdout
    active = container.exec("systemctl", "is-active", "nginx").stdout.strip() == "active"
    assert active or "Cannot assign requested address" in journal, journal
    return active


def boots(boot, options: str) -> list[bool]:
    results = []
    for _ in range(BOOTS):
        container = boot(interfaces(options))
        results.append(nginx_bound(container))
        container.stop()
    return results


def test_without_netguard_nginx_fails_to_bind_at_boot(boot):
    """The control: the blog's race is real at boot, so the cases below can fail."""
    assert sum(not bound for bound in boots(boot, "")) >= 2


def test_with_wait_dad_nginx_starts_at_every_boot(boot):
    assert boots(boot, "    wait-dad 5\n") == [True] * BOOTS


def test_with_dad_off_nginx_starts_at_every_boot(boot):
    assert boots(boot, "    dad off\n") == [True] * BOOTS


def test_four_interfaces_at_boot_wait_once_at_the_end_of_ifup_all(boot):
    container = boot(interfaces("    wait-dad 10\n", extra=3), extra=3)
    assert container.exec("systemctl", "is-active", "networking").stdout.strip() == "active"
    assert container.exec("ip", "-6", "-o", "addr", "show", "tentative").stdout == ""
    report = json.loads(container.exec("netguard", "status", "--json", check=True).stdout)["interfaces"]
    for index in range(4):
        wait = report[f"host{index}"]["waits"]["wait-dad"]
        assert wait["status"] == "at the end of the ifup -a run", wait
    took = float(report["host0"]["waits"]["wait-dad"]["message"].split()[0])
    assert took < 4.0, f"host0 waited {took} s: four serial waits would take 4 x 1.1 s at least"
    assert network_online_after(container) < 4.4, "network-online.target no sooner than four serial waits"


def test_a_duplicate_address_at_boot_fails_networking_visibly(boot):
    def peer_holds_it(netns: str) -> None:
        run("ip", "-n", netns, "-6", "addr", "add", "2001:db8::1/64", "dev", "ve-netguard", "nodad")

    container = boot(interfaces("    wait-dad 5\n"), before=peer_holds_it)
    assert container.exec("systemctl", "is-active", "networking").stdout.strip() == "failed"
    status = container.exec("systemctl", "status", "networking", "--no-pager").stdout
    assert "duplicate address 2001:db8::1" in status, status
    journal = container.exec("journalctl", "-b", "-t", "netguard", "--no-pager").stdout
    assert "host0: wait-dad: duplicate address 2001:db8::1" in journal, journal
    report = json.loads(container.exec("netguard", "status", "--json", check=True).stdout)["interfaces"]
    assert report["host0"]["outcomes"]["post-up"]["status"] == "failed"


MIRROR_SITE = "server {\n    listen 127.0.0.1:8080;\n    root /var/www/mirror;\n}\n"
REJECT_CONF = "Reject-Allow-Special: yes\nRefresh-Sources: mirror\nMirror-Url: http://127.0.0.1:8080\n"


def in_root(*argv: str) -> None:
    run("chroot", str(ROOT), *argv)


@pytest.fixture
def reject_root(boot):
    """The root made ready for reject-asn at boot, undone afterwards: a cache entry of one
    prefix; a mirror (the container's own nginx) serving an entry of two, where netguard.conf
    points refresh; node_exporter's textfile directory (so the units write metrics)."""
    conf = ROOT / "etc/netguard/netguard.conf"
    saved = conf.read_text()
    made = [ROOT / "var/www/mirror", ROOT / "var/lib/prometheus", ROOT / "etc/nginx/sites-enabled/mirror"]
    try:
        (ROOT / "tmp/ng-two").write_text("2001:db8:f00::/48\n2001:db8:f10::/48\n")
        (ROOT / "tmp/ng-one").write_text("2001:db8:f00::/48\n")
        in_root("/usr/sbin/netguard", "import", "64500", "/tmp/ng-two")
        (ROOT / "var/www/mirror").mkdir(mode=0o755)
        shutil.copy(ROOT / "var/cache/netguard/AS64500", ROOT / "var/www/mirror/AS64500")
        os.chmod(ROOT / "var/www/mirror/AS64500", 0o644)
        in_root("/usr/sbin/netguard", "import", "--force", "64500", "/tmp/ng-one")
        conf.write_text(saved + REJECT_CONF)
        (ROOT / "var/lib/prometheus/node-exporter").mkdir(parents=True, mode=0o755)
        write_in_root("etc/nginx/sites-enabled/mirror", MIRROR_SITE)
        yield
    finally:
        conf.write_text(saved)
        for path in made:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
        for leftover in ("var/cache/netguard/AS64500", "tmp/ng-one", "tmp/ng-two"):
            (ROOT / leftover).unlink(missing_ok=True)
        shutil.rmtree(ROOT / "var/cache/netguard/refresh", ignore_errors=True)


def test_reject_asn_at_boot_with_the_probe_and_refresh_timers(boot, reject_root):
    options = "    wait-dad 5\n    reject-asn 64500\n    reject-asn-probe [2001:db8:f00::10]:443\n"
    container = boot(interfaces(options))
    routes = container.exec("ip", "-6", "route", "show", "proto", "netguard").stdout
    assert "unreachable 2001:db8:f00::/48" in routes and "2001:db8:f10::" not in routes, routes
    assert nginx_bound(container)
    for timer in ("netguard-probe.timer", "netguard-refresh.timer"):
        assert container.exec("systemctl", "is-active", timer).stdout.strip() == "active", timer
    # Neither service stands between boot and network-online.target: DAD is all it waited for.
    assert network_online_after(container) < 3.0
    for service in ("netguard-refresh.service", "netguard-probe.service"):
        ran = container.exec("systemctl", "start", service)
        shown = container.exec("systemctl", "show", "-p", "Result", "-p", "ActiveState", service).stdout
        journal = container.exec("journalctl", "-b", "-u", service, "--no-pager").stdout
        assert ran.returncode == 0 and "Result=success" in shown and "ActiveState=inactive" in shown, journal
        assert "Traceback" not in journal and "warning" not in journal.lower(), journal
    routes = container.exec("ip", "-6", "route", "show", "proto", "netguard").stdout
    journal = container.exec("journalctl", "-b", "-u", "netguard-refresh.service", "--no-pager").stdout
    assert "unreachable 2001:db8:f10::/48" in routes, routes + journal  # refresh applied the mirror's two
    report = json.loads(container.exec("netguard", "status", "--json", check=True).stdout)
    probe = report["interfaces"]["host0"]["reject"]["inet6"]["probe"]
    assert probe["last"] and "[2001:db8:f00::10]:443" in probe["last"], probe
    assert report["cache"]["AS64500"]["source"] == "mirror:import:/tmp/ng-two", report["cache"]
    written = container.exec("ls", "/var/lib/prometheus/node-exporter").stdout.split()
    assert written == ["netguard_cache.prom", "netguard_iface_host0.prom", "netguard_probe.prom",
                       "netguard_routes.prom"], written  # fmt: skip


IFUPDOWN2_INTERFACES = (
    "auto lo\niface lo inet loopback\n\n"
    "auto host0\niface host0\n    up ip -6 addr add 2001:db8::1/64 dev host0\n    wait-dad 5\n"
)


def test_ifupdown2_with_the_addon_at_boot_nginx_starts_with_wait_dad(boot_ifupdown2):
    """Debian 13, ifupdown2 (networking.service is its own), netguard's addon enabled. The
    control boots without netguard's networking.service drop-in (its generator, which writes it
    at boot, taken out): ifupdown2's unit is not ordered before network-online.target, so nginx
    starts while ifup -a runs, wait-dad or not."""
    generator = IFUPDOWN2_ROOT / "usr/lib/systemd/system-generators/netguard-generator"
    saved = generator.read_bytes()
    generator.unlink()
    try:
        container = boot_ifupdown2(IFUPDOWN2_INTERFACES)
        assert not nginx_bound(container)
        container.stop()
    finally:
        generator.write_bytes(saved)
        generator.chmod(0o755)
    for _ in range(2):
        container = boot_ifupdown2(IFUPDOWN2_INTERFACES)
        assert container.exec("systemctl", "is-active", "networking").stdout.strip() == "active"
        before = container.exec("systemctl", "show", "-p", "Before", "networking.service").stdout
        assert "network-online.target" in before, before
        assert nginx_bound(container)
        report = json.loads(container.exec("netguard", "status", "--json", check=True).stdout)["interfaces"]
        assert report["host0"]["outcomes"]["post-up"]["status"] == "ok", report
        # networking.service runs ifup -a: the addon's one wait at the end of the run
        assert report["host0"]["waits"]["wait-dad"]["status"] == "at the end of the ifup -a run", report
        container.stop()


def test_removing_the_package_with_interfaces_up_leaves_the_network_as_without_netguard(boot, reject_root):
    """`dpkg -r netguard` in a booted system whose interface has netguard's reject routes and
    `dad off`: prerm (netguard undo --all) withdraws the routes and gives the sysctl back; the
    interface stays up. The package is installed again afterwards (the root serves the tier)."""
    deb = Path(os.environ.get("NETGUARD_DEB", "/nonexistent"))
    if not deb.is_file():
        require("NETGUARD_DEB names no .deb of this checkout (make check sets it)")
    container = boot(interfaces("    dad off\n    reject-asn 64500\n"))
    try:
        default = container.exec("sysctl", "-n", "net.ipv6.conf.default.accept_dad").stdout.strip()
        assert container.exec("sysctl", "-n", "net.ipv6.conf.host0.accept_dad").stdout.strip() == "0"
        assert "2001:db8:f00::/48" in container.exec("ip", "-6", "route", "show", "proto", "netguard").stdout
        removed = container.exec("dpkg", "-r", "netguard")
        assert removed.returncode == 0, removed.stderr
        assert container.exec("ip", "-6", "route", "show", "proto", "241").stdout == ""
        assert container.exec("sysctl", "-n", "net.ipv6.conf.host0.accept_dad").stdout.strip() == default
        assert "2001:db8::1" in container.exec("ip", "-6", "addr", "show", "dev", "host0").stdout  # still up
    finally:
        container.stop()
        shutil.copy(deb, ROOT / "tmp/netguard.deb")
        in_root("dpkg", "-i", "/tmp/netguard.deb")
        (ROOT / "tmp/netguard.deb").unlink()


PLANTED = (
    "import os, sys\n"
    "with open('/var/tmp/netguard-planted', 'a') as mark:\n"
    "    mark.write(f'{__name__} imported by {sys.argv[:2]}\\n')\n"
)


def test_root_imports_nothing_planted_under_usr_local(boot):
    """A `netguard` and a `pyroute2` put in /usr/local's dist-packages (the group staff may write
    there, and the site module searches it before Debian's directory): the hook and the
    generator at boot, the command, and both services import neither. The control: a plain
    `python3 -c 'import pyroute2'` does import the planted one."""
    version = next(p.name for p in sorted((ROOT / "usr/lib").glob("python3.*")) if p.name[8:].isdigit())
    local = ROOT / "usr/local/lib" / version / "dist-packages"
    planted = [local / "netguard", local / "pyroute2"]
    try:
        for package in planted:
            package.mkdir(parents=True)
            (package / "__init__.py").write_text(PLANTED)
        container = boot(interfaces("    wait-dad 5\n    dad off\n"))
        for command in (
            ["netguard", "status"],
            ["netguard", "check"],
            ["netguard", "--version"],
            ["systemctl", "start", "netguard-probe.service"],
            ["systemctl", "start", "netguard-refresh.service"],
            ["/usr/lib/systemd/system-generators/netguard-generator", "/tmp/g", "/tmp/g", "/tmp/g"],
        ):
            done = container.exec(*command)
            assert "Traceback" not in done.stderr, (command, done.stderr)
        assert container.exec("systemctl", "is-active", "networking").stdout.strip() == "active"
        mark = container.exec("cat", "/var/tmp/netguard-planted").stdout
        assert mark == "", mark
        container.exec("python3", "-c", "import pyroute2")  # the control: site finds /usr/local
        assert "pyroute2 imported" in container.exec("cat", "/var/tmp/netguard-planted").stdout
    finally:
        for package in planted:
            shutil.rmtree(package, ignore_errors=True)
        (ROOT / "var/tmp/netguard-planted").unlink(missing_ok=True)
