"""/etc/netguard/netguard.conf: directories and defaults, as a Config value.

ifupdown wipes the environment before running hooks, so a file under /etc is
the only way to change where netguard keeps its state; `ip netns exec NS`
bind-mounts /etc/netns/NS/netguard over /etc/netguard, which the tests use.
The file is one deb822 paragraph, like the rest of Debian's metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from netguard.errors import ConfigError
from netguard.options import bounded_seconds

DEFAULT_CONFIG_PATH = "/etc/netguard/netguard.conf"


def _yes_no(value: str) -> bool:
    word = value.strip().lower()
    if word in ("yes", "true", "1", "on"):
        return True
    if word in ("no", "false", "0", "off"):
        return False
    raise ValueError("accepted: yes, no")


def _seconds(value: str) -> float:
    return bounded_seconds(float(value))


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("accepted: a whole number, 0 or more")
    return number


@dataclass(frozen=True)
class Config:
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
    irr_host: str = "whois.radb.net"
    irr_port: int = 43
    irr_sources: str = "RIPE,ARIN,APNIC,LACNIC,AFRINIC"
    fetch_timeout: float = 20.0
    fetch_max_bytes: int = 16 * 1024 * 1024

    @staticmethod
    def key(field_name: str) -> str:
        return "-".join(part.capitalize() for part in field_name.split("_")).replace("Ipv", "IPv")


_CONVERTERS: dict[type, Callable[[str], object]] = {str: str, float: _seconds, int: _count, bool: _yes_no}


def parse_config(text: str, origin: str = DEFAULT_CONFIG_PATH) -> Config:
    from debian.deb822 import Deb822  # ~70 ms: only paid when a netguard option is set

    paragraphs = list(Deb822.iter_paragraphs(text.splitlines(keepends=True)))
    if len(paragraphs) > 1:
        raise ConfigError(f"{origin}: {len(paragraphs)} paragraphs; netguard reads exactly one")
    paragraph = paragraphs[0] if paragraphs else {}
    by_key = {Config.key(f.name).lower(): f for f in fields(Config)}
    values: dict[str, Any] = {}
    for key, raw in paragraph.items():
        spec = by_key.get(key.lower())
        if spec is None:
            known = ", ".join(Config.key(f.name) for f in fields(Config))
            raise ConfigError(f"{origin}: unknown key {key!r}; known keys: {known}")
        convert = _CONVERTERS[type(getattr(Config, spec.name))]
        try:
            values[spec.name] = convert(raw.strip())
        except ValueError as err:
            raise ConfigError(
                f"{origin}: {Config.key(spec.name)}: bad value {raw.strip()!r}; {err}"
            ) from None
    return Config(**values)


def load_config(path: str = DEFAULT_CONFIG_PATH) -> Config:
    """Defaults when the file is absent; a ConfigError when it is wrong."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return Config()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from None
    return parse_config(text, path)
