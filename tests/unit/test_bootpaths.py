"""Boot paths: which interfaces the generator orders at boot, what it writes, and the boot wait's
own edges that need no VM (the VM tier, tests/vm, boots the real thing)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netguard import bootpaths, generator
from netguard.commands import bootwait
from netguard.interfaces import IFUPDOWN, IFUPDOWN2, IFUPDOWN_NG, read_interfaces
from tests.conftest import require
from tests.sandbox import CHECKOUT, IMPORT_PATH, INSTALLED

LAYOUT = """\
auto lo
iface lo inet loopback

allow-hotplug ens3
iface ens3 inet6 static
    address 2001:db8:5::1/64
    wait-dad 10

auto eth1
iface eth1 inet6 manual
    dad off

allow-hotplug eth2
iface eth2 inet dhcp

iface eth3 inet6 manual
    wait-dad yes

allow-hotplug eth4
iface eth4 inet6 auto
    wait-dad 0

allow-hotplug eth5
iface eth5 inet6 auto
    dad on
    wait-dad no

allow-hotplug eth6
iface eth6 inet6 auto
    wait-dad soon
"""


def planned(tmp_path, text: str, rules: str) -> dict[str, tuple[bool, bool, bool]]:
    (tmp_path / "interfaces").write_text(text)
    marks: dict[str, set[str]] = {}
    stanzas = read_interfaces(str(tmp_path / "interfaces"), rules, marks=marks)
    return {p.iface: (p.covered, p.waiter, p.warn) for p in bootpaths.plan(stanzas, marks, rules)}


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        # (covered, waiter, warn); eth2 asks nothing, eth4 (0 s), eth5 (dad on, no wait) neither;
        # eth6's value does not parse: pre-up fails it, and the boot shows that failure.
        (
            IFUPDOWN,
            {
                "ens3": (True, True, False),
                "eth1": (True, False, False),
                "eth3": (False, False, False),
                "eth6": (True, True, False),
            },
        ),
        (
            IFUPDOWN2,
            {
                "ens3": (True, False, False),
                "eth1": (True, False, False),
                "eth3": (False, False, False),
                "eth6": (True, False, False),
            },
        ),
        (
            IFUPDOWN_NG,
            {
                "ens3": (False, False, True),
                "eth1": (True, False, False),
                "eth3": (False, False, False),
                "eth6": (False, False, True),
            },
        ),
    ],
    ids=["ifupdown", "ifupdown2", "ifupdown-ng"],
)
def test_each_implementation_boot_path(tmp_path, rules, expected):
    assert planned(tmp_path, LAYOUT, rules) == expected


def test_marks_follow_source_and_allow_auto(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "ens3").write_text("allow-hotplug ens3\niface ens3 inet6 auto\n    wait-dad 5\n")
    text = f"source {tmp_path}/d/*\nallow-auto eth1\niface eth1 inet6 manual\n    wait-dad 5\n"
    assert planned(tmp_path, text, IFUPDOWN) == {"ens3": (True, True, False), "eth1": (True, False, False)}


def generate(tmp_path, text: str) -> dict[str, str]:
    (tmp_path / "interfaces").write_text(text)
    out = tmp_path / "out"
    out.mkdir()
    assert generator.main(["netguard-generator", str(out)], interfaces=str(tmp_path / "interfaces")) == 0
    found = {}
    for directory, _, files in os.walk(out):
        for name in files:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, out)
            found[relative] = "->" + os.readlink(path) if os.path.islink(path) else Path(path).read_text()
    return found


def test_a_host_without_promises_gets_nothing(tmp_path):
    text = "auto lo\niface lo inet loopback\nallow-hotplug ens3\niface ens3 inet dhcp\n    reject-asn 64500\n"
    assert generate(tmp_path, text) == {}


def test_hotplug_gets_a_oneshot_ifup_and_a_waiter(tmp_path, monkeypatch):
    monkeypatch.setattr(generator, "detect_rules", lambda root="/": IFUPDOWN)
    found = generate(tmp_path, LAYOUT)
    assert sorted(found) == [
        "ifup@ens3.service.d/netguard.conf",
        "ifup@eth6.service.d/netguard.conf",
        "network-online.target.wants/netguard-wait@ens3.service",
        "network-online.target.wants/netguard-wait@eth6.service",
        "networking.service.d/netguard.conf",
    ]
    assert re.search(r"^\[Service\]\nType=oneshot$", found["ifup@ens3.service.d/netguard.conf"], re.M)
    assert found["network-online.target.wants/netguard-wait@ens3.service"].endswith("/netguard-wait@.service")
    assert re.search(
        r"^Before=network.target network-online.target$", found["networking.service.d/netguard.conf"], re.M
    )


@pytest.mark.parametrize("kind", ["missing", "directory", "unreadable-bytes"])
def test_the_generator_never_fails_a_boot(tmp_path, kind, capfd):
    interfaces = tmp_path / "interfaces"
    if kind == "directory":
        interfaces.mkdir()
    elif kind == "unreadable-bytes":
        interfaces.write_bytes(b"allow-hotplug \xff\xfe\niface \xff\xfe inet6 auto\n    wait-dad 5\n")
    out = tmp_path / "out"
    out.mkdir()
    assert generator.main(["netguard-generator", str(out)], interfaces=str(interfaces)) == 0
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("name", ["ens3", "eth-x", ".x", "wl\u00e4n0", "br0.100", "a:b", "a\\b"])
def test_unit_instance_is_systemd_escape(name):
    """The name udev's ifupdown-hotplug gives ifup@.service (systemd-escape --template)."""
    require(None if shutil.which("systemd-escape") else "systemd-escape (package systemd) not installed")
    expected = subprocess.run(
        ["systemd-escape", name], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert bootpaths.unit_instance(name) == expected


@pytest.mark.parametrize(
    ("state", "ended"),
    [
        ("active/exited", True),  # Type=simple + RemainAfterExit, ifup done
        ("active/", True),
        ("failed/failed", True),
        ("activating/start", False),  # oneshot (the generator's drop-in): ifup running
        ("active/running", False),  # Type=simple: ifup running
        ("inactive/dead", False),  # no device yet
        ("", False),  # systemctl could not say
    ],
)
def test_when_ifup_has_ended(state, ended):
    assert bootwait.ended(state) is ended


def test_a_device_that_never_appears_ends_the_wait_named(tmp_path):
    """The promise's window ends: one line naming the interface, recorded for status, exit per policy."""
    (tmp_path / "interfaces").write_text(
        "allow-hotplug ngmissing0\niface ngmissing0 inet6 auto\n    wait-dad 0.3\n    wait-dad-failure fail\n"
    )
    state = tmp_path / "state"
    (tmp_path / "netguard.conf").write_text(f"State-Dir: {state}\nMetrics-Dir:\n")
    (tmp_path / "netguard.conf").chmod(0o644)
    command = ["/usr/sbin/netguard"] if INSTALLED else [sys.executable, "-m", "netguard"]
    result = subprocess.run(
        [
            *command,
            "--config",
            str(tmp_path / "netguard.conf"),
            "boot-wait",
            "-i",
            str(tmp_path / "interfaces"),
            "ngmissing0",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": IMPORT_PATH},
    )
    assert result.returncode == 1, result
    assert result.stderr.strip().splitlines() == [
        "netguard: ngmissing0: wait-dad: the device did not appear within 0.3 s; boot went on without it; "
        "check the NIC, its driver and the name udev gives it"
    ], result.stderr
    record = (state / "wait" / "ngmissing0").read_text()
    assert "\tdevice missing\t" in record, record
    assert "\tfailed\t" in (state / "outcome" / "ngmissing0").read_text()


def test_the_waiter_unit_is_bounded_and_ordered(tmp_path):
    if INSTALLED:  # as the package installed it (/lib on Debian 12's debhelper, /usr/lib on 13)
        unit = next(p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))
                    if (p / "netguard-wait@.service").exists()).joinpath("netguard-wait@.service").read_text()  # fmt: skip
    else:
        unit = (CHECKOUT / "debian" / "netguard-wait@.service").read_text()
    assert re.search(r"^Before=network-online.target", unit, re.M)
    assert re.search(r"^TimeoutStartSec=\d+min$", unit, re.M)
    assert "BindsTo" not in unit and "Requires" not in unit  # no device timeout of systemd's (90 s)
