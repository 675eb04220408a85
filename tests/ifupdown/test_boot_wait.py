"""`ifup -a` (what networking.service runs at boot): one DAD wait for every interface, at the end.

Real ifupdown 0.8 in a namespace with several veth links to a peer, `auto`
stanzas whose addresses come from `up` lines (ifupdown does not wait for
those), each with wait-dad. The kernel runs every interface's DAD at once;
serially waiting, 8 interfaces cannot take less than 8 x 1.1 s (the
shortest DAD measured here), so a run well under that proves one wait.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.sandbox import AddressMonitor, first_event, veth

pytestmark = pytest.mark.ifupdown


def stanza(index: int, extra: str = "", kind: str = "auto") -> str:
    return (
        f"{kind} eth{index}\niface eth{index} inet6 manual\n"
        f"    up ip -6 addr add 2001:db8:{index}::1/64 dev eth{index}\n    wait-dad 10\n{extra}"
    )


def boot_host(make_host, make_namespace, count: int):
    host = make_host("ngb")
    peer = make_namespace("ngbp")
    for index in range(count):
        veth(host, f"eth{index}", peer, f"eth{index}")
        peer.exec("ip", "link", "set", f"eth{index}", "up")
    return host, peer


def ifup_all(host, *extra: str) -> tuple[subprocess.CompletedProcess, float, str]:
    """ifup -a, then at once the addresses still tentative or dadfailed (none, when all are usable)."""
    started = time.monotonic()
    done = host.exec("ifup", "-a", "--state-dir", host.state_dir, *extra, check=False, timeout=120)
    took = time.monotonic() - started
    unusable = host.exec("ip", "-6", "-o", "addr", "show", "tentative").stdout
    return done, took, unusable


def status(host) -> dict:
    return json.loads(host.netguard("status", "--json").stdout)["interfaces"]


def test_eight_interfaces_wait_once_at_the_end_and_every_address_is_usable_when_ifup_returns(
    make_host, make_namespace
):
    host, _ = boot_host(make_host, make_namespace, 8)
    host.write_interfaces("".join(stanza(i) for i in range(8)))
    done, took, unusable = ifup_all(host)
    assert done.returncode == 0, done.stderr
    assert unusable == "", unusable  # every address of every interface binds the instant ifup -a returns
    assert took < 6.0, f"{took:.2f} s: serial waits would take at least 8 x 1.1 s"
    report = status(host)
    for index in range(8):
        wait = report[f"eth{index}"]["waits"]["wait-dad"]
        assert wait["status"] == "at the end of the ifup -a run", wait
    assert not (host.netguard_state / "boot" / "run").exists()  # no mark outlives its run


def test_a_duplicate_on_one_of_eight_fails_ifup_all_naming_it_and_the_other_seven_are_usable(
    make_host, make_namespace
):
    host, peer = boot_host(make_host, make_namespace, 8)
    peer.exec("ip", "-6", "addr", "add", "2001:db8:3::1/64", "dev", "eth3", "nodad")
    host.write_interfaces("".join(stanza(i) for i in range(8)))
    monitor = AddressMonitor(host)
    ifup = subprocess.Popen(["ip", "netns", "exec", host.name, "ifup", "-a", "--state-dir", host.state_dir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    named_at, said = None, []
    assert ifup.stderr is not None
    for line in ifup.stderr:
        said.append(line)
        if named_at is None and "netguard: eth3: wait-dad: duplicate address 2001:db8:3::1" in line:
            named_at = time.time()
    ifup.wait(timeout=60)
    failed_at = first_event(monitor.stop(), "2001:db8:3::1", has="dadfailed")
    assert named_at is not None, "".join(said)
    assert named_at - failed_at < 0.5, f"named {named_at - failed_at:.3f} s after the kernel's dadfailed"
    unusable = host.exec("ip", "-6", "-o", "addr", "show", "tentative").stdout
    done = subprocess.CompletedProcess(ifup.args, ifup.returncode, "", "".join(said))
    assert done.returncode != 0
    assert "1 interface(s) not usable" in done.stderr
    assert [line.split()[1] for line in unusable.splitlines()] == ["eth3"], unusable
    report = status(host)
    assert report["eth3"]["outcomes"]["post-up"]["status"] == "failed"
    assert "duplicate address 2001:db8:3::1" in report["eth3"]["outcomes"]["post-up"]["message"]
    assert all(report[f"eth{i}"]["outcomes"]["post-up"]["status"] == "ok" for i in range(8) if i != 3)


def test_an_interface_whose_up_line_fails_leaves_the_others_waited_for(make_host, make_namespace):
    """ifupdown runs --all's post-up even after an interface failed (measured): the others still wait."""
    host, _ = boot_host(make_host, make_namespace, 4)
    host.write_interfaces("".join(stanza(i, "    up /bin/false\n" if i == 1 else "") for i in range(4)))
    done, _took, unusable = ifup_all(host)
    assert done.returncode != 0 and "failed to bring up eth1" in done.stderr, done.stderr
    # eth1 failed before its post-up: ifupdown left it unconfigured, so there is nothing to wait for.
    assert [line for line in unusable.splitlines() if " eth1 " not in line] == [], unusable


def test_kill_9_in_the_middle_of_ifup_all_then_ifup_all_again_behaves_as_a_first_boot(
    make_host, make_namespace
):
    host, _ = boot_host(make_host, make_namespace, 4)
    host.write_interfaces("".join(stanza(i, "    pre-up sleep 3\n" if i == 2 else "") for i in range(4)))
    killed = subprocess.Popen(["ip", "netns", "exec", host.name, "ifup", "-a", "--state-dir", host.state_dir],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 10
    while not (host.netguard_state / "boot" / "pending" / "eth1").exists():
        assert time.monotonic() < deadline, "eth1 never deferred its wait"
        time.sleep(0.05)
    host.kill(b"ifup\0-a")  # this namespace's ifup -a only (pkill would see every ifup of the host)
    killed.wait(timeout=10)
    # The dead run's mark and deferred waits are still there; they must change nothing now.
    assert (host.netguard_state / "boot" / "run").exists()
    host.write_interfaces("".join(stanza(i) for i in range(4)))
    host.exec("ifdown", "-a", "--force", "--state-dir", host.state_dir, check=False)
    done, _took, unusable = ifup_all(host)
    assert done.returncode == 0, done.stderr
    assert unusable == "", unusable
    assert not (host.netguard_state / "boot" / "run").exists()
    assert list((host.netguard_state / "boot" / "pending").iterdir()) == []


def test_a_single_ifup_and_a_hotplug_interface_wait_for_themselves(make_host, make_namespace):
    host, _ = boot_host(make_host, make_namespace, 2)
    host.write_interfaces(stanza(0) + stanza(1, kind="allow-hotplug"))
    done, _took, _unusable = ifup_all(host)  # brings up eth0 (auto) only
    assert done.returncode == 0, done.stderr
    # ifup@.service's call for a hotplug interface: one interface, no --all run around it.
    result = host.ifup_then_bind_with(
        ["ifup", "--allow=hotplug", "--state-dir", host.state_dir, "eth1"], "eth1", ["2001:db8:1::1"]
    )
    assert result["rc"] == 0 and result["bind"]["2001:db8:1::1"] == 0, result
    report = status(host)
    assert report["eth0"]["waits"]["wait-dad"]["status"] == "at the end of the ifup -a run"
    assert report["eth1"]["waits"]["wait-dad"]["status"] == "at the interface"
