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
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import require
from tests.sandbox import run, unique_name

ROOT = Path(os.environ.get("NETGUARD_BOOT_ROOT", "/nonexistent"))
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


def write_in_root(relative: str, text: str) -> None:
    """Through paths resolved inside the root: a link there (sites-enabled/default) is removed,
    never followed to the host's file."""
    path = ROOT / relative
    if path.is_symlink():
        path.unlink()
    path.write_text(text)


class Container:
    def __init__(self, netns: str, extra: int, before=None) -> None:
        self.netns = netns
        veths = [f"--network-veth-extra=vx{index}:host{index}" for index in range(1, 1 + extra)]
        self.process = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{netns}", "systemd-nspawn", "-D", str(ROOT), "--boot",
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


@pytest.fixture
def boot(tmp_path):
    if not (ROOT / "usr/lib/netguard/netguard").exists():
        require(f"NETGUARD_BOOT_ROOT ({ROOT}) is no root with netguard installed (make boot-root makes one)")
    if not Path("/usr/bin/systemd-nspawn").exists():
        require("systemd-nspawn (package systemd-container) is not installed")
    netns = unique_name("ngboot")
    run("ip", "netns", "add", netns)
    started: list[Container] = []

    def booted(interfaces_text: str, extra: int = 0, before=None) -> Container:
        write_in_root("etc/network/interfaces", interfaces_text)
        write_in_root("etc/nginx/sites-enabled/default", NGINX)
        container = Container(netns, extra, before)
        started.append(container)
        container.wait_booted()
        return container

    yield booted
    for container in started:
        container.stop()
    run("ip", "netns", "del", netns, check=False)


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
