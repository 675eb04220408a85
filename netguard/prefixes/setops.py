"""Prefix set arithmetic: collapse, and carve exceptions out.

Pure. `reject-asn-except` must leave no installed route covering an
excepted prefix: a covering prefix is replaced by its complement around the
exception (2001:db8::/32 minus 2001:db8:1::/48 is 16 prefixes), not dropped.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def collapse(prefixes: Iterable[IPNetwork]) -> list[IPNetwork]:
    """Fewest prefixes covering exactly the same addresses, per family, sorted."""
    every = list(prefixes)
    v4 = [p for p in every if p.version == 4]
    v6 = [p for p in every if p.version == 6]
    return [*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)]  # type: ignore[arg-type]


def carve(prefixes: Iterable[IPNetwork], exceptions: Iterable[IPNetwork]) -> list[IPNetwork]:
    """Remove every address of the exceptions from the set, keeping the rest."""
    result = list(prefixes)
    for exception in exceptions:
        next_result: list[IPNetwork] = []
        for prefix in result:
            if prefix.version != exception.version or not prefix.overlaps(exception):  # type: ignore[arg-type]
                next_result.append(prefix)
            elif exception.subnet_of(prefix):  # type: ignore[arg-type]
                next_result.extend(prefix.address_exclude(exception))  # type: ignore[arg-type]
            # else: the prefix lies inside the exception: dropped whole
        result = next_result
    return sorted(result, key=lambda p: (p.version, p.network_address, p.prefixlen))
