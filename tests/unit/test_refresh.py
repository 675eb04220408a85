"""`netguard refresh` against local stand-ins for RIPEstat and IRRd (no root, no internet)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from netguard.prefixes.cache import read_entry
from tests.fakes import IrrServer, RipestatServer
from tests.sandbox import CHECKOUT

AS64500 = ["2001:db8:100::/40", "2001:db8:200::/48", "192.0.2.0/24", "198.51.100.0/24"]


@pytest.fixture
def ripestat():
    server = RipestatServer({64500: AS64500, 64501: ["2001:db8:300::/48"]})
    yield server
    server.close()


@pytest.fixture
def irr():
    server = IrrServer({64500: ["2001:db8:900::/48", "203.0.113.0/24"]})
    yield server
    server.close()


def configure(tmp_path, ripestat, irr=None, sources="ripestat", extra="") -> str:
    config = tmp_path / "netguard.conf"
    irr_lines = f"Irr-Host: 127.0.0.1\nIrr-Port: {irr.port}\n" if irr else ""
    config.write_text(
        f"Cache-Dir: {tmp_path / 'cache'}\nState-Dir: {tmp_path / 'state'}\nRipestat-Url: {ripestat.url}\n"
        f"Refresh-Sources: {sources}\nFetch-Timeout: 1\nFetch-Max-Bytes: 1048576\n{irr_lines}{extra}"
    )
    return str(config)


def refresh(config: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "netguard", "--config", config, "refresh", "--no-apply", *args],
        env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refresh_fills_the_cache_from_ripestat(tmp_path, ripestat):
    result = refresh(configure(tmp_path, ripestat), "64500", "AS64501")
    assert result.returncode == 0, result.stderr
    assert "AS64500: 2 IPv6 and 2 IPv4 prefixes (announced, ripestat)" in result.stdout
    entry = read_entry(str(tmp_path / "cache"), 64500)
    assert sorted(map(str, entry.prefixes)) == sorted(AS64500)
    assert entry.source == "ripestat"
    query = ripestat.requests[0]
    assert "resource=AS64500" in query and "sourceapp=netguard" in query and "types=o" in query


def test_refresh_without_arguments_reads_the_interfaces_configuration(tmp_path, ripestat):
    (tmp_path / "interfaces.d").mkdir()
    (tmp_path / "interfaces").write_text("source-directory interfaces.d\n")
    (tmp_path / "interfaces.d" / "eth0").write_text(
        "iface eth0 inet6 manual\n    reject-asn 64500\n    reject-asn AS64501\n"
    )
    result = refresh(configure(tmp_path, ripestat), "-i", str(tmp_path / "interfaces"))
    assert result.returncode == 0, result.stderr
    assert [r.split("resource=")[1].split("&")[0] for r in ripestat.requests] == ["AS64500", "AS64501"]


FAULTS = [
    ("timeout", "timed out"),
    ("500", "HTTP 500"),
    ("reset", "RIPEstat AS64500: "),
    ("truncated", "malformed answer"),
    ("status", "status 'error', not 'ok'"),
    ("wrong-asn", "the answer is about '64999'; refused"),
    ("huge", "answer larger than 1048576 bytes (Fetch-Max-Bytes); refused"),
]


@pytest.mark.parametrize(("fault", "message"), FAULTS, ids=[f for f, _ in FAULTS])
def test_faults_leave_the_cache_byte_for_byte_unchanged(tmp_path, ripestat, fault, message):
    config = configure(tmp_path, ripestat)
    assert refresh(config, "64500").returncode == 0
    before = (tmp_path / "cache" / "AS64500").read_bytes()
    ripestat.fault = fault
    result = refresh(config, "64500")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("netguard: refresh: AS64500: no source answered: ")
    assert message in lines[0] and lines[0].endswith("cache kept")
    assert (tmp_path / "cache" / "AS64500").read_bytes() == before


def test_empty_answer_keeps_the_cache(tmp_path, ripestat):
    config = configure(tmp_path, ripestat)
    refresh(config, "64500")
    before = (tmp_path / "cache" / "AS64500").read_bytes()
    ripestat.prefixes[64500] = []
    result = refresh(config, "64500")
    assert result.returncode == 1 and "ripestat: empty answer" in result.stderr
    assert (tmp_path / "cache" / "AS64500").read_bytes() == before


def test_shrink_by_more_than_half_needs_force(tmp_path, ripestat):
    config = configure(tmp_path, ripestat)
    refresh(config, "64500")
    before = (tmp_path / "cache" / "AS64500").read_bytes()
    ripestat.prefixes[64500] = AS64500[:1]
    result = refresh(config, "64500")
    assert result.returncode == 1
    assert "answered 1 prefixes, down from 4 (shrank by more than half); cache kept" in result.stderr
    assert (tmp_path / "cache" / "AS64500").read_bytes() == before
    assert refresh(config, "--force", "64500").returncode == 0
    assert len(read_entry(str(tmp_path / "cache"), 64500).prefixes) == 1


def test_irr_is_the_fallback_when_ripestat_fails(tmp_path, ripestat, irr):
    ripestat.fault = "500"
    result = refresh(configure(tmp_path, ripestat, irr, sources="ripestat irr"), "64500")
    assert result.returncode == 0, result.stderr
    assert (
        "AS64500: 1 IPv6 and 1 IPv4 prefixes (registered, irr) (after: RIPEstat AS64500: HTTP 500"
        in result.stdout
    )
    entry = read_entry(str(tmp_path / "cache"), 64500)
    assert entry.source == "irr"
    assert sorted(map(str, entry.prefixes)) == ["2001:db8:900::/48", "203.0.113.0/24"]
    assert irr.queries[:4] == ["!!", "!sRIPE,ARIN,APNIC,LACNIC,AFRINIC", "!gAS64500", "!6AS64500"]


def test_unknown_asn_at_the_irr_is_an_empty_answer(tmp_path, ripestat, irr):
    result = refresh(configure(tmp_path, ripestat, irr, sources="irr"), "64502")
    assert result.returncode == 1 and "irr: empty answer" in result.stderr
    assert not (tmp_path / "cache" / "AS64502").exists()
