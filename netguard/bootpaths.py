"""Which boot path brings each interface up, and what netguard must order at boot for it.

Pure: from the stanzas, their `auto`/`allow-` lines and the installed
ifupdown, the systemd units a boot needs (generator.py writes them) and
the line `netguard check` says per interface. Only interfaces whose options
promise usable addresses at network-online.target (a `wait-dad`, or `dad`
off/optimistic) are planned; a host with none of them gets nothing.

The paths, read in each implementation's units and scripts (Debian 12/13):
- `auto`: networking.service's `ifup -a` (all three). It is ordered before
  network-online.target by ifupdown only; netguard adds the ordering for
  ifupdown2 and ifupdown-ng (networking.service.d drop-in).
- `allow-hotplug`, ifupdown 0.8: udev starts ifup@IFACE.service when the
  device appears. That unit is Type=simple, so network-online.target waits
  for its start only, and the device may appear after the target was
  reached: netguard's drop-in makes it Type=oneshot (its job ends when ifup
  ends, as networking.service's does) and netguard-wait@IFACE.service, pulled
  in by network-online.target, holds the target until that ifup ended or the
  option's deadline passed (commands/bootwait.py).
- `allow-hotplug`, ifupdown2: networking.service brings up the hotplug
  interfaces whose device exists when it starts (start-networking's
  ifup_hotplug); nothing starts its ifup@.service later (no udev rule).
- `allow-hotplug`, ifupdown-ng: never brought up at boot (its `ifup -a`
  takes `auto` only and it has no hotplug path).
"""

from __future__ import annotations

from netguard.catalogue import OPTIONS_BY_NAME
from netguard.errors import NetguardError
from netguard.interfaces import IFUPDOWN, IFUPDOWN2, IFUPDOWN_NG, RULE_NAMES, Stanza
from netguard.options import WaitDad, parse_option
from netguard.record import NamedTuple

NETWORKING = "networking.service"
IFUPDOWN2_ADDONS = "/etc/network/ifupdown2/addons.conf"
WAITER = "netguard-wait@.service"


class BootPath(NamedTuple):
    iface: str
    path: str  # where the first stanza that asks for the promise is
    line: int
    covered: bool  # netguard's promise holds at network-online.target
    waiter: bool  # netguard-wait@IFACE.service and the ifup@IFACE.service drop-in are needed
    how: str  # one line for `netguard check` and the docs
    warn: bool = False  # `netguard check` warns: the stanza asks for a promise no boot path keeps


def promises(stanza: Stanza) -> bool:
    """A stanza asks for usable addresses at ifup's end: wait-dad on, or dad off/optimistic.
    A value that does not parse counts: pre-up will fail it, and the boot must show that."""
    env = stanza.env()
    for name, wanted in (
        ("wait-dad", lambda v: isinstance(v, WaitDad) and v.enabled),
        ("dad", lambda v: v != "on"),
    ):
        option = OPTIONS_BY_NAME[name]
        raw = env.get(option.env_name, "")
        if not raw.strip():
            continue
        try:
            if wanted(parse_option(option, raw, stanza.iface)):
                return True
        except NetguardError:
            return True
    return False


def plan(stanzas: list[Stanza], marks: dict[str, set[str]], rules: str) -> list[BootPath]:
    """One BootPath per interface that asks for the promise, in the order of its first stanza."""
    found: dict[str, BootPath] = {}
    for stanza in stanzas:
        if stanza.iface in found or not promises(stanza):
            continue
        found[stanza.iface] = _path(stanza, marks.get(stanza.iface, set()), rules)
    return list(found.values())


def _path(stanza: Stanza, mark: set[str], rules: str) -> BootPath:
    iface, name = stanza.iface, RULE_NAMES[rules]
    at = (stanza.iface, stanza.path, stanza.line)
    if "auto" in mark:
        return BootPath(
            *at,
            True,
            False,
            f"auto: {name}'s `ifup -a` in {NETWORKING}, ordered before network-online.target",
        )
    if "hotplug" not in mark:
        return BootPath(*at, False, False, "not brought up at boot (no `auto` or `allow-hotplug` line): the wait holds for a manual ifup only")  # fmt: skip
    if rules == IFUPDOWN:
        return BootPath(*at, True, True, f"allow-hotplug: ifup@{iface}.service (made oneshot), waited for by netguard-wait@{iface}.service")  # fmt: skip
    if rules == IFUPDOWN2:
        return BootPath(*at, True, False, f"allow-hotplug: {name}'s {NETWORKING} brings it up when the device exists as it starts (nothing later does)")  # fmt: skip
    assert rules == IFUPDOWN_NG
    return BootPath(
        *at, False, False, f"allow-hotplug: {name} never brings it up at boot; write `auto {iface}`", True
    )


def addon_missing(paths: list[BootPath], rules: str, addons_conf: str) -> bool:
    """ifupdown2 runs netguard's scripts without its addon: one wait per interface, a failure
    only logged. True when some interface asks for the promise and addons.conf lacks the line."""
    if rules != IFUPDOWN2 or not any(p.covered for p in paths):
        return False
    try:
        with open(addons_conf, encoding="utf-8", errors="replace") as handle:
            return "netguard_ifupdown2" not in handle.read(1024 * 1024)
    except OSError:
        return True


def needs_ordering(paths: list[BootPath]) -> bool:
    """networking.service before network-online.target: only where some interface it raises asks."""
    return any(p.covered for p in paths)


def unit_instance(iface: str) -> str:
    """systemd-escape of an interface name, as udev's ifupdown-hotplug names ifup@IFACE.service."""
    out = []
    for index, byte in enumerate(iface.encode("utf-8", "surrogateescape")):
        char = chr(byte)
        if (char.isascii() and char.isalnum()) or char in ":_" or (char == "." and index):
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    return "".join(out)
