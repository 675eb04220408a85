"""HookContext: what ifupdown told a hook, as one frozen value.

ifupdown, ifupdown2 and ifupdown-ng export slightly different environments
(PHASE names, comma-joined ADDRFAM); this module is the one place that knows.
"""

from __future__ import annotations

import os

from netguard.errors import NetguardError, OptionError
from netguard.options import POST_DOWN, POST_UP, PRE_DOWN, PRE_UP
from netguard.record import NamedTuple

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

# PHASE as exported by each implementation -> netguard's phase.
_PHASE_ALIASES = {
    "pre-up": PRE_UP,
    "post-up": POST_UP,
    "up": POST_UP,  # ifupdown-ng names the if-up.d phase "up"
    "pre-down": PRE_DOWN,
    "down": PRE_DOWN,
    "post-down": POST_DOWN,
}
# Each hook directory's link to the shim. pre-up's sorts after every hook that creates an
# interface there (ifenslave, bridge, vlan: run-parts runs them in name order), so that
# `dad off` finds a `vlan-raw-device` VLAN; every pre-up hook still runs before the method
# adds the stanza's addresses.
HOOK_NAMES = {
    "if-pre-up.d": "zz-netguard",
    "if-up.d": "netguard",
    "if-down.d": "netguard",
    "if-post-down.d": "netguard",
}
# Hook directory -> phase, for implementations that export no PHASE (busybox).
_DIR_PHASES = {
    "if-pre-up.d": PRE_UP,
    "if-up.d": POST_UP,
    "if-down.d": PRE_DOWN,
    "if-post-down.d": POST_DOWN,
}


class UnknownPhase(NetguardError):
    pass


class HookContext(NamedTuple):
    iface: str
    logical: str
    families: frozenset[str]  # {"inet6"}, {"inet"}, both under ifupdown2
    method: str
    phase: str
    verbose: bool
    options: Mapping[str, Any]
    gateway: str = ""  # IF_GATEWAY: reject-asn must never cover it
    address: str = ""  # IF_ADDRESS: the stanza's primary address (ipv4-dad probes it before it is added)
    mode: str = ""  # MODE: start (ifup) or stop (ifdown)
    ignored: str = ""  # going down: an option error, reported, that must not stop the undo

    @property
    def device(self) -> str:
        """The kernel's interface: an alias stanza (`eth0:1`) is an IPv4 address label on eth0."""
        return self.iface.partition(":")[0]

    @property
    def is_meta(self) -> bool:
        """`ifup -a` runs hooks once for IFACE=--all, ADDRFAM=meta: not an interface."""
        return (self.iface == "--all" and "meta" in self.families) or not self.iface

    @property
    def ipv6(self) -> bool:
        return "inet6" in self.families

    @property
    def ipv4(self) -> bool:
        return "inet" in self.families


def phase_from(env: Mapping[str, str], script_path: str) -> str:
    raw = env.get("PHASE", "")
    if raw:
        if raw not in _PHASE_ALIASES:
            raise UnknownPhase(f"unknown PHASE {raw!r}; expected one of {', '.join(_PHASE_ALIASES)}")
        return _PHASE_ALIASES[raw]
    directory = os.path.basename(os.path.dirname(script_path))
    if directory in _DIR_PHASES:
        return _DIR_PHASES[directory]
    raise UnknownPhase(f"no PHASE given and {script_path!r} is not in an if-*.d directory")


def families_from(env: Mapping[str, str]) -> frozenset[str]:
    """ADDRFAM (ifupdown: "inet6"; ifupdown2: "inet,inet6"); ifupdown-ng exports none,
    and its stanzas mix families: infer them from the addresses, or take both."""
    given = frozenset(f for f in env.get("ADDRFAM", "").split(",") if f)
    if given:
        return given
    words = (env.get("IF_ADDRESSES", "") + " " + env.get("IF_ADDRESS", "")).split()
    inferred = frozenset("inet6" if ":" in word else "inet" for word in words)
    return inferred or frozenset({"inet", "inet6"})


IFNAMSIZ = 16  # the kernel's, with its NUL: names are at most 15 bytes


def iface_refusal(iface: str) -> str | None:
    """Why IFACE cannot be an interface (the kernel's dev_valid_name; ifupdown's `eth0:1` logical
    names pass): netguard puts it in paths under State-Dir, so `..`, `/` and the like never reach one."""
    name = os.fsencode(iface)
    if name in (b".", b"..") or b"/" in name or any(byte <= 32 or byte == 127 for byte in name):
        return "not an interface name (no /, blank, control character, . or ..)"
    if len(name.partition(b":")[0]) >= IFNAMSIZ:
        return f"longer than the kernel's {IFNAMSIZ - 1} bytes"
    return None


def label_refusal(iface: str, option: str) -> str:
    """Why an IPv6 option has no meaning in an alias stanza (`eth0:1`), for check and pre-up."""
    base = iface.partition(":")[0]
    return (
        f"{iface} is an IPv4 address label of {base} (IPv6 has no labels); "
        f"put {option} in {base}'s `iface {base} inet6` stanza"
    )


def context_from_env(
    env: Mapping[str, str],
    script_path: str,
    parse_options: Callable[[Mapping[str, str], str], dict[str, Any]],
) -> HookContext:
    """Build the context with the options parse_options (the catalogue's) reads from env;
    raises OptionError/UnknownPhase with a user-ready line."""
    iface = env.get("IFACE", "")
    families = families_from(env)
    # ifupdown's (and the addon's) call around `ifup -a`: IFACE=--all with ADDRFAM=meta. An
    # interface the admin named `--all` has its own family, and is an interface.
    meta = (iface == "--all" and "meta" in families) or not iface
    refusal = None if meta else iface_refusal(iface)
    if refusal:
        from netguard.errors import shown

        raise NetguardError(f"IFACE {shown(iface)} is {refusal}; nothing done")
    phase = phase_from(env, script_path)
    ignored = ""
    try:
        options = {} if meta else parse_options(env, iface)
    except OptionError as err:
        if phase in (PRE_UP, POST_UP):
            raise
        # A stanza edited (and mistyped) while the interface was up: ifdown must
        # still undo what netguard recorded, so the error is a warning here.
        options, ignored = parse_options({}, iface), err.message
    return HookContext(
        iface=iface,
        logical=env.get("LOGICAL", iface),
        families=families,
        method=env.get("METHOD", ""),
        phase=phase,
        verbose=env.get("VERBOSITY", "0") not in ("", "0"),
        options=options,
        gateway=env.get("IF_GATEWAY", ""),
        address=env.get("IF_ADDRESS", "").strip(),
        mode=env.get("MODE", ""),
        ignored=ignored,
    )
