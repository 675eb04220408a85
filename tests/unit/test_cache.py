"""The prefix cache: deb822 entries, atomic writes, refusals, `netguard import`."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys

import pytest

from netguard.prefixes.cache import CacheEntry, CacheError, entry_path, read_entry, write_entry
from tests.sandbox import CHECKOUT

N = ipaddress.ip_network


def test_round_trip(tmp_path):
    entry = CacheEntry(
        64500,
        "import:x",
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
        (N("192.0.2.0/24"), N("2001:db8::/32")),
    )
    path = write_entry(str(tmp_path), entry)
    assert path == entry_path(str(tmp_path), 64500)
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"
    assert read_entry(str(tmp_path), 64500) == entry
    with open(path) as handle:
        text = handle.read()
    assert text.startswith("ASN: 64500\n") and "IPv6:\n 2001:db8::/32\n" in text
    assert [n for n in os.listdir(tmp_path)] == ["AS64500"]  # no temp file left


def test_missing_entry_says_how_to_fill_it(tmp_path):
    with pytest.raises(CacheError, match=r"AS64501: no prefix data in .*; run `netguard import 64501 FILE`"):
        read_entry(str(tmp_path), 64501)


@pytest.mark.parametrize("mode", [0o664, 0o646], ids=["group-writable", "world-writable"])
def test_writable_by_others_is_refused(tmp_path, mode):
    path = write_entry(str(tmp_path), CacheEntry(64500, "x", "t", "t", (N("2001:db8::/32"),)))
    os.chmod(path, mode)
    with pytest.raises(CacheError, match="group/world-writable; refused; fix with: chown root:root"):
        read_entry(str(tmp_path), 64500)


def test_corrupt_entry_and_wrong_asn(tmp_path):
    (tmp_path / "AS64500").write_text("ASN: 64999\nIPv6:\n 2001:db8::/32\n")
    with pytest.raises(CacheError, match="records ASN '64999'; corrupt"):
        read_entry(str(tmp_path), 64500)


def test_bad_lines_are_kept_apart(tmp_path):
    (tmp_path / "AS64500").write_text("ASN: 64500\nIPv6:\n 2001:db8::/32\n 2001:db8:zz::/48\n 192.0.2.0/24\n")
    entry = read_entry(str(tmp_path), 64500)
    assert entry.prefixes == (N("2001:db8::/32"),)
    assert entry.bad_lines == ("192.0.2.0/24 (in IPv6)", "2001:db8:zz::/48")


def run_import(tmp_path, *args: str) -> subprocess.CompletedProcess:
    config = tmp_path / "netguard.conf"
    config.write_text(f"Cache-Dir: {tmp_path / 'cache'}\n")
    return subprocess.run(
        [sys.executable, "-m", "netguard", "--config", str(config), "import", *args],
        env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
        capture_output=True,
        text=True,
    )


def test_import_plain_list(tmp_path):
    listing = tmp_path / "as64500.txt"
    listing.write_text("# AS64500\n2001:db8:100::/40\n\n192.0.2.0/24  # v4\n2001:db8:100::/40\n")
    result = run_import(tmp_path, "AS64500", str(listing))
    assert result.returncode == 0, result.stderr
    assert "AS64500: 1 IPv6 and 1 IPv4 prefixes cached in" in result.stdout
    entry = read_entry(str(tmp_path / "cache"), 64500)
    assert entry.prefixes == (N("192.0.2.0/24"), N("2001:db8:100::/40"))
    assert entry.source == f"import:{listing}"


def test_import_refuses_a_bad_line_and_leaves_the_cache_alone(tmp_path):
    listing = tmp_path / "bad.txt"
    listing.write_text("2001:db8::/32\n2001:db8::1/32\n")
    result = run_import(tmp_path, "64500", str(listing))
    assert result.returncode == 2
    assert f"netguard: import: {listing}:2: '2001:db8::1/32' is not a prefix" in result.stderr
    assert not (tmp_path / "cache" / "AS64500").exists()
