"""What a reject route must never cover, checked before anything is installed.

A wrong prefix in the cache (or a tampered wants file) must not cut this host
off its own network: no default route, nothing too short, no special-purpose
space, and nothing that covers one of the host's addresses, a gateway, an
on-link prefix or a nameserver. Pure, on integer prefixes: the protected
things are passed in.
"""

from __future__ import annotations

import bisect
from operator import itemgetter

from netguard.prefixes.prefix import Prefix, contains, format_address, format_prefix, last, parse
from netguard.record import NamedTuple

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Iterable

Address = tuple[int, int]  # (version, value)
_VERSION, _VALUE, _LENGTH = itemgetter(0), itemgetter(1), itemgetter(2)

GLOBAL_UNICAST_V6 = parse("2000::/3")
# RFC 6890 and the IANA special-purpose registries: never a transit's announcement.
SPECIAL_PURPOSE = tuple(
    parse(p)
    for p in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "2001:db8::/32", "2001::/32", "2002::/16", "3fff::/20",
    )
)  # fmt: skip


class Protected(NamedTuple):
    """The host's own things, read from the kernel and /etc/resolv.conf."""

    own: frozenset[Address] = frozenset()  # addresses of every interface
    gateways: frozenset[Address] = frozenset()  # default routes' and the stanza's
    nameservers: frozenset[Address] = frozenset()  # /etc/resolv.conf
    onlink: frozenset[Prefix] = frozenset()  # prefixes of every interface's addresses


class Limits(NamedTuple):
    min_length_v6: int = 16
    min_length_v4: int = 8
    allow_special: bool = False


class _Checker:
    """refusal() for many prefixes: the protected things are sorted once."""

    def __init__(self, protected: Protected, limits: Limits) -> None:
        self.limits = limits
        self.addresses = [
            (version, value, f"covers {what} {format_address(version, value)}")
            for what, group in (
                ("this host's address", protected.own),
                ("the gateway", protected.gateways),
                ("the nameserver", protected.nameservers),
            )
            for version, value in sorted(group)
        ]
        self.onlink = [(p[0], p[1], last(p), format_prefix(p)) for p in sorted(protected.onlink)]
        self.special = [(p[0], p[1], last(p), format_prefix(p)) for p in SPECIAL_PURPOSE]

    def ranges(self) -> list[tuple[int, int, int]]:
        """(version, first, last) of every range a kept prefix must not touch."""
        found = [(version, value, value) for version, value, _reason in self.addresses]
        found += [(version, start, end) for version, start, end, _name in self.onlink]
        if not self.limits.allow_special:
            found += [(version, start, end) for version, start, end, _name in self.special]
            unicast_start, unicast_end = GLOBAL_UNICAST_V6[1], last(GLOBAL_UNICAST_V6)
            found += [(6, 0, unicast_start - 1), (6, unicast_end + 1, (1 << 128) - 1)]
        return found

    def refusal(self, prefix: Prefix) -> str | None:
        limits = self.limits
        version, start, length = prefix
        if length == 0:
            return "a default route"
        minimum = limits.min_length_v6 if version == 6 else limits.min_length_v4
        if length < minimum:
            return f"shorter than /{minimum} (Reject-Min-Length-IPv{version})"
        end = last(prefix)
        if not limits.allow_special:
            if version == 6 and not contains(GLOBAL_UNICAST_V6, prefix):
                return "outside global unicast 2000::/3 (link-local, ULA, multicast, ...)"
            for s_version, s_start, s_end, special in self.special:
                if s_version == version and start <= s_end and s_start <= end:
                    return f"special-purpose space ({special})"
        for a_version, value, reason in self.addresses:
            if a_version == version and start <= value <= end:
                return reason
        for o_version, o_start, o_end, onlink in self.onlink:
            if o_version == version and start <= o_end and o_start <= end:
                return f"overlaps the on-link prefix {onlink}"
        return None


def matters(prefix: Prefix, limits: Limits) -> bool:
    """Whether a protected address or on-link prefix can change a screen's verdict:
    without Reject-Allow-Special, a prefix that touches one lying wholly in
    link-local, ULA or other special-purpose space is refused for that already."""
    if limits.allow_special:
        return True
    version, start, _length = prefix
    if version == 6 and (last(prefix) < GLOBAL_UNICAST_V6[1] or start > last(GLOBAL_UNICAST_V6)):
        return False  # wholly outside 2000::/3
    return not any(s[0] == version and contains(s, prefix) for s in SPECIAL_PURPOSE)


def refusal(prefix: Prefix, protected: Protected, limits: Limits) -> str | None:
    """Why this prefix must not become a reject route, or None."""
    return _Checker(protected, limits).refusal(prefix)


def screen(
    prefixes: Iterable[Prefix], protected: Protected, limits: Limits
) -> tuple[list[Prefix], list[tuple[Prefix, str]]]:
    """Split into (kept, refused with the reason), in the order given.

    A reject set is large (100k prefixes) and what it must not touch is a
    few dozen ranges: the prefixes are sorted once, and each range finds the
    prefixes that may touch it (those starting inside it, by bisection, and
    the blocks that contain its start, one lookup per prefix length present).
    Only those, and the ones too short, go through refusal(), which says why;
    tests/unit/test_safety.py holds the result to refusal() of every prefix.
    """
    checker = _Checker(protected, limits)
    given = prefixes if isinstance(prefixes, (set, frozenset, list, tuple)) else list(prefixes)
    present = given if isinstance(given, (set, frozenset)) else set(given)
    suspects: set[Prefix] = set()
    ranges = checker.ranges()
    versions = set(map(_VERSION, present))  # in C (map, itemgetter): no bytecode per prefix
    for version, minimum in ((4, limits.min_length_v4), (6, limits.min_length_v6)):
        if version not in versions:
            continue
        group = present if len(versions) == 1 else [p for p in present if p[0] == version]
        bits = 32 if version == 4 else 128
        lengths = set(map(_LENGTH, group))
        if min(lengths) < max(minimum, 1):
            suspects.update(p for p in group if p[2] < max(minimum, 1))
        starts = sorted(map(_VALUE, group))
        touched: set[int] = set()
        for r_version, first, final in ranges:
            if r_version != version:
                continue
            touched.update(starts[bisect.bisect_left(starts, first) : bisect.bisect_right(starts, final)])
            for length in lengths:  # the blocks that contain the range's first address
                block = (version, first >> (bits - length) << (bits - length), length)
                if block in present:
                    suspects.add(block)
        if touched:
            suspects.update(p for p in group if p[1] in touched)
    reasons = {p: why for p in suspects if (why := checker.refusal(p)) is not None}
    if not reasons:
        return list(given), []
    return [p for p in given if p not in reasons], [(p, reasons[p]) for p in given if p in reasons]
