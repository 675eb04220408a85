"""The catalogue: every option family's declaration, found once, and what is asked of all of them.

It stands above the features (it imports each feature module) and below
the hook, the commands and the ifupdown2 addon, which ask it. The grammar
(options.py) knows no option by name; the features know no catalogue.
"""

from __future__ import annotations

import os

from netguard import features as _package
from netguard.options import PHASES, parse_option

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from netguard.features import Feature, Step
    from netguard.options import Option

    OPTIONS: tuple[Option, ...]
    OPTIONS_BY_NAME: dict[str, Option]

_FOUND: list[Feature] = []


def features() -> list[Feature]:
    """Every feature module in netguard/features/ (a test may add a directory), in rank order.

    Found by listing the directories, not by a list typed here: adding a
    module is the whole of adding a feature.
    """
    if not _FOUND:
        names = sorted(
            {
                entry[:-3]
                for directory in _package.__path__
                for entry in os.listdir(directory)
                if entry.endswith(".py") and not entry.startswith("_")
            }
        )
        prefix = _package.__name__
        found = [__import__(f"{prefix}.{name}", fromlist=["FEATURE"]).FEATURE for name in names]
        _FOUND.extend(sorted(found, key=lambda feature: feature.rank))
    return _FOUND


def forget() -> None:
    """Find the modules again (tests that add or remove one)."""
    _FOUND.clear()


def all_options() -> tuple[Option, ...]:
    return tuple(option for feature in features() for option in feature.options)


def __getattr__(name: str) -> object:
    """OPTIONS and OPTIONS_BY_NAME, found when first asked (the hook's early phases need none)."""
    if name == "OPTIONS":
        return all_options()
    if name == "OPTIONS_BY_NAME":
        return {option.name: option for option in all_options()}
    raise AttributeError(name)


def steps_of(phase: str) -> list[Step]:
    return sorted((s for f in features() for s in f.steps if s.phase == phase), key=lambda s: s.order)


def config_keys_needed(options: Mapping[str, Any]) -> set[str]:
    """The netguard.conf keys the stanza's own options need: those of each family it uses."""
    return {
        key
        for feature in features()
        if any(options.get(o.name, o.default) != o.default for o in feature.options)
        for key in feature.reads
    }


def phases_of(option_name: str) -> list[str]:
    """The phases an option acts in: its own steps', else those of the option it serves."""
    steps = [s for f in features() for s in f.steps if s.option == option_name]
    if not steps:
        requires = next(o for o in all_options() if o.name == option_name).requires
        return phases_of(requires) if requires else []
    return [phase for phase in PHASES if any(s.phase == phase for s in steps)]


def any_option_set(env: Mapping[str, str]) -> bool:
    """The Python twin of the shim's early exit."""
    return any(env.get(option.env_name) for option in all_options())


def parse_options(env: Mapping[str, str], iface: str) -> dict[str, Any]:
    """All options, parsed; unset ones get their default."""
    parsed: dict[str, Any] = {}
    for option in all_options():
        raw = env.get(option.env_name)
        parsed[option.name] = (
            option.default if raw is None or not raw.strip() else parse_option(option, raw, iface)
        )
    return parsed
