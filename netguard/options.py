"""What a stanza option is, the grammar of its values, and parsing them.

The grammar only: it knows no option by name. Each option is declared once,
in its feature's module (netguard/features/); netguard/catalogue.py gathers
them (OPTIONS) and parses a whole stanza. The declarations drive parsing of
the ifupdown environment, the hook shim's early exit (held by a test),
`netguard check`, the ifupdown2 addon's attributes and the options reference
in the docs; the environment name (IF_WAIT_DAD) is derived from the name,
never typed.
"""

from __future__ import annotations

from netguard.errors import OptionError, shown
from netguard.record import NamedTuple

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Callable

    from netguard.prefixes.prefix import Prefix

if TYPE_CHECKING:
    from typing import Any

PRE_UP, POST_UP, PRE_DOWN, POST_DOWN = "pre-up", "post-up", "pre-down", "post-down"
PHASES = (PRE_UP, POST_UP, PRE_DOWN, POST_DOWN)
# The stanza families an option acts in (ADDRFAM).
INET, INET6, BOTH = "inet", "inet6", "inet, inet6"
FAMILIES = {INET: 4, INET6: 6}  # a stanza's family -> the IP version of its addresses and routes

MAX_WAIT_SECONDS = 300.0  # boot must never hang: even an explicit value is capped


class BadValue(ValueError):
    """Raised by a value parser; the message says what is accepted."""


class WaitDad(NamedTuple):
    """`wait-dad` setting: seconds=None means the configured default."""

    enabled: bool
    seconds: float | None = None


class Option(NamedTuple):
    name: str
    parse: Callable[[str], Any]
    default: Any
    accepted: str  # what values are accepted, for error messages and docs
    help: str
    example: str
    multi: bool = False  # a list: several per line, and repeated lines add up
    family: str = BOTH  # INET, INET6 or BOTH: the stanzas it acts in (`netguard check` warns elsewhere)
    requires: str = ""  # the option without which it has no effect (`netguard check` warns)
    words: tuple[str, ...] = ()  # a closed set of canonical values (ifupdown2's validvals)
    most: int = 0  # a list's most values (0: no limit)
    lint: Callable[[Any, set[int] | None], list[str]] | None = None  # check's advice (cached ASNs)

    @property
    def env_name(self) -> str:
        return "IF_" + self.name.upper().replace("-", "_")


_ON = {"on", "yes", "true"}
_OFF = {"off", "no", "false"}


def _plain_digits(text: str, most: int) -> bool:
    """1 to `most` ASCII digits: no fullwidth or Arabic digits, signs, underscores or exponents."""
    return 0 < len(text) <= most and text.isascii() and text.isdigit()


def _plain_seconds(text: str) -> bool:
    whole, dot, fraction = text.partition(".")
    return _plain_digits(whole, 3) and (not dot or _plain_digits(fraction, 3))


def parse_dad(value: str) -> str:
    word = value.lower()
    if word in _ON or word == "1":
        return "on"
    if word in _OFF or word == "0":
        return "off"
    if word == "optimistic":
        return "optimistic"
    raise BadValue("accepted: off, on, optimistic")


def bounded_seconds(seconds: float) -> float:
    """The one bound on every wait netguard makes (stanza, configuration, command line)."""
    if not 0 < seconds <= MAX_WAIT_SECONDS:
        raise BadValue(f"the timeout must be more than 0 and at most {MAX_WAIT_SECONDS:g} seconds")
    return seconds


def parse_wait_dad(value: str) -> WaitDad:
    """yes (Wait-Dad-Timeout, 10 s), no, or seconds: `1` is one second, `0` no wait at all."""
    word = value.lower()
    if word in _ON:
        return WaitDad(True)
    if word in _OFF:
        return WaitDad(False)
    if not _plain_seconds(word):
        raise BadValue("accepted: yes, no, or a timeout in seconds such as 5 (0 to 300, plain digits)")
    seconds = float(word)
    if seconds == 0:
        return WaitDad(False)
    return WaitDad(True, bounded_seconds(seconds))


def parse_on_off(value: str) -> bool:
    word = value.lower()
    if word in _ON or word == "1":
        return True
    if word in _OFF or word == "0":
        return False
    raise BadValue("accepted: on, off")


MAX_PROBE_MS = 30000  # NetworkManager's ipv4.dad-timeout allows the same at most


# The shortest probe budget that can hear an answer: three probes spread over it, each answer
# a LAN round trip away. Measured here, a holder's answer named 25 ms after ifup started
# (bench/ipv4_dad.py); 1 ms reported "free" while the peer held the address (hostile round 4).
# 100 ms keeps 4x that margin; NetworkManager and systemd-networkd use 200.
MIN_PROBE_MS = 100


def parse_milliseconds(value: str) -> float:
    """A budget in whole milliseconds, MIN_PROBE_MS to MAX_PROBE_MS; returned in seconds."""
    if not _plain_digits(value, 5) or not MIN_PROBE_MS <= int(value) <= MAX_PROBE_MS:
        raise BadValue(
            f"accepted: milliseconds from {MIN_PROBE_MS} to {MAX_PROBE_MS} in plain digits, such as 200 "
            f"(below {MIN_PROBE_MS} ms an answer may come after the probe ended)"
        )
    return int(value) / 1000


def parse_wait_dad_failure(value: str) -> str:
    word = value.lower()
    if word in ("fail", "warn"):
        return word
    raise BadValue("accepted: fail, warn")


# RFC 7607 (AS0), RFC 6793 (AS_TRANS), RFC 7300 (last 16- and 32-bit ASNs).
_RESERVED_ASNS = {0, 23456, 65535, 4294967295}


def parse_asn(word: str) -> int:
    digits = word[2:] if word[:2].lower() == "as" else word
    if not _plain_digits(digits, 10) or digits[0] == "0":
        raise BadValue("accepted: AS numbers such as 174 or AS174 (plain digits, no leading zero)")
    asn = int(digits)
    if asn > 4294967295 or asn in _RESERVED_ASNS:
        raise BadValue("accepted: AS numbers from 1 to 4294967294, not reserved ones")
    return asn


def parse_prefix(word: str) -> Prefix:
    from netguard.prefixes.prefix import PrefixError, parse

    try:
        return parse(word)
    except PrefixError as err:
        raise BadValue(
            f"{err}; accepted: prefixes such as 2001:db8:100::/40 or 192.0.2.0/24, host bits zero"
        ) from None


MAX_PROBE_TARGETS = 8


def parse_probe_target(word: str) -> str:
    """ADDRESS (ICMP echo) or ADDRESS:PORT / [IPV6]:PORT (a TCP connection); kept as written, checked here."""
    from netguard.prefixes.prefix import PrefixError, parse_address

    address, port = split_target(word)
    try:
        parse_address(address)
    except PrefixError:
        raise BadValue(
            "accepted: probe targets such as 2001:db8::1, [2001:db8::1]:443 or 192.0.2.1:80"
        ) from None
    if port is not None and not (_plain_digits(port, 5) and 0 < int(port) < 65536):
        raise BadValue("accepted: a TCP port from 1 to 65535 after the address")
    return word


def split_target(word: str) -> tuple[str, str | None]:
    """("2001:db8::1", "443") from "[2001:db8::1]:443"; (address, None) for a bare address."""
    if word.startswith("["):
        address, bracket, rest = word[1:].partition("]")
        if not bracket or not rest.startswith(":"):
            return word, None  # parse_address refuses it
        return address, rest[1:]
    if word.count(":") == 1:  # IPv4:PORT (an IPv6 address has more colons)
        address, _, port = word.partition(":")
        return address, port
    return word, None


def _bad(option: Option, value: str, err: BadValue, iface: str) -> OptionError:
    why = str(err)
    if "#" in value:
        why = (
            "interfaces(5) has no end-of-line comments, so the '#...' is part of the value; "
            "put the comment on a line of its own"
        )
    return OptionError(f"bad value {shown(value)}; {why}", iface, option.name)


def parse_option(option: Option, raw: str, iface: str) -> Any:
    """Parse one raw environment value; errors name the interface and option."""
    if option.multi:
        # ifupdown joins repeated lines with newlines; commas are tolerated.
        if "#" in raw:
            raise _bad(option, raw.strip(), BadValue(""), iface)
        words = raw.replace(",", " ").split()
        values = []
        for word in words:
            try:
                value = option.parse(word)
            except BadValue as err:
                raise _bad(option, word, err, iface) from None
            if value not in values:
                values.append(value)
        if option.most and len(values) > option.most:
            raise OptionError(f"{len(values)} values; give at most {option.most}", iface, option.name)
        return tuple(values)
    lines = [line.strip() for line in raw.split("\n") if line.strip()]
    if len(lines) > 1:
        raise OptionError(
            f"given {len(lines)} times; give it once (ifupdown2 reads only the first)",
            iface,
            option.name,
        )
    value = lines[0] if lines else ""
    try:
        return option.parse(value)
    except BadValue as err:
        raise _bad(option, value, err, iface) from None
