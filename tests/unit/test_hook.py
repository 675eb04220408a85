"""The dispatcher's exit policy, on paths that touch nothing (no root needed)."""

from __future__ import annotations

import subprocess
import sys

from tests.sandbox import IMPORT_PATH, private_run


def run_hook(
    env: dict[str, str], path: str = "/etc/network/if-pre-up.d/netguard"
) -> subprocess.CompletedProcess:
    return subprocess.run(
        private_run([sys.executable, "-m", "netguard.hook", path]),
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": IMPORT_PATH, **env},
        capture_output=True,
        text=True,
    )


def test_bad_value_is_one_line_and_exit_2_before_anything_happens():
    result = run_hook(
        {"IFACE": "eth0", "ADDRFAM": "inet6", "METHOD": "static", "PHASE": "pre-up", "IF_DAD": "maybe"}
    )
    assert result.returncode == 2
    assert result.stderr == "netguard: eth0: dad: bad value 'maybe'; accepted: off, on, optimistic\n"


def test_bad_value_in_another_phase_option_still_fails_pre_up():
    # wait-dad acts in post-up, but a typo must stop ifup before the link goes up.
    env = {
        "IFACE": "eth0",
        "ADDRFAM": "inet6",
        "METHOD": "static",
        "PHASE": "pre-up",
        "IF_WAIT_DAD": "sometimes",
    }
    result = run_hook(env)
    assert result.returncode == 2
    assert "netguard: eth0: wait-dad: bad value 'sometimes'" in result.stderr


def test_meta_call_of_ifup_all_does_nothing():
    env = {"IFACE": "--all", "ADDRFAM": "meta", "METHOD": "none", "PHASE": "pre-up", "IF_DAD": "maybe"}
    result = run_hook(env)
    assert (result.returncode, result.stderr) == (0, "")


def test_unknown_phase_fails_loudly():
    env = {"IFACE": "eth0", "ADDRFAM": "inet6", "PHASE": "mid-up", "IF_DAD": "off"}
    result = run_hook(env)
    assert result.returncode == 1
    assert "unknown PHASE 'mid-up'" in result.stderr
