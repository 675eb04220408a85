"""Hostile inputs: planted code, bad values, bad configuration, broken files, rude signals.

Each case runs the real hook shim or the real CLI and checks the same three
things: the exit code, exactly one line on stderr (never a traceback), and
nothing changed (the files under the case's directory are byte for byte as
before). The cases that need root live in tests/netns/test_hostile_root.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sandbox import IMPORT_PATH, INSTALLED, SHIM, hook_wrapper, private_run

pytestmark = pytest.mark.hostile

PLANTED_MODULES = ("netguard/__init__.py", "socket.py", "ipaddress.py", "dataclasses.py", "json.py",
                   "re.py", "sitecustomize.py", "usercustomize.py", "pyroute2/__init__.py", "debian/__init__.py")  # fmt: skip


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def plant(directory: Path, marker: Path) -> None:
    """Modules that, if root imported them, would leave a marker file."""
    for name in PLANTED_MODULES:
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"open({str(marker)!r}, 'a').write({name!r} + '\\n')\n")


def shim_command(tmp_path: Path) -> list[str]:
    """The hook as installed (autopkgtest), or the checkout's shim as the sandboxes run it."""
    if INSTALLED:
        return ["/bin/sh", "/etc/network/if-pre-up.d/zz-netguard"]
    wrapper = tmp_path / "if-pre-up.d" / "netguard"
    wrapper.parent.mkdir(exist_ok=True)
    wrapper.write_text(hook_wrapper())
    wrapper.chmod(0o755)
    return [str(wrapper)]


def run_hook(tmp_path: Path, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "IFACE": "ngnosuch0", "ADDRFAM": "inet6",
            "METHOD": "manual", "PHASE": "pre-up", "MODE": "start"}  # fmt: skip
    command = private_run(shim_command(tmp_path))
    return subprocess.run(command, env={**base, **env}, cwd=cwd, capture_output=True, text=True, timeout=60)


def run_cli(tmp_path: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    command = ["/usr/sbin/netguard"] if INSTALLED else [sys.executable, "-m", "netguard"]
    env = kwargs.pop("env", {**os.environ, "PYTHONPATH": IMPORT_PATH})
    return subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=60, **kwargs)


def one_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_planted_code_in_the_working_directory_and_pythonpath_is_never_imported(tmp_path):
    planted = tmp_path / "planted"
    marker = tmp_path / "imported-by-root"
    plant(planted, marker)
    env = {"IF_DAD": "off", "PYTHONPATH": str(planted), "PYTHONSTARTUP": str(planted / "socket.py")}
    result = run_hook(tmp_path, env, cwd=planted)
    assert not marker.exists(), marker.read_text()
    assert result.returncode == 0, result.stderr
    assert "ngnosuch0 does not exist yet in pre-up" in one_line(result)  # the real hook ran


def test_the_shim_runs_python_isolated():
    assert SHIM.read_text().count("exec /usr/bin/python3 -I -S -c ") == 1


def installed_command_ignores_planted_code(tmp_path):
    planted = tmp_path / "planted"
    marker = tmp_path / "imported"
    plant(planted, marker)
    result = run_cli(
        tmp_path, "options", cwd=planted, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(planted)}
    )
    assert result.returncode == 0 and not marker.exists()
    assert Path("/usr/sbin/netguard").read_text().startswith("#!/usr/bin/python3 -IS\n")


if INSTALLED:  # the installed /usr/sbin/netguard exists only there (autopkgtest, CI's package stage)
    test_the_installed_command_ignores_planted_code = installed_command_ignores_planted_code


HOOK_VALUES = [
    ("IF_DAD", "maybe", "accepted: off, on, optimistic"),
    ("IF_WAIT_DAD", "\uff15", "plain digits"),
    ("IF_WAIT_DAD", "\u0663", "plain digits"),
    ("IF_WAIT_DAD", "1_0", "plain digits"),
    ("IF_WAIT_DAD", "1e-300", "plain digits"),
    ("IF_WAIT_DAD", "nan", "plain digits"),
    ("IF_WAIT_DAD", "301", "at most 300"),
    ("IF_WAIT_DAD", "5         # ifup returns when", "no end-of-line comments"),
    ("IF_WAIT_DAD", "x" * 10000, "(10000 characters)"),
    ("IF_WAIT_DAD", "5\n7", "given 2 times"),
    ("IF_WAIT_DAD_FAILURE", "ignore", "accepted: fail, warn"),
    ("IF_REJECT_ASN", "\u0661\u0667\u0664", "plain digits"),
    ("IF_REJECT_ASN", "0174", "no leading zero"),
    ("IF_REJECT_ASN", "23456", "reserved"),
    ("IF_REJECT_ASN", "AS-COGENT", "AS numbers"),
    ("IF_REJECT_ASN", " ".join(["x"] * 10000), "AS numbers"),
    ("IF_REJECT_ASN_EXCEPT", "2a0b:8000::%eth0/32", "zone id"),
    ("IF_REJECT_ASN_EXCEPT", "::ffff:192.0.2.0/120", "IPv4-mapped"),
    ("IF_REJECT_ASN_EXCEPT", "2001:db8::1/32", "host bits"),
    ("IF_REJECT_ASN_EXCEPT", "2001:db8::/abc", "plain decimal"),
]


@pytest.mark.parametrize(
    ("name", "value", "said"), HOOK_VALUES, ids=[f"{n}={v[:12]!r}" for n, v, _ in HOOK_VALUES]
)
def test_a_bad_value_fails_pre_up_in_one_line(tmp_path, name, value, said):
    result = run_hook(tmp_path, {name: value})
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith("netguard: ngnosuch0: ") and said in line
    assert len(line) < 400


CONFIGS = [
    ("State-Dir /x\n", "is not `Key: value`"),
    ("State-Dir: /x\n Cache-Dir: /y\n", "an indented line"),
    ("State-Dir: /x\nState-Dir: /y\n", "given again"),
    ("Irr-Port: 99999\n", "from 1 to 65535"),
    ("Fetch-Max-Bytes: 0\n", "Fetch-Max-Bytes: bad value '0'"),
    ("Reject-Min-Length-IPv6: 999\n", "from 0 to 128"),
    ("State-Dir: relative/dir\n", "an absolute path"),
    ("Ripestat-Url: not a url\n", "an https:// URL"),
    ("Colour: blue\n", "unknown key"),
]


@pytest.mark.parametrize(
    ("text", "said"), CONFIGS, ids=[t.split(":")[0].split()[0] + str(i) for i, (t, _) in enumerate(CONFIGS)]
)
@pytest.mark.parametrize("command", ["status", "refresh", "check", "wait"])
def test_a_bad_configuration_is_one_line_for_every_command(tmp_path, text, said, command):
    config = tmp_path / "netguard.conf"
    config.write_text(text)
    interfaces = tmp_path / "interfaces"
    interfaces.write_text("iface eth0 inet6 manual\n    reject-asn 64500\n")
    args = {"status": ["-i", str(interfaces)], "refresh": ["-i", str(interfaces)], "check": ["-i", str(interfaces)],
            "wait": ["::1"]}[command]  # fmt: skip
    before = snapshot(tmp_path)
    result = run_cli(tmp_path, "--config", str(config), command, *args)
    assert result.returncode == 2
    assert said in one_line(result)
    assert snapshot(tmp_path) == before


def test_invalid_utf8_in_the_configuration(tmp_path):
    config = tmp_path / "netguard.conf"
    config.write_bytes(b"State-Dir: /tmp/\xff\n")
    result = run_cli(tmp_path, "--config", str(config), "status")
    assert result.returncode == 2 and "not UTF-8 text" in one_line(result)


@pytest.mark.parametrize("command", ["status", "refresh", "check"])
def test_a_missing_interfaces_file_is_one_line(tmp_path, command):
    config = tmp_path / "netguard.conf"
    config.write_text(f"State-Dir: {tmp_path / 's'}\nCache-Dir: {tmp_path / 'c'}\n")
    result = run_cli(tmp_path, "--config", str(config), command, "-i", str(tmp_path / "nosuch"))
    assert result.returncode == 2
    assert f"cannot read {tmp_path / 'nosuch'}: No such file or directory" in one_line(result)


@pytest.mark.parametrize(
    ("address", "said"),
    [("fe80::1%ngnosuch9", "no interface 'ngnosuch9'"), ("2a0b:5000::1/abc", "is not an IPv6 address"),
     ("2a0b:5000::1/129", "is not an IPv6 address"), ("192.0.2.1", "is not an IPv6 address")],
)  # fmt: skip
def test_netguard_wait_refuses_what_is_not_an_address(tmp_path, address, said):
    result = run_cli(tmp_path, "wait", "--timeout", "1", address)
    assert result.returncode == 2 and said in one_line(result)


def test_ctrl_c_in_netguard_wait_exits_130_quietly(tmp_path):
    command = ["/usr/sbin/netguard"] if INSTALLED else [sys.executable, "-m", "netguard"]
    process = subprocess.Popen(
        [*command, "wait", "--timeout", "30", "2001:db8::dead"],
        env={**os.environ, "PYTHONPATH": IMPORT_PATH},
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=10)
    assert process.returncode == 130
    assert err == ""


def test_a_symlinked_lock_is_refused_and_its_target_never_created(tmp_path):
    state = tmp_path / "state"
    (state / "reject").mkdir(parents=True)
    target = tmp_path / "created-by-root"
    os.symlink(target, state / "reject" / ".lock")
    from netguard import wants
    from netguard.errors import NetguardError

    with pytest.raises(NetguardError, match="is a symlink; refused; remove it"), wants.Locked(str(state)):
        pass
    assert not target.exists()


@pytest.mark.parametrize("command", ["status", "refresh"])
def test_a_template_others_can_write_is_said_by_status_and_refresh_too(tmp_path, command):
    """check named it already; status and refresh read the same files, run no template code
    from a file others can write, and say why what they show may differ from ifupdown2's."""
    marker = tmp_path / "ran"
    interfaces = tmp_path / "interfaces"
    interfaces.write_text(f"<% open({str(marker)!r}, 'w').close() %>\niface a inet6 manual\n    dad off\n")
    interfaces.chmod(0o666)
    config = tmp_path / "netguard.conf"
    config.write_text(f"State-Dir: {tmp_path / 's'}\nCache-Dir: {tmp_path / 'c'}\n")
    extra = ["--no-apply"] if command == "refresh" else []
    result = run_cli(
        tmp_path, "--config", str(config), command, "-i", str(interfaces), "--rules", "ifupdown2", *extra
    )
    assert result.returncode == 0, result.stderr
    assert (
        f"{interfaces}: mako template not rendered: rendering runs its code" in result.stdout + result.stderr
    )
    assert "Traceback" not in result.stderr and not marker.exists()
