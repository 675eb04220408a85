"""Self-healing reject routes: reject-asn-probe and `netguard probe`, with real ifupdown.

The topology of tests/broken_path.py: the router can drop IPv6 towards the
far network silently; the far server answers on both families.
"""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from tests import broken_path as bp
from tests.sandbox import IMPORT_PATH, INSTALLED

pytestmark = pytest.mark.ifupdown

PROBE = f"    reject-asn 64500\n    reject-asn-probe [{bp.FAR_V6}]:{bp.PORT}\n"
COMMAND = ["/usr/sbin/netguard"] if INSTALLED else ["/usr/bin/python3", "-m", "netguard"]


def routes(path) -> list[str]:
    shown = path.host.exec("ip", "-6", "route", "show", "proto", "241").stdout
    return sorted(line.split()[1] for line in shown.splitlines())


def connect(path) -> tuple[str, float]:
    """A plain client's connect by name, timed inside the client: (peer address, seconds)."""
    code = (
        "import socket, time; t = time.monotonic(); "
        f"s = socket.create_connection(('far.example', {bp.PORT}), timeout=5); "
        "print(s.getpeername()[0], time.monotonic() - t)"
    )
    peer, seconds = path.host.exec("/usr/bin/python3", "-c", code, timeout=30).stdout.split()
    return peer, float(seconds)


def start_probe(path, rounds: int) -> subprocess.Popen:
    """`netguard probe` in the background, rounds a second apart."""
    return subprocess.Popen(
        ["ip", "netns", "exec", path.host.name, *COMMAND, "probe", "--rounds", str(rounds), "--interval", "1"],
        env={"PYTHONPATH": IMPORT_PATH, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def probe(path, *args: str) -> subprocess.CompletedProcess:
    return path.host.netguard("probe", *args)


@pytest.fixture
def path():
    with bp.broken_path("ngq") as path:
        bp.import_far_as(path)
        path.host.write_interfaces(bp.STANZA + PROBE)
        yield path


def test_routes_follow_the_path_three_rounds_in_a_row(path):
    path.host.ifup("eth0")
    assert routes(path) == ["2001:db8:f00::/48"]  # installed until the first verdict
    probe(path)
    probe(path)
    assert routes(path) == ["2001:db8:f00::/48"]  # two good rounds decide nothing
    healed = probe(path)
    assert "reject routes withdrawn" in healed.stdout
    assert routes(path) == []
    peer, _seconds = connect(path)
    assert peer == bp.FAR_V6  # the path works, and netguard no longer stands in its way

    path.break_ipv6()
    probe(path)
    assert routes(path) == []  # one lost round changes nothing
    probe(path)
    broken = probe(path)
    assert "reject routes installed again" in broken.stdout
    assert routes(path) == ["2001:db8:f00::/48"]
    peer, seconds = connect(path)
    assert peer == bp.FAR_V4 and seconds < 0.05  # the unreachable route answers at once: IPv4 next
    status = path.host.netguard("status", "eth0").stdout
    assert "kept by the probe (unreachable)" in status and f"[{bp.FAR_V6}]:{bp.PORT}" in status

    path.restore()
    for _ in range(3):
        probe(path)
    assert routes(path) == []
    path.host.ifdown("eth0")
    assert routes(path) == []


def test_ifdown_while_probing_leaves_no_route(path):
    path.break_ipv6()
    path.host.ifup("eth0")
    running = start_probe(path, 4)
    time.sleep(1.5)
    path.host.ifdown("eth0")
    _out, err = running.communicate(timeout=60)
    assert running.returncode == 0, err
    assert routes(path) == []
    assert not (path.host.netguard_state / "probe" / "eth0").exists()


def test_probing_is_bounded_and_stops_cleanly_on_sigterm(path):
    path.break_ipv6()  # every probe now waits its full timeout
    path.host.ifup("eth0")
    started = time.monotonic()
    running = start_probe(path, 100)
    time.sleep(3)
    running.send_signal(signal.SIGTERM)
    _out, err = running.communicate(timeout=10)
    assert time.monotonic() - started < 8
    assert running.returncode == 143 and "Traceback" not in err
    single = time.monotonic()
    probe(path)  # one round: one target, bounded by its 2 s timeout
    assert time.monotonic() - single < 4
    path.host.ifdown("eth0")


def test_a_bad_probe_target_fails_pre_up(path):
    path.host.write_interfaces(bp.STANZA + "    reject-asn 64500\n    reject-asn-probe far.example:80\n")
    result = path.host.ifup("eth0", check=False)
    assert result.returncode != 0
    assert "netguard: eth0: reject-asn-probe: bad value 'far.example:80'" in result.stderr


COUNTER = """\
import socket, sys
listener = socket.socket(socket.AF_INET6)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("::", 9000))
listener.listen(16)
listener.settimeout(float(sys.argv[1]))
print("ready", flush=True)
count = 0
try:
    while True:
        listener.accept()[0].close()
        count += 1
except OSError:
    pass
print(count, flush=True)
"""


def test_one_probe_per_target_per_round_and_rounds_a_second_apart(path):
    path.host.write_interfaces(bp.STANZA + f"    reject-asn 64500\n    reject-asn-probe [{bp.FAR_V6}]:9000\n")
    path.host.ifup("eth0")
    counter = subprocess.Popen(
        ["ip", "netns", "exec", path.far.name, "/usr/bin/python3", "-c", COUNTER, "8"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert counter.stdout is not None and counter.stdout.readline().strip() == "ready"
    started = time.monotonic()
    probe(path, "--rounds", "3", "--interval", "1")
    took = time.monotonic() - started
    counted, _ = counter.communicate(timeout=30)
    # Never more than one connection per target per round (no retries). A probe whose
    # connection the listener did not get is a lost round, which the hysteresis absorbs.
    assert 2 <= int(counted.strip()) <= 3
    assert took >= 2.0  # rounds at least --interval apart
    path.host.ifdown("eth0")
