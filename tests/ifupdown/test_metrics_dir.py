"""A hostile Metrics-Dir (a link, writable by others, missing, full) with real ifup and ifdown:
one warning, the hook's work as without metrics, nothing written anywhere."""

from __future__ import annotations

import contextlib
import os
import subprocess

import pytest

from tests.sandbox import veth

pytestmark = pytest.mark.ifupdown


HOSTILE_STANZA = """\
iface eth0 inet6 static
    address 2001:db8:1::2/64
    dad off
    reject-asn 64500
"""


def _symlink(tmp_path):
    real = tmp_path / "elsewhere"
    real.mkdir()
    (tmp_path / "textfile").symlink_to(real)
    return tmp_path / "textfile", real, "is a symlink or not a directory"


def _group_writable(tmp_path):
    where = tmp_path / "textfile"
    where.mkdir()
    where.chmod(0o775)
    return where, where, "others can write it"


def _missing(tmp_path):
    return tmp_path / "textfile", tmp_path, "does not exist"


def _full(tmp_path):
    where = tmp_path / "textfile"
    where.mkdir()
    subprocess_run("mount", "-t", "tmpfs", "-o", "size=16k,mode=755", "netguard-test-full", str(where))
    descriptor = os.open(where / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    with contextlib.suppress(OSError):
        while True:
            os.write(descriptor, b"x" * 1024)
    os.close(descriptor)
    return where, where, "the disk is full"


def subprocess_run(*argv: str) -> None:
    subprocess.run(argv, check=True)


@pytest.mark.parametrize("make", [_symlink, _group_writable, _missing, _full], ids=lambda f: f.__name__[1:])
def test_a_hostile_metrics_dir_is_one_warning_and_the_hook_works_as_without(
    make_host, make_namespace, tmp_path, make
):
    try:
        where, watched, why = make(tmp_path)
        before = sorted(os.listdir(watched))
        host = make_host("ngm", f"Metrics-Dir: {where}\nReject-Allow-Special: yes\n")
        peer = make_namespace("ngp")
        veth(host, "eth0", peer, "eth0")
        listing = host.netguard_state.parent / "as64500.txt"
        listing.parent.mkdir(parents=True, exist_ok=True)
        listing.write_text("2001:db8:f00::/48\n")
        host.netguard("import", "64500", str(listing))
        host.write_interfaces(HOSTILE_STANZA)
        result = host.ifup("eth0", check=False)
        assert result.returncode == 0, result.stderr
        warnings = [line for line in result.stderr.splitlines() if "Metrics-Dir: warning" in line]
        assert len(warnings) == 1 and why in warnings[0], result.stderr
        assert warnings[0].startswith("netguard: eth0: Metrics-Dir: warning: "), warnings
        shown = host.exec("ip", "-6", "route", "show", "proto", "netguard").stdout
        assert "unreachable 2001:db8:f00::/48" in shown, shown
        result = host.ifdown("eth0", check=False)
        assert result.returncode == 0, result.stderr
        assert sum("Metrics-Dir: warning" in line for line in result.stderr.splitlines()) == 1, result.stderr
        assert host.exec("ip", "-6", "route", "show", "proto", "netguard").stdout == ""
        assert sorted(os.listdir(watched)) == before  # nothing written there, nothing left behind
    finally:
        if os.path.ismount(tmp_path / "textfile"):
            subprocess_run("umount", str(tmp_path / "textfile"))
