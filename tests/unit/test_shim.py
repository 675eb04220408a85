"""The /bin/sh shim: no Python unless a netguard option is set; knows every option."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from netguard.catalogue import OPTIONS
from tests.sandbox import SHIM

BASE = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "IFACE": "eth0", "ADDRFAM": "inet6", "PHASE": "pre-up"}


def trace(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the shim under `sh -x` with Python swapped for `true`, to see whether it would exec.

    Hermetic: the shim reads a configuration naming an empty State-Dir, not
    the host's /etc/netguard (whose State-Dir may hold records of the host's own interfaces).
    """
    import tempfile

    with tempfile.TemporaryDirectory() as empty:
        config = os.path.join(empty, "netguard.conf")
        with open(config, "w") as handle:
            handle.write(f"State-Dir: {empty}/state\n")
        script = SHIM.read_text().replace("exec /usr/bin/python3", "exec true")
        script = script.replace("/etc/netguard/netguard.conf", config)
        return subprocess.run(["sh", "-x", "-c", script, str(SHIM)], env=env, capture_output=True, text=True)


def test_no_option_exits_before_python():
    result = trace({**BASE, "IF_ADDRESS": "2001:db8::1/64"})
    assert result.returncode == 0
    assert "exec" not in result.stderr


@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: o.name)
def test_each_option_starts_python(option):
    result = trace({**BASE, option.env_name: option.example.split(" ", 1)[1]})
    assert result.returncode == 0
    assert "+ exec true -I -S -c " in result.stderr


def test_ifup_all_pseudo_interface_exits_before_python():
    result = trace({**BASE, "IFACE": "--all", "ADDRFAM": "meta", "IF_DAD": "off"})
    assert result.returncode == 0
    assert "exec" not in result.stderr


def test_shim_names_exactly_the_declared_options():
    named = set(re.findall(r"\$\{(IF_[A-Z0-9_]+)\}", SHIM.read_text()))
    assert named == {option.env_name for option in OPTIONS}


def test_shim_name_has_no_dot_and_is_executable():
    assert "." not in SHIM.name  # run-parts skips names with dots
    assert SHIM.stat().st_mode & 0o111


def test_no_option_but_a_record_of_changes_starts_python(tmp_path):
    """A stanza edited while up: ifdown must still run Python to undo what netguard did."""
    state = tmp_path / "state"
    (state / "applied").mkdir(parents=True)
    config = tmp_path / "netguard.conf"
    config.write_text(f"# comment\nstate-dir: {state}\nCache-Dir: /x\n")
    script = SHIM.read_text().replace("/etc/netguard/netguard.conf", str(config))
    script = script.replace("exec /usr/bin/python3", "exec true")

    def shim(iface: str) -> subprocess.CompletedProcess:
        env = {**BASE, "IFACE": iface, "PHASE": "pre-down"}
        return subprocess.run(["sh", "-x", "-c", script, str(SHIM)], env=env, capture_output=True, text=True)

    assert "exec" not in shim("eth0").stderr
    (state / "applied" / "eth0").write_text("reject inet6\n")
    assert "+ exec true -I -S -c " in shim("eth0").stderr
    assert "exec" not in shim("eth1").stderr


def test_ifup_all_runs_python_before_and_after_all_interfaces_but_ifdown_all_does_not():
    """ifup -a's --all calls (MODE=start) mark the run and hold its one DAD wait (boot.py)."""
    for phase in ("pre-up", "post-up"):
        started = trace({**BASE, "IFACE": "--all", "ADDRFAM": "meta", "MODE": "start", "PHASE": phase})
        assert "+ exec true -I -S -c " in started.stderr
    for phase in ("pre-down", "post-down"):
        stopped = trace({**BASE, "IFACE": "--all", "ADDRFAM": "meta", "MODE": "stop", "PHASE": phase})
        assert "exec" not in stopped.stderr
