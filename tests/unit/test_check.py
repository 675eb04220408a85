"""`netguard check`: every bad case named by file, line and option."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.sandbox import IMPORT_PATH

INTERFACES = """\
auto eth0
iface eth0 inet6 static
    address 2001:db8::1/64
    dad perhaps
    wait-dad 5
    wait-dad 7
    reject-asn 64500 AS-FOO
    reject-asn 64501

iface eth0 inet static
    address 192.0.2.1/24
    wait-dad yes

iface eth1 inet6 manual
    wait-dad-failure warn
    reject-asn 64502
"""


def run_check(tmp_path, text: str, *extra: str) -> subprocess.CompletedProcess:
    (tmp_path / "interfaces").write_text(text)
    (tmp_path / "cache").mkdir(exist_ok=True)
    (tmp_path / "cache" / "AS64500").write_text("ASN: 64500\n")
    (tmp_path / "cache" / "AS64502").write_text("ASN: 64502\n")
    (tmp_path / "netguard.conf").write_text(f"Cache-Dir: {tmp_path / 'cache'}\n")
    for path in (tmp_path / "cache", tmp_path / "netguard.conf"):  # refused if group-writable (umask 002)
        path.chmod(0o755 if path.is_dir() else 0o644)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "netguard",
            "--config",
            str(tmp_path / "netguard.conf"),
            "check",
            "-i",
            str(tmp_path / "interfaces"),
            *extra,
        ],
        env={**os.environ, "PYTHONPATH": IMPORT_PATH},
        capture_output=True,
        text=True,
    )


def test_every_bad_case_is_named(tmp_path):
    result = run_check(tmp_path, INTERFACES)
    path = tmp_path / "interfaces"
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        f"netguard check: {path} read with the rules of "
    )  # the installed implementation's
    assert lines[1:] == [
        f"{path}:4: eth0: dad: error: bad value 'perhaps'; accepted: off, on, optimistic",
        f"{path}:6: eth0: wait-dad: error: given 2 times (first on line 5); give it once",
        f"{path}:7: eth0: reject-asn: error: bad value 'AS-FOO'; accepted: AS numbers such as 174 or AS174 (plain digits, no leading zero)",
        f"{path}:8: eth0: reject-asn: error: AS64501 has no cache entry; run `netguard refresh 64501` "
        "(or `netguard import`)",
        f"{path}:8: eth0: reject-asn: warning: on several lines; ifupdown2 reads only the first: "
        "put all values on one line",
        f"{path}:12: eth0: wait-dad: error: acts on IPv6 addresses only; move it to the `iface eth0 inet6` stanza",
        f"{path}:15: eth1: wait-dad-failure: warning: has no effect without wait-dad",
        "netguard check: 3 stanzas with netguard options, 5 errors, 2 warnings",
    ]


def test_clean_configuration_passes_and_strict_counts_warnings(tmp_path):
    clean = "iface eth0 inet6 static\n    address 2001:db8::1/64\n    wait-dad 5\n    reject-asn 64500\n"
    result = run_check(tmp_path, clean)
    assert result.returncode == 0, result.stdout
    assert result.stdout.endswith("1 stanzas with netguard options, 0 errors, 0 warnings\n")
    warned = clean + "    reject-asn 64502\n"
    assert run_check(tmp_path, warned).returncode == 0
    assert run_check(tmp_path, warned, "--strict").returncode == 2


def test_source_directory_files_are_checked_with_their_own_names(tmp_path):
    (tmp_path / "interfaces.d").mkdir()
    (tmp_path / "interfaces.d" / "eth2").write_text("iface eth2 inet6 manual\n    dad maybe\n")
    (tmp_path / "interfaces.d" / "skipped.bak").write_text("iface eth3 inet6 manual\n    dad maybe\n")
    result = run_check(tmp_path, f"source-directory {tmp_path / 'interfaces.d'}\n")
    assert (
        result.stdout.splitlines()[1]
        == f"{tmp_path / 'interfaces.d' / 'eth2'}:2: eth2: dad: error: bad value 'maybe'; accepted: off, on, optimistic"
    )
    assert "eth3" not in result.stdout


def test_status_says_when_there_is_nothing_to_show():
    from netguard.commands.status import render

    rules = {"implementation": "ifupdown", "chosen": "detected", "not_rendered": []}
    empty = {
        "interfaces": {}, "routes": {"inet": {"installed": 0, "extra": []}}, "cache": {}, "problems": [], "rules": rules
    }  # fmt: skip
    assert render(empty) == "no interface uses a netguard option, and no netguard route is installed"


def test_spellings_typos_and_comments_are_named(tmp_path):
    text = (
        "iface eth0 inet6 manual\n    Wait-Dad 5\n    wait_dad 7\n    wait-dda 5\n"
        "    reject-asn 64500 # Cogent\n"
    )
    result = run_check(tmp_path, text)
    path = tmp_path / "interfaces"
    out = result.stdout
    assert (
        f"{path}:3: eth0: wait-dad: warning: spelled 2 ways ('Wait-Dad' on line 2, 'wait_dad' on line 3)"
        in out
    )
    assert f"{path}:4: eth0: wait-dda: warning: unknown option; did you mean wait-dad?" in out
    assert (
        f"{path}:5: eth0: reject-asn: error: bad value '64500 # Cogent'; interfaces(5) has no end-of-line comments"
        in out
    )
    assert result.returncode == 2


def test_ipv4_dad_is_checked_from_its_declaration(tmp_path):
    """Family, value, the option it needs: the declaration says it, check.py names nothing."""
    result = run_check(
        tmp_path,
        "iface eth0 inet static\n    address 192.0.2.1/24\n    ipv4-dad maybe\n"
        "iface eth1 inet6 static\n    address 2001:db8::1/64\n    ipv4-dad on\n"
        "iface eth2 inet static\n    address 192.0.2.2/24\n    ipv4-dad-timeout 500\n"
        "iface eth3 inet static\n    address 192.0.2.3/24\n    reject-asn-probe 192.0.2.9\n",
    )
    out = result.stdout
    assert ":3: eth0: ipv4-dad: error: bad value 'maybe'; accepted: on, off" in out, out
    assert (
        ":6: eth1: ipv4-dad: error: acts on IPv4 addresses only; move it to the `iface eth1 inet` stanza"
        in out
    )
    assert ":9: eth2: ipv4-dad-timeout: warning: has no effect without ipv4-dad" in out, out
    assert ":12: eth3: reject-asn-probe: warning: has no effect without reject-asn" in out, out
