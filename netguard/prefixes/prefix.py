"""The one prefix grammar and representation, for every input netguard reads.

A prefix is a plain tuple (version, value, length): version 4 or 6, the
network address as an integer, the prefix length. Stanza options, `import`,
every source, the cache, the wants files and kernel route dumps all go
through parse() (or from_packed() for the kernel), so one rule decides what
a prefix is: ADDRESS/LENGTH, ASCII, no zone id, no IPv4-mapped or
-compatible IPv6, a length within the family written without leading zeros,
host bits zero. Integers, not ipaddress objects: a full table is 250k
prefixes, and building objects for each costs seconds.
"""

from __future__ import annotations

from _socket import AF_INET, AF_INET6, inet_ntop, inet_pton  # not socket.py: see netguard/netlink.py

Prefix = tuple[int, int, int]  # (4 or 6, network address as int, length)

BITS = {4: 32, 6: 128}
FAMILY = {4: AF_INET, 6: AF_INET6}
VERSION: dict[int, int] = {int(AF_INET): 4, int(AF_INET6): 6}
MAX_TEXT = 50  # the longest prefix written any way inet_pton accepts, with room to spare


class PrefixError(ValueError):
    """Not a prefix under the one grammar; the message says which rule it breaks."""


def parse_address(text: str) -> tuple[int, int]:
    """(version, value) of an address without length; no zone id, ASCII only."""
    if len(text) > MAX_TEXT or not text.isascii():
        raise PrefixError("not an IPv4 or IPv6 address")
    version = 6 if ":" in text else 4
    try:
        return version, int.from_bytes(inet_pton(FAMILY[version], text), "big")
    except OSError:
        if "%" in text:
            raise PrefixError("a zone id (%...) has no place in a prefix") from None
        raise PrefixError("not an IPv4 or IPv6 address") from None


_LENGTHS = {str(n): n for n in range(129)}  # the only length texts there are: "0" .. "128"


def parse(text: str) -> Prefix:
    """ "2001:db8::/32" -> (6, 0x20010db8 << 96, 32), or PrefixError naming the rule broken.

    Called once per line of every cache entry and wants file: the common
    path is a dict lookup, inet_pton and int.from_bytes.
    """
    address, slash, length_text = text.partition("/")
    if not slash:
        raise PrefixError("no /LENGTH")
    version, value = parse_address(address)
    bits = BITS[version]
    length = _LENGTHS.get(length_text)
    if length is None:
        if length_text.isascii() and length_text.isdigit() and length_text[0] != "0":
            raise PrefixError(f"length /{length_text[:6]} is longer than IPv{version}'s {bits} bits")
        raise PrefixError("the length must be a plain decimal number")
    if length > bits:
        raise PrefixError(f"length /{length} is longer than IPv{version}'s {bits} bits")
    if value & ((1 << (bits - length)) - 1):
        raise PrefixError("host bits are set (write the network address)")
    if version == 6 and length >= 96 and value >> 32 in (0, 0xFFFF):
        raise PrefixError("IPv4-mapped or IPv4-compatible IPv6; write the IPv4 prefix")
    return version, value, length


def format_prefix(prefix: Prefix) -> str:
    """The canonical text (RFC 5952 for IPv6): what netguard writes and shows."""
    version, value, length = prefix
    packed = value.to_bytes(BITS[version] // 8, "big")
    return f"{inet_ntop(FAMILY[version], packed)}/{length}"


def format_address(version: int, value: int) -> str:
    return inet_ntop(FAMILY[version], value.to_bytes(BITS[version] // 8, "big"))


def packed(prefix: Prefix) -> bytes:
    """The network address as the kernel wants it in RTA_DST."""
    version, value, _length = prefix
    return value.to_bytes(BITS[version] // 8, "big")


def from_packed(family: int, address: bytes, length: int) -> Prefix:
    """A kernel route's destination (RTA_DST may be absent for /0: empty bytes)."""
    return VERSION[family], int.from_bytes(address, "big"), length


def last(prefix: Prefix) -> int:
    """The highest address inside the prefix."""
    version, value, length = prefix
    return value | ((1 << (BITS[version] - length)) - 1)


def contains(outer: Prefix, inner: Prefix) -> bool:
    return (
        outer[0] == inner[0]
        and outer[2] <= inner[2]
        and outer[1] == inner[1] >> (BITS[outer[0]] - outer[2]) << (BITS[outer[0]] - outer[2])
    )
