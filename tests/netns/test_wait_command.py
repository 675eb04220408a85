"""`netguard wait ADDRESS` in a namespace with real kernel DAD."""

from __future__ import annotations

import os
import statistics
import subprocess
import time

import pytest

from tests.sandbox import IMPORT_PATH, INSTALLED, AddressMonitor, first_event, veth

pytestmark = pytest.mark.netns

COMMAND = ["/usr/sbin/netguard"] if INSTALLED else ["/usr/bin/python3", "-m", "netguard"]
ENV = {**os.environ, "PYTHONPATH": IMPORT_PATH}


def start_wait(namespace, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        ["ip", "netns", "exec", namespace.name, *COMMAND, "wait", *args],
        env=ENV,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def pair(make_namespace):
    host, peer = make_namespace("ngw"), make_namespace("ngp")
    veth(host, "eth0", peer, "eth0")
    host.exec("ip", "link", "set", "eth0", "up")
    peer.exec("ip", "link", "set", "eth0", "up")
    return host, peer


def test_returns_zero_within_50_ms_of_the_address_settling(pair):
    host, _ = pair
    delays = []
    for n in range(3):
        address = f"2001:db8::{n + 10}"
        monitor = AddressMonitor(host)
        waiter = start_wait(host, "--timeout", "10", address)
        # The waiter may start before the address exists: it must wait for it to appear too.
        host.exec("ip", "-6", "addr", "add", f"{address}/64", "dev", "eth0")
        # A blocking waitpid: Popen.wait(timeout=) polls, sleeping up to 50 ms between looks, which
        # is the very bound measured here (a CI run saw a median of 52 ms). The waiter bounds
        # itself (--timeout 10), so this cannot hang.
        assert waiter.wait() == 0, waiter.stderr.read() if waiter.stderr else ""
        returned = time.time()
        settled = first_event(monitor.stop(), address, lacks="tentative")
        delays.append(returned - settled)
    print(f"delays after settling (s): {delays}")
    assert statistics.median(delays) < 0.050, f"delays after settling: {delays}"


def test_timeout_exits_3_and_names_what_is_missing(pair):
    host, _ = pair
    start = time.monotonic()
    waiter = start_wait(host, "--timeout", "0.5", "2001:db8::99")
    _, err = waiter.communicate(timeout=10)
    assert waiter.returncode == 3
    assert 0.5 <= time.monotonic() - start < 3
    assert "netguard: wait: timed out after 0.5 s, still waiting for: 2001:db8::99 (absent)" in err


def test_duplicate_exits_1_naming_the_address(pair):
    host, peer = pair
    peer.exec("ip", "-6", "addr", "add", "2001:db8::7/64", "dev", "eth0", "nodad")
    host.exec("ip", "-6", "addr", "add", "2001:db8::7/64", "dev", "eth0")
    waiter = start_wait(host, "--timeout", "10", "2001:db8::7")
    _, err = waiter.communicate(timeout=20)
    assert waiter.returncode == 1
    assert "netguard: wait: duplicate address 2001:db8::7" in err


def test_already_usable_address_returns_at_once(pair):
    host, _ = pair
    host.exec("ip", "-6", "addr", "add", "2001:db8::8/64", "dev", "eth0", "nodad")
    waiter = start_wait(host, "--timeout", "5", "2001:db8::8")
    assert waiter.wait(timeout=10) == 0


def test_bad_address_is_a_usage_error(pair):
    host, _ = pair
    waiter = start_wait(host, "eth0")
    _, err = waiter.communicate(timeout=10)
    assert waiter.returncode == 2
    assert "'eth0' is not an IPv6 address" in err
