"""/etc/netguard/netguard.conf: directories and defaults, as a Config value.

ifupdown wipes the environment before running hooks, so a file under /etc is
the only way to change where netguard keeps its state; `ip netns exec NS`
bind-mounts /etc/netns/NS/netguard over /etc/netguard, which the tests use.
The file is one deb822 paragraph, read strictly by a parser of its own (no
python-debian on the hook's path): every line that is not a comment or blank
is `Key: value`, each key once, each value checked against its range; an
error names the file, the line and the key.
"""

from __future__ import annotations

from netguard.errors import ConfigError, shown
from netguard.options import BadValue, bounded_seconds
from netguard.record import NamedTuple

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

DEFAULT_CONFIG_PATH = "/etc/netguard/netguard.conf"
MAX_CONFIG_BYTES = 64 * 1024
KNOWN_SOURCES = ("ripestat", "irr", "mirror")
DEFAULT_METRICS_DIR = "/var/lib/prometheus/node-exporter"  # Debian's node_exporter textfile directory


_DIGITS = frozenset("0123456789")
_NAME = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
_HOST = _NAME | frozenset(".:")
_PATH = _NAME | frozenset("._/+@")


def _made_of(allowed: frozenset[str], value: str, shortest: int, longest: int) -> bool:
    """Whether value is shortest..longest characters, each one of allowed.

    Plain sets, not re: importing re costs every hook run ~5 ms, and these
    are the only patterns there are (tests/unit/test_config.py holds them
    to the regular expressions they replace)."""
    return shortest <= len(value) <= longest and set(value) <= allowed


def _yes_no(value: str) -> bool:
    word = value.lower()
    if word in ("yes", "true", "on"):
        return True
    if word in ("no", "false", "off"):
        return False
    raise BadValue("accepted: yes, no")


def _seconds(value: str) -> float:
    whole, point, fraction = value.partition(".")
    if not _made_of(_DIGITS, whole, 1, 3) or (point and not _made_of(_DIGITS, fraction, 1, 3)):
        raise BadValue("accepted: seconds, plain digits, such as 10 or 2.5")
    return bounded_seconds(float(value))


def _whole(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        if not _made_of(_DIGITS, value, 1, 10) or not low <= int(value) <= high:
            raise BadValue(f"accepted: a whole number from {low} to {high}")
        return int(value)

    return parse


def _path(value: str) -> str:
    # Also read by the /bin/sh shim: no spaces, globs or quotes to go wrong there.
    if value[:1] != "/" or not _made_of(_PATH, value[1:], 0, 200) or "/../" in value + "/":
        raise BadValue("accepted: an absolute path of letters, digits and ._/+@- (at most 200)")
    return value.rstrip("/") or "/"


def _url(optional: bool) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if optional and not value:
            return value
        import urllib.parse  # only when the file sets a URL: not on every hook's path

        parts = urllib.parse.urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname or " " in value or not value.isascii():
            raise BadValue("accepted: an https:// URL (http:// only for a mirror you run)")
        try:
            parts.port  # noqa: B018 - urllib checks the port (1-65535) only when asked for it
        except ValueError:
            raise BadValue("the port must be a number from 1 to 65535") from None
        if parts.port == 0:
            raise BadValue("the port must be a number from 1 to 65535")
        return value

    return parse


def _host(value: str) -> str:
    if not _made_of(_HOST, value, 1, 253):
        raise BadValue("accepted: a host name or address")
    return value


def _irr_sources(value: str) -> str:
    if not all(_made_of(_NAME, name, 1, len(value)) for name in value.split(",")):
        raise BadValue("accepted: IRR source names joined by commas, such as RIPE,ARIN")
    return value


def _sources(value: str) -> str:
    words = value.split()
    unknown = [w for w in words if w not in KNOWN_SOURCES]
    if not words or unknown or len(set(words)) != len(words):
        raise BadValue(f"accepted: one or more of {', '.join(KNOWN_SOURCES)}, each once")
    return " ".join(words)


class Config(NamedTuple):
    """Field names map to deb822 keys: state_dir -> State-Dir."""

    state_dir: str = "/run/netguard"
    cache_dir: str = "/var/cache/netguard"
    wait_dad_timeout: float = 10.0
    reject_min_length_ipv6: int = 16
    reject_min_length_ipv4: int = 8
    reject_max_routes: int = 300000
    reject_allow_special: bool = False
    cache_max_age_days: int = 7
    refresh_sources: str = "ripestat irr"
    ripestat_url: str = "https://stat.ripe.net/data/ris-prefixes/data.json"
    mirror_url: str = ""
    irr_host: str = "whois.radb.net"
    irr_port: int = 43
    irr_sources: str = "RIPE,ARIN,APNIC,LACNIC,AFRINIC"
    fetch_timeout: float = 20.0
    fetch_max_bytes: int = 16 * 1024 * 1024
    metrics_dir: str = DEFAULT_METRICS_DIR

    @property
    def metrics_on(self) -> bool:
        """Metrics-Dir set, and not the default where node_exporter is not installed
        (checked without importing metrics.py: a hook with metrics off pays nothing for them)."""
        import os

        where = self.metrics_dir
        return bool(where) and (where != DEFAULT_METRICS_DIR or os.path.lexists(where))

    @staticmethod
    def key(field_name: str) -> str:
        return "-".join(part.capitalize() for part in field_name.split("_")).replace("Ipv", "IPv")


# How each key's value is read and range-checked.
PARSERS: dict[str, Callable[[str], Any]] = {
    "state_dir": _path,
    "cache_dir": _path,
    "wait_dad_timeout": _seconds,
    "reject_min_length_ipv6": _whole(0, 128),
    "reject_min_length_ipv4": _whole(0, 32),
    "reject_max_routes": _whole(1, 10_000_000),
    "reject_allow_special": _yes_no,
    "cache_max_age_days": _whole(1, 3650),
    "refresh_sources": _sources,
    "ripestat_url": _url(False),
    "mirror_url": _url(True),
    "irr_host": _host,
    "irr_port": _whole(1, 65535),
    "irr_sources": _irr_sources,
    "fetch_timeout": _seconds,
    "fetch_max_bytes": _whole(1, 1 << 30),
    "metrics_dir": lambda value: _path(value) if value else "",
}


def _meant(key: str, by_key: dict[str, str]) -> str:
    """The known key an unknown one was probably meant to be ("" when none is close)."""
    import difflib

    close = difflib.get_close_matches(key.strip().lower(), list(by_key), n=1, cutoff=0.8)
    return by_key[close[0]] if close else ""


def parse_config(
    text: str, origin: str = DEFAULT_CONFIG_PATH, problems: list[ConfigError] | None = None
) -> Config:
    """Strict: the first bad line raises. With problems (the hook), each bad line is appended
    and its key keeps the default, so one typo cannot take every other setting with it."""
    by_key = {Config.key(name).lower(): name for name in Config._fields}
    values: dict[str, Any] = {}
    first_line: dict[str, int] = {}

    def bad(message: str, key: str) -> None:
        error = ConfigError(message, key=key)
        if problems is None:
            raise error
        problems.append(error)
        values.pop(key, None)

    for number, line in enumerate(text.split("\n"), 1):
        where = f"{origin}:{number}"
        if not line.strip() or line.startswith("#"):
            continue
        if line[0] in " \t":
            bad(f"{where}: an indented line; every setting is `Key: value` at the start of a line", "")
            continue
        key, colon, raw = line.partition(":")
        if not colon:
            bad(f"{where}: {shown(line)} is not `Key: value`", "")
            continue
        spec = by_key.get(key.strip().lower())
        if spec is None:
            meant = _meant(key, by_key)
            known = ", ".join(Config.key(name) for name in Config._fields)
            hint = f"did you mean {Config.key(meant)}?" if meant else f"known keys: {known}"
            bad(f"{where}: unknown key {shown(key)}; {hint}", meant)
            continue
        name = Config.key(spec)
        if spec in first_line:
            bad(f"{where}: {name} given again (first on line {first_line[spec]}); give it once", spec)
            continue
        first_line[spec] = number
        value = raw.strip()
        try:
            if not value.isascii():
                raise BadValue("values are ASCII")
            values[spec] = PARSERS[spec](value)
        except BadValue as err:
            bad(f"{where}: {name}: bad value {shown(value)}; {err}", spec)
    return Config(**values)


def load_config(path: str = DEFAULT_CONFIG_PATH, problems: list[ConfigError] | None = None) -> Config:
    """Defaults when the file is absent; a ConfigError when it is wrong or unreadable (with
    problems: each appended there, and the defaults of what could not be read)."""
    from netguard.safefile import UnsafeFile, read_bounded

    try:
        data = read_bounded(path, MAX_CONFIG_BYTES, follow=True)
        text = data.decode("utf-8")
    except FileNotFoundError:
        return Config()
    except UnsafeFile as err:
        error = ConfigError(err.message)
    except UnicodeDecodeError as err:
        error = ConfigError(f"{path}: not UTF-8 text (byte {err.start}); fix the file")
    except OSError as err:  # no permission: the CLI says "run it as root"; the hook goes on
        if problems is None:
            raise
        error = ConfigError(f"{path}: cannot read it ({err.strerror}); fix the file")
    else:
        return parse_config(text, path, problems)
    if problems is None:
        raise error
    problems.append(error)
    return Config()
