"""One module per option family; each declares its whole feature once.

A feature module holds `FEATURE = Feature(...)`: its stanza options (how
each is parsed, its family, what it needs, how often it may be given) and
its steps. A Step says what the family does in which phase, in which order
against the others, under which error policy (errors.py), when it applies
(the stanza and what netguard did before) and the function that does it.
hook.py loops over the phase's steps; `netguard options`, `netguard check`,
the man page's phase column and the ifupdown2 addon read the same
declarations. A new option family is one new module here, found by name.
"""

from __future__ import annotations

import os

from netguard.record import NamedTuple

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from netguard.hook import HookRun
    from netguard.options import Option


class Step(NamedTuple):
    option: str  # the family's option, named in every message of the step
    phase: str
    order: int  # within the phase, lowest first; each declaration says why
    policy: str  # errors.FAIL, errors.WARN, or the name of the option that says fail or warn
    does: str  # for `netguard options` and the docs
    applies: Callable[[HookRun], bool]  # the stanza (run.ctx) or the record (run.record) calls for it
    run: Callable[[HookRun], None]
    meta: bool = False  # runs for `ifup -a`'s IFACE=--all call before and after all interfaces


class Feature(NamedTuple):
    rank: int  # where its options stand in listings and the docs
    options: tuple[Option, ...]
    steps: tuple[Step, ...]
    # `ifquery --check` (ifupdown2): (interface, parsed options) -> {option: whether the
    # running state holds what the stanza asks}, judged by the feature's own planner.
    holds: Callable[[str, Mapping[str, Any]], dict[str, bool]] | None = None
    # netguard.conf keys (Config fields) the options need to act: a bad one fails a stanza
    # that uses them (pre-up, post-up); for every other stanza it warns and the default is used.
    reads: tuple[str, ...] = ()


_FOUND: list[Feature] = []


def features() -> list[Feature]:
    """Every feature module in this package's directories (a test may add one), in rank order.

    Found by listing the directories, not by a list typed here: adding a
    module is the whole of adding a feature.
    """
    if not _FOUND:
        names = sorted(
            {
                entry[:-3]
                for directory in __path__
                for entry in os.listdir(directory)
                if entry.endswith(".py") and not entry.startswith("_")
            }
        )
        found = [__import__(f"{__name__}.{name}", fromlist=["FEATURE"]).FEATURE for name in names]
        _FOUND.extend(sorted(found, key=lambda feature: feature.rank))
    return _FOUND


def forget() -> None:
    """Find the modules again (tests that add or remove one)."""
    _FOUND.clear()


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


def all_options() -> tuple[Option, ...]:
    return tuple(option for feature in features() for option in feature.options)


def phases_of(option_name: str) -> list[str]:
    """The phases an option acts in: its own steps', else those of the option it serves."""
    from netguard.options import OPTIONS_BY_NAME, PHASES

    steps = [s for f in features() for s in f.steps if s.option == option_name]
    if not steps:
        requires = OPTIONS_BY_NAME[option_name].requires
        return phases_of(requires) if requires else []
    return [phase for phase in PHASES if any(s.phase == phase for s in steps)]
