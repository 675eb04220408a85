"""The prefix cache: deb822 entries, atomic writes, every refusal, `netguard import`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netguard.prefixes.cache import (
    CacheEntry,
    CacheError,
    entry_path,
    parse_entry,
    read_entry,
    size_limit,
    write_entry,
)
from netguard.prefixes.prefix import PrefixError, parse
from tests.sandbox import IMPORT_PATH

N = parse
MAX = 1000


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
    assert read_entry(str(tmp_path), 64500, MAX) == entry
    with open(path) as handle:
        text = handle.read()
    assert text.startswith("ASN: 64500\n") and "IPv6:\n 2001:db8::/32\n" in text
    assert os.listdir(tmp_path) == ["AS64500"]  # no temp file left


def test_the_entry_is_deb822_python_debian_reads_the_same():
    from debian.deb822 import Deb822

    from netguard.prefixes.cache import format_entry

    entry = CacheEntry(
        64500, "ripestat", "t1", "t2", (N("192.0.2.0/24"), N("2001:db8::/32"), N("2001:db9::/32"))
    )
    paragraph = Deb822(format_entry(entry).splitlines())
    assert paragraph["ASN"] == "64500" and paragraph["Source"] == "ripestat"
    assert paragraph["IPv6"].split() == ["2001:db8::/32", "2001:db9::/32"]


def test_a_newline_in_a_header_value_cannot_forge_a_field(tmp_path):
    entry = CacheEntry(64500, "import:x\nIPv6:\n ::/0", "t", "t", (N("2001:db8::/32"),))
    write_entry(str(tmp_path), entry)
    assert read_entry(str(tmp_path), 64500, MAX).prefixes == (N("2001:db8::/32"),)


def test_missing_entry_says_how_to_fill_it(tmp_path):
    with pytest.raises(CacheError, match=r"AS64501: no prefix data in .*; run `netguard refresh 64501`"):
        read_entry(str(tmp_path), 64501, MAX)


@pytest.mark.parametrize("mode", [0o664, 0o646], ids=["group-writable", "world-writable"])
def test_writable_by_others_is_refused(tmp_path, mode):
    path = write_entry(str(tmp_path), CacheEntry(64500, "x", "t", "t", (N("2001:db8::/32"),)))
    os.chmod(path, mode)
    with pytest.raises(CacheError, match="group/world-writable; refused; fix with: chown root:root"):
        read_entry(str(tmp_path), 64500, MAX)


@pytest.mark.parametrize("mode", [0o775, 0o777], ids=["group-writable", "world-writable"])
def test_a_cache_dir_others_can_write_is_refused(tmp_path, mode):
    cache = tmp_path / "cache"
    write_entry(str(cache), CacheEntry(64500, "x", "t", "t", (N("2001:db8::/32"),)))
    cache.chmod(mode)
    with pytest.raises(CacheError, match=rf"{cache} is not root's or others can write it"):
        read_entry(str(cache), 64500, MAX)


def test_a_sticky_directory_above_is_fine(tmp_path):
    # tmp_path lies below /tmp (1777): sticky, so others cannot replace our entries there.
    write_entry(str(tmp_path / "c"), CacheEntry(64500, "x", "t", "t", (N("2001:db8::/32"),)))
    assert read_entry(str(tmp_path / "c"), 64500, MAX).prefixes == (N("2001:db8::/32"),)


def test_a_symlinked_entry_is_refused_not_followed(tmp_path):
    (tmp_path / "elsewhere").write_text("ASN: 64500\nIPv6:\n 2001:db8::/32\n")
    os.symlink(tmp_path / "elsewhere", tmp_path / "AS64500")
    with pytest.raises(CacheError, match="is a symlink; refused"):
        read_entry(str(tmp_path), 64500, MAX)


def test_a_fifo_entry_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "AS64500")
    with pytest.raises(CacheError, match="not a regular file; refused"):
        read_entry(str(tmp_path), 64500, MAX)


def test_an_oversized_entry_is_refused_before_parsing(tmp_path):
    path = tmp_path / "AS64500"
    path.write_text("ASN: 64500\nIPv6:\n" + " 2001:db8::/32\n" * (size_limit(10) // 10))
    with pytest.raises(CacheError, match=rf"more than the limit of {size_limit(10)}; refused"):
        read_entry(str(tmp_path), 64500, 10)


def test_corrupt_entry_and_wrong_asn(tmp_path):
    (tmp_path / "AS64500").write_text("ASN: 64999\nIPv6:\n 2001:db8::/32\n")
    with pytest.raises(CacheError, match="records ASN '64999'; corrupt"):
        read_entry(str(tmp_path), 64500, MAX)
    (tmp_path / "AS64500").write_bytes(b"ASN: 64500\n\xff\n")
    with pytest.raises(CacheError, match="not ASCII"):
        read_entry(str(tmp_path), 64500, MAX)


def test_bad_lines_are_kept_apart(tmp_path):
    (tmp_path / "AS64500").write_text(
        "ASN: 64500\nIPv6:\n 2001:db8::/32\n 2001:db8:zz::/48\n 192.0.2.0/24\n 2a0b:8000::%eth0/32\n"
    )
    entry = read_entry(str(tmp_path), 64500, MAX)
    assert entry.prefixes == (N("2001:db8::/32"),)
    assert len(entry.bad_lines) == 3
    assert "zone id" in entry.bad_lines[2] and "(in IPv6)" in entry.bad_lines[1]


def run_import(tmp_path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    config = tmp_path / "netguard.conf"
    config.write_text(f"Cache-Dir: {tmp_path / 'cache'}\nReject-Max-Routes: 1000\n")
    return subprocess.run(
        [sys.executable, "-m", "netguard", "--config", str(config), "import", *args],
        env={**os.environ, "PYTHONPATH": IMPORT_PATH},
        capture_output=True,
        input=stdin,
        timeout=60,
    )


def test_import_plain_list(tmp_path):
    listing = tmp_path / "as64500.txt"
    listing.write_text("# AS64500\n2001:db8:100::/40\n\n192.0.2.0/24  # v4\n2001:db8:100::/40\n")
    result = run_import(tmp_path, "AS64500", str(listing))
    assert result.returncode == 0, result.stderr
    assert b"AS64500: 1 IPv6 and 1 IPv4 prefixes cached in" in result.stdout
    entry = read_entry(str(tmp_path / "cache"), 64500, MAX)
    assert entry.prefixes == (N("192.0.2.0/24"), N("2001:db8:100::/40"))
    assert entry.source == f"import:{listing}"


def test_import_from_standard_input(tmp_path):
    result = run_import(tmp_path, "64500", "-", stdin=b"2001:db8::/32\n")
    assert result.returncode == 0, result.stderr
    assert read_entry(str(tmp_path / "cache"), 64500, MAX).prefixes == (N("2001:db8::/32"),)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"2001:db8::/32\n2001:db8::1/32\n", "2: '2001:db8::1/32' is not a prefix: host bits are set"),
        (b"2a0b:8000::%eth0/32\n", "is not a prefix: a zone id"),
        (b"::ffff:192.0.2.0/120\n", "IPv4-mapped"),
        (b"2001:db8::/32\n\xff\n", "not ASCII text"),
    ],
    ids=["host-bits", "zone-id", "v4-mapped", "not-ascii"],
)
def test_import_refuses_a_bad_list_and_leaves_the_cache_alone(tmp_path, content, message):
    listing = tmp_path / "bad.txt"
    listing.write_bytes(content)
    result = run_import(tmp_path, "64500", str(listing))
    assert result.returncode == 2
    assert message in result.stderr.decode()
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "cache" / "AS64500").exists()


def test_import_of_an_endless_device_is_refused_at_once(tmp_path):
    result = run_import(tmp_path, "64501", "/dev/zero")
    assert result.returncode == 2
    assert result.stderr.decode() == "netguard: import: /dev/zero is not a regular file; refused\n"


def test_import_of_more_than_the_cap_is_refused(tmp_path):
    listing = tmp_path / "many.txt"
    listing.write_text("".join(f"2001:db8:{n:x}::/48\n" for n in range(1001)))
    result = run_import(tmp_path, "64500", str(listing))
    assert result.returncode == 2
    assert b"1001 prefixes, more than Reject-Max-Routes 1000; nothing cached" in result.stderr


def line_by_line(text: str, asn: int, origin: str):
    """parse_entry as it was before sections were read in C: one parse() per line (the oracle)."""
    header: dict[str, str] = {}
    good: list = []
    bad: list[str] = []
    version = 0
    for number, line in enumerate(text.split("\n"), 1):
        if line[:1] == " ":
            if not version:
                raise CacheError(f"AS{asn}: {origin}:{number}: continuation line outside IPv4/IPv6; corrupt")
            try:
                prefix = parse(line[1:])
            except PrefixError as err:
                bad.append(f"{line[1:][:60]!r} ({err})")
                continue
            if prefix[0] == version:
                good.append(prefix)
            else:
                bad.append(f"{line[1:]!r} (in IPv{version})")
            continue
        version = 0
        if not line or line.startswith("#"):
            continue
        key, colon, value = line.partition(":")
        if key in ("IPv4", "IPv6") and colon and not value.strip():
            version = 4 if key == "IPv4" else 6
        elif key in ("ASN", "Source", "Fetched", "Data-Time") and colon:
            header[key] = value.strip()
        else:
            raise CacheError(f"AS{asn}: {origin}:{number}: not a netguard cache line; corrupt, refresh it")
    if header.get("ASN") != str(asn):
        raise CacheError(f"AS{asn}: {origin}: records ASN {header.get('ASN')!r}; corrupt, refresh it")
    return header, tuple(good), tuple(bad)


entry_lines = st.sampled_from(
    [
        "ASN: 64500", "ASN: 1", "Source: x", "Fetched: y", "IPv4:", "IPv6:", "IPv6: x", "", "# c", "junk",
        " 2001:db8::/32", " 2001:db8:1::/48", " 192.0.2.0/24", " 198.51.100.0/24", " 2001:db8::1/32",
        " 2a0b:8000::%eth0/32", " x", "  2001:db8::/32", " ", " 10.0.0.0/33", " 2001:db8::\x00/32",
    ]
)  # fmt: skip


@given(st.lists(entry_lines, max_size=14))
def test_an_entry_reads_as_it_did_line_by_line(lines):
    """Sections in C (parse_all) and the old line-by-line reading agree on every entry:
    the same prefixes, the same bad lines, the same refusal."""
    text = "\n".join(lines) + "\n"

    def outcome(read):
        try:
            return read()
        except CacheError as err:
            return str(err)

    def new():
        entry = parse_entry(text, 64500, "AS64500")
        header = {
            "ASN": "64500",
            "Source": entry.source,
            "Fetched": entry.fetched,
            "Data-Time": entry.data_time,
        }
        return header, entry.prefixes, entry.bad_lines

    old = outcome(lambda: line_by_line(text, 64500, "AS64500"))
    if not isinstance(old, str):
        old = ({k: old[0].get(k, "") for k in ("ASN", "Source", "Fetched", "Data-Time")}, *old[1:])
    assert outcome(new) == old
