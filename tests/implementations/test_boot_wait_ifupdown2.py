"""`ifup -a` under ifupdown2 with netguard's addon: one DAD wait for every interface, at the end.

ifupdown2 does every operation of one interface before the next, so each
wait-dad would wait in turn; the addon runs the hook with IFACE=--all before
the first interface and at the process's exit, as ifupdown 0.8 does. Real
ifupdown2 (Debian's package, unpacked; installed in the Debian 13 stage).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import require
from tests.implementations.test_other_ifupdowns import TREES, Implementation
from tests.sandbox import veth

pytestmark = pytest.mark.ifupdown


def stanzas(count: int) -> str:
    return "".join(
        f"auto eth{index}\niface eth{index}\n    up ip -6 addr add 2001:db8:{index}::1/64 dev eth{index}\n"
        "    wait-dad 10\n"
        for index in range(count)
    )


@pytest.fixture
def ifupdown2(make_host, make_namespace, tmp_path):
    tree = Path(os.environ.get(TREES["ifupdown2"], "/nonexistent"))
    if not (tree / "etc" / "network" / "ifupdown2").exists():
        require(
            f"{TREES['ifupdown2']} does not name an unpacked or installed (/) ifupdown2 (make check makes one)"
        )
    host = make_host("ngi")
    peer = make_namespace("ngip")
    for index in range(4):
        veth(host, f"eth{index}", peer, f"eth{index}")
        peer.exec("ip", "link", "set", f"eth{index}", "up")
    made = Implementation("ifupdown2+addon", tree, host, tmp_path / "syslog")
    made.peer = peer
    return made


def ifup_all(implementation) -> tuple[object, float, str]:
    host = implementation.host
    started = time.monotonic()
    done = host.exec(*implementation.command("ifup", "-a"), check=False, timeout=120)
    took = time.monotonic() - started
    return done, took, host.exec("ip", "-6", "-o", "addr", "show", "tentative").stdout


def test_four_interfaces_wait_once_at_the_end_under_ifupdown2(ifupdown2):
    host = ifupdown2.host
    host.write_interfaces(stanzas(4))
    done, took, unusable = ifup_all(ifupdown2)
    assert done.returncode == 0, done.stderr
    assert unusable == "", unusable  # every address usable the instant ifup -a returns
    report = json.loads(host.netguard("status", "--json").stdout)["interfaces"]
    for index in range(4):
        wait = report[f"eth{index}"]["waits"]["wait-dad"]
        assert wait["status"] == "at the end of the ifup -a run", wait
    assert took < 4 * 1.1, f"ifup -a took {took:.2f} s: four serial DAD waits take 4.4 s at least"


def test_a_duplicate_fails_ifup_all_under_ifupdown2_naming_it(ifupdown2):
    host, peer = ifupdown2.host, ifupdown2.peer
    peer.exec("ip", "-6", "addr", "add", "2001:db8:2::1/64", "dev", "eth2", "nodad")
    host.write_interfaces(stanzas(4))
    done, _took, _unusable = ifup_all(ifupdown2)
    assert done.returncode != 0, done.stderr
    assert "netguard: eth2: wait-dad: duplicate address 2001:db8:2::1" in done.stderr, done.stderr
    report = json.loads(host.netguard("status", "--json").stdout)["interfaces"]
    assert report["eth2"]["outcomes"]["post-up"]["status"] == "failed", report["eth2"]
    for index in (0, 1, 3):
        assert report[f"eth{index}"]["outcomes"]["post-up"]["status"] == "ok", report[f"eth{index}"]


def test_a_single_ifup_under_ifupdown2_waits_for_itself(ifupdown2):
    host = ifupdown2.host
    host.write_interfaces(stanzas(2))
    done = host.exec(*ifupdown2.command("ifup", "eth1"), check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert host.exec("ip", "-6", "-o", "addr", "show", "tentative").stdout == ""
    report = json.loads(host.netguard("status", "--json").stdout)["interfaces"]
    assert report["eth1"]["waits"]["wait-dad"]["status"] == "at the interface", report["eth1"]


def test_kill_9_in_the_middle_of_ifup_all_then_ifup_all_again_behaves_as_a_first_boot(ifupdown2):
    host = ifupdown2.host
    host.write_interfaces(stanzas(4))
    killed = subprocess.Popen(["ip", "netns", "exec", host.name, *ifupdown2.command("ifup", "-a")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 10
    while "2001:db8:1::1" not in host.exec("ip", "-6", "-o", "addr", "show").stdout:
        assert time.monotonic() < deadline and killed.poll() is None, "ifup -a never reached eth1"
        time.sleep(0.02)
    host.kill(b"bin/ifup")  # ifupdown2 mid-run: its --all mark and two interfaces' waits are left
    killed.wait(timeout=10)
    host.exec(*ifupdown2.command("ifdown", "-a"), check=False)
    done, took, unusable = ifup_all(ifupdown2)
    assert done.returncode == 0, done.stderr
    assert unusable == "", unusable
    report = json.loads(host.netguard("status", "--json").stdout)["interfaces"]
    for index in range(4):
        assert report[f"eth{index}"]["waits"]["wait-dad"]["status"] == "at the end of the ifup -a run"
    assert took < 4 * 1.1, took
