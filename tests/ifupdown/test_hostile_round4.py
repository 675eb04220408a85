"""Hostile round 4, class 1: netguard never breaks a boot it has no part in.

Real `ifup -a` in a namespace. A host whose stanzas use no netguard option
boots (exit 0, every interface up) whatever netguard.conf holds: the
`IFACE=--all` meta calls still start Python, so a configuration error there
used to fail the whole run. A stanza that uses options fails only on the keys
its own options need; an unrelated bad key is one warning and the default.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.sandbox import private_run, veth

pytestmark = [pytest.mark.ifupdown, pytest.mark.hostile]

PLAIN = """\
auto eth0
iface eth0 inet6 manual
    up ip -6 addr add 2001:db8:1::1/64 dev eth0 nodad

auto eth1
iface eth1 inet static
    address 192.0.2.1/24
"""


def host_with_links(make_host, make_namespace, count: int = 2):
    host = make_host("ngr4")
    peer = make_namespace("ngr4p")
    for index in range(count):
        veth(host, f"eth{index}", peer, f"eth{index}")
        peer.exec("ip", "link", "set", f"eth{index}", "up")
    return host


def ifupdown_all(host, command: str) -> object:
    """ifup -a / ifdown -a with an empty /run of its own: a netguard.conf that cannot be read
    means the default State-Dir, /run/netguard, which must not be the host's."""
    return host.exec(*private_run([command, "-a", "--state-dir", host.state_dir]), check=False, timeout=60)


def conf(host):
    return host.etc / "netguard" / "netguard.conf"


def plant(host, kind: str) -> None:
    """netguard.conf as an attacker, or a slip of the admin's hand, leaves it."""
    path = conf(host)
    state = f"State-Dir: {host.netguard_state}\nMetrics-Dir:\n"
    if kind == "missing":
        path.unlink()
    elif kind == "empty":
        path.write_text("")
    elif kind == "typo":
        path.write_text(state + "Wait-Dad-Timout: 5\n")
    elif kind == "bad-value":
        path.write_text(state + "Wait-Dad-Timeout: 9999\nReject-Max-Routes: -1\n")
    elif kind == "not-utf8":
        path.write_bytes(state.encode() + b"Irr-Host: \xff\xfe\n")
    elif kind == "fifo":
        path.unlink()
        os.mkfifo(path)
    elif kind == "directory":
        path.unlink()
        path.mkdir()
    elif kind == "group-writable":
        path.write_text(state)
        path.chmod(0o666)
    else:
        raise AssertionError(kind)


KINDS = ["missing", "empty", "typo", "bad-value", "not-utf8", "fifo", "directory", "group-writable"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_host_without_netguard_options_boots_whatever_netguard_conf_holds(make_host, make_namespace, kind):
    host = host_with_links(make_host, make_namespace)
    host.write_interfaces(PLAIN)
    plant(host, kind)
    done = ifupdown_all(host, "ifup")
    assert done.returncode == 0, done.stderr
    state = host.exec("ifquery", "--state", "--state-dir", host.state_dir).stdout
    assert "eth0=eth0" in state and "eth1=eth1" in state, state
    assert "2001:db8:1::1/64" in host.exec("ip", "-6", "addr", "show", "dev", "eth0").stdout
    for line in done.stderr.splitlines():  # at most warnings of netguard's, each one line naming the file
        if line.startswith("netguard"):
            assert ": netguard.conf: warning: " in line and "netguard uses the default" in line, line
    down = ifupdown_all(host, "ifdown")
    assert down.returncode == 0, down.stderr


def test_a_stanza_fails_only_on_a_key_its_own_options_need(make_host, make_namespace):
    """Wait-Dad-Timout (a typo of Wait-Dad-Timeout): eth0's wait-dad yes needs that key, so eth0
    fails pre-up naming the line and the key it was meant to be; eth1 (dad off: State-Dir only)
    and eth2 (no option) come up; the typo is a warning for them."""
    host = host_with_links(make_host, make_namespace, 3)
    host.write_interfaces(
        "auto eth0\niface eth0 inet6 manual\n    up ip -6 addr add 2001:db8:1::1/64 dev eth0\n    wait-dad yes\n\n"
        "auto eth1\niface eth1 inet6 manual\n    up ip -6 addr add 2001:db8:2::1/64 dev eth1\n    dad off\n\n"
        "auto eth2\niface eth2 inet static\n    address 192.0.2.2/24\n"
    )
    conf(host).write_text(conf(host).read_text() + "Wait-Dad-Timout: 5\n")
    done = host.exec("ifup", "-a", "--state-dir", host.state_dir, check=False, timeout=60)
    assert done.returncode != 0
    state = host.exec("ifquery", "--state", "--state-dir", host.state_dir).stdout
    assert "eth0" not in state and "eth1=eth1" in state and "eth2=eth2" in state, state
    failed = [line for line in done.stderr.splitlines() if line.startswith("netguard: eth0")]
    assert failed == [
        "netguard: eth0: netguard.conf: /etc/netguard/netguard.conf:4: unknown key 'Wait-Dad-Timout'; "
        "did you mean Wait-Dad-Timeout?; eth0's options need it"
    ], done.stderr
    assert host.exec("sysctl", "-n", "net.ipv6.conf.eth1.accept_dad").stdout.strip() == "0"


def test_a_directory_at_the_runs_mark_never_fails_ifup_all(make_host, make_namespace):
    """State-Dir/boot/run made a directory (and pending/ a file): ifup -a of a wait-dad stanza
    still ends 0 with its address usable; netguard warns."""
    host = host_with_links(make_host, make_namespace, 1)
    host.write_interfaces(
        "auto eth0\niface eth0 inet6 manual\n    up ip -6 addr add 2001:db8:1::1/64 dev eth0\n    wait-dad 10\n"
    )
    (host.netguard_state / "boot" / "run").mkdir(parents=True)
    done = host.exec("ifup", "-a", "--state-dir", host.state_dir, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert host.exec("ip", "-6", "-o", "addr", "show", "tentative").stdout == ""
    assert "Traceback" not in done.stderr


# Class 2: interface names are bytes. Names legal to the kernel, on one host with the tested stanzas.
HOSTILE_NAMES = [b"wl\xc3\xa4n0", b"\xff\xfe0", b"x\xc2\x9by", b"--all", b".x"]


def add_named_link(host, name: bytes, index: int) -> None:
    """A veth pair inside the host namespace named by raw bytes, up, with an IPv6 address."""
    import subprocess

    peer = f"hn{index}".encode()
    for argv in (
        [b"ip", b"-n", host.name.encode(), b"link", b"add", name, b"type", b"veth", b"peer", b"name", peer],
        [b"ip", b"-n", host.name.encode(), b"link", b"set", name, b"up"],
        [b"ip", b"-n", host.name.encode(), b"link", b"set", peer, b"up"],
        [
            b"ip",
            b"-n",
            host.name.encode(),
            b"-6",
            b"addr",
            b"add",
            f"2001:db8:f{index}::1/64".encode(),
            b"dev",
            name,
        ],
    ):
        subprocess.run(argv, check=True, capture_output=True)


NAMED_STANZAS = """\
auto eth0
iface eth0 inet6 manual
    up ip -6 addr add 2001:db8:1::1/64 dev eth0
    wait-dad 10
iface eth0 inet static
    address 192.0.2.1/24
    ipv4-dad on

auto .x
iface .x inet6 manual
    up ip -6 addr add 2001:db8:2::1/64 dev .x
    wait-dad 10

auto wl\u00e4n0
iface wl\u00e4n0 inet6 manual
    up ip -6 addr add 2001:db8:3::1/64 dev wl\u00e4n0
    wait-dad 10
    dad off
    reject-asn 64500

auto --all
iface --all inet static
    address 192.0.2.9/24
    ipv4-dad on
"""


def test_names_that_are_bytes_neither_break_nor_reach_the_terminal_raw(make_host, make_namespace):
    """wlän0, a name that is not UTF-8, a C1 control (U+009B, CSI), `--all` and `.x` beside the
    tested stanzas: every wait finishes (`.x` and wlän0 at the end of ifup -a like eth0), ipv4-dad
    probes the interface named --all (it is no meta call), `netguard wait` and `status --json`
    work, and nothing raw or no traceback reaches the terminal."""
    import json
    import subprocess

    host = make_host("ngr4n", "Reject-Allow-Special: yes\n")
    peer = make_namespace("ngr4q")
    prefixes = host.etc / "as64500.txt"
    prefixes.write_text("2001:db8:ff00::/40\n")
    host.netguard("import", "64500", str(prefixes))
    for name in ("eth0", ".x", "wl\u00e4n0", "--all"):
        veth(host, name, peer, f"q{len(name)}{name.isascii():d}{name[:1] == '-':d}")
    for name in peer.exec("ip", "-o", "link", "show").stdout.split("\n"):
        if ": q" in name:
            peer.exec("ip", "link", "set", name.split(": ")[1].split("@")[0], "up")
    for index, name in enumerate(HOSTILE_NAMES[1:3]):  # no stanza: the host simply has them
        add_named_link(host, name, index)
    host.write_interfaces(NAMED_STANZAS)
    done = subprocess.run(
        ["ip", "netns", "exec", host.name, "ifup", "-a", "--state-dir", host.state_dir],
        capture_output=True, timeout=120,
    )  # fmt: skip
    err = done.stderr
    assert done.returncode == 0, err
    assert b"\xc2\x9b" not in err and b"\xff" not in err and b"Traceback" not in err, err
    for name in ("eth0", ".x", "wl\u00e4n0"):  # the stanzas with wait-dad (--all has none)
        assert host.exec("ip", "-6", "-o", "addr", "show", "dev", name, "tentative").stdout == "", name
    report = json.loads(host.netguard("status", "--json").stdout)["interfaces"]
    for name in ("eth0", ".x", "wl\u00e4n0"):
        assert report[name]["waits"]["wait-dad"]["status"] == "at the end of the ifup -a run", report[name]
    assert report["--all"]["ipv4_dad"]["192.0.2.9"]["status"] == "free", report["--all"]
    waited = host.netguard("wait", "--timeout", "5", "2001:db8:1::1", "2001:db8:f0::1", check=False)
    assert waited.returncode == 0, waited.stderr
    listed = host.netguard("status", check=False)
    assert listed.returncode == 0 and "\x9b" not in listed.stdout and "Traceback" not in listed.stderr
    # dad off and reject-asn on wlän0 too, undone by ifdown -a
    assert host.exec("sysctl", "-n", "net.ipv6.conf.wl\u00e4n0.accept_dad").stdout.strip() == "0"
    assert "2001:db8:ff00::/40" in host.exec("ip", "-6", "route", "show", "proto", "241").stdout
    down = subprocess.run(["ip", "netns", "exec", host.name, "ifdown", "-a", "--state-dir", host.state_dir],
                          capture_output=True, timeout=120)  # fmt: skip
    assert down.returncode == 0 and b"Traceback" not in down.stderr, down.stderr
    assert host.exec("ip", "-6", "route", "show", "proto", "241").stdout == ""


# Class 3: alias stanzas (eth0:1, an IPv4 address label on eth0).
ALIASES = """\
auto eth0
iface eth0 inet static
    address 192.0.2.1/24

auto eth0:1
iface eth0:1 inet static
    address 192.0.2.6/24
    ipv4-dad on

auto eth0:2
iface eth0:2 inet static
    address 192.0.2.5/24
    ipv4-dad on
"""


def test_an_alias_stanza_is_probed_on_its_base_and_a_duplicate_is_not_configured(make_host, make_namespace):
    host = make_host("ngr4a")
    peer = make_namespace("ngr4b")
    veth(host, "eth0", peer, "eth0")
    peer.exec("ip", "link", "set", "eth0", "up")
    peer.exec("ip", "addr", "add", "192.0.2.5/24", "dev", "eth0")  # the other host holds eth0:2's address
    host.write_interfaces(ALIASES)
    done = host.exec("ifup", "-a", "--state-dir", host.state_dir, check=False, timeout=60)
    assert done.returncode != 0, done.stderr
    mac = peer.exec("cat", "/sys/class/net/eth0/address").stdout.strip()
    failed = [line for line in done.stderr.splitlines() if line.startswith("netguard: eth0:2: ipv4-dad:")]
    assert failed and f"192.0.2.5 is in use by {mac}" in failed[0], done.stderr
    shown = host.exec("ip", "-4", "addr", "show", "dev", "eth0").stdout
    assert "192.0.2.6/24" in shown and "eth0:1" in shown, shown  # the free alias, with its label
    assert "192.0.2.5" not in shown, shown  # the duplicate is never configured
    report = __import__("json").loads(host.netguard("status", "--json").stdout)["interfaces"]
    assert report["eth0:1"]["ipv4_dad"]["192.0.2.6"]["status"] == "free", report.get("eth0:1")
    assert report["eth0:2"]["ipv4_dad"]["192.0.2.5"]["status"] == "in use", report.get("eth0:2")


def test_an_ipv6_option_in_an_alias_stanza_is_refused_by_check_and_pre_up(
    make_host, make_namespace, tmp_path
):
    host = make_host("ngr4c")
    peer = make_namespace("ngr4d")
    veth(host, "eth0", peer, "eth0")
    text = "auto eth0\niface eth0 inet6 manual\n\nauto eth0:1\niface eth0:1 inet6 manual\n    wait-dad 5\n"
    host.write_interfaces(text)
    done = host.exec("ifup", "--state-dir", host.state_dir, "eth0:1", check=False, timeout=60)
    assert done.returncode != 0
    said = [line for line in done.stderr.splitlines() if line.startswith("netguard")]
    assert said == [
        "netguard: eth0:1: wait-dad: eth0:1 is an IPv4 address label of eth0 (IPv6 has no labels); "
        "put wait-dad in eth0's `iface eth0 inet6` stanza"
    ], done.stderr
    (tmp_path / "interfaces").write_text(text)
    checked = host.netguard("check", "-i", str(tmp_path / "interfaces"), check=False)
    assert (
        checked.returncode == 2
        and "eth0:1: wait-dad: error: eth0:1 is an IPv4 address label" in checked.stdout
    )


# Class 4: one safe walk into State-Dir: nothing is read, written or unlinked through a planted link.
def test_a_link_planted_at_state_dir_boot_is_never_followed(make_host, make_namespace, tmp_path):
    host = host_with_links(make_host, make_namespace, 1)
    host.write_interfaces(
        "auto eth0\niface eth0 inet6 manual\n    up ip -6 addr add 2001:db8:1::1/64 dev eth0\n    wait-dad 10\n"
    )
    target = tmp_path / "precious"
    (target / "pending").mkdir(parents=True)
    (target / "run").write_text("keep\n")
    (target / "pending" / "eth0").write_text("keep\n")
    host.netguard_state.mkdir(parents=True, exist_ok=True)
    (host.netguard_state / "boot").symlink_to(target)
    done = host.exec("ifup", "-a", "--state-dir", host.state_dir, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (target / "run").read_text() == "keep\n" and (target / "pending" / "eth0").read_text() == "keep\n"
    assert sorted(p.name for p in target.iterdir()) == ["pending", "run"]
    assert host.exec("ip", "-6", "-o", "addr", "show", "dev", "eth0", "tentative").stdout == ""


def test_status_reads_no_record_through_a_link_and_takes_no_path_for_a_name(
    make_host, make_namespace, tmp_path
):
    host = host_with_links(make_host, make_namespace, 1)
    host.write_interfaces("auto eth0\niface eth0 inet6 manual\n    wait-dad 5\n")
    forged = tmp_path / "forged"
    forged.mkdir()
    (forged / "eth0").write_text("post-up\t2026-01-01T00:00:00+0000\tok\tFORGED\n")
    host.netguard_state.mkdir(parents=True, exist_ok=True)
    (host.netguard_state / "outcome").symlink_to(forged)
    shown = host.netguard("status", "--json", "eth0")
    assert "FORGED" not in shown.stdout, shown.stdout
    (tmp_path / "secret").write_text("post-up\tx\tok\tSECRET\n")
    climbed = host.netguard("status", "../../../../" + str(tmp_path / "secret"), check=False)
    assert climbed.returncode == 2 and "SECRET" not in climbed.stdout, climbed
    assert climbed.stderr.count("\n") == 1 and "give an interface name" in climbed.stderr, climbed.stderr


# Class 5: two `ifup -a` at once: the second never clears the first's waits.
def test_a_second_ifup_all_never_clears_the_first_runs_waits(make_host, make_namespace):
    import subprocess
    import time

    host = make_host("ngr4t")
    peer = make_namespace("ngr4u")
    veth(host, "eth0", peer, "eth0")  # the peer's end stays down: no carrier, eth0's address stays tentative
    veth(host, "eth1", peer, "eth1")
    peer.exec("ip", "link", "set", "eth1", "up")
    host.write_interfaces(
        "auto eth0\niface eth0 inet6 manual\n    up ip -6 addr add 2001:db8:1::1/64 dev eth0\n    wait-dad 4\n\n"
        "auto eth1\niface eth1 inet6 manual\n    up ip -6 addr add 2001:db8:2::1/64 dev eth1\n    wait-dad 4\n"
    )
    first = subprocess.Popen(["ip", "netns", "exec", host.name, "ifup", "-a", "--state-dir", host.state_dir],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 20
    while not (host.netguard_state / "boot" / "pending" / "eth0").exists():
        assert time.monotonic() < deadline and first.poll() is None, (
            "the first run never deferred eth0's wait"
        )
        time.sleep(0.02)
    second = host.exec("ifup", "-a", "--state-dir", host.state_dir, check=False, timeout=60)
    _, said = first.communicate(timeout=60)
    assert first.returncode != 0, said  # eth0 stayed tentative: the first run's one wait names it
    assert "netguard: eth0: wait-dad: timed out after 4 s" in said, said
    assert "Traceback" not in said + second.stderr


# Class 9 (the boot waiter): SIGTERM (systemd stopping networking.service) leaves a line and records.
def test_a_sigtermed_boot_wait_says_so_and_records_each_waiting_interface(make_host, make_namespace):
    import json
    import signal
    import subprocess
    import time

    host = make_host("ngr4s")
    peer = make_namespace("ngr4v")
    veth(host, "eth0", peer, "eth0")  # no carrier: eth0's address stays tentative, the wait goes on
    host.write_interfaces(
        "auto eth0\niface eth0 inet6 manual\n    up ip -6 addr add 2001:db8:1::1/64 dev eth0\n    wait-dad 20\n"
    )
    ifup = subprocess.Popen(["ip", "netns", "exec", host.name, "ifup", "-a", "--state-dir", host.state_dir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline, waiter = time.monotonic() + 20, None
    while waiter is None:  # the --all post-up hook: the one that waits for the run
        assert time.monotonic() < deadline and ifup.poll() is None, "no --all post-up hook appeared"
        for pid in subprocess.run(
            ["ip", "netns", "pids", host.name], capture_output=True, text=True
        ).stdout.split():
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"IFACE=--all" in environ and b"PHASE=post-up" in environ and b"python3" in command:
                waiter = int(pid)
        time.sleep(0.05)
    time.sleep(0.5)  # inside its wait
    os.kill(waiter, signal.SIGTERM)
    _, said = ifup.communicate(timeout=30)
    assert "netguard: --all: post-up: stopped by SIGTERM" in said, said
    report = json.loads(host.netguard("status", "--json").stdout)["interfaces"]["eth0"]
    assert report["outcomes"]["post-up"]["status"] == "failed", report
    assert "stopped by SIGTERM" in report["outcomes"]["post-up"]["message"], report


# Class 8: an address ifdown removed is no longer "in use" in the metrics, nor in status.
def test_ifdown_forgets_ipv4_dads_probes_in_status_and_metrics(make_host, make_namespace, tmp_path):
    import json

    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    host = make_host("ngr4m", f"Metrics-Dir: {metrics_dir}\n")
    peer = make_namespace("ngr4n")
    veth(host, "eth0", peer, "eth0")
    peer.exec("ip", "link", "set", "eth0", "up")
    peer.exec("ip", "addr", "add", "192.0.2.5/24", "dev", "eth0")
    host.write_interfaces(
        "iface eth0 inet static\n    address 192.0.2.5/24\n    ipv4-dad on\n    ipv4-dad-failure warn\n"
    )
    host.ifup("eth0")
    prom = metrics_dir / "netguard_iface_eth0.prom"
    assert 'netguard_ipv4_dad_in_use{address="192.0.2.5",iface="eth0"} 1' in prom.read_text()
    report = json.loads(host.netguard("status", "--json").stdout)["interfaces"]["eth0"]
    assert report["ipv4_dad"]["192.0.2.5"]["status"] == "in use", report
    host.ifdown("eth0")
    assert "netguard_ipv4_dad_in_use" not in prom.read_text(), prom.read_text()
    report = json.loads(host.netguard("status", "--json").stdout)["interfaces"]["eth0"]
    assert report["ipv4_dad"] == {}, report


# Class 6: ipv4-dad trusts no frame and leaves the link as it found it.
CLAIMER = r"""
import socket, struct, sys, time
iface, src, sha, address, htype, vlan, seconds = sys.argv[1:8]
mac = lambda text: bytes.fromhex(text.replace(":", ""))
arp = struct.pack("!HHBBH6s4s6s4s", int(htype), 0x0800, 6, 4, 2, mac(sha), socket.inet_aton(address),
                  bytes(6), socket.inet_aton(address))
tag = struct.pack("!HH", 0x8100, int(vlan)) if int(vlan) else b""
frame = b"\xff" * 6 + mac(src) + tag + b"\x08\x06" + arp
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((iface, 0))
end = time.monotonic() + float(seconds)
while time.monotonic() < end:
    sock.send(frame)
    time.sleep(0.01)
"""


def claim(peer, *, src: str, sha: str, htype: int = 1, vlan: int = 0, seconds: float = 3.0):
    """The peer claims 192.0.2.5 with crafted ARP replies, every 10 ms, for a while."""
    import subprocess

    return subprocess.Popen(["ip", "netns", "exec", peer.name, "/usr/bin/python3", "-c", CLAIMER, "eth0", src, sha,
                             "192.0.2.5", str(htype), str(vlan), str(seconds)])  # fmt: skip


def probed_link(make_host, make_namespace):
    host = make_host("ngr4p")
    peer = make_namespace("ngr4r")
    veth(host, "eth0", peer, "eth0")
    peer.exec("ip", "link", "set", "eth0", "up")
    host.write_interfaces(
        "iface eth0 inet static\n    address 192.0.2.5/24\n    ipv4-dad on\n    ipv4-dad-timeout 500\n"
    )
    own = host.exec("cat", "/sys/class/net/eth0/address").stdout.strip()
    return host, peer, own


OTHER = "02:00:00:00:00:99"


@pytest.mark.parametrize(
    ("kind", "conflict"),
    [
        ("vlan-tagged", False),  # for VLAN 100: the kernel's ARP ignores it on eth0, so must netguard
        ("htype-6", True),  # IEEE 802 hardware type: Linux's ARP accepts it on Ethernet
        ("our-ethernet-source", True),  # RFC 5227: the ARP sender decides, not the Ethernet source
    ],
)
def test_a_crafted_claim_is_judged_as_the_kernel_and_rfc_5227_would(
    make_host, make_namespace, kind, conflict
):
    host, peer, own = probed_link(make_host, make_namespace)
    options = {"vlan-tagged": {"src": OTHER, "sha": OTHER, "vlan": 100},
               "htype-6": {"src": OTHER, "sha": OTHER, "htype": 6},
               "our-ethernet-source": {"src": own, "sha": OTHER}}[kind]  # fmt: skip
    claimer = claim(peer, **options)
    try:
        import time

        time.sleep(0.2)
        done = host.ifup("eth0", check=False)
    finally:
        claimer.wait(timeout=10)
    if conflict:
        assert done.returncode != 0 and f"192.0.2.5 is in use by {OTHER}" in done.stderr, done.stderr
    else:
        assert done.returncode == 0, done.stderr


def test_a_failed_probe_leaves_the_link_down_as_it_found_it(make_host, make_namespace):
    host, peer, _ = probed_link(make_host, make_namespace)
    peer.exec("ip", "addr", "add", "192.0.2.5/24", "dev", "eth0")
    assert "UP" not in host.exec("ip", "-br", "link", "show", "eth0").stdout.split()[1]
    done = host.ifup("eth0", check=False)
    assert done.returncode != 0
    state = host.exec("ip", "-o", "link", "show", "eth0").stdout
    assert "<BROADCAST,MULTICAST>" in state or ",UP" not in state, state  # admin down again


def test_the_timeout_floor_is_refused_by_check_and_pre_up(make_host, make_namespace, tmp_path):
    host, _, _ = probed_link(make_host, make_namespace)
    text = "iface eth0 inet static\n    address 192.0.2.5/24\n    ipv4-dad on\n    ipv4-dad-timeout 1\n"
    host.write_interfaces(text)
    done = host.ifup("eth0", check=False)
    assert (
        done.returncode != 0
        and "ipv4-dad-timeout: bad value '1'; accepted: milliseconds from 100" in done.stderr
    )
    (tmp_path / "interfaces").write_text(text)
    checked = host.netguard("check", "-i", str(tmp_path / "interfaces"), check=False)
    assert checked.returncode == 2 and "milliseconds from 100" in checked.stdout


def test_ipv4_dad_probes_a_link_whose_name_is_not_utf8(make_host, make_namespace):
    """Python's packet-socket addresses take names as UTF-8 text only (was: three chained
    tracebacks): such a link is bound and sent to by index. A free address comes up; one the
    peer holds is named, the name escaped, in one line."""
    import subprocess

    host = make_host("ngr4x")
    peer = make_namespace("ngr4y")
    name = b"\xff\xfe0"
    subprocess.run([b"ip", b"-n", host.name.encode(), b"link", b"add", name, b"type", b"veth", b"peer", b"name",
                    b"eth0", b"netns", peer.name.encode()], check=True)  # fmt: skip
    peer.exec("ip", "link", "set", "eth0", "up")
    peer.exec("ip", "addr", "add", "192.0.2.8/24", "dev", "eth0")

    def ifup(address: str) -> subprocess.CompletedProcess:
        (host.etc / "network" / "interfaces").write_bytes(
            b"iface " + name + b" inet static\n    address " + address.encode() + b"/24\n    ipv4-dad on\n"
        )
        return subprocess.run([b"ip", b"netns", b"exec", host.name.encode(), b"ifup", b"--state-dir",
                               host.state_dir.encode(), name], capture_output=True, timeout=60)  # fmt: skip

    taken = ifup("192.0.2.8")
    said = [line for line in taken.stderr.split(b"\n") if line.startswith(b"netguard")]
    mac = peer.exec("cat", "/sys/class/net/eth0/address").stdout.strip().encode()
    assert taken.returncode != 0 and len(said) == 1, taken.stderr
    assert said[0].startswith(b"netguard: \\xff\\xfe0: ipv4-dad: 192.0.2.8 is in use by " + mac), said
    free = ifup("192.0.2.9")
    assert free.returncode == 0 and b"Traceback" not in free.stderr, free.stderr


def test_a_probe_killed_with_the_link_up_is_set_down_by_the_next_run(make_host, make_namespace):
    """SIGKILL cannot be caught: the `link up` mark ipv4-dad writes before raising the link lets
    the interface's next netguard run put it back down and clear it (here ifdown --force, the
    recovery ifupdown 0.8 needs after a killed hook)."""
    import subprocess
    import time

    host, _, _ = probed_link(make_host, make_namespace)
    host.write_interfaces(
        "iface eth0 inet static\n    address 192.0.2.5/24\n    ipv4-dad on\n    ipv4-dad-timeout 20000\n"
    )
    ifup = subprocess.Popen(["ip", "netns", "exec", host.name, "ifup", "--state-dir", host.state_dir, "eth0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    record = host.netguard_state / "applied" / "eth0"
    deadline = time.monotonic() + 20
    while not (record.exists() and "link up" in record.read_text()):
        assert time.monotonic() < deadline and ifup.poll() is None, "no link-up mark appeared"
        time.sleep(0.02)
    time.sleep(0.2)
    host.kill(b"netguard")
    ifup.wait(timeout=30)
    assert ",UP" in host.exec("ip", "-o", "link", "show", "eth0").stdout  # what the killed run left
    assert "link up" in record.read_text()
    # ifupdown 0.8 recorded eth0 as configured before its hooks: the recovery is ifdown --force
    down = host.exec("ifdown", "--force", "--state-dir", host.state_dir, "eth0", check=False)
    assert "Traceback" not in down.stderr
    assert ",UP" not in host.exec("ip", "-o", "link", "show", "eth0").stdout
    assert not record.exists() or "link up" not in record.read_text()
