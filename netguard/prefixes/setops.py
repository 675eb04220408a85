"""Prefix set arithmetic on integers: collapse, and carve exceptions out.

Pure. `reject-asn-except` must leave no installed route covering an
excepted prefix: a covering prefix is replaced by its complement around the
exception (2001:db8::/32 minus 2001:db8:1::/48 is 16 prefixes), not dropped.
"""

from __future__ import annotations

from collections.abc import Iterable

from netguard.prefixes.prefix import BITS, Prefix, contains, sort_prefixes


def _collapse_family(version: int, spans: list[tuple[int, int]]) -> list[Prefix]:
    """Covered prefixes dropped, sibling pairs merged: one pass over the sorted spans."""
    bits = BITS[version]
    stack: list[tuple[int, int]] = []  # (start, length), sorted, disjoint
    for start, length in sorted(set(spans)):
        if stack:
            top_start, top_length = stack[-1]
            if start <= top_start + (1 << (bits - top_length)) - 1:
                continue  # inside the previous prefix
        stack.append((start, length))
        # Merge the top two while they are the two halves of one prefix.
        while len(stack) >= 2:
            (a_start, a_length), (b_start, b_length) = stack[-2], stack[-1]
            size = 1 << (bits - a_length)
            if (
                a_length != b_length
                or a_length == 0
                or a_start & ((size << 1) - 1)
                or b_start != a_start + size
            ):
                break
            stack[-2:] = [(a_start, a_length - 1)]
    return [(version, start, length) for start, length in stack]


def collapse(prefixes: Iterable[Prefix]) -> list[Prefix]:
    """Fewest prefixes covering exactly the same addresses, per family, sorted."""
    by_version: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
    for version, value, length in prefixes:
        by_version[version].append((value, length))
    return [*_collapse_family(4, by_version[4]), *_collapse_family(6, by_version[6])]


def _complement(outer: Prefix, hole: Prefix) -> list[Prefix]:
    """outer minus hole (hole inside outer): the sibling of each step down to the hole."""
    version, value, length = hole
    bits = BITS[version]
    pieces = []
    for step in range(outer[2] + 1, length + 1):
        shift = bits - step
        ancestor = value >> shift << shift
        pieces.append((version, ancestor ^ (1 << shift), step))
    return pieces


def carve(prefixes: Iterable[Prefix], exceptions: Iterable[Prefix]) -> list[Prefix]:
    """Remove every address of the exceptions from the set, keeping the rest."""
    result = list(prefixes)
    for exception in exceptions:
        next_result: list[Prefix] = []
        for prefix in result:
            if contains(exception, prefix):
                continue  # the prefix lies inside the exception: dropped whole
            if contains(prefix, exception):
                next_result.extend(_complement(prefix, exception))
            else:
                next_result.append(prefix)
        result = next_result
    return sort_prefixes(result)
