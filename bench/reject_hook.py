"""reject-asn end to end: the real ifup/ifdown, against `ip -batch` of the same routes in the same run.

For each size (1k, 20k, 100k, 300k cached prefixes that do not collapse, and
`real`: every IPv6 prefix of the 2015 RouteViews table in ../shared/data, as
one AS's entry, when it is there; overlapping prefixes collapse there, so
netguard installs fewer routes than `ip -batch` of the same list):
ifup (cache read, safety screen, collapse, wants, dump, batches, verify),
ifup again with nothing to change, ifup after 1% of the prefixes changed
(a refreshed cache entry), ifdown; and `ip -batch` adding then deleting the
same list in the same namespace. Also `netguard import` at 100k, and the
hook's peak RSS at the largest size (the maximum over ifup's descendants).
Every row is the median of RUNS (3) in the same namespace: this machine's
figures move by a third from one run to the next.
Usage (root): python3 -m bench.reject_hook [SIZE|real...]
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

from bench import median_of
from tests import sandbox

RUNS = 3


def prefixes(count: int, shift: int = 0) -> list[str]:
    """Every other /56 of 2a10::/16 (global unicast, as a real table's), so nothing collapses;
    `shift` moves the first ones elsewhere (a changed entry)."""
    return [f"2a10:{2 * (n + shift) >> 8:x}:{2 * (n + shift) & 0xFF:x}00::/56" for n in range(count)]


def real_table() -> list[str]:
    """Every IPv6 prefix of the 2015 table (27,693), or none when ../shared/data is not there."""
    import gzip

    from bench.routes import DATA

    if not DATA.exists():
        return []
    with gzip.open(DATA, "rt") as handle:
        return [line.split("\t")[0] for line in handle if ":" in line and not line.startswith(";")]


def peak_rss_mb(argv: list[str]) -> float:
    """Largest resident set of any process argv starts (the hook), in MB."""
    code = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *argv], check=True, capture_output=True, text=True
    ).stdout
    return int(out) / 1024


def run_size(listed: list[str], rss: bool) -> list[tuple[str, float]]:
    count = len(listed)
    with sandbox.throwaway_link("ngrh", "ngrhp") as (host, _peer):
        config = host.etc / "netguard" / "netguard.conf"
        config.write_text(config.read_text() + "Reject-Max-Routes: 1000000\n")
        listing = host.netguard_state.parent / "prefixes.txt"
        listing.write_text("".join(p + "\n" for p in listed))
        changed = host.netguard_state.parent / "changed.txt"
        changed.write_text("".join(p + "\n" for p in prefixes(count // 100, shift=count)[: count // 100])
                           + "".join(p + "\n" for p in listed[count // 100 :]))  # fmt: skip
        host.write_interfaces("iface eth0 inet6 manual\n    reject-asn 64500\n")
        ifup = ["ip", "netns", "exec", host.name, "ifup", "--state-dir", host.state_dir, "eth0"]
        rows = [
            (f"netguard import ({count:,})", median_of(RUNS, host.netguard, "import", "64500", str(listing)))
        ]
        if rss:
            rows.append(("ifup: the hook's peak RSS (MB)", peak_rss_mb(ifup)))
            host.ifdown("eth0")
        again = ["ifup", "--force", "--state-dir", host.state_dir, "eth0"]
        original, one_percent = str(listing), str(changed)

        def down() -> None:
            host.netguard("import", "64500", original)
            host.exec("ifdown", "--force", "--state-dir", host.state_dir, "eth0", check=False)

        def changed_entry() -> None:  # the entry alternates: each run finds 1% changed
            nonlocal original, one_percent
            original, one_percent = one_percent, original
            host.netguard("import", "64500", original)

        rows.append(("ifup", median_of(RUNS, host.ifup, "eth0", before=down)))
        rows.append(("ifup again, nothing to change", median_of(RUNS, host.exec, *again)))
        rows.append(("ifup again after 1% changed", median_of(RUNS, host.exec, *again, before=changed_entry)))
        rows.append(("ifdown", median_of(RUNS, host.ifdown, "eth0", before=lambda: host.exec(*again))))
        flush = ["ip", "-n", host.name, "-6", "route", "flush", "proto", "241"]
        batches = {}
        for verb in ("add", "del"):
            batches[verb] = host.netguard_state.parent / f"batch-{verb}"
            batches[verb].write_text("".join(f"route {verb} unreachable {p} proto 241\n" for p in listed))

        def empty() -> None:
            subprocess.run(flush, check=True)

        def full() -> None:
            empty()
            host.exec("ip", "-batch", str(batches["add"]))

        for verb, before in (("add", empty), ("del", full)):
            batch_time = median_of(RUNS, host.exec, "ip", "-batch", str(batches[verb]), before=before)
            rows.append((f"alternative: ip -batch {verb}", batch_time))
        subprocess.run(["ip", "-n", host.name, "-6", "route", "flush", "proto", "241"], check=True)
    return rows


def main() -> int:
    sizes = sys.argv[1:] or ["1000", "20000", "100000", "300000", "real"]
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 1
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    largest = max(int(s) for s in sizes if s != "real") if any(s != "real" for s in sizes) else 0
    for size in sizes:
        listed = real_table() if size == "real" else prefixes(int(size))
        if not listed:
            print("\nreal: ../shared/data is not there; no real-table figures")
            continue
        rows = dict(run_size(listed, rss=size != "real" and int(size) == largest))
        add, delete = rows["alternative: ip -batch add"], rows["alternative: ip -batch del"]
        what = "the 2015 table's IPv6 prefixes" if size == "real" else "prefixes"
        print(f"\nreject-asn with {len(listed):,} {what}, real ifup in a namespace")
        for name, value in rows.items():
            if name.endswith("(MB)"):
                print(f"{name:45} {value:8.0f} MB")
                continue
            base = add if name.startswith("ifup") else delete if name == "ifdown" else None
            ratio = f"  {value / base:5.2f}x ip -batch {'add' if base is add else 'del'}" if base else ""
            print(f"{name:45} {value:8.3f} s{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
