"""Is every IPv6 address usable? The pure judgement of an address list.

Shared by wait-dad (one interface), dad's late-start wait and `netguard
wait` (named addresses); watch.py waits for a verdict, apply.py ends a wait
with failure()'s error.
"""

from __future__ import annotations

from netguard.errors import DadFailed, NetguardError, WaitTimeout
from netguard.kernel import RT_SCOPE_UNIVERSE
from netguard.record import NamedTuple
from netguard.state import Address, carrier_reason

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    import ipaddress

OPTION = "wait-dad"  # the option every wait's message names


class Verdict(NamedTuple):
    failed: tuple[Address, ...]  # DAD found a duplicate
    pending: tuple[Address, ...]  # still tentative
    missing: tuple[str, ...]  # awaited addresses not present at all yet

    @property
    def finished(self) -> bool:
        """Stop waiting: everything usable, or something failed for good."""
        return bool(self.failed) or (not self.pending and not self.missing)

    @property
    def usable(self) -> bool:
        return not self.failed and not self.pending and not self.missing


NO_GLOBAL = "a router-advertised global address (no router on the link?)"


def assess(addresses: list[Address], need_global: bool) -> Verdict:
    """Every address of one interface must settle; SLAAC also needs a global one."""
    failed = tuple(a for a in addresses if a.dadfailed)
    pending = tuple(a for a in addresses if a.tentative and not a.dadfailed)
    has_global = any(a.scope == RT_SCOPE_UNIVERSE and not a.dadfailed for a in addresses)
    return Verdict(failed, pending, (NO_GLOBAL,) if need_global and not has_global else ())


def parse_wanted(text: str) -> ipaddress.IPv6Address:
    """2001:db8::1, 2001:db8::1/64 or fe80::1%eth0 (a zone limits the match to that interface).

    ValueError for anything else: a length must be 0-128 in plain digits, all of it ASCII.
    """
    import ipaddress

    address, slash, length = text.partition("/")
    if not text.isascii() or (
        slash and not (length.isdigit() and length == str(int(length)) and int(length) <= 128)
    ):
        raise ValueError(text)
    return ipaddress.IPv6Address(address)


def assess_wanted(addresses: list[Address], wanted: list[ipaddress.IPv6Address]) -> Verdict:
    """`netguard wait`: only the named addresses matter, on whatever interface (or the zone's)."""
    import ipaddress

    by_address: dict[ipaddress.IPv6Address, list[Address]] = {}
    for found in addresses:
        by_address.setdefault(ipaddress.IPv6Address(found.address), []).append(found)
    failed: list[Address] = []
    pending: list[Address] = []
    missing: list[str] = []
    for address in wanted:
        zone = address.scope_id
        plain = ipaddress.IPv6Address(str(address).split("%")[0])
        copies = [c for c in by_address.get(plain, []) if zone is None or c.ifname == zone]
        if any(not (c.tentative or c.dadfailed) for c in copies):
            continue
        if any(c.dadfailed for c in copies):
            failed.extend(c for c in copies if c.dadfailed)
        elif copies:
            pending.extend(copies)
        else:
            missing.append(str(address))
    return Verdict(tuple(failed), tuple(pending), tuple(missing))


def vanished(iface: str, exists: bool, gone: set[str]) -> NetguardError | None:
    """A wait that ends because what it waited for is gone is a failure, never "usable"."""
    if not exists:
        return WaitTimeout(
            f"{iface} vanished during the wait (deleted or renamed); none of its addresses is usable; "
            "check what removed it, then ifup again",
            iface,
            OPTION,
        )
    if gone:
        return WaitTimeout(
            f"{', '.join(sorted(gone))} vanished during the wait (deleted, or removed by the kernel "
            "after a DAD failure); check what removed it, then ifdown/ifup",
            iface,
            OPTION,
        )
    return None


def failure(verdict: Verdict, iface: str, timeout: float, carrierless: set[str]) -> NetguardError | None:
    """The error a finished or timed-out wait ends with; None when all is usable."""
    if verdict.failed:
        names = ", ".join(a.address for a in verdict.failed)
        return DadFailed(
            f"duplicate address {names}: another host on the link uses it (dadfailed); "
            "change the address or find the other host, then ifdown/ifup",
            iface,
            OPTION,
        )
    if verdict.usable:
        return None
    if carrierless:
        why = "; ".join(f"no carrier on {name}: {carrier_reason(name)}" for name in sorted(carrierless))
    else:
        why = "check the link, or raise the timeout"
    still = [f"{a.address}/{a.prefixlen} (tentative)" for a in verdict.pending]
    still.extend(f"{what} (absent)" for what in verdict.missing)
    return WaitTimeout(
        f"timed out after {timeout:g} s, still waiting for: {', '.join(still)}; {why}", iface, OPTION
    )
