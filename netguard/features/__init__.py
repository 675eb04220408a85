"""One module per option family; each declares its whole feature once.

A feature module holds `FEATURE = Feature(...)`: its stanza options (how
each is parsed, its family, what it needs, how often it may be given) and
its steps. A Step says what the family does in which phase, in which order
against the others, under which error policy (errors.py), when it applies
(the stanza and what netguard did before) and the function that does it.
The catalogue (netguard/catalogue.py) finds the modules; hook.py loops over
the phase's steps; `netguard options`, `netguard check`, the man page's
phase column and the ifupdown2 addon read the same declarations. A new
option family is one new module here, found by name. A feature's step calls
down (apply.py, reconcile.py, the records), never up to the catalogue or
the hook.
"""

from __future__ import annotations

from netguard.record import NamedTuple

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from netguard.hookrun import HookRun
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
