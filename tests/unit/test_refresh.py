"""`netguard refresh` against local stand-ins for RIPEstat and IRRd (no root, no internet).

The RIPEstat stand-in answers in the documented shape of ris-prefixes; a
recorded answer of that shape (tests/data) keeps the stand-in honest.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from netguard.prefixes.cache import read_entry
from netguard.prefixes.prefix import format_prefix
from netguard.prefixes.sources import parse_ripestat
from tests.fakes import RECORDED, IrrServer, RipestatServer, ripestat_answer
from tests.sandbox import IMPORT_PATH

AS64500 = ["2001:db8:100::/40", "2001:db8:200::/48", "192.0.2.0/24", "198.51.100.0/24"]
TRANSITING = ["2001:db8:7700::/40", "203.0.113.0/24"]
TIMEOUT = 2


@pytest.fixture
def ripestat():
    server = RipestatServer({64500: AS64500, 64501: ["2001:db8:300::/48"]}, transiting={64500: TRANSITING})
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
        f"Refresh-Sources: {sources}\nFetch-Timeout: {TIMEOUT}\nFetch-Max-Bytes: 1048576\n{irr_lines}{extra}"
    )
    return str(config)


def refresh(config: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "netguard", "--config", config, "refresh", "--no-apply", *args],
        env={**os.environ, "PYTHONPATH": IMPORT_PATH},
        capture_output=True,
        text=True,
        timeout=60,
    )


def cached(tmp_path, asn: int) -> list[str]:
    return sorted(format_prefix(p) for p in read_entry(str(tmp_path / "cache"), asn, 1000).prefixes)


def shape(value):
    """The structure of a JSON value: keys and types, not contents."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def test_the_stand_in_answers_in_the_recorded_shape():
    recorded = json.loads(RECORDED.read_bytes())
    fake = json.loads(
        ripestat_answer("3333", ["193.0.0.0/21", "2001:67c:2e8::/48"], ["192.0.2.0/24", "2001:db8::/32"])
    )
    assert shape(fake) == shape(recorded)
    assert recorded["data"]["prefixes"]["v6"]["originating"][0] == "2001:67c:2e8::/48"  # strings, not objects


def test_the_recorded_answer_gives_its_originating_prefixes_only():
    fetched = parse_ripestat(RECORDED.read_bytes(), 3333, "RIPEstat AS3333")
    recorded = json.loads(RECORDED.read_bytes())["data"]["prefixes"]
    expected = recorded["v4"]["originating"] + recorded["v6"]["originating"]
    assert sorted(format_prefix(p) for p in fetched.prefixes) == sorted(expected)
    assert fetched.data_time == "2026-11-27T08:00:00"
    assert fetched.source == "ripestat"


def test_refresh_caches_the_originating_prefixes_from_ripestat(tmp_path, ripestat):
    result = refresh(configure(tmp_path, ripestat), "64500", "AS64501")
    assert result.returncode == 0, result.stderr
    assert "AS64500: 2 IPv6 and 2 IPv4 prefixes (announced, ripestat)" in result.stdout
    assert cached(tmp_path, 64500) == sorted(AS64500)  # the transiting ones are not there
    assert read_entry(str(tmp_path / "cache"), 64500, 1000).source == "ripestat"
    query = ripestat.requests[0]
    assert "resource=AS64500" in query and "sourceapp=netguard" in query and "types=o" in query
    assert "list_prefixes=true" in query
    assert "plain http" in result.stdout  # the configured http:// URL is said, not hidden


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
    ("drip", f"no complete answer within {TIMEOUT} s"),
    ("drip-status", f"no complete answer within {TIMEOUT} s"),
    ("500", "HTTP 500"),
    ("reset", "RIPEstat AS64500: "),
    ("truncated", "malformed answer"),
    ("objects", "originating is not a list of prefix strings"),
    ("nested", "malformed answer (RecursionError"),
    ("status", "status 'error', not 'ok'"),
    ("wrong-asn", "the answer is about '64999'; refused"),
    ("huge", "answer larger than 1048576 bytes (Fetch-Max-Bytes); refused"),
    ("redirect:http://127.0.0.2:9/x", "another scheme or host; not followed"),
    ("redirect:https://127.0.0.1/x", "another scheme or host; not followed"),
]


@pytest.mark.parametrize(("fault", "message"), FAULTS, ids=[f for f, _ in FAULTS])
def test_faults_leave_the_cache_byte_for_byte_unchanged(tmp_path, ripestat, fault, message):
    config = configure(tmp_path, ripestat)
    assert refresh(config, "64500").returncode == 0
    before = (tmp_path / "cache" / "AS64500").read_bytes()
    ripestat.fault = fault
    started = time.monotonic()
    result = refresh(config, "64500")
    assert time.monotonic() - started < 2 * TIMEOUT + 3  # the whole request is bounded, not one read
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("netguard: refresh: AS64500: no source answered: "), lines
    assert message in lines[0] and lines[0].endswith("cache kept")
    assert "Traceback" not in result.stderr
    assert (tmp_path / "cache" / "AS64500").read_bytes() == before


def test_a_redirect_on_the_same_host_and_scheme_is_followed(tmp_path, ripestat):
    ripestat.fault = "redirect-once:/moved?resource=AS64500&list_prefixes=true&types=o"
    result = refresh(configure(tmp_path, ripestat), "64500")
    assert result.returncode == 0, result.stderr
    assert [r.split("?")[0] for r in ripestat.requests] == ["/data/ris-prefixes/data.json", "/moved"]
    assert cached(tmp_path, 64500) == sorted(AS64500)


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("2a0b:8000::%eth0/32", "zone id"),
        ("::ffff:192.0.2.0/120", "IPv4-mapped"),
        ("2001:db8::1/32", "host bits"),
    ],
    ids=["zone-id", "v4-mapped", "host-bits"],
)
def test_a_bad_prefix_in_an_answer_refuses_the_answer(tmp_path, ripestat, bad, why):
    ripestat.prefixes[64500] = [*AS64500, bad]
    result = refresh(configure(tmp_path, ripestat), "64500")
    assert result.returncode == 1
    assert f"not a prefix ({why}" in result.stderr or why in result.stderr
    assert not (tmp_path / "cache" / "AS64500").exists()


def test_empty_answer_keeps_the_cache(tmp_path, ripestat):
    config = configure(tmp_path, ripestat)
    refresh(config, "64500")
    before = (tmp_path / "cache" / "AS64500").read_bytes()
    ripestat.prefixes[64500] = []
    result = refresh(config, "64500")
    assert result.returncode == 1 and "ripestat: empty answer" in result.stderr
    assert (tmp_path / "cache" / "AS64500").read_bytes() == before


def test_shrink_by_more_than_half_in_one_family_needs_force(tmp_path, ripestat):
    many_v6 = [f"2001:db8:{n:x}::/48" for n in range(100)]
    ripestat.prefixes[64500] = many_v6
    config = configure(tmp_path, ripestat)
    assert refresh(config, "64500").returncode == 0
    before = (tmp_path / "cache" / "AS64500").read_bytes()
    ripestat.prefixes[64500] = [f"198.51.{n}.0/24" for n in range(60)]  # more in total, no IPv6 left
    result = refresh(config, "64500")
    assert result.returncode == 1
    assert "answered 0 IPv6 prefixes, down from 100, shrank by more than half; cache kept" in result.stderr
    assert (tmp_path / "cache" / "AS64500").read_bytes() == before
    assert refresh(config, "--force", "64500").returncode == 0
    assert len(cached(tmp_path, 64500)) == 60


def test_irr_is_the_fallback_when_ripestat_fails(tmp_path, ripestat, irr):
    ripestat.fault = "500"
    result = refresh(configure(tmp_path, ripestat, irr, sources="ripestat irr"), "64500")
    assert result.returncode == 0, result.stderr
    assert "AS64500: 1 IPv6 and 1 IPv4 prefixes (registered, irr) (after: RIPEstat AS64500: " in result.stdout
    assert read_entry(str(tmp_path / "cache"), 64500, 1000).source == "irr"
    assert cached(tmp_path, 64500) == ["2001:db8:900::/48", "203.0.113.0/24"]
    assert irr.queries[:4] == ["!!", "!sRIPE,ARIN,APNIC,LACNIC,AFRINIC", "!gAS64500", "!6AS64500"]


def test_an_irr_that_drips_is_bounded(tmp_path, ripestat, irr):
    irr.fault = "drip"
    started = time.monotonic()
    result = refresh(configure(tmp_path, ripestat, irr, sources="irr"), "64500")
    assert time.monotonic() - started < 2 * TIMEOUT + 3
    assert result.returncode == 1
    assert f"no complete answer within {TIMEOUT} s" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_irr_source_is_the_servers_error(tmp_path, ripestat, irr):
    result = refresh(
        configure(tmp_path, ripestat, irr, sources="irr", extra="Irr-Sources: NOSUCH\n"), "64500"
    )
    assert result.returncode == 1
    assert "server error: One or more selected sources are unavailable." in result.stderr


def test_unknown_asn_at_the_irr_is_an_empty_answer(tmp_path, ripestat, irr):
    result = refresh(configure(tmp_path, ripestat, irr, sources="irr"), "64502")
    assert result.returncode == 1 and "irr: empty answer" in result.stderr
    assert not (tmp_path / "cache" / "AS64502").exists()


@pytest.fixture
def static_server(tmp_path):
    """Any static web server over a directory: what a fleet's mirror is."""
    directory = tmp_path / "mirror"
    directory.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield directory, f"http://127.0.0.1:{server.server_address[1]}/netguard"
    server.shutdown()
    server.server_close()


def test_mirror_reads_another_hosts_cache_entries(tmp_path, ripestat, static_server):
    served, base = static_server
    fetching = tmp_path / "a"
    fetching.mkdir()
    assert refresh(configure(fetching, ripestat), "64500").returncode == 0
    (served / "netguard").mkdir()
    (served / "netguard" / "AS64500").write_bytes((fetching / "cache" / "AS64500").read_bytes())
    reading = tmp_path / "b"
    reading.mkdir()
    result = refresh(configure(reading, ripestat, sources="mirror", extra=f"Mirror-Url: {base}\n"), "64500")
    assert result.returncode == 0, result.stderr
    assert "(mirrored, mirror)" in result.stdout
    assert cached(reading, 64500) == sorted(AS64500)
    assert read_entry(str(reading / "cache"), 64500, 1000).source == "mirror:ripestat"
    (served / "netguard" / "AS64500").write_text("ASN: 64500\nIPv6:\n 2a0b:8000::%eth0/32\n")
    result = refresh(configure(reading, ripestat, sources="mirror", extra=f"Mirror-Url: {base}\n"), "64500")
    assert result.returncode == 1 and "is not a prefix; refused" in result.stderr


@pytest.mark.parametrize("where", ["cache", "."], ids=["the cache itself", "a directory holding it"])
def test_the_fetch_step_never_stages_into_the_cache(tmp_path, ripestat, where):
    config = configure(tmp_path, ripestat)
    assert refresh(config, "64500").returncode == 0
    before = cached(tmp_path, 64500)
    done = refresh(config, "--stage", str(tmp_path / where), "64501")
    assert done.returncode != 0 and "staging there would delete the cached entries" in done.stderr, (
        done.stderr
    )
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert cached(tmp_path, 64500) == before  # nothing deleted


def test_both_steps_work_through_systemds_link_to_the_staging_directory(tmp_path, ripestat):
    """CacheDirectory= under DynamicUser: /var/cache/netguard-staging is a link to
    /var/cache/private/netguard-staging (seen at a real boot, tests/boot)."""
    config = configure(tmp_path, ripestat)
    private = tmp_path / "private" / "netguard-staging"
    private.mkdir(parents=True)
    link = tmp_path / "netguard-staging"
    link.symlink_to(private)
    staged = refresh(config, "--stage", str(link), "64500")
    assert staged.returncode == 0 and "staged" in staged.stdout, staged.stderr
    assert os.listdir(private) == ["AS64500"]
    interfaces = tmp_path / "interfaces"  # never the build machine's /etc/network/interfaces
    interfaces.write_text("iface eth0 inet6 manual\n    reject-asn 64500\n")
    applied = refresh(config, "--from-stage", str(link), "-i", str(interfaces))
    assert applied.returncode == 0, applied.stderr
    assert cached(tmp_path, 64500) == sorted(AS64500)
